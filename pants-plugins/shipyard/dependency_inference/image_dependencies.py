"""Infers an `oci_image`'s dependencies: the owners of exactly the files its Dockerfile copies,
its `.dockerignore`, the repo images it is built from, and the Pants config holding `[oci]`."""

from __future__ import annotations

from typing import Iterable

from pants.engine.addresses import Address
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.engine.target import (
    InferDependenciesRequest,
    InferredDependencies,
    WrappedTarget,
    WrappedTargetRequest,
)
from pants.engine.unions import UnionRule

from shipyard.util_rules.file_owners import FileOwners, FileOwnersRequest, UnownedFilesError
from shipyard.util_rules.image_resolution import BaseImage, OciImageFieldSet, ResolvedOciImage
from shipyard.util_rules.oci_config import OciConfigOwners


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


@rule(desc="Infer an OCI image's dependencies")
async def infer_oci_image_dependencies(
    request: InferOciImageDependencies, config_owners: OciConfigOwners
) -> InferredDependencies:
    """Depends on the owners of the copied files and of the `.dockerignore`, on the repo images
    named by FROM / COPY --from / RUN --mount=from, and on the target owning pants.toml."""
    image = await Get(ResolvedOciImage, OciImageFieldSet, request.field_set)
    resolution = image.resolution

    # Walk the repo's base images breadth-first, so a cycle is reported here, with its lines.
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
        bases = await MultiGet(
            Get(ResolvedOciImage, OciImageFieldSet, OciImageFieldSet.create(w.target)) for w in wrapped
        )
        next_chains = []
        for chain, base_image in zip(chains, bases):
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
    return InferredDependencies(
        sorted(
            owners.addresses(excluding=[image.address])
            | set(image.repo_bases)
            | set(config_owners.addresses)
        )
    )


def rules() -> Iterable[Rule | UnionRule]:
    return (*collect_rules(), UnionRule(InferDependenciesRequest, InferOciImageDependencies))
