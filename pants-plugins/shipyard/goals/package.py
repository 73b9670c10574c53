"""`pants package` for `oci_image` (an OCI layout + metadata JSON) and `helm_chart` (a .tgz)."""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from typing import Iterable, Optional

from pants.core.goals.package import BuiltPackage, BuiltPackageArtifact, PackageFieldSet
from pants.engine.addresses import Address
from pants.engine.fs import AddPrefix, CreateDigest, Digest, DigestContents, FileContent, MergeDigests, PathGlobs
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.engine.target import WrappedTarget, WrappedTargetRequest
from pants.engine.unions import UnionRule

from shipyard.chart.errors import ChartError
from shipyard.chart.package import PackagedChart, package_chart
from shipyard.dependency_inference.chart_dependencies import LocalChartLookup
from shipyard.image_ref import ImageRef
from shipyard.target_types import HelmChartMetadataField, OciImageDockerfileField
from shipyard.util_rules.chart_resolution import HelmChartFieldSet, InvalidChartError, ResolvedHelmChart
from shipyard.util_rules.image_build import BuiltOciImage, OciImageBuildRequest
from shipyard.util_rules.repositories import ImageRepositories


@dataclass(frozen=True)
class OciImagePackageFieldSet(PackageFieldSet):
    required_fields = (OciImageDockerfileField,)

    dockerfile: OciImageDockerfileField


@dataclass(frozen=True)
class HelmChartPackageFieldSet(PackageFieldSet):
    required_fields = (HelmChartMetadataField,)

    chart: HelmChartMetadataField


def image_output_dir(repository: str, shared_by: Optional[Address] = None) -> str:
    """`tinyolly/ui` → `images/tinyolly/ui` (under dist/). An image whose repository another image
    also builds gets a directory of its own below that: `images/demo/deploy.k8s.demo`."""
    out = posixpath.join("images", repository)
    return posixpath.join(out, shared_by.path_safe_spec) if shared_by else out


@rule(desc="Package an OCI image")
async def package_oci_image(
    field_set: OciImagePackageFieldSet, repositories: ImageRepositories
) -> BuiltPackage:
    """Writes the image's OCI layout (an index with every platform) and a JSON describing it."""
    built = await Get(BuiltOciImage, OciImageBuildRequest(field_set.address))
    shared = repositories.shares_repository(field_set.address)
    out = image_output_dir(built.repository, field_set.address if shared else None)
    metadata = await Get(
        Digest,
        CreateDigest([FileContent(f"{out}/image.json", (json.dumps(built.metadata(), indent=2) + "\n").encode())]),
    )
    layout = await Get(Digest, AddPrefix(built.layout, f"{out}/oci"))
    digest = await Get(Digest, MergeDigests([layout, metadata]))
    platforms = ", ".join(p for p, _ in built.manifests)
    return BuiltPackage(
        digest,
        (
            BuiltPackageArtifact(
                f"{out}/oci",
                extra_log_lines=(f"{built.repository}@{built.index_digest} ({platforms})",),
            ),
            BuiltPackageArtifact(f"{out}/image.json"),
        ),
    )


@dataclass(frozen=True)
class HelmChartPackageRequest:
    address: Address


@dataclass(frozen=True)
class PackagedHelmChart:
    address: Address
    filename: str
    tgz: Digest
    chart: PackagedChart = field(compare=False, hash=False)


@rule(desc="Package a Helm chart")
async def build_helm_chart(request: HelmChartPackageRequest) -> PackagedHelmChart:
    """Packages the chart's files with its `file://` charts vendored and its repo images stamped
    with the digests built in this run."""
    wrapped = await Get(
        WrappedTarget, WrappedTargetRequest(request.address, description_of_origin="shipyard package")
    )
    chart = await Get(ResolvedHelmChart, HelmChartFieldSet, HelmChartFieldSet.create(wrapped.target))
    prefix = f"{chart.chart_dir}/" if chart.chart_dir else ""
    dependency_addresses = await MultiGet(
        Get(Address, LocalChartLookup(chart.chart_yaml_path, dep)) for dep in chart.local_dependencies
    )
    contents = await Get(DigestContents, PathGlobs(chart.packaged_files))
    dependencies = await MultiGet(
        Get(PackagedHelmChart, HelmChartPackageRequest(a)) for a in dependency_addresses
    )
    images = await MultiGet(Get(BuiltOciImage, OciImageBuildRequest(a)) for a in sorted(chart.repo_images))
    digests = {image.address: image.index_digest for image in images}
    stamps = {
        name: f"{name}@{digests[ref.image]}"
        for ref in chart.image_references
        if ref.image is not None and ref.in_values
        for name in [ImageRef.parse(ref.reference).name]
    }
    try:
        packaged = package_chart(
            {fc.path[len(prefix):]: fc.content for fc in contents},
            {dep.name: packaged.chart for dep, packaged in zip(chart.local_dependencies, dependencies)},
            image_stamps=stamps,
            source_dir=chart.chart_dir,
        )
    except (ChartError, ValueError) as e:
        raise InvalidChartError(str(e)) from e
    tgz = await Get(Digest, CreateDigest([FileContent(packaged.filename, packaged.tgz_bytes)]))
    return PackagedHelmChart(request.address, packaged.filename, tgz, packaged)


@rule(desc="Package a Helm chart")
async def package_helm_chart(field_set: HelmChartPackageFieldSet) -> BuiltPackage:
    packaged = await Get(PackagedHelmChart, HelmChartPackageRequest(field_set.address))
    stamped = tuple(f"stamped {s.written} → {s.stamped}" for s in packaged.chart.stamped_images)
    return BuiltPackage(packaged.tgz, (BuiltPackageArtifact(packaged.filename, extra_log_lines=stamped),))


def rules() -> Iterable[Rule | UnionRule]:
    return (
        *collect_rules(),
        UnionRule(PackageFieldSet, OciImagePackageFieldSet),
        UnionRule(PackageFieldSet, HelmChartPackageFieldSet),
    )
