"""Rule tests: with buildah, an image's later platforms build after its first when they run a
stage with the same steps (`FROM --platform=$BUILDPLATFORM`, no TARGET* arg), so buildah's layer
cache serves that stage once instead of both builds running it at the same time. BuildKit merges
such steps itself, so with docker the platforms build side by side."""

from __future__ import annotations

import pytest
from pants.core.target_types import FilesGeneratorTarget, FileTarget
from pants.engine.addresses import Address
from pants.testutil.rule_runner import QueryRule, RuleRunner

from shipyard import register
from shipyard.util_rules.image_build import PlatformBuildInputs, PlatformImageRequest, PlatformInputsRequest

FILES = {
    "base/BUILD": 'oci_image(name="base", repository="acme/base")\nfiles(name="f", sources=["base.txt"])\n',
    "base/Dockerfile": "FROM scratch\nCOPY base.txt /base.txt\n",
    "base/base.txt": "base",
    # The build stage is the same for every target platform.
    "web/BUILD": 'oci_image(name="web", repository="acme/web")\nfiles(name="f", sources=["src/**"])\n',
    "web/Dockerfile": (
        "FROM --platform=$BUILDPLATFORM acme/base AS build\nCOPY src/ /src/\n"
        "FROM scratch\nCOPY --from=build /src /www\n"
    ),
    "web/src/index.js": "x",
    # The build stage cross-compiles: its steps differ per target platform.
    "go/BUILD": 'oci_image(name="go", repository="acme/go")\nfiles(name="f", sources=["main.go"])\n',
    "go/Dockerfile": (
        "FROM --platform=$BUILDPLATFORM acme/base AS build\nARG TARGETARCH\nCOPY main.go /\n"
        "FROM scratch\nCOPY --from=build /main.go /app\n"
    ),
    "go/main.go": "package main",
    # No stage pinned to a platform.
    "plain/BUILD": 'oci_image(name="plain", repository="acme/plain")\n',
    "plain/Dockerfile": "FROM acme/base\n",
}
WEB = Address("web", target_name="web")
AMD64, ARM64 = "linux/amd64", "linux/arm64"


@pytest.fixture
def rule_runner() -> RuleRunner:
    runner = RuleRunner(
        rules=[*register.rules(), QueryRule(PlatformBuildInputs, [PlatformInputsRequest])],
        target_types=[*register.target_types(), FilesGeneratorTarget, FileTarget],
    )
    runner.write_files(FILES)
    return runner


def inputs(rule_runner: RuleRunner, address: Address, platform: str, builder: str) -> PlatformBuildInputs:
    rule_runner.set_options(
        [f"--oci-platforms=['{AMD64}', '{ARM64}']", f"--oci-builder={builder}"], env_inherit={"PATH"}
    )
    return rule_runner.request(PlatformBuildInputs, [PlatformInputsRequest(address, platform)])


def test_buildah_builds_the_second_platform_after_the_first_when_a_stage_is_shared(rule_runner: RuleRunner) -> None:
    first = inputs(rule_runner, WEB, AMD64, "buildah")
    second = inputs(rule_runner, WEB, ARM64, "buildah")
    assert first.build_after is None
    assert second.build_after == PlatformImageRequest(WEB, AMD64, first.content_key)


@pytest.mark.parametrize("name", ["go", "plain"])
def test_platforms_build_side_by_side_when_no_stage_is_shared(rule_runner: RuleRunner, name: str) -> None:
    assert inputs(rule_runner, Address(name, target_name=name), ARM64, "buildah").build_after is None


def test_docker_builds_platforms_side_by_side(rule_runner: RuleRunner) -> None:
    assert inputs(rule_runner, WEB, ARM64, "docker").build_after is None
