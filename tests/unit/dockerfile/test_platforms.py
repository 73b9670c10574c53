"""Platform strings, as containerd's `platforms.Parse`/`Normalize` and BuildKit read them."""

from __future__ import annotations

import platform

import pytest

from shipyard.dockerfile.platforms import InvalidPlatformError, canonical_platform, platform_args, platform_list
from shipyard.subsystems.oci import host_platform

# (written, normalized) — containerd normalizes architecture aliases and default variants.
VALID = [
    ("linux/amd64", "linux/amd64"),
    ("linux/x86_64", "linux/amd64"),
    ("linux/x86-64", "linux/amd64"),
    ("linux/amd64/v1", "linux/amd64"),
    ("linux/amd64/v2", "linux/amd64/v2"),
    ("linux/aarch64", "linux/arm64"),
    ("linux/arm64/v8", "linux/arm64"),
    ("linux/arm", "linux/arm/v7"),
    ("linux/arm/7", "linux/arm/v7"),
    ("linux/armhf", "linux/arm/v7"),
    ("linux/armel", "linux/arm/v6"),
    ("linux/i386", "linux/386"),
    ("Linux/AMD64", "linux/amd64"),
    ("windows/amd64", "windows/amd64"),
    ("linux/s390x", "linux/s390x"),
    # One component: an architecture runs on linux (containerd's `platforms.Parse`).
    ("arm64", "linux/arm64"),
    ("aarch64", "linux/arm64"),
]


@pytest.mark.parametrize("written,normalized", VALID, ids=[v[0] for v in VALID])
def test_valid_platforms_are_normalized(written: str, normalized: str) -> None:
    assert canonical_platform(written) == normalized


# containerd: at most os/arch/variant, and each component matches [A-Za-z0-9_-]+.
INVALID = [
    ("empty_component", "linux//amd64"),
    ("four_components", "linux/amd64/v2/x"),
    ("trailing_slash", "linux/amd64/"),
    ("leading_slash", "/amd64"),
    ("space_inside_a_component", "linux/amd 64"),
    ("wildcard", "linux/*"),
    ("dot_in_a_component", "linux/amd64.v2"),
    ("empty", ""),
    ("one_component_neither_os_nor_arch", "linuxx"),
]


@pytest.mark.parametrize("written", [i[1] for i in INVALID], ids=[i[0] for i in INVALID])
def test_malformed_platforms_are_rejected(written: str) -> None:
    with pytest.raises(InvalidPlatformError):
        canonical_platform(written)


@pytest.mark.parametrize("machine,expected", [("x86_64", "linux/amd64"), ("aarch64", "linux/arm64")])
def test_an_os_alone_means_this_machines_architecture(
    monkeypatch: pytest.MonkeyPatch, machine: str, expected: str
) -> None:
    """containerd: `--platform linux` is linux on the host's CPU, not an architecture named linux."""
    monkeypatch.setattr("platform.machine", lambda: machine)
    assert canonical_platform("linux") == expected


# `uname -m` names of common machines -> the platform Docker reports for them.
MACHINES = [("x86_64", "linux/amd64"), ("aarch64", "linux/arm64"), ("armv7l", "linux/arm/v7"), ("armv6l", "linux/arm/v6"), ("i686", "linux/386"), ("ppc64le", "linux/ppc64le")]


@pytest.mark.parametrize("machine,expected", MACHINES, ids=[m[0] for m in MACHINES])
def test_host_platform_from_the_machine_name(monkeypatch: pytest.MonkeyPatch, machine: str, expected: str) -> None:
    monkeypatch.setattr(platform, "machine", lambda: machine)
    assert host_platform() == expected


def test_platform_list_normalizes_and_drops_repeats() -> None:
    assert platform_list(["linux/aarch64", "linux/arm64", "linux/amd64"], "X") == ("linux/arm64", "linux/amd64")


@pytest.mark.parametrize(
    "values,fragment",
    [([], "The [oci].platforms option is empty"), (["linux/amd64/v2/x"], "The [oci].platforms option has 'linux/amd64/v2/x', which is not a platform")],
    ids=["empty", "malformed"],
)
def test_platform_list_errors_name_their_origin(values: list, fragment: str) -> None:
    with pytest.raises(InvalidPlatformError) as caught:
        platform_list(values, "The [oci].platforms option")
    assert fragment in str(caught.value)


def test_build_platform_args() -> None:
    args = platform_args("linux/amd64", "linux/aarch64")
    assert (args["BUILDPLATFORM"], args["BUILDOS"], args["BUILDARCH"], args["BUILDVARIANT"]) == ("linux/arm64", "linux/arm64".split("/")[0], "arm64", "")
