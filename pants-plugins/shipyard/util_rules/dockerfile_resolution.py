"""Resolves a Dockerfile against its build context: the exact files it copies and the images it
needs, by reading the Dockerfile, listing the context and applying `.dockerignore`. A context is
listed and indexed once per (directory, ignore file), however many images are built from it."""

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
from shipyard.dockerfile.resolver import ContextIndex, index_context, resolve_dockerfile
from shipyard.dockerfile.resolver import ImageRef as DockerfileImageRef


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


@dataclass(frozen=True)
class BuildContextRequest:
    """A build context directory (build-root relative, "" for the root) and the ignore file that
    applies to it (None: no `.dockerignore`)."""

    context_dir: str
    dockerignore_path: Optional[str]


@dataclass(frozen=True, eq=False)
class BuildContext:
    """A build context's files, indexed for the resolver once per (directory, ignore file).

    Every image built from the same context shares one index (the engine memoizes this rule), so
    1,000 images with the repository root as context list and index its files once, not 1,000
    times. Compared by identity: the index is a cache, not a value.
    """

    context_dir: str
    dockerignore_path: Optional[str]
    index: ContextIndex


@rule(desc="Index a Docker build context")
async def index_build_context(request: BuildContextRequest) -> BuildContext:
    """Lists the context's files and parses its `.dockerignore` into the resolver's index."""
    prefix = f"{request.context_dir}/" if request.context_dir else ""
    listing, ignore_contents = await MultiGet(
        Get(Paths, PathGlobs([f"{prefix}**"])),
        Get(DigestContents, PathGlobs([request.dockerignore_path] if request.dockerignore_path else [])),
    )
    dockerignore = None
    if request.dockerignore_path and ignore_contents:
        try:
            dockerignore = DockerIgnore.parse(
                ignore_contents[0].content.decode(errors="replace"), request.dockerignore_path
            )
        except DockerfileError as e:
            raise InvalidDockerfileError(str(e)) from e
    index = index_context([p[len(prefix):] for p in listing.files], dockerignore)
    return BuildContext(request.context_dir, request.dockerignore_path, index)


@rule(desc="Resolve a Dockerfile against its build context")
async def resolve_dockerfile_request(request: DockerfileResolutionRequest) -> DockerfileResolution:
    """Reads the Dockerfile and its context's index, and runs the plain resolver on them."""
    prefix = f"{request.context_dir}/" if request.context_dir else ""
    candidates = dockerignore_candidates(request.dockerfile_path, request.context_dir)
    dockerfile_contents, ignore_listing = await MultiGet(
        Get(DigestContents, PathGlobs([request.dockerfile_path])),
        Get(Paths, PathGlobs(candidates, glob_match_error_behavior=GlobMatchErrorBehavior.ignore)),
    )
    if not dockerfile_contents:
        raise InvalidDockerfileError(
            f"{request.dockerfile_path} does not exist. Check the `dockerfile` field of the image."
        )
    dockerignore_path = select_dockerignore(
        request.dockerfile_path, request.context_dir, ignore_listing.files
    )
    context = await Get(BuildContext, BuildContextRequest(request.context_dir, dockerignore_path))
    context_label = request.context_dir or "the repository root"
    try:
        parsed = parse_dockerfile(dockerfile_contents[0].content.decode(), request.dockerfile_path)
        resolved = resolve_dockerfile(
            parsed,
            context_index=context.index,
            build_args=dict(request.build_args),
            target_stage=request.target_stage,
            platforms=request.platforms,
            context_dir_label=context_label,
        )
    except DockerfileError as e:
        raise InvalidDockerfileError(str(e)) from e

    for warning in resolved.warnings:
        logger.warning(warning)
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
    )


def rules() -> Iterable[Rule]:
    return collect_rules()
