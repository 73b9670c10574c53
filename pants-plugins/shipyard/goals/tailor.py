"""`pants tailor` for the shipyard backend.

Creates `oci_image` targets for `Dockerfile` and `Dockerfile.<name>`, `helm_chart` targets for
`Chart.yaml`, and `files` targets owning the files images copy and charts package that no target
owns yet (dependency inference needs an owner for each, to keep `--changed-since` exact).

The `files` targets are globs (`**/*` over the highest directory holding used files, `*` at the
build root), so a file added later to a copied directory has an owner without a BUILD edit. They
leave out BUILD files (Pants' metadata: owning one would make the next `tailor` run edit a BUILD
file again), the files Pants' Python tailor creates targets for, and files other targets own.
Inference still depends on the file-level targets of exactly the copied files, so a README or a
test under such a glob marks no image changed.

An image whose Dockerfile cannot be resolved is skipped with a warning; everything else is written.
"""

from __future__ import annotations

import fnmatch
import logging
import posixpath
from dataclasses import dataclass
from typing import AbstractSet, Iterable, Mapping, Optional

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
from pants.engine.unions import UnionMembership, UnionRule
from pants.option.global_options import GlobalOptions
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from shipyard.subsystems.oci import OciSubsystem
from shipyard.target_types import (
    HelmChartMetadataField,
    HelmChartTarget,
    OciImageDockerfileField,
    OciImageTarget,
)
from shipyard.util_rules.chart_resolution import HelmChartFieldSet, InvalidChartError, ResolvedHelmChart
from shipyard.util_rules.dockerfile_resolution import (
    DockerfileResolution,
    DockerfileResolutionRequest,
    InvalidDockerfileError,
)
from shipyard.util_rules.file_owners import is_build_file
from shipyard.util_rules.image_resolution import OciImageFieldSet, OciImageResolutionAttempt
from shipyard.util_rules.oci_config import pants_config_paths

logger = logging.getLogger(__name__)

# What Pants' Python tailor (pants/backend/python/goals/tailor.py) creates targets for, when the
# Python backend is enabled: `python_sources`/`python_tests` and `python_requirements`. A `files`
# owner of a `.py` file would also hide it from that tailor, and files provide no modules.
PYTHON_TAILOR_GLOBS = ("*.py", "*.pyi", "*requirements*.txt")


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


def _matches_any(path: str, basename_globs: Iterable[str]) -> bool:
    return any(fnmatch.fnmatchcase(posixpath.basename(path), g) for g in basename_globs)


def needs_owner(
    path: str, claimed: AbstractSet[str], build_file_options: BuildFileOptions, left_to_others: Iterable[str]
) -> bool:
    """Whether tailor owns `path` with a `files` target: not a BUILD file, not owned by another
    target, not left to another tailor."""
    return not (
        path in claimed
        or is_build_file(path, build_file_options)
        or _matches_any(path, left_to_others)
    )


def owner_directories(paths: Iterable[str]) -> dict[str, list[str]]:
    """Groups files under the highest directory holding any of them; the build root only holds
    its own files (a recursive glob there would own the whole repository)."""
    paths = sorted(set(paths))
    directories = {posixpath.dirname(p) for p in paths}

    def top(directory: str) -> str:
        if not directory:
            return ""
        parts = directory.split("/")
        for i in range(1, len(parts) + 1):
            ancestor = "/".join(parts[:i])
            if ancestor in directories:
                return ancestor
        return directory

    grouped: dict[str, list[str]] = {}
    for path in paths:
        grouped.setdefault(top(posixpath.dirname(path)), []).append(path)
    return grouped


def glob_owner_sources(
    directory: str,
    files_in_directory: Iterable[str],
    claimed: AbstractSet[str],
    build_file_options: BuildFileOptions,
    left_to_others: Iterable[str],
) -> tuple[str, ...]:
    """The `sources` of a glob owner in `directory`: every file below it (only its own files at
    the build root) but BUILD files, what other tailors own (`left_to_others`, base-name globs)
    and the files `claimed` by other targets (named one by one)."""
    excluded = (*build_file_options.patterns, *left_to_others)
    recursive = bool(directory)
    prefix = f"{directory}/" if directory else ""
    base = "**/" if recursive else ""
    named = sorted(
        path[len(prefix):]
        for path in files_in_directory
        if path.startswith(prefix)
        and (recursive or "/" not in path[len(prefix):])
        and path in claimed
        and not _matches_any(path, excluded)
    )
    return (f"{base}*", *(f"!{base}{g}" for g in excluded), *(f"!{rel}" for rel in named))


def glob_owner_targets(
    files_by_reason: Mapping[str, str],
    listings: Mapping[str, Iterable[str]],
    claimed: AbstractSet[str],
    build_file_options: BuildFileOptions,
    left_to_others: Iterable[str],
) -> list[PutativeTarget]:
    """One glob `files` target per directory of `owner_directories`, owning the used files that
    need an owner; `listings` holds every file under each such directory."""
    left_to_others = tuple(left_to_others)
    wanted = [p for p in files_by_reason if needs_owner(p, claimed, build_file_options, left_to_others)]
    targets = []
    for directory, paths in sorted(owner_directories(wanted).items()):
        prefix = f"{directory}/" if directory else ""
        scope = "here and below" if directory else "at the repository root"
        sources = glob_owner_sources(
            directory, listings.get(directory, ()), claimed, build_file_options, left_to_others
        )
        targets.append(
            PutativeTarget.for_target_type(
                FilesGeneratorTarget,
                path=directory,
                name="files",
                triggering_sources=tuple(p[len(prefix):] for p in paths),
                kwargs={"sources": sources},
                comments=(
                    f"# {files_by_reason[paths[0]]} Owns every file {scope} but BUILD files and",
                    "# what other targets own, so that files added later have an owner too.",
                ),
            )
        )
    return targets


@rule(level=LogLevel.DEBUG, desc="Find OCI images, Helm charts and the files they use")
async def find_putative_shipyard_targets(
    request: PutativeShipyardTargetsRequest,
    all_owned_sources: AllOwnedSources,
    all_targets: AllTargets,
    oci: OciSubsystem,
    build_file_options: BuildFileOptions,
    global_options: GlobalOptions,
    union_membership: UnionMembership,
) -> PutativeTargets:
    owned = set(all_owned_sources)
    candidates = await Get(
        Paths, PathGlobs, request.path_globs("Dockerfile", "Dockerfile.*", "Chart.yaml")
    )
    existing_images = [t for t in all_targets if t.has_field(OciImageDockerfileField)]
    # Not `owned`: a Dockerfile added later under a glob owner (e.g. Dockerfile.dev beside the
    # Dockerfile) is owned by that `files` target, and still needs its image.
    built = {t[OciImageDockerfileField].file_path for t in existing_images}
    new_dockerfiles = sorted(p for p in candidates.files if is_dockerfile(p) and p not in built)
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
                # Empty: when a glob owner also owns the Dockerfile, Pants' tailor would otherwise
                # "restrict" the image to a `sources` field it does not have.
                owned_sources=(),
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
    existing_charts = [t for t in all_targets if t.has_field(HelmChartMetadataField)]
    image_attempts = await MultiGet(
        Get(OciImageResolutionAttempt, OciImageFieldSet, OciImageFieldSet.create(t))
        for t in existing_images
    )
    used: dict[str, str] = {}
    if existing_images or new_dockerfiles:
        for path in pants_config_paths(global_options):
            used.setdefault(path, "Read by every image for the [oci] options.")
    for attempt in image_attempts:
        if attempt.image is None:
            _warn_skipped(str(attempt.address), attempt.error, _IMAGE_FIX)
            continue
        resolution = attempt.image.resolution
        for path in resolution.copied_files:
            used.setdefault(path, f"Copied into the image {attempt.address}.")
        if resolution.dockerignore_path:
            used.setdefault(resolution.dockerignore_path, f"Read by the image {attempt.address}.")
    for chart_target in existing_charts:
        try:
            chart = await Get(
                ResolvedHelmChart, HelmChartFieldSet, HelmChartFieldSet.create(chart_target)
            )
        except InvalidChartError as e:
            _warn_skipped(str(chart_target.address), str(e), "Fix the chart")
            continue
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
            _warn_skipped(
                dockerfile,
                str(e),
                "Give its new oci_image target the `context` its COPY paths are relative to",
            )
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
                if path != chart_yaml:
                    used.setdefault(path, f"Part of the chart {posixpath.dirname(chart_yaml)}.")

    left_to_others = PYTHON_TAILOR_GLOBS if _python_tailor_enabled(union_membership) else ()
    claimed = owned | set(new_dockerfiles) | set(new_charts)
    directories = sorted(
        owner_directories(
            p for p in used if needs_owner(p, claimed, build_file_options, left_to_others)
        )
    )
    listings = await MultiGet(
        Get(Paths, PathGlobs([f"{d}/**" if d else "*"])) for d in directories
    )
    putative.extend(
        glob_owner_targets(
            used,
            {d: listing.files for d, listing in zip(directories, listings)},
            claimed,
            build_file_options,
            left_to_others,
        )
    )
    return PutativeTargets(putative)


_IMAGE_FIX = (
    "Fix the Dockerfile or the image's `dockerfile`/`context` fields (remove the target if its "
    "Dockerfile is gone)"
)


def _warn_skipped(what: str, error: Optional[str], fix: str) -> None:
    logger.warning(
        f"Skipping {what}: not creating owners for the files it uses. {error}\n"
        f"{fix}, then run `pants tailor ::` again. Everything else is tailored."
    )


def _python_tailor_enabled(union_membership: UnionMembership) -> bool:
    return any(
        member.__module__.startswith("pants.backend.python.")
        for member in union_membership.get(PutativeTargetsRequest)
    )


def rules() -> Iterable[Rule | UnionRule]:
    return (*collect_rules(), UnionRule(PutativeTargetsRequest, PutativeShipyardTargetsRequest))
