"""Rule tests (Pants' RuleRunner) for oci_image dependency inference."""

from __future__ import annotations

from textwrap import dedent

import pytest
from pants.core.target_types import FilesGeneratorTarget, FileTarget
from pants.engine.addresses import Address
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.target import InferredDependencies
from pants.testutil.rule_runner import QueryRule, RuleRunner, engine_error

from shipyard import register
from shipyard.dependency_inference.image_dependencies import InferOciImageDependencies
from shipyard.util_rules.dockerfile_resolution import InvalidDockerfileError
from shipyard.util_rules.file_owners import UnownedFilesError
from shipyard.util_rules.image_resolution import OciImageFieldSet, ResolvedOciImage


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


def test_copy_source_missing_from_context_names_line_and_context(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {
            "app/BUILD": 'oci_image(name="app")\n' + FILES,
            "app/Dockerfile": "FROM scratch\n\nCOPY apps/ui/main.py /app/\n",
        }
    )
    with engine_error(InvalidDockerfileError, contains="app/Dockerfile:3"):
        infer(rule_runner, Address("app", target_name="app"))


def test_unknown_instruction_is_reported_with_its_line(rule_runner: RuleRunner) -> None:
    rule_runner.write_files(
        {"app/BUILD": 'oci_image(name="app")\n', "app/Dockerfile": "FROM scratch\nCOPPY a b\n"}
    )
    with engine_error(InvalidDockerfileError, contains="app/Dockerfile:2"):
        infer(rule_runner, Address("app", target_name="app"))


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
