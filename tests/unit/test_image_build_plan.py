"""Which images one platform's build reads, and how the Dockerfile is pointed at them: every
image a build reads (FROM, COPY --from, RUN --mount from) is pinned, for the right platform."""

from __future__ import annotations

from typing import Optional, Tuple

import pytest
from pants.engine.addresses import Address
from pants.util.frozendict import FrozenDict

from shipyard.dockerfile.resolved import ImageRef
from shipyard.util_rules.dockerfile_resolution import DockerfileResolution
from shipyard.util_rules.image_build import plan_bases
from shipyard.util_rules.image_resolution import BaseImage

BASE = Address("base", target_name="base")


def plan(refs: list[Tuple[str, str, int, Optional[str], Tuple[str, ...], Optional[Address]]], platform: str = "linux/arm64"):
    image_refs = tuple(ImageRef(r, kind, line, "s", 0, flag, targets) for r, kind, line, flag, targets, _ in refs)
    resolution = DockerfileResolution("app/Dockerfile", "app", None, (), FrozenDict(), image_refs)
    bases = [BaseImage(r, kind, line, image) for r, kind, line, _, _, image in refs]
    return plan_bases(resolution, bases, platform)


def test_external_copy_from_and_mount_from_are_pinned_for_the_target_platform() -> None:
    result = plan([
        ("busybox:1.35", "from", 1, None, (), None),
        ("nginx:1.25", "copy_from", 2, None, (), None),
        ("tools:1", "mount_from", 3, None, (), None),
    ])
    pinned = {r.reference: (r.platform, r.origin) for r in result.external_bases.values()}
    assert pinned == {
        "busybox:1.35": ("linux/arm64", "app/Dockerfile:1"),
        "nginx:1.25": ("linux/arm64", "app/Dockerfile:2"),
        "tools:1": ("linux/arm64", "app/Dockerfile:3"),
    }
    assert set(result.from_flags) == {2, 3}
    assert result.external_bases[result.from_flags[2]["nginx:1.25"]].reference == "nginx:1.25"
    assert result.from_lines[1].platform == "linux/arm64"


def test_from_platform_flag_decides_the_pull_and_copy_from_uses_the_target() -> None:
    result = plan([("golang:1.19", "from", 1, "linux/amd64", (), None), ("golang:1.19", "copy_from", 4, None, (), None)])
    assert sorted(r.platform for r in result.external_bases.values()) == ["linux/amd64", "linux/arm64"]


def test_copy_from_a_repo_image_uses_this_runs_build() -> None:
    result = plan([("scratch-ish", "from", 1, None, (), None), ("acme/base", "copy_from", 2, None, (), BASE)])
    (placeholder,) = result.repo_bases
    assert result.repo_bases[placeholder].address == BASE
    assert result.from_flags == {2: {"acme/base": placeholder}}


def test_one_image_read_twice_is_pulled_once() -> None:
    result = plan([("img:1", "from", 1, None, (), None), ("img:1", "copy_from", 3, None, (), None)])
    assert len(result.external_bases) == 1


def test_refs_of_other_platforms_are_left_out() -> None:
    result = plan([("img:amd", "from", 1, None, ("linux/amd64",), None), ("img:arm", "from", 2, None, ("linux/arm64",), None)])
    assert [r.reference for r in result.external_bases.values()] == ["img:arm"]
    assert set(result.from_lines) == {2}


def test_a_copy_from_of_an_onbuild_trigger_is_pinned_for_the_trigger_text() -> None:
    # Trigger instructions are reported at the child's FROM line, where there is no COPY flag.
    result = plan([("acme/base", "from", 1, None, (), BASE), ("nginx:1", "copy_from", 1, None, (), None)])
    assert result.from_flags == {}
    (placeholder,) = result.external_bases
    assert result.trigger_flags == {1: {"nginx:1": placeholder}}
