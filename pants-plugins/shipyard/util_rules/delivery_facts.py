"""The facts behind every edge of the delivery graph: each image's resolved Dockerfile, each
chart's image references and dependencies, and the text of the lines that make the edges.

`why-affected`, `delivery-graph` and `oci-peek` read the graph through this module, so an edge
has the same reason and location wherever it is shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Optional

from pants.engine.addresses import Address
from pants.engine.fs import DigestContents, GlobMatchErrorBehavior, PathGlobs
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.engine.target import AllTargets, Target
from pants.util.frozendict import FrozenDict

from shipyard.delivery.graph import CHART, EXTERNAL, FILE, IMAGE, TARGET, DeliveryGraph, Edge, Node
from shipyard.source_text import decode_lossless, split_lines
from shipyard.target_types import OciImageRepositoryField
from shipyard.util_rules.chart_resolution import HelmChartFieldSet, ResolvedHelmChart
from shipyard.util_rules.image_resolution import OciImageFieldSet, ResolvedOciImage
from shipyard.util_rules.oci_config import OciConfigOwners

_BASE_REASONS = {"from": "FROM in", "copy_from": "COPY --from in", "mount_from": "RUN --mount from= in"}


@dataclass(frozen=True)
class ImageFacts:
    """An `oci_image` target with its resolved Dockerfile and published repository."""

    target: Target
    resolved: ResolvedOciImage
    repository: str

    @property
    def address(self) -> Address:
        return self.target.address


@dataclass(frozen=True)
class DeliveryFacts:
    """Every image and chart of the repository, resolved, and the lines their edges quote."""

    images: tuple[ImageFacts, ...]
    charts: tuple[ResolvedHelmChart, ...]
    lines: FrozenDict[str, tuple[str, ...]]
    config_owners: tuple[Address, ...]

    @cached_property
    def _images(self) -> dict[Address, ImageFacts]:
        return {i.address: i for i in self.images}

    @cached_property
    def _charts(self) -> dict[Address, ResolvedHelmChart]:
        return {c.address: c for c in self.charts}

    def image(self, address: Address) -> Optional[ImageFacts]:
        return self._images.get(address)

    def chart(self, address: Address) -> Optional[ResolvedHelmChart]:
        return self._charts.get(address)

    def quote(self, path: str, line: int) -> Optional[str]:
        """The stripped text of `path:line`, or None when it is not known."""
        lines = self.lines.get(path)
        if not lines or not 0 < line <= len(lines):
            return None
        return lines[line - 1].strip().rstrip("\\").strip() or None


@rule(desc="Collect the facts of the delivery graph")
async def collect_delivery_facts(all_targets: AllTargets, config_owners: OciConfigOwners) -> DeliveryFacts:
    """Resolves every image and chart, and reads the Dockerfiles and chart files they name."""
    image_targets = [t for t in all_targets if OciImageFieldSet.is_applicable(t)]
    chart_targets = [t for t in all_targets if HelmChartFieldSet.is_applicable(t)]
    resolved_images = await MultiGet(
        Get(ResolvedOciImage, OciImageFieldSet, OciImageFieldSet.create(t)) for t in image_targets
    )
    charts = await MultiGet(
        Get(ResolvedHelmChart, HelmChartFieldSet, HelmChartFieldSet.create(t)) for t in chart_targets
    )
    quoted = {i.resolution.dockerfile_path for i in resolved_images}
    for chart in charts:
        quoted.add(chart.chart_yaml_path)
        quoted.update(r.path for r in chart.image_references)
    contents = await Get(
        DigestContents,
        PathGlobs(sorted(quoted), glob_match_error_behavior=GlobMatchErrorBehavior.ignore),
    )
    return DeliveryFacts(
        images=tuple(
            ImageFacts(t, r, t[OciImageRepositoryField].repository(t.address))
            for t, r in zip(image_targets, resolved_images)
        ),
        charts=tuple(charts),
        lines=FrozenDict({fc.path: tuple(split_lines(decode_lossless(fc.content))) for fc in contents}),
        config_owners=config_owners.addresses,
    )


# ---------------------------------------------------------------------------------------------
# Nodes and edges


def artifact_node(address: Address, kind: str) -> Node:
    return Node(address.spec, kind, f"{kind} {address.spec}")


def file_node(path: str) -> Node:
    return Node(path, FILE, path)


def external_node(reference: str) -> Node:
    return Node(reference, EXTERNAL, f"external image {reference}")


def address_node(target: Target, facts: DeliveryFacts) -> Node:
    """File-level targets are shown as their file; images and charts by kind and address."""
    address = target.address
    if OciImageFieldSet.is_applicable(target):
        return artifact_node(address, IMAGE)
    if HelmChartFieldSet.is_applicable(target):
        return artifact_node(address, CHART)
    if address.is_file_target:
        return file_node(address.filename)
    return Node(address.spec, TARGET, f"{target.alias} {address.spec}")


def image_reads_edge(dep: Address, image: ImageFacts, facts: DeliveryFacts) -> Optional[Edge]:
    """Why `image` reads `dep` (a base image, a copied file, its .dockerignore), or None."""
    resolution = image.resolved.resolution
    target = image.address.spec
    for base in image.resolved.base_images:
        if base.image == dep:
            return Edge(
                dep.spec, target, _BASE_REASONS.get(base.kind, "named in"),
                f"{resolution.dockerfile_path}:{base.line}", facts.quote(resolution.dockerfile_path, base.line),
            )
    if dep.is_file_target:
        path = dep.filename
        line = resolution.copy_lines.get(path)
        if line is not None:
            return Edge(
                path, target, "copied by", f"{resolution.dockerfile_path}:{line}",
                facts.quote(resolution.dockerfile_path, line),
            )
        if path == resolution.dockerignore_path:
            return Edge(path, target, "decides the build context of")
    if dep in facts.config_owners:
        return Edge(dep.filename if dep.is_file_target else dep.spec, target, "[oci] options read by")
    return None


def chart_reads_edge(dep: Address, chart: ResolvedHelmChart, facts: DeliveryFacts) -> Optional[Edge]:
    """Why `chart` reads `dep` (an image its values name, a chart dependency, a packaged file)."""
    target = chart.address.spec
    for ref in chart.image_references:
        if ref.image == dep:
            return Edge(dep.spec, target, "named by", f"{ref.path}:{ref.line}", facts.quote(ref.path, ref.line))
    dep_chart = facts.chart(dep)
    if dep_chart is not None:
        for local in chart.local_dependencies:
            if local.directory == dep_chart.chart_dir:
                return Edge(
                    dep.spec, target, "a dependency in", f"{chart.chart_yaml_path}:{local.line}",
                    facts.quote(chart.chart_yaml_path, local.line),
                )
    if dep.is_file_target:
        if dep.filename in chart.packaged_files:
            return Edge(dep.filename, target, "packaged by")
    if dep in facts.config_owners:
        return Edge(dep.filename if dep.is_file_target else dep.spec, target, "[oci] options read by")
    return None


def artifact_graph(facts: DeliveryFacts, *, sources: bool) -> DeliveryGraph:
    """Images, their base images (the repo's and external ones) and the charts naming them; with
    `sources`, also every file an image copies or a chart packages."""
    graph = DeliveryGraph()
    for image in facts.images:
        graph.add_node(artifact_node(image.address, IMAGE))
    for chart in facts.charts:
        graph.add_node(artifact_node(chart.address, CHART))
    for image in facts.images:
        resolution = image.resolved.resolution
        for base in image.resolved.base_images:
            if base.image is not None:
                edge = image_reads_edge(base.image, image, facts)
            else:
                graph.add_node(external_node(base.reference))
                edge = Edge(
                    base.reference, image.address.spec, _BASE_REASONS.get(base.kind, "named in"),
                    f"{resolution.dockerfile_path}:{base.line}", facts.quote(resolution.dockerfile_path, base.line),
                )
            if edge is not None:
                graph.add_edge(edge)
        if sources:
            for path in resolution.copied_files:
                graph.add_node(file_node(path))
                line = resolution.copy_lines.get(path)
                graph.add_edge(Edge(path, image.address.spec, "copied by", f"{resolution.dockerfile_path}:{line}"))
    for chart in facts.charts:
        for ref in chart.image_references:
            if ref.image is not None:
                graph.add_edge(Edge(ref.image.spec, chart.address.spec, "named by", f"{ref.path}:{ref.line}"))
            else:
                graph.add_node(external_node(ref.reference))
                graph.add_edge(Edge(ref.reference, chart.address.spec, "named by", f"{ref.path}:{ref.line}"))
        for local in chart.local_dependencies:
            dep = next((c for c in facts.charts if c.chart_dir == local.directory), None)
            if dep is not None:
                graph.add_edge(
                    Edge(dep.address.spec, chart.address.spec, "a dependency in", f"{chart.chart_yaml_path}:{local.line}")
                )
        if sources:
            for path in chart.packaged_files:
                graph.add_node(file_node(path))
                graph.add_edge(Edge(path, chart.address.spec, "packaged by"))
    return graph


def rules() -> Iterable[Rule]:
    return collect_rules()
