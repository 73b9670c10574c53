"""`pants tailor` for the shipyard backend.

Creates `oci_image` targets for `Dockerfile` and `Dockerfile.<name>`, `helm_chart` targets for
`Chart.yaml`, and `files` targets owning the files images copy and charts package that no target
owns yet (dependency inference needs an owner for each, to keep `--changed-since` exact).
Python files are left to Pants' Python tailor, which creates `python_sources` for them.
"""

from __future__ import annotations

import logging
import posixpath
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Mapping

from pants.core.goals.tailor import (
    AllOwnedSources,
    PutativeTarget,
    PutativeTargets,
    PutativeTargetsRequest,
)
from pants.core.target_types import FilesGeneratorTarget
from pants.engine.fs import PathGlobs, Paths
from pants.engine.internals.build_files import BuildFileOptions
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.engine.target import AllTargets
from pants.engine.unions import UnionRule
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from shipyard.subsystems.oci import OciSubsystem
from shipyard.target_types import (
    HelmChartMetadataField,
    HelmChartTarget,
    OciImageDockerfileField,
    OciImageTarget,
)
from shipyard.util_rules.chart_resolution import HelmChartFieldSet, ResolvedHelmChart
from shipyard.util_rules.dockerfile_resolution import (
    DockerfileResolution,
    DockerfileResolutionRequest,
    InvalidDockerfileError,
)
from shipyard.util_rules.file_owners import is_build_file
from shipyard.util_rules.image_resolution import OciImageFieldSet, ResolvedOciImage

logger = logging.getLogger(__name__)

# Files other tailors create owners for.
_LEFT_TO_OTHER_TAILORS = (".py", ".pyi")


@dataclass(frozen=True)
class PutativeShipyardTargetsRequest(PutativeTargetsRequest):
    pass


def image_target_name(dockerfile_path: str) -> str:
    """`Dockerfile.python-base` → `python-base`; `apps/demo/Dockerfile` → `demo`."""
    directory, filename = posixpath.split(dockerfile_path)
    if filename.startswith("Dockerfile."):
        return filename[len("Dockerfile."):]
    return posixpath.basename(directory) or "image"


def is_dockerfile(path: str) -> bool:
    filename = posixpath.basename(path)
    return filename == "Dockerfile" or (
        filename.startswith("Dockerfile.") and not filename.endswith(".dockerignore")
    )


def ownership_targets(files_by_reason: Mapping[str, str], owned: set[str]) -> list[PutativeTarget]:
    """One `files` target per directory owning that directory's unowned files."""
    by_directory: dict[str, list[str]] = defaultdict(list)
    reasons: dict[str, str] = {}
    for path, reason in files_by_reason.items():
        if path in owned or path.endswith(_LEFT_TO_OTHER_TAILORS):
            continue
        directory, filename = posixpath.split(path)
        by_directory[directory].append(filename)
        reasons.setdefault(directory, reason)
    return [
        PutativeTarget.for_target_type(
            FilesGeneratorTarget,
            path=directory,
            name="files",
            triggering_sources=tuple(sorted(filenames)),
            kwargs={"sources": tuple(sorted(filenames))},
            comments=(f"# {reasons[directory]}",),
        )
        for directory, filenames in sorted(by_directory.items())
    ]


@rule(level=LogLevel.DEBUG, desc="Find OCI images, Helm charts and the files they use")
async def find_putative_shipyard_targets(
    request: PutativeShipyardTargetsRequest,
    all_owned_sources: AllOwnedSources,
    all_targets: AllTargets,
    oci: OciSubsystem,
    build_file_options: BuildFileOptions,
) -> PutativeTargets:
    owned = set(all_owned_sources)
    candidates = await Get(
        Paths, PathGlobs, request.path_globs("Dockerfile", "Dockerfile.*", "Chart.yaml")
    )
    new_dockerfiles = sorted(p for p in candidates.files if is_dockerfile(p) and p not in owned)
    new_charts = sorted(p for p in candidates.files if p.endswith("Chart.yaml") and p not in owned)

    putative: list[PutativeTarget] = []
    for dockerfile in new_dockerfiles:
        directory, filename = posixpath.split(dockerfile)
        # Built directly: for_target_type() only knows fields aliased `source`/`sources`.
        putative.append(
            PutativeTarget(
                directory,
                image_target_name(dockerfile),
                OciImageTarget.alias,
                triggering_sources=(filename,),
                owned_sources=(filename,),
                kwargs={} if filename == OciImageDockerfileField.default else {"dockerfile": filename},
            )
        )
    for chart_yaml in new_charts:
        directory = posixpath.dirname(chart_yaml)
        putative.append(
            PutativeTarget(
                directory,
                posixpath.basename(directory) or "chart",
                HelmChartTarget.alias,
                triggering_sources=("Chart.yaml",),
                owned_sources=("Chart.yaml",),
            )
        )

    # The files used by existing targets, and by new Dockerfiles with their default context.
    existing_images = [t for t in all_targets if t.has_field(OciImageDockerfileField)]
    existing_charts = [t for t in all_targets if t.has_field(HelmChartMetadataField)]
    resolved_images = await MultiGet(
        Get(ResolvedOciImage, OciImageFieldSet, OciImageFieldSet.create(t)) for t in existing_images
    )
    resolved_charts = await MultiGet(
        Get(ResolvedHelmChart, HelmChartFieldSet, HelmChartFieldSet.create(t)) for t in existing_charts
    )
    used: dict[str, str] = {}
    for image in resolved_images:
        for path in image.resolution.copied_files:
            used.setdefault(path, f"Copied into the image {image.address}.")
        if image.resolution.dockerignore_path:
            used.setdefault(image.resolution.dockerignore_path, f"Read by the image {image.address}.")
    for chart in resolved_charts:
        for path in chart.packaged_files:
            if path != chart.chart_yaml_path:
                used.setdefault(path, f"Packaged into the chart {chart.address}.")
    for dockerfile in new_dockerfiles:
        try:
            resolution = await Get(
                DockerfileResolution,
                DockerfileResolutionRequest(
                    dockerfile, posixpath.dirname(dockerfile), FrozenDict(), None, tuple(oci.platforms)
                ),
            )
        except InvalidDockerfileError as e:
            # Its context is probably not its directory: the image target needs a `context` first.
            logger.warning(f"Not creating owners for the files {dockerfile} copies: {e}")
            continue
        for path in resolution.copied_files:
            if path != dockerfile:
                used.setdefault(path, f"Copied by {dockerfile}.")
        if resolution.dockerignore_path:
            used.setdefault(resolution.dockerignore_path, f"Read by {dockerfile}.")
    if new_charts:
        chart_listings = await MultiGet(
            Get(Paths, PathGlobs([f"{posixpath.dirname(c)}/**"])) for c in new_charts
        )
        for chart_yaml, listing in zip(new_charts, chart_listings):
            for path in listing.files:
                if path != chart_yaml and not is_build_file(path, build_file_options):
                    used.setdefault(path, f"Part of the chart {posixpath.dirname(chart_yaml)}.")

    putative.extend(ownership_targets(used, owned))
    return PutativeTargets(putative)


def rules() -> Iterable[Rule | UnionRule]:
    return (*collect_rules(), UnionRule(PutativeTargetsRequest, PutativeShipyardTargetsRequest))
