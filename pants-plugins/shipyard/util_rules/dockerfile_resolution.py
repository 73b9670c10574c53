"""Resolves a Dockerfile against its build context: the exact files it copies and the images it
needs, by reading the Dockerfile, listing the context and applying `.dockerignore`."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable, Optional

from pants.engine.fs import DigestContents, GlobMatchErrorBehavior, PathGlobs, Paths
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.util.frozendict import FrozenDict

from shipyard.dockerfile.dockerignore import DockerIgnore, dockerignore_candidates, select_dockerignore
from shipyard.dockerfile.instructions import DockerfileError
from shipyard.dockerfile.parser import parse_dockerfile
from shipyard.dockerfile.resolver import ImageRef as DockerfileImageRef
from shipyard.dockerfile.resolver import StageInfo, resolve_dockerfile
from shipyard.source_text import decode_lossless, printable


logger = logging.getLogger(__name__)


class InvalidDockerfileError(Exception):
    """A Dockerfile cannot be parsed or resolved; the message names the file, line and fix."""


@dataclass(frozen=True)
class DockerfileResolutionRequest:
    """A Dockerfile, its context directory (build-root relative, "" for the root) and its inputs."""

    dockerfile_path: str
    context_dir: str
    build_args: FrozenDict[str, str]
    target_stage: Optional[str]
    platforms: tuple[str, ...]
    # Files to resolve as if present in the context (build-root relative): `why-affected` asks
    # whether a deleted file was copied.
    assume_present: tuple[str, ...] = ()


@dataclass(frozen=True)
class DockerfileResolution:
    """What a build of the Dockerfile reads: files (build-root relative) and images."""

    dockerfile_path: str
    context_dir: str
    dockerignore_path: Optional[str]
    copied_files: tuple[str, ...]
    # For explanations and errors: the first Dockerfile line that copies each file.
    copy_lines: FrozenDict[str, int]
    image_refs: tuple[DockerfileImageRef, ...]
    # Every stage, with whether the build runs it (for peek and `why-affected --explain-not`).
    stages: tuple[StageInfo, ...] = ()


@rule(desc="Resolve a Dockerfile against its build context")
async def resolve_dockerfile_request(request: DockerfileResolutionRequest) -> DockerfileResolution:
    """Reads the Dockerfile and the context listing, and runs the plain resolver on them."""
    prefix = f"{request.context_dir}/" if request.context_dir else ""
    candidates = dockerignore_candidates(request.dockerfile_path, request.context_dir)
    dockerfile_contents, ignore_contents, listing = await MultiGet(
        Get(DigestContents, PathGlobs([request.dockerfile_path])),
        Get(
            DigestContents,
            PathGlobs(candidates, glob_match_error_behavior=GlobMatchErrorBehavior.ignore),
        ),
        Get(Paths, PathGlobs([f"{prefix}**"])),
    )
    if not dockerfile_contents:
        raise InvalidDockerfileError(
            f"{request.dockerfile_path} does not exist. Check the `dockerfile` field of the image."
        )
    # BuildKit and moby's .dockerignore reader take bytes as they are: nothing is refused.
    ignore_by_path = {fc.path: decode_lossless(fc.content) for fc in ignore_contents}
    dockerignore_path = select_dockerignore(request.dockerfile_path, request.context_dir, ignore_by_path)
    context_label = request.context_dir or "the repository root"
    try:
        parsed = parse_dockerfile(decode_lossless(dockerfile_contents[0].content), request.dockerfile_path)
        dockerignore = (
            DockerIgnore.parse(ignore_by_path[dockerignore_path], dockerignore_path)
            if dockerignore_path
            else None
        )
        resolved = resolve_dockerfile(
            parsed,
            context_files=[
                p[len(prefix):]
                for p in dict.fromkeys((*listing.files, *request.assume_present))
                if p.startswith(prefix)
            ],
            build_args=dict(request.build_args),
            target_stage=request.target_stage,
            platforms=request.platforms,
            dockerignore=dockerignore,
            context_dir_label=context_label,
        )
    except DockerfileError as e:
        raise InvalidDockerfileError(str(e)) from e

    for warning in resolved.warnings:
        logger.warning(printable(warning))
    copy_lines: dict[str, int] = {}
    for trace in sorted(resolved.copy_trace, key=lambda t: t.line):
        for f in trace.files:
            copy_lines.setdefault(prefix + f, trace.line)
    return DockerfileResolution(
        dockerfile_path=request.dockerfile_path,
        context_dir=request.context_dir,
        dockerignore_path=dockerignore_path,
        copied_files=tuple(sorted(prefix + f for f in resolved.copied_files)),
        copy_lines=FrozenDict(copy_lines),
        image_refs=tuple(resolved.image_refs),
        stages=resolved.stages,
    )


def rules() -> Iterable[Rule]:
    return collect_rules()
