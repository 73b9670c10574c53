"""The index of this repository's images by published name, for matching FROM lines and charts."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Optional

from pants.engine.addresses import Address
from pants.engine.rules import Rule, collect_rules, rule
from pants.engine.target import AllTargets
from pants.util.frozendict import FrozenDict

from shipyard.image_ref import AmbiguousReferenceError, NearMiss, RepositoryMatcher
from shipyard.registries import registry_addresses
from shipyard.subsystems.oci import OciSubsystem
from shipyard.target_types import OciImageAliasesField, OciImageRepositoryField

logger = logging.getLogger(__name__)


class RepositoryConfigurationError(Exception):
    """A repository, alias or registry is not a valid image name."""


class AmbiguousImageReferenceError(Exception):
    """A FROM line or chart reference names two of the repo's images; the message says where."""


@dataclass(frozen=True)
class ImageRepositories:
    """Every `oci_image` of the repo by repository (and aliases), and the configured registries."""

    repositories: FrozenDict[Address, str]
    registries: FrozenDict[str, str]
    aliases: FrozenDict[Address, tuple[str, ...]] = FrozenDict()
    external_images: tuple[str, ...] = ()  # `[oci].external_images`: no near-miss warning

    @cached_property
    def _matcher(self) -> RepositoryMatcher[Address]:
        try:
            return RepositoryMatcher(
                self.repositories, self.registries, self.aliases, self.external_images
            )
        except ValueError as e:
            raise RepositoryConfigurationError(
                f"{e}\n(`repository` and `aliases` fields of `oci_image` targets; "
                "`[oci].registries` and `[oci].external_images` in pants.toml)"
            ) from e

    def matcher(self) -> RepositoryMatcher[Address]:
        """A matcher naming the image a reference points at (bare, registry-qualified, Docker Hub)."""
        return self._matcher

    def match(self, reference: str, where: str) -> Optional[Address]:
        """The repo image `reference` (found at `where`, e.g. `path:line`) names, or None.

        A reference naming two images is an error here, where it is written; elsewhere two images
        may share a name."""
        try:
            return self._matcher.match(reference)
        except AmbiguousReferenceError as e:
            raise AmbiguousImageReferenceError(f"{where}: {e}") from None

    def shares_repository(self, address: Address) -> bool:
        """Whether another image has the same `repository` as the image at `address` (then they
        need separate output directories)."""
        repository = self.repositories[address]
        return any(a != address and r == repository for a, r in self.repositories.items())

    def check_near_miss(self, reference: str, where: str) -> Optional[NearMiss[Address]]:
        """Warns when `reference`, which names no repo image, looks like it means one (a typo or a
        missing alias would otherwise make it an external image without a word); returns the
        nearest repo image then."""
        miss = self._matcher.near_miss(reference)
        if miss is not None:
            logger.warning(
                f"{where}: {reference!r} names no image of this repository, so it is used as an "
                f"external image, but {miss.why}. Did you mean {miss.name!r} ({miss.key})? Correct "
                "the reference, or add the name to `aliases` of the image it means; if it is "
                "external, list it in `[oci].external_images` in pants.toml."
            )
        return miss


@rule(desc="Index the repository's images by repository")
async def index_image_repositories(all_targets: AllTargets, oci: OciSubsystem) -> ImageRepositories:
    """Collects the `repository` and `aliases` of every `oci_image` and checks they are valid
    image names (two images may share one: only a reference naming both is an error)."""
    images = [t for t in all_targets if t.has_field(OciImageRepositoryField)]
    index = ImageRepositories(
        repositories=FrozenDict(
            {t.address: t[OciImageRepositoryField].repository(t.address) for t in images}
        ),
        registries=FrozenDict(registry_addresses(oci.registries)),
        external_images=tuple(oci.external_images),
        aliases=FrozenDict(
            {
                t.address: tuple(t[OciImageAliasesField].value or ())
                for t in images
                if t.has_field(OciImageAliasesField) and t[OciImageAliasesField].value
            }
        ),
    )
    index.matcher()  # fail here, once, on an invalid name
    return index


def rules() -> Iterable[Rule]:
    return collect_rules()
