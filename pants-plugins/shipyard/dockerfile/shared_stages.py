"""Stages whose steps are the same in every target platform's build of a Dockerfile.

A stage `FROM --platform=$BUILDPLATFORM node AS build` runs on the build platform whatever the
target, so the amd64 and the arm64 build of the image run the same steps there, unless the stage
declares one of the automatic `TARGET*` args (BuildKit: they exist in the global scope, and a
stage sees them only after its own `ARG TARGETARCH`), typically to cross-compile. A builder with
a layer cache serves such a stage to the second build from the first's.
"""

from __future__ import annotations

from typing import Iterable

from shipyard.dockerfile.instructions import ParsedDockerfile
from shipyard.dockerfile.platforms import canonical_platform
from shipyard.dockerfile.resolved import ImageRef

# BuildKit's automatic args naming the target platform (names are case-sensitive).
TARGET_PLATFORM_ARGS = frozenset({"TARGETPLATFORM", "TARGETOS", "TARGETARCH", "TARGETVARIANT"})


def _stage_declares_target_args(parsed: ParsedDockerfile, from_line: int) -> bool:
    """Whether the stage starting at `from_line` declares a `TARGET*` arg before the next FROM."""
    in_stage = False
    for instruction in parsed.instructions:
        if instruction.keyword == "FROM":
            if in_stage:
                return False
            in_stage = instruction.line == from_line
        elif in_stage and instruction.keyword == "ARG":
            if any(name in TARGET_PLATFORM_ARGS for name, _ in instruction.key_values):
                return True
    return False


def stages_shared_by_platforms(
    parsed: ParsedDockerfile, image_refs: Iterable[ImageRef], platforms: Iterable[str]
) -> tuple[int, ...]:
    """The FROM lines of the stages every one of `platforms` (target platforms) runs with the
    same steps: based on an external image pinned to one platform by `FROM --platform=...`, run by
    each of those builds, and declaring no `TARGET*` arg. `image_refs` are the resolver's for a
    resolution over (at least) `platforms`."""
    wanted = {canonical_platform(p) for p in platforms}
    lines = []
    for ref in image_refs:
        if ref.kind != "from" or not ref.platform:
            continue
        # No target platforms listed: every requested platform runs the stage.
        runs_for = {canonical_platform(p) for p in ref.target_platforms} or wanted
        if wanted <= runs_for and not _stage_declares_target_args(parsed, ref.line):
            lines.append(ref.line)
    return tuple(sorted(set(lines)))
