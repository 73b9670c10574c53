"""Makes changes to the `[oci]` options visible to `--changed-since`.

Registries, platforms and the other `[oci]` options live in pants.toml, which `--changed-since`
does not see (Pants' own docker backend misses such changes: pantsbuild/pants#14724). Our choice:
every `oci_image` depends on the target that owns the Pants config files, so editing pants.toml
marks every image changed. That over-approximates (an unrelated edit to pants.toml rebuilds
images too), which is the safe side; `publish` skips pushing images whose digests did not change.
If no target owns pants.toml, a warning says how to fix it, instead of missing changes silently.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from typing import Iterable

from pants.base.build_environment import get_buildroot
from pants.engine.addresses import Address
from pants.engine.rules import Get, Rule, collect_rules, rule
from pants.option.global_options import GlobalOptions

from shipyard.util_rules.file_owners import FileOwners, FileOwnersRequest

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OciConfigOwners:
    """The targets owning the Pants config files (usually `//:pants-config` owning pants.toml)."""

    addresses: tuple[Address, ...]


def pants_config_paths(global_options: GlobalOptions) -> tuple[str, ...]:
    """The Pants config files inside the build root (build-root relative), e.g. `pants.toml`."""
    buildroot = get_buildroot()
    return tuple(
        os.path.relpath(path, buildroot)
        for path in global_options.pants_config_files
        if os.path.abspath(path).startswith(buildroot + os.sep)
    )


@rule(desc="Find the targets owning the Pants config files")
async def find_oci_config_owners(global_options: GlobalOptions) -> OciConfigOwners:
    config_files = pants_config_paths(global_options)
    owners = await Get(
        FileOwners, FileOwnersRequest(config_files, description_of_origin="the [oci] options")
    )
    if owners.unowned:
        logger.warning(
            f"No target owns {', '.join(owners.unowned)}, so `--changed-since` cannot see changes to "
            "the [oci] options (registries, platforms) that images are built and published with. "
            'Add `files(name="pants-config", sources=["pants.toml"])` to the root BUILD file.'
        )
    return OciConfigOwners(tuple(sorted(owners.addresses())))


def rules() -> Iterable[Rule]:
    return collect_rules()
