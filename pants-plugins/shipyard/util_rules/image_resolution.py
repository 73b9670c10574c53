"""Resolves an `oci_image` target: its Dockerfile's copied files and its base images, matched
against the repository's own images."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from pants.engine.addresses import Address
from pants.engine.rules import Get, Rule, collect_rules, rule
from pants.engine.target import FieldSet
from pants.util.frozendict import FrozenDict

from shipyard.image_ref import NearMiss
from shipyard.subsystems.oci import OciSubsystem
from shipyard.target_types import (
    OciImageBuildArgsField,
    OciImageContextField,
    OciImageDependenciesField,
    OciImageDockerfileField,
    OciImagePlatformsField,
    OciImageRepositoryField,
    OciImageTargetStageField,
)
from shipyard.util_rules.dockerfile_resolution import DockerfileResolution, DockerfileResolutionRequest
from shipyard.util_rules.repositories import ImageRepositories


@dataclass(frozen=True)
class OciImageFieldSet(FieldSet):
    required_fields = (OciImageDockerfileField,)

    dockerfile: OciImageDockerfileField
    context: OciImageContextField
    repository: OciImageRepositoryField
    build_args: OciImageBuildArgsField
    target_stage: OciImageTargetStageField
    platforms: OciImagePlatformsField
    dependencies: OciImageDependenciesField

    def platforms_or_default(self, oci: OciSubsystem) -> tuple[str, ...]:
        """The target's platforms, else `[oci].platforms`."""
        return tuple(self.platforms.value or oci.platforms)


@dataclass(frozen=True)
class BaseImage:
    """An image the build needs (`FROM`, `COPY --from=<image>`, `RUN --mount=from=<image>`)."""

    reference: str
    kind: str
    line: int
    image: Optional[Address]  # the repo's `oci_image` it names, or None for an external image
    # For an external image that looks first-party (a repo image's namespace or registry): the
    # nearest repo image, which the user was warned about.
    near_miss: Optional[NearMiss[Address]] = None


@dataclass(frozen=True)
class ResolvedOciImage:
    address: Address
    resolution: DockerfileResolution
    base_images: tuple[BaseImage, ...]

    @property
    def repo_bases(self) -> tuple[Address, ...]:
        """The repo's images this one is built on, in Dockerfile order, without repeats."""
        return tuple(dict.fromkeys(b.image for b in self.base_images if b.image is not None))


@rule(desc="Resolve an OCI image's Dockerfile")
async def resolve_oci_image(
    field_set: OciImageFieldSet, repositories: ImageRepositories, oci: OciSubsystem
) -> ResolvedOciImage:
    """Resolves the Dockerfile with the target's context and build args, then names the repo
    images among its image references."""
    resolution = await Get(
        DockerfileResolution,
        DockerfileResolutionRequest(
            dockerfile_path=field_set.dockerfile.file_path,
            context_dir=field_set.context.context_dir(field_set.address),
            build_args=FrozenDict(field_set.build_args.value or {}),
            target_stage=field_set.target_stage.value,
            platforms=field_set.platforms_or_default(oci),
        ),
    )
    return ResolvedOciImage(
        address=field_set.address,
        resolution=resolution,
        base_images=name_base_images(resolution, repositories),
    )


def name_base_images(
    resolution: DockerfileResolution, repositories: ImageRepositories, warn: bool = True
) -> tuple[BaseImage, ...]:
    """The Dockerfile's image references, each with the repo image it names (an ambiguous one is
    an error with its line) and, with `warn`, a warning for one that looks first-party but names
    none. One answer per reference and line, whatever the platforms."""
    matched: dict[tuple[str, int], tuple[Optional[Address], Optional[NearMiss[Address]]]] = {}
    for ref in resolution.image_refs:
        if (ref.reference, ref.line) not in matched:
            where = f"{resolution.dockerfile_path}:{ref.line}"
            image = repositories.match(ref.reference, where)
            miss = None
            if image is None:
                miss = (
                    repositories.check_near_miss(ref.reference, where)
                    if warn
                    else repositories.matcher().near_miss(ref.reference)
                )
            matched[(ref.reference, ref.line)] = (image, miss)
    return tuple(
        BaseImage(ref.reference, ref.kind, ref.line, *matched[(ref.reference, ref.line)])
        for ref in resolution.image_refs
    )


def rules() -> Iterable[Rule]:
    return collect_rules()
