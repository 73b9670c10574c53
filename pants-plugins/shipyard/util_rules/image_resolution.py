"""Resolves an `oci_image` target: its Dockerfile's copied files and its base images, matched
against the repository's own images."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable, Optional

from pants.build_graph.address import BuildFileAddress, BuildFileAddressRequest
from pants.engine.addresses import Address
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.engine.target import FieldSet, WrappedTarget, WrappedTargetRequest
from pants.util.frozendict import FrozenDict

from shipyard.dockerfile.platforms import canonical_platform
from shipyard.dockerfile.resolved import ImageExport
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

    def build_platforms(self, oci: OciSubsystem) -> tuple[str, ...]:
        """The platforms the image is built for: normalized, each once, in the order written."""
        return tuple(dict.fromkeys(canonical_platform(p) for p in self.platforms_or_default(oci)))

    def dockerfile_request(
        self, oci: OciSubsystem, *, target_stage: Optional[str] = None, assume_present: tuple[str, ...] = ()
    ) -> DockerfileResolutionRequest:
        """The resolution of this image's Dockerfile, optionally of another stage or with files
        assumed present (for `why-affected`: what a skipped stage or a deleted file would do)."""
        return DockerfileResolutionRequest(
            dockerfile_path=self.dockerfile.file_path,
            context_dir=self.context.context_dir(self.address),
            build_args=FrozenDict(self.build_args.value or {}),
            target_stage=target_stage if target_stage is not None else self.target_stage.value,
            platforms=self.platforms_or_default(oci),
            assume_present=assume_present,
        )


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


@dataclass(frozen=True)
class ImageExportsRequest:
    """What the `oci_image` at `address`, built for `platforms`, hands to images built FROM it.

    `chain` holds the images whose resolution asked for this one, so that a FROM cycle between
    repo images ends here (it is reported by the dependency rules) instead of looping.
    """

    address: Address
    platforms: tuple[str, ...]
    chain: tuple[Address, ...] = ()


@dataclass(frozen=True)
class ImageExports:
    exports: tuple[ImageExport, ...]


async def _resolve(
    field_set: OciImageFieldSet,
    platforms: tuple[str, ...],
    chain: tuple[Address, ...],
    repositories: ImageRepositories,
    warn: bool = True,
) -> tuple[DockerfileResolution, tuple[BaseImage, ...]]:
    """Resolves the Dockerfile; if it is built FROM repo images that hand down ENV or ONBUILD,
    resolves it again with those (BuildKit applies them to the child's stage). With `warn`, a
    first-party-looking reference that names no repo image is reported (once, by the image itself)."""
    build_file = await Get(
        BuildFileAddress,
        BuildFileAddressRequest(field_set.address, description_of_origin="an oci_image's fields"),
    )
    request = DockerfileResolutionRequest(
        dockerfile_path=field_set.dockerfile.file_path,
        context_dir=field_set.context.context_dir(field_set.address),
        build_args=FrozenDict(field_set.build_args.value or {}),
        target_stage=field_set.target_stage.value,
        platforms=platforms,
        declared_by=f"{build_file.rel_path}: oci_image `{field_set.address}`",
    )
    resolution = await Get(DockerfileResolution, DockerfileResolutionRequest, request)
    base_images = name_base_images(resolution, repositories, warn=warn)
    needed: dict[Address, dict[str, set[str]]] = {}  # base image -> reference -> platforms
    for ref, base in zip(resolution.image_refs, base_images):
        if ref.kind != "from" or base.image is None or base.image in chain or base.image == field_set.address:
            continue
        runs_on = {canonical_platform(ref.platform or p) for p in (ref.target_platforms or platforms)}
        needed.setdefault(base.image, {}).setdefault(ref.reference, set()).update(runs_on)
    if not needed:
        return resolution, base_images
    addresses = sorted(needed)
    exports = await MultiGet(
        Get(
            ImageExports,
            ImageExportsRequest(
                address,
                tuple(sorted(set().union(*needed[address].values()))),
                (*chain, field_set.address),
            ),
        )
        for address in addresses
    )
    base_exports: dict[tuple[str, str], ImageExport] = {}
    for address, result in zip(addresses, exports):
        by_platform = {e.platform: e for e in result.exports}
        for reference, runs_on in needed[address].items():
            for platform in runs_on:
                export = by_platform.get(platform)
                if export is not None and not export.empty:
                    base_exports[(reference, platform)] = export
    if not base_exports:
        return resolution, base_images
    resolution = await Get(
        DockerfileResolution, DockerfileResolutionRequest, replace(request, base_exports=FrozenDict(base_exports))
    )
    return resolution, base_images


@rule(desc="Resolve what an OCI image hands to images built from it")
async def resolve_image_exports(request: ImageExportsRequest, repositories: ImageRepositories) -> ImageExports:
    """The ENV and ONBUILD triggers of the image's target stage, per requested platform."""
    wrapped = await Get(
        WrappedTarget, WrappedTargetRequest(request.address, description_of_origin="a FROM of a repo image")
    )
    field_set = OciImageFieldSet.create(wrapped.target)
    try:
        resolution, _ = await _resolve(field_set, request.platforms, request.chain, repositories, warn=False)
    except InvalidDockerfileError:
        # The base's own inference and build report its error; its children are not stopped by it.
        return ImageExports(())
    return ImageExports(resolution.exports)


@rule(desc="Resolve an OCI image's Dockerfile")
async def resolve_oci_image(
    field_set: OciImageFieldSet, repositories: ImageRepositories, oci: OciSubsystem
) -> ResolvedOciImage:
    """Resolves the Dockerfile with the target's context, build args and platforms (and what its
    repo base images hand down), then names the repo images among its image references."""
    resolution, base_images = await _resolve(field_set, field_set.platforms_or_default(oci), (), repositories)
    return ResolvedOciImage(address=field_set.address, resolution=resolution, base_images=base_images)


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
