"""Resolves an `oci_image` target: its Dockerfile's copied files and its base images, matched
against the repository's own images."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional

from pants.engine.addresses import Address
from pants.engine.rules import Get, Rule, collect_rules, rule
from pants.engine.target import FieldSet
from pants.util.frozendict import FrozenDict

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
from shipyard.util_rules.dockerfile_resolution import (
    DockerfileResolution,
    DockerfileResolutionRequest,
    InvalidDockerfileError,
)
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
    matcher = repositories.matcher()
    return ResolvedOciImage(
        address=field_set.address,
        resolution=resolution,
        base_images=tuple(
            BaseImage(ref.reference, ref.kind, ref.line, matcher.match(ref.reference))
            for ref in resolution.image_refs
        ),
    )


@dataclass(frozen=True)
class OciImageResolutionAttempt:
    """An image's resolution, or the error (naming file, line and fix) that stopped it.

    For callers that serve many images at once (dependency inference, tailor): one image that
    cannot be resolved is reported, and the others go on. `package` asks for `ResolvedOciImage`
    itself, so it still fails with the error.
    """

    address: Address
    image: Optional[ResolvedOciImage]
    error: Optional[str]


@rule(desc="Resolve an OCI image's Dockerfile, keeping the error")
async def attempt_oci_image_resolution(field_set: OciImageFieldSet) -> OciImageResolutionAttempt:
    """`ResolvedOciImage`, or the `InvalidDockerfileError` message when it cannot be resolved
    (a deleted Dockerfile, a COPY source missing from the context, a syntax error)."""
    try:
        image = await Get(ResolvedOciImage, OciImageFieldSet, field_set)
    except InvalidDockerfileError as e:
        return OciImageResolutionAttempt(field_set.address, None, str(e))
    return OciImageResolutionAttempt(field_set.address, image, None)


def rules() -> Iterable[Rule]:
    return collect_rules()
