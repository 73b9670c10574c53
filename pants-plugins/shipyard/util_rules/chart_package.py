"""Packages a `helm_chart` with Helm's own engine: our code stamps the digests of the repo images
built in this run (or, for `release`, the references it publishes) into every values file the
chart ships that names them; Helm (through the driver) does `dependency update` for
`file://` charts and `package`, then renders the archive with its default values.

One chart is one cached Process, whose inputs are the chart's files (as `.helmignore` leaves
them, stamped) and those of its `file://` dependencies, at their build-root paths so that
Helm resolves `file://../common` itself. A second `package` with nothing changed runs none.
"""

from __future__ import annotations

import logging
import posixpath
from dataclasses import dataclass
from typing import Iterable, Mapping, Optional

from pants.engine.addresses import Address
from pants.engine.fs import (
    CreateDigest,
    Digest,
    DigestContents,
    FileContent,
    GlobMatchErrorBehavior,
    MergeDigests,
    PathGlobs,
    RemovePrefix,
)
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.engine.target import Target, WrappedTarget, WrappedTargetRequest
from pants.util.frozendict import FrozenDict

from shipyard.chart.errors import ChartError
from shipyard.chart.stamp import StampedImage, stamp_values
from shipyard.dependency_inference.chart_dependencies import LocalChartLookup
from shipyard.helm.messages import locate, one_line
from shipyard.helm.rendered_images import RenderedImage, rendered_images
from shipyard.image_ref import ImageRef
from shipyard.target_types import HelmChartAppVersionField, HelmChartVersionField
from shipyard.util_rules.chart_resolution import HelmChartFieldSet, InvalidChartError, ResolvedHelmChart
from shipyard.util_rules.helm_tool import HelmDriverRequest, HelmDriverResult, HelmFailure
from shipyard.util_rules.image_build import BuiltOciImage, OciImageBuildRequest

logger = logging.getLogger(__name__)

_OUTPUT_DIR = "__helm_out"


@dataclass(frozen=True)
class ChartSourcesRequest:
    """The files Helm needs to package (or lint) the chart at `address`.

    With `stamp`, the repo images named in values.yaml are built and their digests stamped in;
    with `image_stamps` (image address → the reference to write, `<registry>/<repository>@sha256:…`),
    those references are stamped instead and nothing is built (what `release` does).
    """

    address: Address
    stamp: bool
    image_stamps: Optional[FrozenDict[Address, str]] = None


@dataclass(frozen=True)
class ChartSources:
    """The chart's packaged files and its `file://` dependencies' (transitively), at build-root
    paths; `references` are the image references inference found in all of them."""

    chart: ResolvedHelmChart
    digest: Digest
    stamped_images: tuple[StampedImage, ...]
    references: tuple[str, ...]


async def resolve_chart(address: Address) -> ResolvedHelmChart:
    """The `helm_chart` at `address`, resolved (for rules that start from an address)."""
    wrapped = await Get(WrappedTarget, WrappedTargetRequest(address, description_of_origin="shipyard helm"))
    return await Get(ResolvedHelmChart, HelmChartFieldSet, HelmChartFieldSet.create(wrapped.target))


async def _stamps(chart: ResolvedHelmChart) -> dict[str, str]:
    """Written image name → `name@<index digest>` for each repo image named in a values file."""
    images = await MultiGet(Get(BuiltOciImage, OciImageBuildRequest(a)) for a in sorted(chart.repo_images))
    digests = {image.address: image.index_digest for image in images}
    return {
        name: f"{name}@{digests[ref.image]}"
        for ref in chart.image_references
        if ref.image is not None and ref.in_values
        for name in [ImageRef.parse(ref.reference).name]
    }


def _given_stamps(chart: ResolvedHelmChart, image_stamps: Mapping[Address, str]) -> dict[str, str]:
    """Written image name → the given reference, for each repo image named in a values file."""
    return {
        ImageRef.parse(ref.reference).name: image_stamps[ref.image]
        for ref in chart.image_references
        if ref.image is not None and ref.in_values and ref.image in image_stamps
    }


@rule(desc="Collect a Helm chart's files")
async def chart_sources(request: ChartSourcesRequest) -> ChartSources:
    chart = await resolve_chart(request.address)
    dependency_addresses = await MultiGet(
        Get(Address, LocalChartLookup(chart.chart_yaml_path, dep)) for dep in chart.local_dependencies
    )
    dependencies = await MultiGet(
        Get(ChartSources, ChartSourcesRequest(a, request.stamp, request.image_stamps))
        for a in dependency_addresses
    )
    helmignore = posixpath.join(chart.chart_dir, ".helmignore")
    contents, extra = await MultiGet(
        Get(DigestContents, PathGlobs(chart.packaged_files)),
        Get(DigestContents, PathGlobs([helmignore], glob_match_error_behavior=GlobMatchErrorBehavior.ignore)),
    )
    if request.image_stamps is not None:
        stamps = _given_stamps(chart, request.image_stamps)
    else:
        stamps = await _stamps(chart) if request.stamp else {}
    # A `file://` chart inside this one (`file://charts/sub`) comes from its own ChartSources,
    # stamped there.
    nested = tuple(f"{dep.directory}/" for dep in chart.local_dependencies)
    files = {fc.path: fc.content for fc in (*contents, *extra) if not fc.path.startswith(nested)}
    # Every values file the chart ships that names a repo image (values.yaml, values-prod.yaml,
    # an unpacked subchart's values.yaml), so that none of them deploys an unstamped image.
    values_paths = sorted({r.path for r in chart.image_references if r.in_values and r.image is not None} & set(files))
    stamped: list[StampedImage] = []
    for values_path in values_paths if stamps else ():
        try:
            text, stamped_here = stamp_values(files[values_path].decode("utf-8"), values_path, stamps)
        except (ChartError, UnicodeDecodeError) as e:
            raise InvalidChartError(str(e)) from e
        files[values_path] = text.encode("utf-8")
        stamped.extend(stamped_here)
    own = await Get(Digest, CreateDigest(FileContent(path, data) for path, data in sorted(files.items())))
    digest = await Get(Digest, MergeDigests([own, *(d.digest for d in dependencies)]))
    references = tuple(
        sorted({r.reference for r in chart.image_references} | {r for d in dependencies for r in d.references})
    )
    return ChartSources(chart, digest, tuple(stamped), references)


@dataclass(frozen=True)
class HelmChartPackageRequest:
    """Package the chart at `address`: by default stamped with this run's builds of its images and
    versioned by its fields; `release` passes the references to stamp and the versions instead."""

    address: Address
    image_stamps: Optional[FrozenDict[Address, str]] = None
    version: Optional[str] = None
    app_version: Optional[str] = None


@dataclass(frozen=True)
class PackagedHelmChart:
    """A chart archive made by Helm (`tgz` holds `filename` at its root), the references stamped
    into it, and Helm's default render of the archive (or why it did not render)."""

    address: Address
    chart_name: str
    chart_dir: str
    filename: str
    tgz: Digest
    stamped_images: tuple[StampedImage, ...]
    inferred_references: tuple[str, ...]
    rendered: FrozenDict[str, str]
    render_error: Optional[str]
    version: Optional[str] = None  # the version and appVersion asked for (None: Chart.yaml's)
    app_version: Optional[str] = None

    @property
    def rendered_images(self) -> tuple[RenderedImage, ...]:
        return rendered_images(self.rendered)


def packaging_versions(
    target: Target, version: Optional[str], app_version: Optional[str]
) -> tuple[Optional[str], Optional[str]]:
    """The version and appVersion a chart is packaged with: those asked for, else the target's
    fields; None leaves Chart.yaml's."""
    return (
        version or target[HelmChartVersionField].value,
        app_version or target[HelmChartAppVersionField].value,
    )


def helm_failure_message(
    action: str, chart: ResolvedHelmChart, failure: HelmFailure, dependency_dirs: Mapping[str, str]
) -> str:
    """`path:line: Helm cannot <action> the chart <address>: <Helm's message>`."""
    lines: dict[str, int] = {}
    for dep in chart.metadata.dependencies:
        lines[dep.name] = dep.line
        local = dep.local_path(chart.chart_dir)
        if local:
            lines.setdefault(posixpath.basename(local), dep.line)
    location = locate(
        failure.message,
        chart_name=chart.metadata.name,
        chart_dir=chart.chart_dir,
        dependency_lines=lines,
        dependency_dirs=dependency_dirs,
    )
    return f"{location}: Helm cannot {action} the chart {chart.address}: {one_line(failure.message)}"


def dependency_dirs(chart: ResolvedHelmChart) -> dict[str, str]:
    """Subchart name → the `file://` dependency's directory, to map Helm's subchart paths."""
    return {dep.name: dep.directory for dep in chart.local_dependencies}


@rule(desc="Package a Helm chart with Helm")
async def build_helm_chart(request: HelmChartPackageRequest) -> PackagedHelmChart:
    """Stamps the chart's repo images, then runs Helm's dependency update and package."""
    wrapped = await Get(
        WrappedTarget, WrappedTargetRequest(request.address, description_of_origin="shipyard package")
    )
    sources = await Get(ChartSources, ChartSourcesRequest(request.address, True, request.image_stamps))
    chart = sources.chart
    version, app_version = packaging_versions(wrapped.target, request.version, request.app_version)
    result = await Get(
        HelmDriverResult,
        HelmDriverRequest.create(
            "package",
            {
                "chart_dir": chart.chart_dir or ".",
                "dependency_update": bool(chart.local_dependencies),
                "version": version,
                "app_version": app_version,
                "output_dir": _OUTPUT_DIR,
            },
            f"helm package {chart.chart_dir or '.'}",
            input_digest=sources.digest,
            output_directories=(_OUTPUT_DIR,),
        ),
    )
    if result.failure is not None:
        raise InvalidChartError(helm_failure_message("package", chart, result.failure, dependency_dirs(chart)))
    tgz = await Get(Digest, RemovePrefix(result.digest, _OUTPUT_DIR))
    rendered = result.output.get("rendered")
    return PackagedHelmChart(
        address=request.address,
        chart_name=chart.metadata.name,
        chart_dir=chart.chart_dir,
        filename=str(result.output["archive"]),
        tgz=tgz,
        stamped_images=sources.stamped_images,
        inferred_references=sources.references,
        rendered=FrozenDict(rendered) if rendered else FrozenDict(),
        render_error=result.output.get("render_error"),
        version=version,
        app_version=app_version,
    )


def rules() -> Iterable[Rule]:
    return collect_rules()
