"""Infers a `helm_chart`'s dependencies: its packaged files (and, in a `--changed-since` run, the
owners of those deleted), its `file://` charts, its images."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from pants.base.specs import DirLiteralSpec, RawSpecsWithoutFileOwners
from pants.engine.addresses import Address
from pants.engine.fs import GlobMatchErrorBehavior
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.engine.target import (
    InferDependenciesRequest,
    InferredDependencies,
    Targets,
    WrappedTarget,
    WrappedTargetRequest,
)
from pants.engine.unions import UnionRule

from shipyard.util_rules.chart_resolution import (
    HelmChartFieldSet,
    LocalChartDependency,
    ResolvedHelmChart,
)
from shipyard.util_rules.deleted_files import (
    DeletedFileOwners,
    DeletedFileOwnersRequest,
    DeletedFilesUnder,
    DeletedFilesUnderRequest,
)
from shipyard.util_rules.file_owners import FileOwners, FileOwnersRequest, UnownedFilesError
from shipyard.target_types import HelmChartMetadataField
from shipyard.util_rules.oci_config import OciConfigOwners


class MissingChartDependencyError(Exception):
    """A `file://` dependency in Chart.yaml has no `helm_chart` target at that directory."""


class ChartDependencyCycleError(Exception):
    """Local charts depend on each other in a loop (`file://` both ways): Helm cannot package them."""


@dataclass(frozen=True)
class _ChartEdge:
    """`source`'s Chart.yaml names `target` as a `file://` dependency at `line`."""

    source: Address
    chart_yaml_path: str
    name: str
    line: int
    target: Address


def cycle_message(edges: list[_ChartEdge]) -> str:
    """Names every chart of a dependency cycle with the Chart.yaml line that closes each step."""
    steps = "\n".join(
        f"  {e.chart_yaml_path}:{e.line}: chart `{e.source}` depends on `{e.name}` (`{e.target}`)"
        for e in edges
    )
    return (
        f"{edges[0].chart_yaml_path}:{edges[0].line}: the local chart dependencies form a cycle:\n"
        f"{steps}\n  hint: Helm cannot vendor charts that depend on each other; remove one of "
        "these `dependencies` entries (move what both need into a third chart both depend on)."
    )


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
    the target owning pants.toml (registry addresses are stamped into packaged charts). In a
    `--changed-since` run, also on the owners of deleted files the chart packaged."""
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
    # Walk the local charts reachable from this one, level by level, to name a cycle back to it
    # with its Chart.yaml lines (Pants' own cycle error speaks of rules and Python imports).
    edges = [
        _ChartEdge(chart.address, chart.chart_yaml_path, dep.name, dep.line, target)
        for dep, target in zip(chart.local_dependencies, local_charts)
    ]
    reached_by: dict[Address, _ChartEdge] = {}
    while edges:
        for edge in edges:
            if edge.target == chart.address:
                path = [edge]
                while path[0].source != chart.address:
                    path.insert(0, reached_by[path[0].source])
                raise ChartDependencyCycleError(cycle_message(path))
        fresh = [e for e in edges if e.target not in reached_by]
        for edge in fresh:
            reached_by.setdefault(edge.target, edge)
        targets = await MultiGet(
            Get(WrappedTarget, WrappedTargetRequest(a, description_of_origin=f"the chart {chart.address}"))
            for a in dict.fromkeys(e.target for e in fresh)
        )
        charts = await MultiGet(
            Get(ResolvedHelmChart, HelmChartFieldSet, HelmChartFieldSet.create(t.target)) for t in targets
        )
        lookups = [(c, dep) for c in charts for dep in c.local_dependencies]
        found = await MultiGet(
            Get(Address, LocalChartLookup(c.chart_yaml_path, dep)) for c, dep in lookups
        )
        edges = [
            _ChartEdge(c.address, c.chart_yaml_path, dep.name, dep.line, target)
            for (c, dep), target in zip(lookups, found)
            if target not in reached_by or target == chart.address
        ]
    # In a `--changed-since` run: the owners of deleted files the chart packaged.
    deleted = await Get(DeletedFilesUnder, DeletedFilesUnderRequest(chart.chart_dir))
    deleted_owners: tuple[Address, ...] = ()
    if deleted.paths:
        packaged = chart.would_package(deleted.paths)
        found = await Get(DeletedFileOwners, DeletedFileOwnersRequest(packaged, chart.address))
        deleted_owners = found.addresses
    return InferredDependencies(
        sorted(
            owners.addresses(excluding=[chart.address])
            | set(deleted_owners)
            | set(local_charts)
            | chart.repo_images
            | set(config_owners.addresses)
        )
    )


def rules() -> Iterable[Rule | UnionRule]:
    return (*collect_rules(), UnionRule(InferDependenciesRequest, InferHelmChartDependencies))
