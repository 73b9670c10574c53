"""Scripted edits to the example monorepo, each with the exact set of images and charts it affects.

This is the ground truth for `--changed-since`: used by tests/e2e/test_change_corpus.py for our
backend, and by tools/bench/compare_builtin_backends.py for Pants' own docker/helm backends.
Each edit is applied to a clean work tree of a committed copy of the repository.
"""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Optional

PYTHON_BASE = "dockerfiles:python-base"
UI = "dockerfiles:ui"
RECEIVER = "dockerfiles:receiver"
OPAMP = "apps/opamp-server:opamp-server"
WEBUI = "apps/webui:webui"
DEMO = "apps/demo:demo"
TINYOLLY = "charts/tinyolly:tinyolly"
DEMOS_CHART = "charts/tinyolly-demos:tinyolly-demos"
COMMON = "charts/common:common"
ALL_IMAGES_AND_CHARTS = frozenset(
    {PYTHON_BASE, UI, RECEIVER, OPAMP, WEBUI, DEMO, TINYOLLY, DEMOS_CHART, COMMON}
)

Apply = Callable[[Path], None]


def append(path: str, text: str) -> Apply:
    def apply(root: Path) -> None:
        with open(root / path, "a") as f:
            f.write(text)

    return apply


def replace(path: str, old: str, new: str) -> Apply:
    def apply(root: Path) -> None:
        content = (root / path).read_text()
        assert old in content, f"{path} no longer contains {old!r}: update the corpus"
        (root / path).write_text(content.replace(old, new, 1))

    return apply


def create(path: str, text: str) -> Apply:
    def apply(root: Path) -> None:
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text)

    return apply


def in_order(*steps: Apply) -> Apply:
    def apply(root: Path) -> None:
        for step in steps:
            step(root)

    return apply


def delete(path: str) -> Apply:
    def apply(root: Path) -> None:
        (root / path).unlink()

    return apply


def move(path: str, to: str) -> Apply:
    def apply(root: Path) -> None:
        shutil.move(str(root / path), str(root / to))

    return apply


def git_move(path: str, to: str) -> Apply:
    """`git mv`: a staged rename, which `git diff HEAD` (so `--changed-since`) reports as the new
    path only."""

    def apply(root: Path) -> None:
        subprocess.run(["git", "mv", path, to], cwd=root, check=True, capture_output=True)

    return apply


def run_pants(*args: str) -> Apply:
    """Runs `./pants ARGS` in the copy (e.g. `tailor ::`): the edit is whatever it writes."""

    def apply(root: Path) -> None:
        result = subprocess.run(
            ["./pants", *args], cwd=root, env=dict(os.environ), capture_output=True, text=True, timeout=600
        )
        assert result.returncode == 0, f"./pants {' '.join(args)} failed:\n{result.stdout}{result.stderr}"

    return apply


@dataclass(frozen=True)
class Edit:
    name: str
    apply: Apply
    affected: frozenset[str]
    why: str
    # Changes committed before the edit (a repository shape the example does not have); the edit
    # is then measured against that commit, and the work tree is reset to the base afterwards.
    setup: Optional[Apply] = None


def edit(
    name: str,
    apply: Apply,
    affected: set[str],
    why: str,
    setup: Optional[Apply] = None,
) -> Edit:
    return Edit(name, apply, frozenset(affected), why, setup)


# What tailor cannot guess (contexts, repositories, build args): kept when BUILD files are re-tailored.
USER_DECLARED = ("oci_image", "helm_chart")


def keep_only_user_declared_targets(root: Path) -> None:
    """Rewrites every BUILD file of the example to its `oci_image`/`helm_chart` declarations only
    (deleting the files left empty), so that `pants tailor ::` writes all the owners."""
    for build in sorted(root.glob("**/BUILD")):
        if build.relative_to(root).parts[0] in ("pants-plugins", "tests", "tools"):
            continue
        text = build.read_text()
        kept = [
            ast.get_source_segment(text, stmt)
            for stmt in ast.parse(text).body
            if isinstance(stmt, ast.Expr)
            and isinstance(stmt.value, ast.Call)
            and isinstance(stmt.value.func, ast.Name)
            and stmt.value.func.id in USER_DECLARED
        ]
        if kept:
            build.write_text("\n\n".join(kept) + "\n")  # type: ignore[arg-type]
        else:
            build.unlink()


CORPUS: tuple[Edit, ...] = (
    edit(
        "copied_app_file",
        append("apps/ui/tinyolly_ui/server.py", "\n# edited\n"),
        {UI, TINYOLLY},
        "Dockerfile.ui copies apps/${APP_DIR}/tinyolly_ui/ with APP_DIR=ui; the chart names tinyolly/ui",
    ),
    edit("app_readme_not_copied", append("apps/ui/README.md", "\nedited\n"), set(), "not copied"),
    edit(
        "app_test_not_copied",
        append("apps/ui/tests/test_ui_server.py", "\n# edited\n"),
        set(),
        "tests are beside the code but not copied",
    ),
    edit(
        "other_app_under_same_context",
        append("apps/receiver/tinyolly_receiver/otlp.py", "\n# edited\n"),
        {RECEIVER, TINYOLLY},
        "APP_DIR=receiver; the ui image, with the same context, does not copy it",
    ),
    edit(
        "shared_library",
        append("libs/tinyolly_common/models.py", "\n# edited\n"),
        {PYTHON_BASE, UI, RECEIVER, TINYOLLY},
        "python-base copies it; ui and receiver import it and are built FROM python-base",
    ),
    edit(
        "shared_library_readme",
        append("libs/tinyolly_common/README.md", "\nedited\n"),
        set(),
        "python-base copies libs/tinyolly_common/*.py only",
    ),
    edit(
        "file_matched_only_by_glob",
        create("libs/tinyolly_common/extra.py", '"""New module."""\n'),
        {PYTHON_BASE, UI, RECEIVER, TINYOLLY},
        "COPY libs/tinyolly_common/*.py picks up a new module",
    ),
    edit(
        "file_not_matched_by_glob",
        create("libs/tinyolly_common/NOTES.txt", "notes\n"),
        set(),
        "*.py does not match it",
    ),
    edit(
        "python_base_dockerfile",
        append("dockerfiles/Dockerfile.python-base", "\nLABEL edited=1\n"),
        {PYTHON_BASE, UI, RECEIVER, TINYOLLY},
        "ui and receiver are built FROM tinyolly/python-base",
    ),
    edit(
        "shared_requirements",
        append("3rdparty/python/requirements.txt", "\n# edited\n"),
        {PYTHON_BASE, UI, RECEIVER, TINYOLLY},
        "python-base copies and installs it",
    ),
    edit(
        "demo_requirements",
        append("apps/demo/requirements.txt", "\n# edited\n"),
        {DEMO, DEMOS_CHART},
        "COPY requirements.txt",
    ),
    edit(
        "dockerignore_exception_dropped",
        replace("apps/demo/.dockerignore", "!THIRD_PARTY_NOTICES.md\n", ""),
        {DEMO, DEMOS_CHART},
        ".dockerignore decides what COPY . . takes",
    ),
    edit(
        "file_kept_by_dockerignore_exception",
        append("apps/demo/THIRD_PARTY_NOTICES.md", "\nedited\n"),
        {DEMO, DEMOS_CHART},
        "*.md is ignored but !THIRD_PARTY_NOTICES.md re-includes it",
    ),
    edit(
        "file_excluded_by_dockerignore",
        append("apps/demo/README.md", "\nedited\n"),
        set(),
        "*.md is ignored",
    ),
    edit(
        "test_excluded_by_dockerignore",
        append("apps/demo/tests/test_demo_tracing.py", "\n# edited\n"),
        set(),
        "tests/ is ignored",
    ),
    edit(
        "demo_source",
        append("apps/demo/frontend.py", "\n# edited\n"),
        {DEMO, DEMOS_CHART},
        "COPY . .",
    ),
    edit(
        "arg_default_in_dockerfile",
        replace("dockerfiles/Dockerfile.ui", "ARG APP_DIR=ui", "ARG APP_DIR=receiver"),
        {UI, TINYOLLY},
        "the Dockerfile changed; build_args still select ui, so the copied files do not change",
    ),
    edit(
        "build_arg_in_build_file",
        replace("dockerfiles/BUILD", 'build_args={"APP_DIR": "receiver"}', 'build_args={"APP_DIR": "receiver", "X": "1"}'),
        {PYTHON_BASE, UI, RECEIVER, TINYOLLY},
        "a BUILD file change marks every target it declares changed",
    ),
    edit(
        "root_dockerignore",
        append(".dockerignore", "\n**/*.orig\n"),
        {PYTHON_BASE, UI, RECEIVER, TINYOLLY},
        "the images built with the repository root as context read it",
    ),
    edit(
        "go_source",
        append("apps/opamp-server/server.go", "\n// edited\n"),
        {OPAMP, TINYOLLY},
        "COPY main.go server.go ./",
    ),
    edit(
        "go_test_not_copied",
        append("apps/opamp-server/server_test.go", "\n// edited\n"),
        set(),
        "the Dockerfile names its Go files one by one",
    ),
    edit(
        "typescript_source",
        append("apps/webui/src/main.ts", "\n// edited\n"),
        {WEBUI, TINYOLLY},
        "COPY src/ src/",
    ),
    edit(
        "new_file_in_copied_directory",
        create("apps/webui/public/robots.txt", "User-agent: *\n"),
        {WEBUI, TINYOLLY},
        "COPY public/ public/ copies a new file",
    ),
    edit("webui_readme", append("apps/webui/README.md", "\nedited\n"), set(), "not copied"),
    edit(
        "chart_template",
        append("charts/tinyolly/templates/ui.yaml", "\n# edited\n"),
        {TINYOLLY},
        "packaged",
    ),
    edit(
        "values_image_tag",
        replace("charts/tinyolly/values.yaml", "tag: latest", "tag: v2.1.9"),
        {TINYOLLY},
        "packaged",
    ),
    edit(
        "helmignored_chart_file",
        append("charts/tinyolly/ci/ci-values.yaml", "\n# edited\n"),
        set(),
        ".helmignore lists ci/",
    ),
    edit(
        "chart_readme_packaged",
        append("charts/tinyolly/README.md", "\nedited\n"),
        {TINYOLLY},
        "helm package includes README.md unless .helmignore excludes it",
    ),
    edit(
        "library_chart",
        append("charts/common/templates/_helpers.tpl", "\n{{/* edited */}}\n"),
        {COMMON, TINYOLLY, DEMOS_CHART},
        "both charts depend on file://../common",
    ),
    edit(
        "demos_chart_values",
        append("charts/tinyolly-demos/values.yaml", "\n# edited\n"),
        {DEMOS_CHART},
        "packaged",
    ),
    edit(
        "pants_toml",
        append("pants.toml", "\n# edited\n"),
        set(ALL_IMAGES_AND_CHARTS),
        "[oci] options live there; we choose to over-approximate (see util_rules/oci_config.py)",
    ),
    edit(
        "base_edited_under_an_alias",
        append("dockerfiles/Dockerfile.python-base", "\nLABEL edited=1\n"),
        {PYTHON_BASE, UI, RECEIVER, TINYOLLY},
        "ui is built FROM team/python-base, an alias of python-base (compose-era local tag)",
        setup=in_order(
            replace("dockerfiles/BUILD", 'repository="tinyolly/python-base",', 'repository="tinyolly/python-base",\n    aliases=["team/python-base"],'),
            replace("dockerfiles/Dockerfile.ui", "FROM tinyolly/python-base:latest", "FROM team/python-base:latest"),
        ),
    ),
    edit(
        "image_sharing_a_repository_edited",
        append("deploy/k8s/Dockerfile", "\nLABEL edited=1\n"),
        {"deploy/k8s:frontend"},
        "two images build demo-frontend; nothing names it, so neither is ambiguous",
        setup=in_order(
            create("deploy/compose/BUILD", 'oci_image(name="frontend", repository="demo-frontend")\n'),
            create("deploy/compose/Dockerfile", "FROM busybox:1.36\nLABEL flavour=compose\n"),
            create("deploy/k8s/BUILD", 'oci_image(name="frontend", repository="demo-frontend")\n'),
            create("deploy/k8s/Dockerfile", "FROM busybox:1.36\nLABEL flavour=k8s\n"),
        ),
    ),
    edit(
        "unrelated_new_file",
        create("docs/notes.md", "notes\n"),
        set(),
        "nothing uses it",
    ),
    edit(
        "tailor_run_again",
        run_pants("tailor", "::"),
        set(),
        "tailor is a fixpoint: run on tailored BUILD files it edits none (a BUILD edit marks "
        "every target the file declares changed)",
    ),
    edit(
        "file_added_in_new_subdirectory_of_copied_directory",
        create("apps/webui/src/widgets/chart.ts", "export {};\n"),
        {WEBUI, TINYOLLY},
        "COPY src/ src/ copies it; the directory's glob owner owns it, no BUILD edit needed",
    ),
    edit(
        "stale_image_target",
        delete("apps/opamp-server/Dockerfile"),
        {OPAMP, TINYOLLY},
        "the target outlived its Dockerfile: it is listed (its package fails with the error) and "
        "every other image's inference goes on",
    ),
    edit(
        "copied_directory_moved_to_another_app",
        move("apps/webui/public", "apps/demo/public"),
        {WEBUI, TINYOLLY, DEMO, DEMOS_CHART},
        "webui's COPY public/ finds nothing: it cannot be resolved, so it counts as changed by its "
        "whole context; demo's COPY . . takes the moved files",
    ),
    edit(
        "copied_file_deleted",
        delete("apps/webui/public/styles.css"),
        {WEBUI, TINYOLLY},
        "COPY public/ copied it. Pants maps a deleted file only to its target generator; in a "
        "--changed-since run the image depends on the owners of its deleted copied files",
    ),
    edit(
        "copied_file_moved_to_another_app",
        git_move("apps/webui/public/styles.css", "apps/opamp-server/styles.css"),
        {WEBUI, TINYOLLY},
        "webui's COPY public/ copied it; git reports a rename, so --changed-since sees only the new "
        "path (another app's files, which opamp-server does not copy): in that run webui depends "
        "on the new path's owner",
    ),
    edit(
        "copied_python_module_deleted",
        delete("apps/demo/traffic.py"),
        {DEMO, DEMOS_CHART},
        "demo's COPY . . copied it (its owner is the python_sources generator)",
    ),
    edit(
        "uncopied_file_deleted",
        delete("apps/webui/README.md"),
        set(),
        "webui copies package files, scripts/, src/ and public/, not its README",
    ),
    edit(
        "dockerignored_file_deleted",
        delete("apps/demo/README.md"),
        set(),
        "demo's .dockerignore leaves *.md out of COPY . .",
    ),
    edit(
        "dockerignore_deleted",
        delete("apps/demo/.dockerignore"),
        {DEMO, DEMOS_CHART},
        "without it, COPY . . also copies tests/ and the READMEs",
    ),
    edit(
        "chart_template_deleted",
        delete("charts/tinyolly/templates/NOTES.txt"),
        {TINYOLLY},
        "helm package included it",
    ),
    edit(
        "helmignored_chart_file_deleted",
        delete("charts/tinyolly/ci/ci-values.yaml"),
        set(),
        ".helmignore lists ci/",
    ),
)
