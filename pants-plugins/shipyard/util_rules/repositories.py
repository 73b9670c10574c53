"""The index of this repository's images by published name, for matching FROM lines and charts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from pants.engine.addresses import Address
from pants.engine.rules import Rule, collect_rules, rule
from pants.engine.target import AllTargets
from pants.util.frozendict import FrozenDict

from shipyard.image_ref import RepositoryConflictError, RepositoryMatcher
from shipyard.subsystems.oci import OciSubsystem
from shipyard.target_types import OciImageRepositoryField


class RepositoryConfigurationError(Exception):
    """Two images claim one repository, or a repository/registry is not a valid image name."""


@dataclass(frozen=True)
class ImageRepositories:
    """Every `oci_image` of the repo by repository, and the configured registries."""

    repositories: FrozenDict[Address, str]
    registries: FrozenDict[str, str]

    def matcher(self) -> RepositoryMatcher[Address]:
        """A matcher naming the image a reference points at (bare, registry-qualified, Docker Hub).

        Built on first use and kept: the engine hands every image and chart the same index, and
        rebuilding the matcher for each of them costs images² name parses.
        """
        cached = self.__dict__.get("_matcher")
        if cached is None:
            try:
                cached = RepositoryMatcher(self.repositories, self.registries)
            except (RepositoryConflictError, ValueError) as e:
                raise RepositoryConfigurationError(
                    f"{e}\n(`repository` fields of `oci_image` targets; `[oci].registries` in pants.toml)"
                ) from e
            object.__setattr__(self, "_matcher", cached)  # a cache, not a field: eq/hash unchanged
        return cached


@rule(desc="Index the repository's images by repository")
async def index_image_repositories(all_targets: AllTargets, oci: OciSubsystem) -> ImageRepositories:
    """Collects the `repository` of every `oci_image` and checks they form one unambiguous index."""
    repositories = FrozenDict(
        {
            t.address: t[OciImageRepositoryField].repository(t.address)
            for t in all_targets
            if t.has_field(OciImageRepositoryField)
        }
    )
    index = ImageRepositories(repositories, FrozenDict(oci.registries))
    index.matcher()  # fail here, once, with both conflicting images named
    return index


def rules() -> Iterable[Rule]:
    return collect_rules()
