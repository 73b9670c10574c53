"""Resolver: Dockerfile + context + build args + platforms -> copied files and image references."""

from __future__ import annotations

import textwrap
from typing import Any, Dict, FrozenSet, Optional, Sequence, Set, Tuple

import pytest

from shipyard.dockerfile.dockerignore import DockerIgnore
from shipyard.dockerfile.instructions import DockerfileError
from shipyard.dockerfile.parser import parse_dockerfile
from shipyard.dockerfile.platforms import InvalidPlatformError, platform_args
from shipyard.dockerfile.resolved import ImageExport, OnbuildTrigger, ResolvedDockerfile
from shipyard.dockerfile.resolver import resolve_dockerfile


def resolve(
    dockerfile: str,
    files: Sequence[str],
    *,
    build_args: Optional[Dict[str, str]] = None,
    target: Optional[str] = None,
    platforms: Sequence[str] = (),
    ignore: Optional[str] = None,
) -> ResolvedDockerfile:
    parsed = parse_dockerfile(textwrap.dedent(dockerfile).lstrip("\n"), "apps/demo/Dockerfile")
    return resolve_dockerfile(
        parsed,
        context_files=files,
        build_args=build_args or {},
        target_stage=target,
        platforms=platforms,
        dockerignore=DockerIgnore.parse(ignore, "apps/demo/.dockerignore") if ignore is not None else None,
        context_dir_label="apps/demo",
    )


def refs(result: ResolvedDockerfile) -> Set[Tuple[str, str]]:
    return {(r.reference, r.kind) for r in result.image_refs}


# --- realistic Dockerfiles ---------------------------------------------------------------------

PYTHON_APP = """
FROM tinyolly/python-base:latest
ARG APP_DIR=ui
WORKDIR /app
COPY apps/${APP_DIR}/tinyolly_ui/ /app/tinyolly_ui/
COPY requirements.txt ./
RUN pip install -r requirements.txt
CMD ["python", "-m", "tinyolly_ui"]
"""
PYTHON_FILES = [
    "requirements.txt",
    "apps/ui/tinyolly_ui/__init__.py",
    "apps/ui/tinyolly_ui/server.py",
    "apps/ui/tinyolly_ui/static/app.css",
    "apps/api/tinyolly_ui/__init__.py",
    "apps/ui/tests/test_server.py",
    "README.md",
]

GO_APP = """
# syntax=docker/dockerfile:1
FROM --platform=$BUILDPLATFORM golang:1.19-bookworm AS build
ARG TARGETOS TARGETARCH
WORKDIR /src
COPY go.mod ./
COPY go.sum ./
COPY *.go ./
RUN --mount=type=cache,target=/root/.cache/go-build \\
    GOOS=$TARGETOS GOARCH=$TARGETARCH go build -o /out/server .

FROM scratch
COPY --from=build /out/server /server
ENTRYPOINT ["/server"]
"""
GO_FILES = ["go.mod", "go.sum", "main.go", "handlers.go", "internal/db/db.go", "Makefile"]

NODE_APP = """
FROM node:20-alpine AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci
COPY src ./src
COPY public/ ./public/
RUN npm run build

FROM busybox:1.36 AS serve
COPY --from=build /app/dist /www
EXPOSE 8080
CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]
"""
NODE_FILES = [
    "package.json",
    "package-lock.json",
    "src/index.js",
    "src/App.test.js",
    "src/components/Button.js",
    "public/index.html",
    "node_modules/react/index.js",
    "coverage/lcov.info",
]
NODE_IGNORE = """
# dependencies and build output
node_modules
coverage
**/*.test.js
*.md
!CHANGELOG.md
"""

MONOREPO_IGNORE = """
**
!services/api/**
!libs/common/**
services/api/**/*_test.py
**/__pycache__
"""

# (id, Dockerfile, context files, keyword arguments, expected copied files, expected image refs)
CASES = [
    (
        "python_app_arg_default_picks_ui",
        PYTHON_APP,
        PYTHON_FILES,
        {},
        {"apps/ui/tinyolly_ui/__init__.py", "apps/ui/tinyolly_ui/server.py", "apps/ui/tinyolly_ui/static/app.css", "requirements.txt"},
        {("tinyolly/python-base:latest", "from")},
    ),
    (
        "python_app_build_arg_overrides_default",
        PYTHON_APP,
        PYTHON_FILES,
        {"build_args": {"APP_DIR": "api"}},
        {"apps/api/tinyolly_ui/__init__.py", "requirements.txt"},
        {("tinyolly/python-base:latest", "from")},
    ),
    (
        "go_multistage_copies_module_files_and_go_sources_only",
        GO_APP,
        GO_FILES,
        {"platforms": ["linux/amd64", "linux/arm64"]},
        {"go.mod", "go.sum", "main.go", "handlers.go"},
        {("golang:1.19-bookworm", "from")},
    ),
    (
        "node_build_with_busybox_serving_and_dockerignore",
        NODE_APP,
        NODE_FILES,
        {"ignore": NODE_IGNORE},
        {"package.json", "package-lock.json", "src/index.js", "src/components/Button.js", "public/index.html"},
        {("node:20-alpine", "from"), ("busybox:1.36", "from")},
    ),
    (
        "dockerignore_allowlist_with_exceptions_and_double_star",
        "FROM python:3.12-slim\nCOPY . /srv\n",
        [
            "services/api/main.py",
            "services/api/routes/users.py",
            "services/api/routes/users_test.py",
            "services/api/__pycache__/main.cpython-312.pyc",
            "services/web/app.js",
            "libs/common/util.py",
            "secrets/prod.env",
        ],
        {"ignore": MONOREPO_IGNORE},
        {"services/api/main.py", "services/api/routes/users.py", "libs/common/util.py"},
        {("python:3.12-slim", "from")},
    ),
    ("directory_source_copies_every_file_below", "FROM a\nCOPY conf /etc/app\n", ["conf/a.yaml", "conf/sub/b.yaml", "config.yaml"], {}, {"conf/a.yaml", "conf/sub/b.yaml"}, {("a", "from")}),
    ("dot_copies_whole_context", "FROM a\nCOPY . /app\n", ["a.py", "pkg/b.py"], {}, {"a.py", "pkg/b.py"}, {("a", "from")}),
    ("dot_slash_prefix_is_context_relative", "FROM a\nCOPY ./app.py ./\n", ["app.py"], {}, {"app.py"}, {("a", "from")}),
    ("leading_slash_means_context_root", "FROM a\nCOPY /config/app.toml /etc/\n", ["config/app.toml"], {}, {"config/app.toml"}, {("a", "from")}),
    ("several_sources_in_one_copy", "FROM a\nCOPY a.txt b/ c.txt /dst/\n", ["a.txt", "b/x", "c.txt", "d.txt"], {}, {"a.txt", "b/x", "c.txt"}, {("a", "from")}),
    ("star_does_not_cross_directories", "FROM a\nCOPY *.go /src/\n", ["main.go", "pkg/util.go"], {}, {"main.go"}, {("a", "from")}),
    (
        "wildcard_in_a_directory_segment",
        "FROM a\nCOPY apps/*/requirements.txt /reqs/\n",
        ["apps/ui/requirements.txt", "apps/api/requirements.txt", "apps/api/other.txt"],
        {},
        {"apps/ui/requirements.txt", "apps/api/requirements.txt"},
        {("a", "from")},
    ),
    ("character_class_source", "FROM a\nCOPY [ab].txt /d/\n", ["a.txt", "b.txt", "c.txt"], {}, {"a.txt", "b.txt"}, {("a", "from")}),
    ("question_mark_source", "FROM a\nCOPY v?.json /d/\n", ["v1.json", "v10.json"], {}, {"v1.json"}, {("a", "from")}),
    ("wildcard_matching_a_directory_copies_its_files", "FROM a\nCOPY src* /d/\n", ["src/a.py", "src/b/c.py", "srcfile", "other/x"], {}, {"src/a.py", "src/b/c.py", "srcfile"}, {("a", "from")}),
    ("json_form_source_with_spaces", 'FROM a\nCOPY ["my file.txt", "/dst/"]\n', ["my file.txt"], {}, {"my file.txt"}, {("a", "from")}),
    ("add_url_reads_nothing_from_context", "FROM a\nADD https://example.com/x.tgz /x.tgz\n", ["x.tgz"], {}, set(), {("a", "from")}),
    ("add_git_reads_nothing_from_context", "FROM a\nADD git@github.com:org/repo.git /src\n", ["repo.git"], {}, set(), {("a", "from")}),
    ("add_local_archive_is_a_context_file", "FROM a\nADD vendor.tar.gz /opt/\n", ["vendor.tar.gz"], {}, {"vendor.tar.gz"}, {("a", "from")}),
    ("copy_from_stage_reads_nothing_from_context", "FROM a AS b\nFROM c\nCOPY --from=b /app /app\n", ["app"], {}, set(), {("a", "from"), ("c", "from")}),
    ("copy_from_stage_index", "FROM a\nCOPY x /x\nFROM c\nCOPY --from=0 /x /x\n", ["x"], {}, {"x"}, {("a", "from"), ("c", "from")}),
    ("copy_from_external_image", "FROM a\nCOPY --from=nginx:1.25 /etc/nginx/nginx.conf /etc/\n", ["etc/nginx/nginx.conf"], {}, set(), {("a", "from"), ("nginx:1.25", "copy_from")}),
    ("heredoc_copy_reads_nothing", "FROM a\nCOPY <<EOF /etc/app.conf\nport=80\nEOF\n", ["EOF", "port=80"], {}, set(), {("a", "from")}),
    ("bind_mount_without_source_reads_whole_context", "FROM a\nRUN --mount=type=bind,target=/src make -C /src\n", ["Makefile", "src/x.c"], {}, {"Makefile", "src/x.c"}, {("a", "from")}),
    ("bind_mount_with_source_directory", "FROM a\nRUN --mount=type=bind,source=scripts,target=/s /s/run.sh\n", ["scripts/run.sh", "other.sh"], {}, {"scripts/run.sh"}, {("a", "from")}),
    ("mount_from_stage_makes_the_stage_used", "FROM a AS tools\nCOPY tool.sh /t\nFROM b\nRUN --mount=from=tools,target=/t /t/tool.sh\n", ["tool.sh"], {}, {"tool.sh"}, {("a", "from"), ("b", "from")}),
    ("mount_from_image", "FROM a\nRUN --mount=type=bind,from=ghcr.io/org/tools:1,target=/t /t/run\n", [], {}, set(), {("a", "from"), ("ghcr.io/org/tools:1", "mount_from")}),
    ("cache_and_secret_mounts_read_nothing", "FROM a\nRUN --mount=type=cache,target=/c --mount=type=secret,id=npm,target=/s true\n", ["x"], {}, set(), {("a", "from")}),
    ("unused_stage_files_are_not_copied", "FROM a AS dev\nCOPY dev-only.txt /\nFROM b AS prod\nCOPY prod.txt /\n", ["dev-only.txt", "prod.txt"], {}, {"prod.txt"}, {("b", "from")}),
    ("target_stage_limits_the_build", "FROM a AS build\nCOPY src/ /src/\nFROM b AS release\nCOPY --from=build /src /src\nCOPY release.txt /\n", ["src/x", "release.txt"], {"target": "build"}, {"src/x"}, {("a", "from")}),
    ("target_stage_name_is_case_insensitive", "FROM a AS Build\nCOPY x /\nFROM b\nCOPY y /\n", ["x", "y"], {"target": "BUILD"}, {"x"}, {("a", "from")}),
    ("from_earlier_stage_is_not_an_image_and_case_insensitive", "FROM alpine AS base\nCOPY a /\nFROM BASE\nCOPY b /\n", ["a", "b"], {}, {"a", "b"}, {("alpine", "from")}),
    ("from_scratch_is_not_an_image", "FROM scratch\nCOPY bin/app /app\n", ["bin/app"], {}, {"bin/app"}, set()),
    ("global_arg_is_not_visible_inside_a_stage", "ARG DIR=conf\nFROM a\nCOPY ${DIR}/app.ini /etc/\n", ["conf/app.ini", "app.ini"], {}, {"app.ini"}, {("a", "from")}),
    ("global_arg_redeclared_in_stage_takes_global_value", "ARG DIR=conf\nFROM a\nARG DIR\nCOPY ${DIR}/app.ini /etc/\n", ["conf/app.ini", "app.ini"], {}, {"conf/app.ini"}, {("a", "from")}),
    ("global_arg_is_visible_in_from", "ARG TAG=3.19\nFROM alpine:${TAG}\n", [], {}, set(), {("alpine:3.19", "from")}),
    ("build_arg_overrides_global_arg_in_from", "ARG TAG=3.19\nFROM alpine:${TAG}\n", [], {"build_args": {"TAG": "3.20"}}, set(), {("alpine:3.20", "from")}),
    ("build_arg_for_undeclared_arg_is_ignored", "FROM a\nCOPY ${FLAVOR}app.txt /\n", ["app.txt", "proapp.txt"], {"build_args": {"FLAVOR": "pro"}}, {"app.txt"}, {("a", "from")}),
    ("build_arg_overrides_stage_arg_default", "FROM a\nARG FLAVOR=lite\nCOPY ${FLAVOR}.txt /\n", ["lite.txt", "pro.txt"], {"build_args": {"FLAVOR": "pro"}}, {"pro.txt"}, {("a", "from")}),
    ("env_is_substituted_in_later_copy", "FROM a\nARG V=2\nENV CONF_DIR=conf/v${V}\nCOPY ${CONF_DIR}/ /etc/\n", ["conf/v2/a", "conf/v1/a"], {}, {"conf/v2/a"}, {("a", "from")}),
    ("env_on_one_line_sees_previous_values_only", "FROM a\nENV A=x B=${A}y\nCOPY ${B} /\n", ["y", "xy"], {}, {"y"}, {("a", "from")}),
    ("target_arch_declared_in_stage_unions_platforms", "FROM a\nARG TARGETARCH\nCOPY bin/${TARGETARCH}/app /app\n", ["bin/amd64/app", "bin/arm64/app", "bin/riscv64/app"], {"platforms": ["linux/amd64", "linux/arm64"]}, {"bin/amd64/app", "bin/arm64/app"}, {("a", "from")}),
    ("target_arch_not_declared_is_empty_inside_stage", "FROM a\nCOPY bin/${TARGETARCH}app /app\n", ["bin/app", "bin/amd64app"], {}, {"bin/app"}, {("a", "from")}),
    (
        "from_with_targetarch_selects_a_stage_per_platform",
        "FROM alpine AS base-amd64\nCOPY amd64.txt /\nFROM alpine AS base-arm64\nCOPY arm64.txt /\nFROM base-${TARGETARCH}\nCOPY common.txt /\n",
        ["amd64.txt", "arm64.txt", "common.txt"],
        {"platforms": ["linux/arm64"]},
        {"arm64.txt", "common.txt"},
        {("alpine", "from")},
    ),
    ("stage_built_from_a_stage_inherits_its_env", "FROM a AS base\nENV SRC=lib\nFROM base\nCOPY ${SRC}/ /lib/\n", ["lib/x.so"], {}, {"lib/x.so"}, {("a", "from")}),
    ("copy_from_may_name_a_later_stage", "FROM a AS final\nCOPY --from=assets /dist /www\nFROM b AS assets\nCOPY web/ /dist/\n", ["web/index.html"], {"target": "final"}, {"web/index.html"}, {("a", "from"), ("b", "from")}),
    ("copy_from_stage_name_is_case_insensitive", "FROM a AS build\nCOPY x /x\nFROM b\nCOPY --from=BUILD /x /x\n", ["x"], {}, {"x"}, {("a", "from"), ("b", "from")}),
    # .dockerignore leaves the directory in the context, only its files out: BuildKit copies it empty.
    ("directory_whose_files_are_all_ignored_copies_nothing", "FROM a\nCOPY internal/ /src/internal/\n", ["internal/handler/handler_test.go", "main.go"], {"ignore": "**/*_test.go\n"}, set(), {("a", "from")}),
    ("ignored_files_inside_copied_directory_are_skipped", "FROM a\nCOPY app/ /app/\n", ["app/main.py", "app/main.pyc", "app/.env"], {"ignore": "**/*.pyc\napp/.env\n"}, {"app/main.py"}, {("a", "from")}),
    ("exclude_flag_drops_files", "FROM a\nCOPY --exclude=*.md docs/ /docs/\n", ["docs/guide.md", "docs/logo.png"], {}, {"docs/logo.png"}, {("a", "from")}),
    ("single_quoted_source_is_not_substituted", "FROM a\nARG X=no\nCOPY '$X.txt' /\n", ["$X.txt", "no.txt"], {}, {"$X.txt"}, {("a", "from")}),
    ("escaped_dollar_source_is_literal", "FROM a\nARG X=no\nCOPY \\$X.txt /\n", ["$X.txt", "no.txt"], {}, {"$X.txt"}, {("a", "from")}),
    ("backtick_escape_directive_applies_to_sources", "# escape=`\nFROM a\nARG X=no\nCOPY `$X.txt c:\\dst\\\n", ["$X.txt", "no.txt"], {}, {"$X.txt"}, {("a", "from")}),
    ("wildcard_matching_nothing_beside_a_match_is_fine", "FROM a\nCOPY pom.xml target/lib* /opt/\n", ["pom.xml", "target/classes/A.class"], {}, {"pom.xml"}, {("a", "from")}),
    ("lone_wildcard_matching_nothing_at_root_is_fine", "FROM a\nCOPY *.whl /wheels/\n", ["setup.py"], {}, set(), {("a", "from")}),
    ("copy_from_scratch_is_not_an_image", "FROM a\nCOPY --from=scratch / /\n", [], {}, set(), {("a", "from")}),
    ("double_quoted_source_without_spaces_loses_its_quotes", 'FROM a\nCOPY "app.py" /app/\n', ["app.py"], {}, {"app.py"}, {("a", "from")}),
    ("empty_variable_source_means_the_context_root", "FROM a\nCOPY ${NOTHING}/ /app/\n", ["a", "b/c"], {}, {"a", "b/c"}, {("a", "from")}),
    ("arg_default_may_use_an_earlier_arg", "FROM a\nARG V=1\nARG DIR=v${V}\nCOPY ${DIR}/ /d/\n", ["v1/x", "v/x"], {}, {"v1/x"}, {("a", "from")}),
    ("global_arg_default_uses_platform_arg", "ARG ARCH=${TARGETARCH}\nFROM base:${ARCH}\n", [], {"platforms": ["linux/arm64"]}, set(), {("base:arm64", "from")}),
]


@pytest.mark.parametrize(
    "dockerfile,files,kwargs,expected_files,expected_refs",
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_resolve(
    dockerfile: str, files: Sequence[str], kwargs: Dict[str, Any], expected_files: Set[str], expected_refs: Set[Tuple[str, str]]
) -> None:
    result = resolve(dockerfile, files, **kwargs)
    assert result.copied_files == frozenset(expected_files)
    assert refs(result) == expected_refs


# (id, Dockerfile, context files, keyword arguments, expected error line, message fragment, hint fragment)
ERRORS = [
    ("literal_source_not_found", "FROM a\nRUN true\nCOPY app.py /app/\n", ["main.py"], {}, 3, "'app.py' was not found in the build context 'apps/demo'", "context field"),
    ("literal_source_only_exists_as_ignored_file", "FROM a\nCOPY .env /app/\n", [".env"], {"ignore": ".env\n"}, 2, "is excluded from the build context 'apps/demo' by apps/demo/.dockerignore:1", "!.env"),
    ("literal_directory_excluded_by_dockerignore", "FROM a\nCOPY docs/ /docs/\n", ["docs/a.md", "main.go"], {"ignore": "docs/\n"}, 2, "is excluded from the build context 'apps/demo' by apps/demo/.dockerignore:1", "!docs"),
    ("literal_directory_excluded_by_a_wildcard_pattern", "FROM a\nCOPY internal/ /src/\n", ["internal/x.go", "main.go"], {"ignore": "*\n!main.go\n"}, 2, "is excluded from the build context 'apps/demo' by apps/demo/.dockerignore:1", "!internal"),
    ("directory_before_wildcard_missing", "FROM a\nCOPY pom.xml target/lib/*.jar /opt/\n", ["pom.xml"], {}, 2, "directory 'target/lib' does not exist", "wildcard"),
    ("source_escaping_the_context", "FROM a\nCOPY ../shared/lib.py /app/\n", ["lib.py"], {}, 2, "points outside the build context", "context"),
    ("copy_from_index_out_of_range", "FROM a\nCOPY --from=3 /x /x\n", [], {}, 2, "invalid stage index 3", "name of a stage"),
    ("copy_from_with_variable", "ARG SRC=builder\nFROM a\nCOPY --from=${SRC} /x /x\n", [], {}, 3, "variable expansion is not supported in --from", "FROM ${IMG} AS src"),
    ("mount_from_with_variable", "FROM a\nRUN --mount=from=$TOOLS,target=/t true\n", [], {}, 2, "variable expansion is not supported in --mount from=", "AS src"),
    ("empty_from_after_substitution_names_the_arg", "ARG BASE_IMAGE\nFROM ${BASE_IMAGE}\n", [], {}, 2, "should not be blank", "BASE_IMAGE"),
    ("circular_stage_dependency", "FROM a AS one\nCOPY --from=two /x /x\nFROM b AS two\nCOPY --from=one /y /y\n", [], {}, 4, "circular dependency", "split"),
    ("quoted_shell_form_source_with_spaces", 'FROM a\nCOPY "my file.txt" /dst/\n', ["my file.txt"], {}, 2, "double-quote", "JSON form"),
    ("required_variable_missing", "FROM a\nARG VERSION\nCOPY dist/app-${VERSION:?required}.whl /\n", [], {}, 3, "VERSION: required", "build_args"),
    ("copy_of_a_url", "FROM a\nCOPY https://example.com/f /f\n", [], {}, 2, "is a URL", "ADD"),
    ("bind_mount_source_missing", "FROM a\nRUN --mount=type=bind,source=scripts,target=/s /s/x\n", ["other"], {}, 2, "--mount source 'scripts' was not found", "bind mount"),
    ("stage_copying_from_itself", "FROM a AS one\nCOPY --from=one /x /y\n", [], {}, 2, "circular dependency detected on stage: one", "split"),
    ("unsupported_mount_type", "FROM a\nRUN --mount=type=nfs,target=/x true\n", [], {}, 2, "unsupported mount type 'nfs'", "bind"),
    # BuildKit refuses duplicate stage names (build check DuplicateStageName, "results in an error").
    ("duplicate_stage_name", "FROM a AS build\nRUN x\nFROM b AS build\nCOPY --from=build /x /x\n", [], {}, 3, "stage `build` defined twice, at lines 1 and 3", "unique"),
    ("duplicate_stage_name_is_case_insensitive", "FROM a AS Build\nFROM b AS build\n", [], {}, 2, "defined twice, at lines 1 and 2", "rename"),
    ("duplicate_stage_name_in_an_unused_stage", "FROM a AS x\nFROM b AS x\nFROM c\n", [], {}, 2, "stage `x` defined twice", "unique"),
    # A substitution error in a global ARG default fails the build in BuildKit too.
    ("global_arg_default_required_variable", "ARG V=${MISSING:?required}\nFROM a:$V\n", [], {}, 1, "MISSING: required", "build_args"),
    # BuildKit parses the substituted FROM --platform with containerd's platforms.Parse.
    ("from_platform_with_an_empty_component", "FROM --platform=linux//amd64 a\n", [], {}, 1, "invalid FROM --platform 'linux//amd64'", "--platform=linux/arm64"),
    ("from_platform_from_an_arg", "ARG P=linux/amd64/v2/x\nFROM --platform=$P a\n", [], {}, 2, "'$P' (= 'linux/amd64/v2/x')", "$BUILDPLATFORM"),
    ("from_platform_empty_after_substitution", "FROM a AS x\nFROM --platform=$NOPE b\n", [], {}, 2, "invalid FROM --platform", "NOPE has no value"),
    ("global_arg_default_unterminated_brace", "ARG V=${X\nFROM a\n", [], {}, 1, "missing '}'", "substitution"),
]


@pytest.mark.parametrize(
    "dockerfile,files,kwargs,line,message,hint",
    [e[1:] for e in ERRORS],
    ids=[e[0] for e in ERRORS],
)
def test_resolve_errors(dockerfile: str, files: Sequence[str], kwargs: Dict[str, Any], line: int, message: str, hint: str) -> None:
    with pytest.raises(DockerfileError) as caught:
        resolve(dockerfile, files, **kwargs)
    err = caught.value
    assert err.line == line
    assert message in err.message
    assert hint in err.hint
    assert str(err).startswith(f"apps/demo/Dockerfile:{line}: ")


def test_target_stage_not_found_lists_the_stage_names() -> None:
    with pytest.raises(DockerfileError) as caught:
        resolve("FROM a AS build\nFROM b AS release\n", [], target="relase")
    assert "'relase' could not be found" in caught.value.message
    assert "build, release" in caught.value.message


def test_missing_file_in_an_unused_stage_is_not_an_error() -> None:
    result = resolve("FROM a AS docs\nCOPY missing.md /\nFROM b\nCOPY app.py /\n", ["app.py"])
    assert result.copied_files == frozenset({"app.py"})


def test_stages_report_base_line_and_use() -> None:
    result = resolve(GO_APP, GO_FILES)
    summary = [(s.label, s.base, s.line, s.used) for s in result.stages]
    assert summary == [("build", "golang:1.19-bookworm", 2, True), ("stage-1", "scratch", 11, True)]
    assert result.target == "stage-1"


def test_stage_unused_when_only_an_unbuilt_stage_needs_it() -> None:
    result = resolve("FROM a AS lint\nFROM a AS test\nCOPY --from=lint / /\nFROM b\n", [])
    assert [s.used for s in result.stages] == [False, False, True]


def test_from_platform_flag_is_substituted_on_the_image_ref() -> None:
    result = resolve(GO_APP, GO_FILES, platforms=["linux/arm64", "linux/amd64"])
    (golang,) = [r for r in result.image_refs if r.reference.startswith("golang")]
    assert golang.platform == "linux/amd64"  # $BUILDPLATFORM, the default build platform
    assert golang.target_platforms == ("linux/arm64", "linux/amd64")
    assert (golang.line, golang.stage) == (2, "build")


def test_copy_trace_records_written_and_substituted_sources() -> None:
    result = resolve(PYTHON_APP, PYTHON_FILES, build_args={"APP_DIR": "api"})
    first = result.copy_trace[0]
    assert (first.line, first.source, first.expanded, first.origin) == (4, "apps/${APP_DIR}/tinyolly_ui/", "apps/api/tinyolly_ui/", "context")
    assert first.files == ("apps/api/tinyolly_ui/__init__.py",)


def test_referenced_and_unset_variables_are_reported() -> None:
    result = resolve("ARG TAG=1\nFROM a:${TAG}\nCOPY ${NOPE}x /\n", ["x"])
    assert {"TAG", "NOPE"} <= result.referenced_variables
    assert "NOPE" in result.unset_variables and "TAG" not in result.unset_variables


def test_empty_wildcard_match_is_reported_as_a_warning() -> None:
    result = resolve("FROM a\nCOPY *.whl /wheels/\n", ["setup.py"])
    assert len(result.warnings) == 1 and "'*.whl' matched no files" in result.warnings[0]


def test_platform_args_are_normalized() -> None:
    args = platform_args("linux/arm", "linux/x86_64")
    assert (args["TARGETPLATFORM"], args["TARGETVARIANT"], args["BUILDARCH"]) == ("linux/arm/v7", "v7", "amd64")


def test_build_arg_can_override_an_automatic_platform_arg() -> None:
    result = resolve("FROM a\nARG TARGETARCH\nCOPY ${TARGETARCH}.bin /\n", ["amd64.bin", "custom.bin"], build_args={"TARGETARCH": "custom"})
    assert result.copied_files == frozenset({"custom.bin"})


def test_context_files_given_with_dot_slash_are_normalized() -> None:
    result = resolve("FROM a\nCOPY app.py /\n", ["./app.py"])
    assert result.copied_files == frozenset({"app.py"})


def test_error_message_quotes_the_instruction() -> None:
    with pytest.raises(DockerfileError) as caught:
        resolve("FROM a\nCOPY app.py /app/\n", [])
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("apps/demo/Dockerfile:2: COPY source 'app.py' was not found")
    assert lines[1].strip() == "2 | COPY app.py /app/"
    assert lines[2].startswith("  hint: ")


def _names(result: ResolvedDockerfile) -> FrozenSet[str]:
    return frozenset(s.label for s in result.stages if s.used)


def test_union_over_platforms_marks_every_selected_stage_used() -> None:
    dockerfile = "FROM alpine AS base-amd64\nFROM alpine AS base-arm64\nFROM base-${TARGETARCH}\n"
    assert _names(resolve(dockerfile, [], platforms=["linux/amd64"])) == {"base-amd64", "stage-2"}
    assert _names(resolve(dockerfile, [], platforms=["linux/amd64", "linux/arm64"])) == {"base-amd64", "base-arm64", "stage-2"}


def test_bind_mount_trace_names_the_context_root() -> None:
    result = resolve("FROM a\nRUN --mount=type=bind,target=/src make\n", ["Makefile"])
    (mount,) = result.copy_trace
    assert (mount.keyword, mount.expanded, mount.origin, mount.files) == ("RUN", ".", "context", ("Makefile",))


def test_heredoc_and_stage_sources_are_traced_without_files() -> None:
    result = resolve("FROM a AS b\nFROM c\nCOPY <<EOF /x\nhi\nEOF\nCOPY --from=b /y /y\n", [])
    assert [(t.origin, t.from_ref, t.files) for t in result.copy_trace] == [("heredoc", None, ()), ("stage", "b", ())]


def test_not_found_hint_spots_a_path_written_from_a_parent_directory() -> None:
    with pytest.raises(DockerfileError) as caught:
        resolve("FROM a\nCOPY apps/demo/src/ /src/\n", ["src/main.py"])
    assert "the context has 'src'" in caught.value.hint


# (id, Dockerfile, context files, keyword arguments, fragment expected in a warning, or None for no warning)
UNSET_WARNINGS = [
    ("declared_arg_without_value", "FROM a\nARG APP\nCOPY apps/${APP}/ /app/\n", ["apps/ui/x", "apps/api/y"], {}, "Dockerfile:3: COPY source 'apps/${APP}/' uses APP, which has no value"),
    ("undeclared_variable", "FROM a\nCOPY apps/$APP/ /app/\n", ["apps/ui/x"], {}, "uses APP, which has no value"),
    ("global_arg_not_redeclared_in_stage", "ARG APP=ui\nFROM a\nCOPY apps/${APP}/ /app/\n", ["apps/ui/x"], {}, "uses APP"),
    ("bind_mount_source", "FROM a\nRUN --mount=type=bind,source=$DIR,target=/s true\n", ["x"], {}, "RUN source '$DIR' uses DIR"),
    ("default_given_in_the_substitution", "FROM a\nARG APP\nCOPY apps/${APP:-ui}/ /app/\n", ["apps/ui/x"], {}, None),
    ("build_arg_sets_it", "FROM a\nARG APP\nCOPY apps/${APP}/ /app/\n", ["apps/ui/x"], {"build_args": {"APP": "ui"}}, None),
    ("arg_default_sets_it", "FROM a\nARG APP=ui\nCOPY apps/${APP}/ /app/\n", ["apps/ui/x"], {}, None),
    ("escaped_dollar_is_no_variable", "FROM a\nCOPY \\$APP.txt /\n", ["$APP.txt"], {}, None),
    ("copy_from_a_stage_reads_no_context", "FROM a AS b\nFROM c\nCOPY --from=b /$APP /x\n", [], {}, None),
]


@pytest.mark.parametrize(
    "dockerfile,files,kwargs,fragment",
    [w[1:] for w in UNSET_WARNINGS],
    ids=[w[0] for w in UNSET_WARNINGS],
)
def test_unset_variable_in_a_context_path_is_a_warning(dockerfile: str, files: Sequence[str], kwargs: Dict[str, Any], fragment: Optional[str]) -> None:
    warnings = resolve(dockerfile, files, **kwargs).warnings
    unset = [w for w in warnings if "which has no value" in w]
    if fragment is None:
        assert unset == []
    else:
        assert len(unset) == 1 and fragment in unset[0], warnings


def test_build_platform_decides_buildarch_and_from_platform() -> None:
    dockerfile = "FROM --platform=$BUILDPLATFORM golang AS build\nARG BUILDARCH\nCOPY bin/${BUILDARCH}/tool /t\n"
    files = ["bin/amd64/tool", "bin/arm64/tool"]
    parsed = parse_dockerfile(dockerfile, "Dockerfile")
    result = resolve_dockerfile(parsed, context_files=files, platforms=["linux/amd64"], build_platform="linux/aarch64")
    assert result.copied_files == frozenset({"bin/arm64/tool"})
    assert [r.platform for r in result.image_refs] == ["linux/arm64"]


def _ignored_tools(rel: str) -> Optional[Tuple[str, str]]:
    return ("the caller's listing ignores it", "un-ignore tools/") if rel == "tools" or rel.startswith("tools/") else None


@pytest.mark.parametrize(
    "dockerfile",
    ["FROM a\nCOPY tools/x /x\n", "FROM a\nCOPY tools/ /t/\n", "FROM a\nCOPY tools/*.sh /t/\n", "FROM a\nRUN --mount=type=bind,source=tools,target=/t true\n"],
    ids=["literal_file", "directory", "wildcard_below_the_directory", "bind_mount_source"],
)
def test_a_source_the_caller_could_not_list_says_why(dockerfile: str) -> None:
    parsed = parse_dockerfile(dockerfile, "Dockerfile")
    with pytest.raises(DockerfileError) as caught:
        resolve_dockerfile(parsed, context_files=["app.py"], unlisted_reason=_ignored_tools, context_dir_label="app")
    assert caught.value.line == 2
    assert "is in the build context 'app', but the caller's listing ignores it" in caught.value.message
    assert caught.value.hint == "un-ignore tools/"


def test_a_source_missing_for_real_is_still_not_found() -> None:
    parsed = parse_dockerfile("FROM a\nCOPY other/x /x\n", "Dockerfile")
    with pytest.raises(DockerfileError, match="was not found"):
        resolve_dockerfile(parsed, context_files=["app.py"], unlisted_reason=_ignored_tools)


# --- what an image hands to images built FROM it: ENV and ONBUILD (Dockerfile reference) ----------

BASE_EXPORT = ImageExport(
    "linux/amd64",
    env=(("APP_HOME", "srv"),),
    onbuild=(OnbuildTrigger("base/Dockerfile", 4, "COPY requirements.txt /req/"),),
)

# (id, Dockerfile, context files, base exports, expected copied files)
INHERITED = [
    ("env_of_the_base_image_is_substituted", "FROM acme/base\nCOPY ${APP_HOME}/x /x\n", ["srv/x", "x", "requirements.txt"], {("acme/base", "linux/amd64"): BASE_EXPORT}, {"srv/x", "requirements.txt"}),
    ("onbuild_copy_reads_the_childs_context", "FROM acme/base\nRUN true\n", ["requirements.txt", "other"], {("acme/base", "linux/amd64"): BASE_EXPORT}, {"requirements.txt"}),
    ("other_images_inherit_nothing", "FROM acme/other\nCOPY ${APP_HOME}/x /x\n", ["srv/x", "x"], {("acme/base", "linux/amd64"): BASE_EXPORT}, {"x"}),
    ("a_stage_env_overrides_the_base_env", "FROM acme/base\nENV APP_HOME=opt\nCOPY ${APP_HOME}/x /x\n", ["srv/x", "opt/x", "requirements.txt"], {("acme/base", "linux/amd64"): BASE_EXPORT}, {"opt/x", "requirements.txt"}),
    ("trigger_sees_the_base_env", "FROM acme/base\n", ["srv/a", "b"], {("acme/base", "linux/amd64"): ImageExport("linux/amd64", (("D", "srv"),), (OnbuildTrigger("b/Dockerfile", 2, "COPY ${D}/ /d/"),))}, {"srv/a"}),
    # BuildKit runs the ONBUILD instructions of a stage in the stages built FROM it, not in itself.
    ("onbuild_of_a_stage_runs_in_the_stage_built_from_it", "FROM a AS base\nONBUILD COPY x /x\nFROM base\nCOPY y /y\n", ["x", "y", "z"], {}, {"x", "y"}),
    ("onbuild_does_not_run_in_its_own_stage", "FROM a AS base\nONBUILD COPY x /x\nCOPY y /y\n", ["x", "y"], {}, {"y"}),
]


@pytest.mark.parametrize("dockerfile,files,exports,expected", [c[1:] for c in INHERITED], ids=[c[0] for c in INHERITED])
def test_env_and_onbuild_of_base_images_are_replayed(dockerfile: str, files: Sequence[str], exports: Dict[Tuple[str, str], ImageExport], expected: Set[str]) -> None:
    parsed = parse_dockerfile(dockerfile, "app/Dockerfile")
    result = resolve_dockerfile(parsed, context_files=files, platforms=["linux/amd64"], base_exports=exports)
    assert result.copied_files == frozenset(expected)


def test_base_exports_are_looked_up_for_the_platform_the_stage_runs_on() -> None:
    arm = ImageExport("linux/arm64", onbuild=(OnbuildTrigger("b/Dockerfile", 2, "COPY arm /"),))
    amd = ImageExport("linux/amd64", onbuild=(OnbuildTrigger("b/Dockerfile", 2, "COPY amd /"),))
    exports = {("acme/tools", "linux/arm64"): arm, ("acme/tools", "linux/amd64"): amd}
    parsed = parse_dockerfile("FROM --platform=$BUILDPLATFORM acme/tools\n", "app/Dockerfile")
    result = resolve_dockerfile(parsed, context_files=["arm", "amd"], platforms=["linux/amd64"], build_platform="linux/arm64", base_exports=exports)
    assert result.copied_files == frozenset({"arm"})


def test_a_failing_trigger_is_reported_at_the_childs_from_naming_the_base_line() -> None:
    parsed = parse_dockerfile("# app\nFROM acme/base\n", "app/Dockerfile")
    with pytest.raises(DockerfileError) as caught:
        resolve_dockerfile(parsed, context_files=[], platforms=["linux/amd64"], base_exports={("acme/base", "linux/amd64"): BASE_EXPORT})
    assert str(caught.value).startswith("app/Dockerfile:2: COPY source 'requirements.txt' was not found")
    assert "(from base/Dockerfile:4, run by the FROM on this line)" in str(caught.value)


def test_exports_hold_env_not_args_and_the_last_stages_onbuild() -> None:
    dockerfile = "FROM python AS s1\nENV A=1\nONBUILD RUN s1-only\nFROM s1\nARG X=1\nENV B=${A}2\nONBUILD COPY . /app\n"
    result = resolve(dockerfile, [], platforms=["linux/amd64", "linux/arm64"])
    assert [e.platform for e in result.exports] == ["linux/amd64", "linux/arm64"]
    export = result.exports[0]
    assert export.env == (("A", "1"), ("B", "12"))
    assert [(t.path, t.line, t.text) for t in export.onbuild] == [("apps/demo/Dockerfile", 7, "COPY . /app")]


@pytest.mark.parametrize("kwargs", [{"platforms": ["linux/amd64/v2/x"]}, {"build_platform": "linux//arm64"}], ids=["target", "build"])
def test_malformed_platform_arguments_are_not_blamed_on_the_dockerfile(kwargs: Dict[str, Any]) -> None:
    parsed = parse_dockerfile("FROM a\n", "Dockerfile")
    with pytest.raises(InvalidPlatformError) as caught:
        resolve_dockerfile(parsed, context_files=[], **kwargs)
    assert not isinstance(caught.value, DockerfileError) and "Dockerfile" not in str(caught.value)


def test_a_directory_whose_files_are_all_ignored_is_copied_empty_with_a_warning() -> None:
    result = resolve(
        "FROM a\nCOPY internal/ /src/internal/\nCOPY main.go /src/\n",
        ["internal/handler/handler_test.go", "main.go"],
        ignore="**/*_test.go\n",
    )
    assert result.copied_files == frozenset({"main.go"})
    assert result.copied_empty_dirs == frozenset({"internal", "internal/handler"})
    assert any(
        w.startswith("apps/demo/Dockerfile:2: COPY source 'internal/': every file under it is excluded by apps/demo/.dockerignore")
        for w in result.warnings
    )
