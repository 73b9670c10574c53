"""`pants package` for `oci_image` (an OCI layout + metadata JSON) and `helm_chart` (a .tgz)."""

from __future__ import annotations

import json
import logging
import posixpath
from dataclasses import dataclass
from typing import Iterable, Optional

from pants.core.goals.package import BuiltPackage, BuiltPackageArtifact, PackageFieldSet
from pants.engine.addresses import Address
from pants.engine.fs import AddPrefix, CreateDigest, Digest, FileContent, MergeDigests
from pants.engine.rules import Get, Rule, collect_rules, rule
from pants.engine.unions import UnionRule

from shipyard.helm.messages import locate, one_line
from shipyard.target_types import HelmChartMetadataField, OciImageDockerfileField
from shipyard.util_rules.chart_package import HelmChartPackageRequest, PackagedHelmChart
from shipyard.util_rules.chart_render import RenderedChartImages, RenderedChartImagesRequest, unseen_warning
from shipyard.util_rules.image_build import BuiltOciImage, OciImageBuildRequest
from shipyard.util_rules.repositories import ImageRepositories

logger = logging.getLogger(__name__)


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


@rule(desc="Package a Helm chart")
async def package_helm_chart(field_set: HelmChartPackageFieldSet) -> BuiltPackage:
    """Packages the chart with Helm (its `file://` charts vendored, its repo images stamped with
    the digests built in this run) and warns about images Helm's render shows that inference
    missed."""
    packaged = await Get(PackagedHelmChart, HelmChartPackageRequest(field_set.address))
    rendered = await Get(RenderedChartImages, RenderedChartImagesRequest(field_set.address))
    if rendered.render_error:
        location = locate(rendered.render_error, chart_name=packaged.chart_name, chart_dir=packaged.chart_dir)
        logger.warning(
            f"{location}: Helm cannot render {field_set.address} with its default values, so the "
            f"images it deploys were not checked against inference: {one_line(rendered.render_error)}"
        )
    for image in rendered.unseen:
        logger.warning(unseen_warning(field_set.address, image))
    stamped = tuple(f"stamped {s.written} → {s.stamped}" for s in packaged.stamped_images)
    return BuiltPackage(packaged.tgz, (BuiltPackageArtifact(packaged.filename, extra_log_lines=stamped),))


def rules() -> Iterable[Rule | UnionRule]:
    return (
        *collect_rules(),
        UnionRule(PackageFieldSet, OciImagePackageFieldSet),
        UnionRule(PackageFieldSet, HelmChartPackageFieldSet),
    )
