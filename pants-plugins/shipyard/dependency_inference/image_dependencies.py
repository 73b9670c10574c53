"""Infers an `oci_image`'s dependencies: the owners of exactly the files its Dockerfile copies,
its `.dockerignore`, the repo images it is built from, and the Pants config holding `[oci]`; in a
`--changed-since` run, also the owners of the copied files that were deleted.

An image whose Dockerfile cannot be resolved (deleted, or a COPY source missing from its context)
is reported with a warning and made to depend on every target in its build context, so that it
counts as changed (and its `package` fails with the error) while every other image's inference
goes on.
"""

from __future__ import annotations

import logging
from typing import Iterable

from pants.base.specs import RawSpecsWithoutFileOwners, RecursiveGlobSpec
from pants.engine.addresses import Address, Addresses
from pants.engine.fs import GlobMatchErrorBehavior
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.engine.target import (
    InferDependenciesRequest,
    InferredDependencies,
    UnexpandedTargets,
    WrappedTarget,
    WrappedTargetRequest,
)
from pants.engine.unions import UnionRule

from shipyard.dockerfile.dockerignore import dockerignore_candidates
from shipyard.subsystems.oci import OciSubsystem
from shipyard.target_types import HelmChartMetadataField, OciImageDockerfileField
from shipyard.util_rules.deleted_files import (
    DeletedFileOwners,
    DeletedFileOwnersRequest,
    DeletedFilesUnder,
    DeletedFilesUnderRequest,
)
from shipyard.util_rules.dockerfile_resolution import (
    DockerfileResolution,
    DockerfileResolutionRequest,
    InvalidDockerfileError,
)
from shipyard.util_rules.file_owners import FileOwners, FileOwnersRequest, UnownedFilesError
from shipyard.util_rules.image_resolution import (
    BaseImage,
    OciImageFieldSet,
    OciImageResolutionAttempt,
    ResolvedOciImage,
)
from shipyard.util_rules.oci_config import OciConfigOwners

logger = logging.getLogger(__name__)


class BaseImageCycleError(Exception):
    """Images of the repo are built FROM each other in a cycle."""


class InferOciImageDependencies(InferDependenciesRequest):
    infer_from = OciImageFieldSet


def _describe_cycle(chain: tuple[tuple[ResolvedOciImage, BaseImage], ...]) -> str:
    steps = "\n".join(
        f"  {image.address} ({image.resolution.dockerfile_path}:{base.line}: {base.kind} {base.reference})"
        for image, base in chain
    )
    return (
        f"The image {chain[0][0].address} is built on itself:\n{steps}\n"
        "Break the cycle: one of these images must be built from an external base."
    )


async def _conservative_dependencies(
    field_set: OciImageFieldSet, attempt: OciImageResolutionAttempt, config_owners: OciConfigOwners
) -> InferredDependencies:
    """Every target declared in the image's build context, for an image that cannot be resolved."""
    context_dir = field_set.context.context_dir(field_set.address)
    logger.warning(
        f"{attempt.error}\n{field_set.address} cannot be resolved: until this is fixed it counts as "
        f"changed by any change in its build context ({context_dir or 'the repository root'}), "
        "and packaging it fails with this error. Other images are not affected."
    )
    addresses = await Get(
        Addresses,
        RawSpecsWithoutFileOwners(
            recursive_globs=(RecursiveGlobSpec(context_dir),),
            description_of_origin=f"the build context of {field_set.address}",
            unmatched_glob_behavior=GlobMatchErrorBehavior.ignore,
        ),
    )
    # Target generators rather than their file-level targets: the copy set is unknown, and a
    # deleted file maps only to its generator in `--changed-since`. Images and charts in the
    # context are left out: an image built FROM this one would close a dependency cycle.
    targets = await Get(
        UnexpandedTargets, Addresses(a for a in addresses if not a.is_generated_target)
    )
    return InferredDependencies(
        sorted(
            {
                t.address
                for t in targets
                if t.address != field_set.address
                and not t.has_field(OciImageDockerfileField)
                and not t.has_field(HelmChartMetadataField)
            }
            | set(config_owners.addresses)
        )
    )


async def _owners_of_deleted_inputs(field_set: OciImageFieldSet, oci: OciSubsystem) -> frozenset[Address]:
    """In a `--changed-since` run, the owners of the deleted files the Dockerfile would copy (and
    of a deleted `.dockerignore` it would read), so the image counts as changed by them."""
    context_dir = field_set.context.context_dir(field_set.address)
    deleted = await Get(DeletedFilesUnder, DeletedFilesUnderRequest(context_dir))
    if not deleted.paths:
        return frozenset()
    try:
        as_before = await Get(
            DockerfileResolution,
            DockerfileResolutionRequest,
            field_set.dockerfile_request(oci, assume_present=deleted.paths),
        )
        read = [p for p in deleted.paths if p in as_before.copy_lines]
    except InvalidDockerfileError:
        read = list(deleted.paths)  # Cannot tell which were copied: count them all.
    ignore_files = set(dockerignore_candidates(field_set.dockerfile.file_path, context_dir))
    read.extend(p for p in deleted.paths if p in ignore_files)
    owners = await Get(DeletedFileOwners, DeletedFileOwnersRequest(tuple(sorted(set(read))), field_set.address))
    return frozenset(owners.addresses)


@rule(desc="Infer an OCI image's dependencies")
async def infer_oci_image_dependencies(
    request: InferOciImageDependencies, config_owners: OciConfigOwners, oci: OciSubsystem
) -> InferredDependencies:
    """Depends on the owners of the copied files and of the `.dockerignore`, on the repo images
    named by FROM / COPY --from / RUN --mount=from, and on the target owning pants.toml. In a
    `--changed-since` run, also on the owners of deleted files the Dockerfile copied."""
    attempt = await Get(OciImageResolutionAttempt, OciImageFieldSet, request.field_set)
    if attempt.image is None:
        conservative = await _conservative_dependencies(request.field_set, attempt, config_owners)
        deleted_owners = await _owners_of_deleted_inputs(request.field_set, oci)
        return InferredDependencies(sorted(set(conservative.include) | deleted_owners))
    image = attempt.image
    resolution = image.resolution

    # Walk the repo's base images breadth-first, so a cycle is reported here, with its lines.
    # A base that cannot be resolved is reported by its own inference; the walk stops there.
    chains = [((image, base),) for base in image.base_images if base.image is not None]
    visited: set[Address] = set()
    while chains:
        wrapped = await MultiGet(
            Get(
                WrappedTarget,
                WrappedTargetRequest(chain[-1][1].image, description_of_origin=str(image.address)),
            )
            for chain in chains
        )
        attempts = await MultiGet(
            Get(OciImageResolutionAttempt, OciImageFieldSet, OciImageFieldSet.create(w.target))
            for w in wrapped
        )
        next_chains = []
        for chain, base_attempt in zip(chains, attempts):
            base_image = base_attempt.image
            if base_image is None:
                continue
            if base_image.address == image.address:
                raise BaseImageCycleError(_describe_cycle(chain))
            if base_image.address in visited:
                continue
            visited.add(base_image.address)
            next_chains.extend(
                (*chain, (base_image, b)) for b in base_image.base_images if b.image is not None
            )
        chains = next_chains

    files = resolution.copied_files
    if resolution.dockerignore_path:
        files = (*files, resolution.dockerignore_path)
    owners = await Get(
        FileOwners, FileOwnersRequest(files, description_of_origin=f"the image {image.address}")
    )
    if owners.unowned:
        raise UnownedFilesError.create(
            f"The image {image.address}",
            (
                (
                    path,
                    f"copied by {resolution.dockerfile_path}:{resolution.copy_lines[path]}"
                    if path in resolution.copy_lines
                    else "the .dockerignore of its build context",
                )
                for path in owners.unowned
            ),
            "Own them with a `files` (or `python_sources`, ...) target, e.g. "
            '`files(name="files", sources=["**/*", "!BUILD"])` in their directory, or run '
            "`pants tailor ::`; or exclude them in .dockerignore if the image does not need them.",
        )
    deleted_owners = await _owners_of_deleted_inputs(request.field_set, oci)
    return InferredDependencies(
        sorted(
            owners.addresses(excluding=[image.address])
            | deleted_owners
            | set(image.repo_bases)
            | set(config_owners.addresses)
        )
    )


def rules() -> Iterable[Rule | UnionRule]:
    return (*collect_rules(), UnionRule(InferDependenciesRequest, InferOciImageDependencies))
