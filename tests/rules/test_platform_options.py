"""Rule tests: where platforms come from ([oci] options, the `platforms` field, FROM --platform)
and that a bad one is blamed on where it was written."""

from __future__ import annotations

import platform

import pytest
from pants.core.target_types import FilesGeneratorTarget, FileTarget
from pants.engine.addresses import Address
from pants.engine.internals.scheduler import ExecutionError
from pants.engine.target import InferredDependencies
from pants.testutil.rule_runner import QueryRule, RuleRunner, engine_error

from shipyard import register
from shipyard.dependency_inference.image_dependencies import InferOciImageDependencies
from shipyard.util_rules.dockerfile_resolution import InvalidDockerfileError
from shipyard.util_rules.image_resolution import OciImageFieldSet, ResolvedOciImage

FILES = 'files(name="files", sources=["**/*", "!BUILD", "!Dockerfile*"])\n'
# A tool built for the build machine: BuildKit sets BUILDARCH from the platform the build runs on.
BUILD_ARCH_APP = {
    "app/BUILD": 'oci_image(name="app")\n' + FILES,
    "app/Dockerfile": "FROM --platform=$BUILDPLATFORM golang AS tools\nARG BUILDARCH\nCOPY bin/${BUILDARCH}/tool /t\nFROM scratch\nCOPY --from=tools /t /t\n",
    "app/bin/amd64/tool": "",
    "app/bin/arm64/tool": "",
}
APP = Address("app", target_name="app")


@pytest.fixture
def rule_runner() -> RuleRunner:
    return RuleRunner(
        rules=[
            *register.rules(),
            QueryRule(InferredDependencies, [InferOciImageDependencies]),
            QueryRule(ResolvedOciImage, [OciImageFieldSet]),
        ],
        target_types=[*register.target_types(), FilesGeneratorTarget, FileTarget],
    )


def infer(rule_runner: RuleRunner, address: Address = APP) -> set[str]:
    target = rule_runner.get_target(address)
    result = rule_runner.request(InferredDependencies, [InferOciImageDependencies(OciImageFieldSet.create(target))])
    return {a.spec for a in result.include}


def resolve(rule_runner: RuleRunner, address: Address = APP) -> ResolvedOciImage:
    return rule_runner.request(ResolvedOciImage, [OciImageFieldSet.create(rule_runner.get_target(address))])


@pytest.mark.parametrize("machine,arch", [("aarch64", "arm64"), ("x86_64", "amd64")])
def test_build_platform_is_this_machines(rule_runner: RuleRunner, monkeypatch: pytest.MonkeyPatch, machine: str, arch: str) -> None:
    monkeypatch.setattr(platform, "machine", lambda: machine)
    rule_runner.write_files(BUILD_ARCH_APP)
    assert infer(rule_runner) == {f"app/bin/{arch}/tool:../../files"}
    (golang,) = [r for r in resolve(rule_runner).resolution.image_refs if r.reference == "golang"]
    assert golang.platform == f"linux/{arch}"


def test_build_platform_option_overrides_the_machine(rule_runner: RuleRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(platform, "machine", lambda: "x86_64")
    rule_runner.set_options(["--oci-build-platform=linux/aarch64"])
    rule_runner.write_files(BUILD_ARCH_APP)
    assert infer(rule_runner) == {"app/bin/arm64/tool:../../files"}


@pytest.mark.parametrize(
    "args,fragment",
    [
        (['--oci-platforms=["linux/amd64/v2/x"]'], "The [oci].platforms option (pants.toml or --oci-platforms) has 'linux/amd64/v2/x', which is not a platform"),
        (["--oci-platforms=[]"], "The [oci].platforms option (pants.toml or --oci-platforms) is empty"),
        (["--oci-build-platform=linux//arm64"], "The [oci].build_platform option (pants.toml or --oci-build-platform) has 'linux//arm64'"),
    ],
    ids=["malformed_platform", "empty_platforms", "malformed_build_platform"],
)
def test_bad_platform_options_blame_the_option(rule_runner: RuleRunner, args: list, fragment: str) -> None:
    rule_runner.set_options(args)
    rule_runner.write_files({"app/BUILD": 'oci_image(name="app")\n', "app/Dockerfile": "FROM scratch\n"})
    with pytest.raises(ExecutionError) as caught:
        resolve(rule_runner)
    message = str(caught.value)
    assert fragment in message
    assert "app/Dockerfile" not in message


@pytest.mark.parametrize(
    "field,fragment",
    [('["linux//amd64"]', "has 'linux//amd64', which is not a platform"), ("[]", "is empty")],
    ids=["malformed", "empty"],
)
def test_bad_platforms_field_blames_the_field(rule_runner: RuleRunner, field: str, fragment: str) -> None:
    rule_runner.write_files({"app/BUILD": f'oci_image(name="app", platforms={field})\n', "app/Dockerfile": "FROM scratch\n"})
    with pytest.raises(ExecutionError) as caught:
        rule_runner.get_target(APP)
    assert f"The `platforms` field of {APP}" in str(caught.value) and fragment in str(caught.value)


def test_bad_from_platform_is_reported_at_inference_with_its_line(rule_runner: RuleRunner) -> None:
    rule_runner.write_files({"app/BUILD": 'oci_image(name="app")\n', "app/Dockerfile": "# base\nFROM --platform=linux//amd64 alpine\n"})
    with engine_error(InvalidDockerfileError, contains="app/Dockerfile:2: invalid FROM --platform 'linux//amd64'"):
        rule_runner.request(ResolvedOciImage, [OciImageFieldSet.create(rule_runner.get_target(APP))])
