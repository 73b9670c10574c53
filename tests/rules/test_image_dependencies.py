"""Rule tests (Pants' RuleRunner) for oci_image dependency inference."""

from __future__ import annotations

from textwrap import dedent
from typing import Optional

import pytest
from pants.core.target_types import FilesGeneratorTarget, FileTarget
from pants.engine.addresses import Address
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.target import InferredDependencies, InvalidTargetException
from pants.testutil.rule_runner import QueryRule, RuleRunner, engine_error

from shipyard import register
from shipyard.dependency_inference.image_dependencies import InferOciImageDependencies
from shipyard.util_rules.dockerfile_resolution import InvalidDockerfileError
from shipyard.util_rules.file_owners import UnownedFilesError
from shipyard.util_rules.image_resolution import OciImageFieldSet, ResolvedOciImage
from shipyard.util_rules.repositories import AmbiguousImageReferenceError


@pytest.fixture
def rule_runner() -> RuleRunner:
    runner = RuleRunner(
        rules=[
            *register.rules(),
            QueryRule(InferredDependencies, [InferOciImageDependencies]),
            QueryRule(ResolvedOciImage, [OciImageFieldSet]),
        ],
        target_types=[*register.target_types(), FilesGeneratorTarget, FileTarget],
    )
    runner.set_options(['--oci-registries={"ghcr": "ghcr.io/acme"}'])
    return runner


def infer(rule_runner: RuleRunner, address: Address) -> set[str]:
    target = rule_runner.get_target(address)
    result = rule_runner.request(
        InferredDependencies, [InferOciImageDependencies(OciImageFieldSet.create(target))]
    )
    return {a.spec for a in result.include}


def resolve(rule_runner: RuleRunner, address: Address) -> ResolvedOciImage:
    return rule_runner.request(ResolvedOciImage, [OciImageFieldSet.create(rule_runner.get_target(address))])


FILES = 'files(name="files", sources=["**/*", "!BUILD", "!Dockerfile*"])\n'


def test_copied_files_are_dependencies_and_the_rest_are_not(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "app/BUILD": 'oci_image(name="app")\n' + FILES,
            "app/Dockerfile": "FROM python:3.11-slim\nCOPY src/ /app/src/\nCOPY *.toml /app/\n",
            "app/src/main.py": "",
            "app/src/util.py": "",
            "app/pyproject.toml": "",
            "app/README.md": "",
            "app/tests/test_main.py": "",
        }
    )
    assert infer(rule_runner, Address("app", target_name="app")) == {
        "app/src/main.py:../files",
        "app/src/util.py:../files",
        "app/pyproject.toml:files",
    }


def test_build_args_select_the_copied_directory(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "docker/BUILD": 'oci_image(name="ui", dockerfile="Dockerfile.app", context="..", build_args={"APP": "ui"})\n',
            "docker/Dockerfile.app": "FROM scratch\nARG APP=receiver\nCOPY apps/${APP}/ /app/\n",
            "apps/BUILD": FILES,
            "apps/ui/a.txt": "",
            "apps/receiver/b.txt": "",
        }
    )
    assert infer(rule_runner, Address("docker", target_name="ui")) == {"apps/ui/a.txt:../files"}


def test_dockerignore_exceptions_decide_and_the_dockerignore_is_a_dependency(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "d/BUILD": 'oci_image(name="d")\n' + 'files(name="files", sources=["**/*", "!BUILD", "!Dockerfile", "!.dockerignore"])\nfiles(name="ignore", sources=[".dockerignore"])\n',
            "d/Dockerfile": "FROM scratch\nCOPY . /app/\n",
            "d/.dockerignore": "*.md\n!NOTICE.md\n**/*.pyc\n",
            "d/NOTICE.md": "",
            "d/README.md": "",
            "d/app.py": "",
            "d/pkg/mod.pyc": "",
        }
    )
    assert infer(rule_runner, Address("d", target_name="d")) == {
        "d/NOTICE.md:files",
        "d/app.py:files",
        "d/.dockerignore:ignore",
    }


def test_images_sharing_a_context_each_apply_their_own_ignore_file(rule_runner: RuleRunner) -> None:
    # BuildKit: `<Dockerfile>.dockerignore` beside the Dockerfile wins over the context's
    # `.dockerignore`. The context is indexed once per (directory, ignore file), so two images of
    # one context with different ignore files must still see different files.
    rule_runner.write_files(
        {
            "ctx/BUILD": 'oci_image(name="a", dockerfile="Dockerfile.a")\n'
            'oci_image(name="b", dockerfile="Dockerfile.b")\n'
            'oci_image(name="c", dockerfile="Dockerfile.c")\n'
            'files(name="files", sources=["**/*", "!BUILD", "!Dockerfile.?"])\n',
            "ctx/Dockerfile.a": "FROM scratch\nCOPY . /app/\n",
            "ctx/Dockerfile.b": "FROM scratch\nCOPY . /app/\n",
            "ctx/Dockerfile.c": "FROM scratch\nCOPY . /app/\n",
            "ctx/Dockerfile.a.dockerignore": "b-only/\nDockerfile.?\n*.dockerignore\n",
            "ctx/.dockerignore": "a-only/\nDockerfile.?\n*.dockerignore\n",
            "ctx/a-only/x.txt": "",
            "ctx/b-only/y.txt": "",
        }
    )
    assert infer(rule_runner, Address("ctx", target_name="a")) == {
        "ctx/a-only/x.txt:../files",
        "ctx/Dockerfile.a.dockerignore:files",
    }
    for name in ("b", "c"):
        assert infer(rule_runner, Address("ctx", target_name=name)) == {
            "ctx/b-only/y.txt:../files",
            "ctx/.dockerignore:files",
        }


@pytest.mark.parametrize(
    "from_line",
    [
        "FROM acme/base:latest",
        "FROM acme/base@sha256:" + "a" * 64,
        "FROM ghcr.io/acme/acme/base:v1",
        "FROM docker.io/acme/base",
        "ARG BASE=acme/base:1\nFROM ${BASE}",
    ],
    ids=["bare", "digest", "registry_qualified", "docker_hub_spelling", "arg_default"],
)
def test_from_a_repo_image_is_a_dependency(rule_runner: RuleRunner, from_line: str) -> None:
    rule_runner.write_files(
        {
            "base/BUILD": 'oci_image(name="base", repository="acme/base")\n',
            "base/Dockerfile": "FROM debian:bookworm\n",
            "app/BUILD": 'oci_image(name="app")\n',
            "app/Dockerfile": f"{from_line}\nRUN true\n",
        }
    )
    assert infer(rule_runner, Address("app", target_name="app")) == {"base:base"}


def test_external_images_and_stage_names_are_recorded_but_not_dependencies(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "app/BUILD": 'oci_image(name="app")\n',
            "app/Dockerfile": dedent(
                """\
                FROM golang:1.19 AS build
                RUN go version
                FROM build AS test
                FROM scratch
                COPY --from=build /x /x
                COPY --from=busybox:1.35 /bin/sh /sh
                """
            ),
        }
    )
    address = Address("app", target_name="app")
    assert infer(rule_runner, address) == set()
    resolved = resolve(rule_runner, address)
    assert {(b.reference, b.kind, b.image) for b in resolved.base_images} == {
        ("golang:1.19", "from", None),
        ("busybox:1.35", "copy_from", None),
    }


def test_copy_from_a_repo_image_is_a_dependency(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "tools/BUILD": 'oci_image(name="tools", repository="acme/tools")\n',
            "tools/Dockerfile": "FROM scratch\n",
            "app/BUILD": 'oci_image(name="app")\n',
            "app/Dockerfile": "FROM scratch\nCOPY --from=acme/tools:latest /bin/x /x\n",
        }
    )
    assert infer(rule_runner, Address("app", target_name="app")) == {"tools:tools"}


def test_target_stage_leaves_out_other_stages_files(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "app/BUILD": 'oci_image(name="app", target_stage="prod")\n' + FILES,
            "app/Dockerfile": "FROM scratch AS prod\nCOPY prod.txt /\nFROM scratch AS dev\nCOPY dev.txt /\n",
            "app/prod.txt": "",
            "app/dev.txt": "",
        }
    )
    assert infer(rule_runner, Address("app", target_name="app")) == {"app/prod.txt:files"}


def test_from_cycle_is_an_error_naming_each_dockerfile_line(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "a/BUILD": 'oci_image(name="a", repository="acme/a")\n',
            "a/Dockerfile": "FROM acme/b\n",
            "b/BUILD": 'oci_image(name="b", repository="acme/b")\n',
            "b/Dockerfile": "# b\nFROM acme/a\n",
        }
    )
    with pytest.raises(ExecutionError) as error:
        infer(rule_runner, Address("a", target_name="a"))
    message = str(error.value)
    assert "BaseImageCycleError" in message
    assert "a/Dockerfile:1: from acme/b" in message
    assert "b/Dockerfile:2: from acme/a" in message


@pytest.mark.parametrize(
    "dockerfile, where",
    [
        # The directory a COPY names was moved away: BuildKit fails "not found" on that line.
        ("FROM scratch\n\nCOPY moved/ /app/\n", "app/Dockerfile:3"),
        # An instruction Docker does not know.
        ("FROM scratch\nCOPPY a b\n", "app/Dockerfile:2"),
        # The Dockerfile was deleted but the target was not (a stale target).
        (None, "names app/Dockerfile, which does not exist"),
    ],
    ids=["copy_source_missing", "unknown_instruction", "dockerfile_deleted"],
)
def test_image_that_cannot_be_resolved_warns_and_depends_on_its_whole_context(
    rule_runner: RuleRunner, caplog: pytest.LogCaptureFixture, dockerfile: str | None, where: str
) -> None:
    files = {
        "app/BUILD": 'oci_image(name="app")\n' + FILES + 'oci_image(name="other", dockerfile="Dockerfile.other")\n',
        "app/Dockerfile.other": "FROM scratch\n",
        "app/src/main.py": "",
        "app/lib/BUILD": 'files(name="lib", sources=["*"])\n',
        "app/lib/util.txt": "",
        "elsewhere/BUILD": FILES,
        "elsewhere/x.txt": "",
    }
    if dockerfile is not None:
        files["app/Dockerfile"] = dockerfile
    rule_runner.write_files(files)
    address = Address("app", target_name="app")

    # The generators of everything in its context (a deleted file maps only to its generator in
    # `--changed-since`), not the other image declared there, nothing outside the context.
    assert infer(rule_runner, address) == {"app:files", "app/lib:lib"}
    assert where in caplog.text
    assert "app:app cannot be resolved" in caplog.text
    # `package` resolves the image itself, so it fails with the error.
    with engine_error(InvalidDockerfileError, contains=where):
        resolve(rule_runner, address)


def test_image_built_from_a_broken_repo_image_still_infers_its_own_dependencies(
    rule_runner: RuleRunner,
) -> None:
    rule_runner.write_files(
        {
            "base/BUILD": 'oci_image(name="base", repository="acme/base")\n',
            "base/Dockerfile": "FROM scratch\nCOPY gone.txt /\n",
            "app/BUILD": 'oci_image(name="app")\n' + FILES,
            "app/Dockerfile": "FROM acme/base:latest\nCOPY a.txt /\n",
            "app/a.txt": "",
        }
    )
    assert infer(rule_runner, Address("app", target_name="app")) == {"app/a.txt:files", "base:base"}


def test_copied_file_without_owner_is_an_error_naming_file_and_line(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "app/BUILD": 'oci_image(name="app")\n',
            "app/Dockerfile": "FROM scratch\nCOPY main.py /app/\n",
            "app/main.py": "",
        }
    )
    with engine_error(UnownedFilesError, contains="app/main.py  (copied by app/Dockerfile:2)"):
        infer(rule_runner, Address("app", target_name="app"))


def test_pants_toml_owner_is_a_dependency_of_every_image(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "BUILD": 'files(name="pants-config", sources=["pants.toml"])\n',
            "pants.toml": "",
            "app/BUILD": 'oci_image(name="app")\n',
            "app/Dockerfile": "FROM scratch\n",
        }
    )
    rule_runner.set_options(
        ['--oci-registries={"ghcr": "ghcr.io/acme"}', f"--pants-config-files={rule_runner.build_root}/pants.toml"]
    )
    assert infer(rule_runner, Address("app", target_name="app")) == {"//pants.toml:pants-config"}


@pytest.mark.parametrize(
    "from_line",
    [
        "FROM team/python-base:latest",
        "FROM docker.io/team/python-base",
        "FROM ghcr.io/acme/team/python-base:v1",
        "FROM tinyolly/python-base",
    ],
    ids=["alias", "alias_docker_hub_spelling", "alias_under_a_registry", "repository"],
)
def test_from_an_alias_of_a_repo_image_is_a_dependency(rule_runner: RuleRunner, from_line: str) -> None:
    rule_runner.write_files(
        {
            "base/BUILD": 'oci_image(name="base", repository="tinyolly/python-base", aliases=["team/python-base"])\n',
            "base/Dockerfile": "FROM debian:bookworm\n",
            "app/BUILD": 'oci_image(name="app")\n',
            "app/Dockerfile": f"{from_line}\nRUN true\n",
        }
    )
    assert infer(rule_runner, Address("app", target_name="app")) == {"base:base"}


SHARED_REPOSITORY = {
    "compose/BUILD": 'oci_image(name="frontend", repository="demo-frontend")\n',
    "compose/Dockerfile": "FROM scratch\n",
    "k8s/BUILD": 'oci_image(name="frontend", repository="demo-frontend")\n',
    "k8s/Dockerfile": "FROM scratch\n",
}


def test_two_images_sharing_a_repository_do_not_fail_other_images(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            **SHARED_REPOSITORY,
            "base/BUILD": 'oci_image(name="base", repository="acme/base")\n',
            "base/Dockerfile": "FROM debian:bookworm\n",
            "app/BUILD": 'oci_image(name="app")\n',
            "app/Dockerfile": "FROM acme/base\n",
        }
    )
    assert infer(rule_runner, Address("app", target_name="app")) == {"base:base"}
    assert infer(rule_runner, Address("compose", target_name="frontend")) == set()
    assert infer(rule_runner, Address("k8s", target_name="frontend")) == set()


def test_a_from_naming_two_images_is_an_error_naming_both_and_the_line(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            **SHARED_REPOSITORY,
            "app/BUILD": 'oci_image(name="app")\n',
            "app/Dockerfile": "# the frontend, extended\nFROM demo-frontend:latest\n",
        }
    )
    with engine_error(AmbiguousImageReferenceError, contains="app/Dockerfile:2: "):
        infer(rule_runner, Address("app", target_name="app"))


@pytest.mark.parametrize(
    "k8s_build, from_line, expected",
    [
        pytest.param(
            'oci_image(name="frontend", repository="demo-frontend", aliases=["k8s/demo-frontend"])\n',
            "FROM k8s/demo-frontend",
            "k8s:frontend",
            id="alias",
        ),
        pytest.param(
            'oci_image(name="frontend", repository="ghcr.io/acme/demo-frontend")\n',
            "FROM ghcr.io/acme/demo-frontend:v1",
            "k8s:frontend",
            id="registry-written-in-the-repository",
        ),
        pytest.param(
            'oci_image(name="frontend", repository="ghcr.io/acme/demo-frontend")\n',
            "FROM demo-frontend:v1",
            "compose:frontend",
            id="bare-name-of-the-other",
        ),
    ],
)
def test_registries_and_aliases_tell_two_images_apart(
    rule_runner: RuleRunner, k8s_build: str, from_line: str, expected: str
) -> None:
    rule_runner.write_files(
        {
            **SHARED_REPOSITORY,
            "k8s/BUILD": k8s_build,
            "app/BUILD": 'oci_image(name="app")\n',
            "app/Dockerfile": f"{from_line}\n",
        }
    )
    assert infer(rule_runner, Address("app", target_name="app")) == {expected}


@pytest.mark.parametrize(
    "from_line, suggested",
    [
        pytest.param("FROM tinyolly/pyhton-base", "tinyolly/python-base", id="typo_in_the_namespace"),
        pytest.param("FROM team/python-base:latest", "tinyolly/python-base", id="alias_not_declared"),
        pytest.param(
            "FROM ghcr.io/acme/python-base", "ghcr.io/acme/tinyolly/python-base", id="under_a_configured_registry"
        ),
        pytest.param("FROM python:3.11-slim", None, id="official_image"),
        pytest.param("FROM otel/opentelemetry-collector", None, id="other_namespace"),
    ],
)
def test_a_first_party_looking_from_that_matches_nothing_warns(
    rule_runner: RuleRunner, caplog: pytest.LogCaptureFixture, from_line: str, suggested: Optional[str]
) -> None:
    rule_runner.write_files(
        {
            "base/BUILD": 'oci_image(name="base", repository="tinyolly/python-base")\n',
            "base/Dockerfile": "FROM debian:bookworm\n",
            "other/BUILD": 'oci_image(name="other", repository="team/tools")\n',
            "other/Dockerfile": "FROM debian:bookworm\n",
            "app/BUILD": 'oci_image(name="app")\n',
            "app/Dockerfile": f"# app\n{from_line}\n",
        }
    )
    assert infer(rule_runner, Address("app", target_name="app")) == set()
    reference = from_line.split()[1]
    warnings = [r.getMessage() for r in caplog.records if r.name == "shipyard.util_rules.repositories"]
    if suggested is None:
        assert warnings == []
        return
    assert len(warnings) == 1, warnings
    assert warnings[0].startswith(f"app/Dockerfile:2: {reference!r} names no image of this repository")
    assert f"Did you mean {suggested!r} (base:base)?" in warnings[0]
    near_miss = resolve(rule_runner, Address("app", target_name="app")).base_images[0].near_miss
    assert near_miss is not None and near_miss.key == Address("base", target_name="base")


@pytest.mark.parametrize(
    "build, message",
    [
        pytest.param('oci_image(name="app", repository="")\n', "The `repository` field of app:app is empty", id="empty_repository"),
        pytest.param('oci_image(name="app", repository="  ")\n', "The `repository` field of app:app is empty", id="blank_repository"),
        pytest.param('oci_image(name="app", aliases=["team/app", ""])\n', "The `aliases` field of app:app has an empty name", id="empty_alias"),
    ],
)
def test_empty_names_are_field_errors(rule_runner: RuleRunner, build: str, message: str) -> None:
    rule_runner.write_files({"app/BUILD": build, "app/Dockerfile": "FROM scratch\n"})
    with engine_error(InvalidTargetException, contains=f"app/BUILD:1: {message}"):
        rule_runner.get_target(Address("app", target_name="app"))


def test_an_image_declared_external_is_not_warned_about(
    rule_runner: RuleRunner, caplog: pytest.LogCaptureFixture
) -> None:
    rule_runner.set_options(['--oci-external-images=["tinyolly/otel-collector"]'])
    rule_runner.write_files(
        {
            "base/BUILD": 'oci_image(name="base", repository="tinyolly/python-base")\n',
            "base/Dockerfile": "FROM debian:bookworm\n",
            "app/BUILD": 'oci_image(name="app")\n',
            "app/Dockerfile": "FROM tinyolly/otel-collector:0.9\n",
        }
    )
    assert infer(rule_runner, Address("app", target_name="app")) == set()
    assert [r for r in caplog.records if r.name == "shipyard.util_rules.repositories"] == []
