"""Infers a `helm_chart`'s dependencies: its packaged files, its `file://` charts, its images."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from pants.base.specs import DirLiteralSpec, RawSpecsWithoutFileOwners
from pants.engine.addresses import Address
from pants.engine.fs import GlobMatchErrorBehavior
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.engine.target import InferDependenciesRequest, InferredDependencies, Targets
from pants.engine.unions import UnionRule

from shipyard.util_rules.chart_resolution import (
    HelmChartFieldSet,
    LocalChartDependency,
    ResolvedHelmChart,
)
from shipyard.util_rules.file_owners import FileOwners, FileOwnersRequest, UnownedFilesError
from shipyard.target_types import HelmChartMetadataField
from shipyard.util_rules.oci_config import OciConfigOwners


class MissingChartDependencyError(Exception):
    """A `file://` dependency in Chart.yaml has no `helm_chart` target at that directory."""


class InferHelmChartDependencies(InferDependenciesRequest):
    infer_from = HelmChartFieldSet


@dataclass(frozen=True)
class LocalChartLookup:
    chart_yaml_path: str
    dependency: LocalChartDependency


@rule(desc="Find the helm_chart of a file:// chart dependency")
async def find_local_chart(lookup: LocalChartLookup) -> Address:
    dep = lookup.dependency
    if dep.directory == ".." or dep.directory.startswith("../") or dep.directory.startswith("/"):
        raise MissingChartDependencyError(
            f"{dep.path}:{dep.line}: the dependency {dep.name!r} points at "
            f"{dep.directory}, outside the repository. Vendor the chart into the repository, or "
            "fetch it from a chart repository (`repository: https://...` or `oci://...`)."
        )
    targets = await Get(
        Targets,
        RawSpecsWithoutFileOwners(
            dir_literals=(DirLiteralSpec(dep.directory),),
            description_of_origin=f"{dep.path}:{dep.line}",
            unmatched_glob_behavior=GlobMatchErrorBehavior.ignore,
        ),
    )
    charts = [t.address for t in targets if t.has_field(HelmChartMetadataField)]
    if len(charts) != 1:
        found = "no helm_chart target" if not charts else f"{len(charts)} helm_chart targets"
        raise MissingChartDependencyError(
            f"{dep.path}:{dep.line}: the dependency {dep.name!r} is the local chart "
            f"{dep.directory}/, which has {found}. Add `helm_chart(name=\"{dep.name}\")` to "
            f"{dep.directory}/BUILD (or run `pants tailor ::`), or fix its `repository: file://...`."
        )
    return charts[0]


@rule(desc="Infer a Helm chart's dependencies")
async def infer_helm_chart_dependencies(
    request: InferHelmChartDependencies, config_owners: OciConfigOwners
) -> InferredDependencies:
    """Depends on the owners of the files `helm package` would include, the charts named by
    `file://` dependencies, the `oci_image` targets whose repository values/templates name, and
    the target owning pants.toml (registry addresses are stamped into packaged charts)."""
    chart = await Get(ResolvedHelmChart, HelmChartFieldSet, request.field_set)
    owners = await Get(
        FileOwners,
        FileOwnersRequest(chart.packaged_files, description_of_origin=f"the chart {chart.address}"),
    )
    if owners.unowned:
        raise UnownedFilesError.create(
            f"The chart {chart.address}",
            ((path, "packaged by `helm package`: not excluded by .helmignore") for path in owners.unowned),
            f"Own them with a `files` target in {chart.chart_dir or '.'}/BUILD, e.g. "
            '`files(name="chart-files", sources=["**/*", "!BUILD", "!Chart.yaml"])`, or run '
            "`pants tailor ::`; or list them in .helmignore if they do not belong in the chart.",
        )
    local_charts = await MultiGet(
        Get(Address, LocalChartLookup(chart.chart_yaml_path, dep)) for dep in chart.local_dependencies
    )
    return InferredDependencies(
        sorted(
            owners.addresses(excluding=[chart.address])
            | set(local_charts)
            | chart.repo_images
            | set(config_owners.addresses)
        )
    )


def rules() -> Iterable[Rule | UnionRule]:
    return (*collect_rules(), UnionRule(InferDependenciesRequest, InferHelmChartDependencies))
