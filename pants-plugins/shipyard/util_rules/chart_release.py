"""A chart as `release` publishes it: stamped with the published image digests, packaged by Helm,
checked against Helm's render, and given a content key.

    Get(ChartImageAddresses, ChartImagesRequest(address))   # the repo images it stamps
    Get(ChartReleaseKeyResult, ReleaseChartRequest(address, stamps, version, app_version))  # no Helm
    Get(ReleasedChart, ReleaseChartRequest(address, stamps, version, app_version))

The content key covers exactly what the archive is made of: the chart's files as packaged (after
stamping, so it includes the image digests; `file://` charts included), the version and
appVersion it is packaged with, and the Helm driver. A registry holding `inputs-<key>` for the
chart already has this exact chart. The key is known before Helm runs, so a chart the registry
has is neither packaged nor rendered again.
"""

from __future__ import annotations

import hashlib
import json
import pkgutil
from dataclasses import dataclass
from typing import Iterable, Optional

from pants.engine.addresses import Address
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.engine.target import WrappedTarget, WrappedTargetRequest
from pants.util.frozendict import FrozenDict
from pants.util.logging import LogLevel

from shipyard.dependency_inference.chart_dependencies import LocalChartLookup
from shipyard.image_ref import ImageRef
from shipyard.publish.chart_check import RenderedReference, WrittenReference, unpinned_images
from shipyard.util_rules.chart_package import (
    ChartSources,
    ChartSourcesRequest,
    HelmChartPackageRequest,
    PackagedHelmChart,
    packaging_versions,
    resolve_chart,
)
from shipyard.util_rules.chart_render import template_path
from shipyard.util_rules.chart_resolution import InvalidChartError
from shipyard.util_rules.repositories import ImageRepositories


@dataclass(frozen=True)
class ChartImagesRequest:
    address: Address


@dataclass(frozen=True)
class ChartImageAddresses:
    """The repo images a chart names in its values and templates, its `file://` charts' included,
    and the chart's name (Chart.yaml's `name`)."""

    addresses: tuple[Address, ...]
    chart_name: str


@rule(desc="Find the images a Helm chart deploys")
async def chart_image_addresses(request: ChartImagesRequest) -> ChartImageAddresses:
    chart = await resolve_chart(request.address)
    dependencies = await MultiGet(
        Get(Address, LocalChartLookup(chart.chart_yaml_path, dep)) for dep in chart.local_dependencies
    )
    nested = await MultiGet(Get(ChartImageAddresses, ChartImagesRequest(a)) for a in dependencies)
    found = set(chart.repo_images) | {a for n in nested for a in n.addresses}
    return ChartImageAddresses(tuple(sorted(found)), chart.metadata.name)


@dataclass(frozen=True)
class ReleaseChartRequest:
    """Package the chart at `address` for release: `image_stamps` maps each repo image it names to
    the reference to write (`<registry address>/<repository>@sha256:…`); `version`/`app_version`
    replace Chart.yaml's when given."""

    address: Address
    image_stamps: FrozenDict[Address, str]
    version: Optional[str] = None
    app_version: Optional[str] = None


@dataclass(frozen=True)
class ChartReleaseKey:
    """The content key a chart would be released under and the version it would carry (the one
    asked for, else Chart.yaml's), from its stamped files alone, without Helm."""

    key: str
    version: str


@dataclass(frozen=True)
class ChartReleaseKeyResult:
    """A chart's `ChartReleaseKey`, or why the chart cannot be read or stamped (`problem`)."""

    key: Optional[ChartReleaseKey]
    problem: Optional[str] = None


@dataclass(frozen=True)
class ReleasedChart:
    """The packaged chart (None: Helm refused it) and why it must not be pushed (empty: it may).
    Its content key is the `ChartReleaseKey` of the same request."""

    packaged: Optional[PackagedHelmChart]
    problems: tuple[str, ...]


def chart_content_key(files_fingerprint: str, files_size: int, version: Optional[str], app_version: Optional[str]) -> str:
    driver = pkgutil.get_data("shipyard.helm", "driver.py") or b""
    document = {
        "files": [files_fingerprint, files_size],
        "version": version,
        "app_version": app_version,
        "driver": hashlib.sha256(driver).hexdigest(),
    }
    return hashlib.sha256(json.dumps(document, sort_keys=True).encode()).hexdigest()


@rule(desc="Compute a Helm chart's release key", level=LogLevel.DEBUG)
async def chart_release_key(request: ReleaseChartRequest) -> ChartReleaseKeyResult:
    """Stamps the chart's files as `release_chart` packages them and hashes them with the versions
    (`chart_content_key`). A chart that cannot be read or stamped gives its problem instead of
    failing, so that the keys of all charts can be asked for at once."""
    try:
        wrapped = await Get(
            WrappedTarget, WrappedTargetRequest(request.address, description_of_origin="shipyard release")
        )
        sources = await Get(ChartSources, ChartSourcesRequest(request.address, True, request.image_stamps))
    except InvalidChartError as e:
        return ChartReleaseKeyResult(None, str(e))
    version, app_version = packaging_versions(wrapped.target, request.version, request.app_version)
    key = chart_content_key(sources.digest.fingerprint, sources.digest.serialized_bytes_length, version, app_version)
    return ChartReleaseKeyResult(ChartReleaseKey(key, version or sources.chart.metadata.version))


def _spec(address: Optional[Address]) -> Optional[str]:
    return address.spec if address is not None else None


@rule(desc="Package a Helm chart for release")
async def release_chart(request: ReleaseChartRequest, repositories: ImageRepositories) -> ReleasedChart:
    """Stamps, packages and renders the chart; checks every rendered repo image is pinned to the
    digest being released (`publish/chart_check.py`). A chart Helm refuses gives its problem
    instead of failing, so that charts can be packaged side by side and every refusal reported."""
    try:
        chart = await resolve_chart(request.address)
        packaged = await Get(
            PackagedHelmChart,
            HelmChartPackageRequest(request.address, request.image_stamps, request.version, request.app_version),
        )
    except InvalidChartError as e:
        return ReleasedChart(None, (str(e),))
    spec = request.address.spec
    if packaged.render_error is not None:
        problem = (
            f"{chart.chart_yaml_path}: Helm cannot render {spec} with its default values, so release "
            f"cannot check which images it deploys: {packaged.render_error}. Give every required "
            "value a default in values.yaml."
        )
        return ReleasedChart(packaged, (problem,))
    matcher = repositories.matcher()
    rendered = [
        RenderedReference(
            image.reference,
            template_path(packaged.chart_dir, image.template),
            _spec(matcher.match(image.reference)),
        )
        for image in packaged.rendered_images
    ]
    published = {
        address.spec: digest
        for address, stamp in request.image_stamps.items()
        for digest in [ImageRef.parse(stamp).digest]
        if digest is not None
    }
    written = [
        WrittenReference(r.image.spec, r.path, r.line) for r in chart.image_references if r.image is not None
    ]
    return ReleasedChart(packaged, tuple(unpinned_images(spec, rendered, published, written)))


def rules() -> Iterable[Rule]:
    return collect_rules()
