"""Finds the builder `[oci].builder` selects and the executables it needs."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Iterable

from pants.core.util_rules.system_binaries import BinaryPathRequest, BinaryPaths, BinaryPathTest, SearchPath
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.util.frozendict import FrozenDict

from shipyard.builders.choice import BuilderChoice
from shipyard.subsystems.oci import OciSubsystem

logger = logging.getLogger(__name__)

# What each builder runs, besides python3 for the driver. skopeo resolves external base images
# to digests for both, and moves images in and out of dockerd.
REQUIRED_EXECUTABLES = {"buildah": ("buildah", "skopeo"), "docker": ("docker", "skopeo")}


class NoBuilderError(Exception):
    """No usable builder was found; the message says what to install or configure."""


@dataclass(frozen=True)
class OciBuilder:
    """The chosen builder and the absolute paths of the executables its driver runs."""

    name: str
    executables: FrozenDict[str, str]
    python: str

    @property
    def skopeo(self) -> str:
        return self.executables["skopeo"]


@rule(desc="Find the OCI image builder")
async def find_oci_builder(oci: OciSubsystem) -> OciBuilder:
    search_path = SearchPath(oci.executable_search_paths)
    names = ("buildah", "docker", "skopeo", "python3")
    found = await MultiGet(
        Get(
            BinaryPaths,
            BinaryPathRequest(
                binary_name=name,
                search_path=search_path,
                test=BinaryPathTest(
                    args=["-c", "import sys; sys.exit(sys.version_info < (3, 7))"]
                    if name == "python3"
                    else ["--version"]
                ),
            ),
        )
        for name in names
    )
    paths = {name: result.first_path.path for name, result in zip(names, found) if result.first_path}
    if "python3" not in paths:
        raise NoBuilderError(
            f"No python3 (>= 3.7) in [oci].executable_search_paths {list(search_path)}: it runs the "
            "build driver. Install python3 or add its directory to that option."
        )

    def usable(builder: str) -> bool:
        return all(exe in paths for exe in REQUIRED_EXECUTABLES[builder])

    choice = oci.builder
    if choice == BuilderChoice.AUTO:
        chosen = next((b for b in ("buildah", "docker") if usable(b)), None)
        if chosen is None:
            raise NoBuilderError(
                "No image builder found in [oci].executable_search_paths "
                f"{list(search_path)}. Install buildah and skopeo (`apt-get install buildah skopeo`), "
                "or docker and skopeo (`apt-get install docker.io skopeo`, and a running dockerd), or point "
                "[oci].executable_search_paths at where they are."
            )
        logger.info(f"[oci].builder = auto: building images with {chosen} ({paths[chosen]}).")
    else:
        chosen = choice.value
        missing = [exe for exe in REQUIRED_EXECUTABLES[chosen] if exe not in paths]
        if missing:
            raise NoBuilderError(
                f"[oci].builder = {chosen}, but {', '.join(missing)} is not in "
                f"[oci].executable_search_paths {list(search_path)}. Install it "
                f"(`apt-get install {' '.join('docker.io' if m == 'docker' else m for m in missing)}`) "
                "or choose another builder."
            )
    executables = {exe: paths[exe] for exe in REQUIRED_EXECUTABLES[chosen]}
    return OciBuilder(chosen, FrozenDict(executables), paths["python3"])


def rules() -> Iterable[Rule]:
    return collect_rules()
