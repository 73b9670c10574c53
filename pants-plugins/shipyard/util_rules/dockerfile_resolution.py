"""Resolves a Dockerfile against its build context: the exact files it copies and the images it
needs, by reading the Dockerfile, listing the context and applying `.dockerignore`."""

from __future__ import annotations

import functools
import logging
import os
from dataclasses import dataclass
from typing import Iterable, Optional

from pants.base.build_root import BuildRoot
from pants.engine.fs import DigestContents, GlobMatchErrorBehavior, PathGlobs, Paths
from pants.base.build_environment import get_buildroot
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.option.global_options import GlobalOptions
from pants.util.frozendict import FrozenDict

from shipyard.dockerfile.context_index import ContextIndex
from shipyard.dockerfile.context_links import links_leaving_context
from shipyard.dockerfile.dockerignore import DockerIgnore, dockerignore_candidates, select_dockerignore
from shipyard.dockerfile.instructions import DockerfileError
from shipyard.dockerfile.parser import parse_dockerfile
from shipyard.dockerfile.resolved import ImageExport, StageInfo
from shipyard.dockerfile.resolved import ImageRef as DockerfileImageRef
from shipyard.dockerfile.resolver import resolve_dockerfile
from shipyard.source_text import decode_lossless, printable
from shipyard.subsystems.oci import OciSubsystem
from shipyard.image_ref import ImageRef as ParsedImageRef
from shipyard.image_ref import InvalidImageReference


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
    # (FROM reference, platform) -> what that repo image hands down (ENV, ONBUILD).
    base_exports: FrozenDict[tuple[str, str], ImageExport] = FrozenDict()
    # Where the image's fields are written, e.g. "apps/ui/BUILD: oci_image `apps/ui:ui`", for
    # errors about the fields themselves (a missing Dockerfile, an unknown target stage).
    declared_by: Optional[str] = None
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
    # Per platform, what an image built FROM this one inherits (ENV, ONBUILD).
    exports: tuple[ImageExport, ...] = ()
    # Every stage, with whether the build runs it (for peek and `why-affected --explain-not`).
    stages: tuple[StageInfo, ...] = ()
    # Directories (build-root relative) a COPY copies though .dockerignore leaves them no file.
    copied_empty_dirs: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuildContextRequest:
    """A build context directory (build-root relative, "" for the root) and the ignore file that
    applies to it (None: no `.dockerignore`), with deleted files to list as if present
    (context-relative; for inference and `why-affected` asking what a deleted file was)."""

    context_dir: str
    dockerignore_path: Optional[str]
    assume_present: tuple[str, ...] = ()


@dataclass(frozen=True, eq=False)
class BuildContext:
    """A build context's files, indexed for the resolver once per (directory, ignore file).

    Every image built from the same context shares one index (the engine memoizes this rule), so
    1,000 images with the repository root as context list and index its files once, not 1,000
    times. Compared by identity: the index is a cache, not a value.
    """

    context_dir: str
    dockerignore_path: Optional[str]
    files: tuple[str, ...]  # context-relative, before .dockerignore
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
            # BuildKit and moby's .dockerignore reader take bytes as they are: nothing is refused.
            dockerignore = DockerIgnore.parse(decode_lossless(ignore_contents[0].content), request.dockerignore_path)
        except DockerfileError as e:
            raise InvalidDockerfileError(str(e)) from e
    files = tuple(dict.fromkeys((*(p[len(prefix):] for p in listing.files), *request.assume_present)))
    return BuildContext(request.context_dir, request.dockerignore_path, files, ContextIndex(files, dockerignore))


@rule(desc="Resolve a Dockerfile against its build context")
async def resolve_dockerfile_request(
    request: DockerfileResolutionRequest, oci: OciSubsystem, global_options: GlobalOptions
) -> DockerfileResolution:
    """Reads the Dockerfile and the context listing, and runs the plain resolver on them."""
    prefix = f"{request.context_dir}/" if request.context_dir else ""
    candidates = dockerignore_candidates(request.dockerfile_path, request.context_dir)
    dockerfile_contents, ignore_listing = await MultiGet(
        Get(DigestContents, PathGlobs([request.dockerfile_path])),
        Get(Paths, PathGlobs(candidates, glob_match_error_behavior=GlobMatchErrorBehavior.ignore)),
    )
    if not dockerfile_contents:
        where = request.declared_by or "an oci_image"
        raise InvalidDockerfileError(
            f"{where}: the `dockerfile` field names {request.dockerfile_path}, which does not exist.\n"
            f"  hint: create {request.dockerfile_path}, or set `dockerfile=\"...\"` to the Dockerfile's "
            "path relative to the BUILD file's directory (the default is `Dockerfile`); a directory "
            "without a Dockerfile needs no oci_image target."
        )
    dockerignore_path = select_dockerignore(request.dockerfile_path, request.context_dir, ignore_listing.files)
    # Images of one context share its index, also with deleted files assumed present.
    assumed = tuple(sorted({p[len(prefix):] for p in request.assume_present if p.startswith(prefix)}))
    context = await Get(BuildContext, BuildContextRequest(request.context_dir, dockerignore_path, assumed))
    context_label = request.context_dir or "the repository root"
    unlisted_reason = functools.partial(
        _ignored_by_pants, get_buildroot(), prefix, global_options.pants_ignore_use_gitignore
    )
    try:
        parsed = parse_dockerfile(decode_lossless(dockerfile_contents[0].content), request.dockerfile_path)
        resolved = resolve_dockerfile(
            parsed,
            context_index=context.index,
            build_args=dict(request.build_args),
            target_stage=request.target_stage,
            platforms=request.platforms,
            build_platform=oci.build_platform,
            context_dir_label=context_label,
            unlisted_reason=unlisted_reason,
            base_exports=dict(request.base_exports),
        )
    except DockerfileError as e:
        if request.target_stage and e.line <= 0 and "target stage" in e.message:
            # Not a mistake in the Dockerfile but in the field naming a stage: point at the field.
            raise InvalidDockerfileError(
                f"{request.declared_by or 'an oci_image'}: the `target_stage` field names "
                f"{request.target_stage!r}, but {request.dockerfile_path} has no such stage: "
                f"{e.message}\n  hint: {e.hint}"
            ) from e
        raise InvalidDockerfileError(str(e)) from e

    # A resolution with deleted files assumed present only asks what they were: its warnings
    # are the real resolution's, already logged.
    if not request.assume_present:
        for warning in resolved.warnings:
            logger.warning(printable(warning))
    copy_lines: dict[str, int] = {}
    for trace in sorted(resolved.copy_trace, key=lambda t: t.line):
        for f in trace.files:
            copy_lines.setdefault(prefix + f, trace.line)
    for ref in resolved.image_refs:
        if "$" in ref.reference:
            continue  # left to the resolver's own diagnostics
        try:
            ParsedImageRef.parse(ref.reference)
        except InvalidImageReference as e:
            raise InvalidDockerfileError(
                f"{request.dockerfile_path}:{ref.line}: {e}. Docker refuses it (\"invalid reference "
                "format\").\n  hint: write the image as [registry/]repository[:tag][@digest], the "
                "repository in lower case, e.g. `busybox:1.35`."
            ) from e
    escaping = links_leaving_context(
        BuildRoot().path, request.context_dir, sorted(prefix + f for f in resolved.copied_files)
    )
    if escaping:
        link = escaping[0]
        through = "" if link.link == link.path else f" is reached through {link.link}, which"
        raise InvalidDockerfileError(
            f"{request.dockerfile_path}:{copy_lines.get(link.path, 0)}: the copied file {link.path}"
            f"{through} is a symlink to {link.target!r}, which leads to {link.resolved}, outside "
            f"the build context {context_label}. Docker resolves links inside the context, so the "
            "image would not hold the file Pants reads.\n"
            "  hint: copy the file into the build context instead of linking to it, or widen the "
            "image's `context` field to a directory holding both."
        )
    return DockerfileResolution(
        dockerfile_path=request.dockerfile_path,
        context_dir=request.context_dir,
        dockerignore_path=dockerignore_path,
        copied_files=tuple(sorted(prefix + f for f in resolved.copied_files)),
        copied_empty_dirs=tuple(sorted(prefix + d for d in resolved.copied_empty_dirs)),
        copy_lines=FrozenDict(copy_lines),
        image_refs=tuple(resolved.image_refs),
        exports=resolved.exports,
        stages=resolved.stages,
    )


def _ignored_by_pants(buildroot: str, prefix: str, use_gitignore: bool, rel: str) -> Optional[tuple[str, str]]:
    """Why a COPY source the context listing lacks exists anyway: Pants ignores it.

    The engine lists the context with Pants' ignores applied ([GLOBAL].pants_ignore and, by
    default, .gitignore), while docker sends every file not in .dockerignore. This looks at the
    disk only on that error path, to turn "not found" into the real cause and its fix.
    """
    path = prefix + rel
    full = os.path.join(buildroot, path)
    if os.path.isdir(full):
        if not any(files for _, _, files in os.walk(full)):
            return None
        pattern = f"!/{path}/"
    elif os.path.lexists(full):
        pattern = f"!/{path}"
    else:
        return None
    by = "[GLOBAL].pants_ignore or a .gitignore" if use_gitignore else "[GLOBAL].pants_ignore"
    return (
        f"Pants ignores it ({by}), so dependency inference cannot see it, though docker copies it",
        f'let Pants see it: in pants.toml, [GLOBAL] pants_ignore.add = ["{pattern}"] '
        "(this takes precedence over .gitignore), or add it to .dockerignore if the image should not have it",
    )


def rules() -> Iterable[Rule]:
    return collect_rules()
