"""Traces changed files through the delivery graph: from each file, through the targets owning
it and Pants' dependents, to the images and charts they reach, every edge with its reason.

Shared by `why-affected` (the chains) and `delivery-graph` (the affected nodes).

The registry half of issue 12 ("why was this rebuilt, against what is published") plugs in here:
diffing publish's content-key input manifest against the published one yields changed files (pass
them as `changed`) and changed non-file inputs (a build arg, a moved base digest), which become
start nodes with one edge each to their image (e.g. `Edge("build arg APP_DIR", image, "read by")`).
"""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import PurePath
from typing import Optional, Sequence

from pants.backend.project_info.dependents import AddressToDependents
from pants.engine.addresses import Addresses
from pants.engine.fs import DigestContents, GlobMatchErrorBehavior, PathGlobs, Paths
from pants.engine.internals.build_files import BuildFileOptions
from pants.engine.internals.graph import Owners, OwnersRequest
from pants.engine.rules import Get, MultiGet
from pants.engine.target import Target, UnexpandedTargets
from pants.source.source_root import SourceRootsRequest, SourceRootsResult

from shipyard.delivery.graph import CHART, IMAGE, DeliveryGraph, Edge, Node
from shipyard.delivery.python_imports import import_line, module_of
from shipyard.source_text import decode_lossless
from shipyard.subsystems.oci import OciSubsystem
from shipyard.util_rules.delivery_facts import (
    DeliveryFacts,
    ImageFacts,
    address_node,
    artifact_node,
    chart_reads_edge,
    file_node,
    image_reads_edge,
)
from shipyard.util_rules.dockerfile_resolution import DockerfileResolution, DockerfileResolutionRequest
from shipyard.util_rules.file_owners import is_build_file
from shipyard.util_rules.image_resolution import OciImageFieldSet


@dataclass
class ChangeTrace:
    """The graph a set of changed files reaches (files, targets, images, charts), and which of
    the files are deleted."""

    changed: tuple[str, ...]
    deleted: tuple[str, ...]
    graph: DeliveryGraph


async def trace_changes(
    changed: Sequence[str],
    address_to_dependents: AddressToDependents,
    facts: DeliveryFacts,
    oci: OciSubsystem,
    build_file_options: BuildFileOptions,
) -> ChangeTrace:
    """Owners of the changed files, then their dependents transitively (what `--changed-since`
    with `[changed].dependents = "transitive"` selects), with a reason on every edge."""
    present = await Get(Paths, PathGlobs(changed, glob_match_error_behavior=GlobMatchErrorBehavior.ignore))
    deleted = sorted(set(changed) - set(present.files))
    owners_per_file = await MultiGet(
        Get(
            Owners,
            OwnersRequest(
                (path,), filter_by_global_options=False, match_if_owning_build_file_included_in_sources=True
            ),
        )
        for path in changed
    )

    # Everything the changed files reach in Pants' dependency graph (what --changed-since sees).
    roots = {a for owners in owners_per_file for a in owners}
    reached, pending = set(roots), list(roots)
    while pending:
        for dependent in address_to_dependents.mapping.get(pending.pop(), ()):
            if dependent not in reached:
                reached.add(dependent)
                pending.append(dependent)
    targets = await Get(UnexpandedTargets, Addresses(sorted(reached)))
    by_address = {t.address: t for t in targets}

    python_pairs = [
        (dep, by_address[reader])
        for dep in targets
        if _is_python_file(dep)
        for reader in address_to_dependents.mapping.get(dep.address, ())
        if reader in by_address and _is_python_file(by_address[reader])
    ]
    imports = await _import_lines(python_pairs)

    graph = DeliveryGraph()
    for path in changed:
        graph.add_node(file_node(path))
    for target in targets:
        graph.add_node(address_node(target, facts))
    for path, owners in zip(changed, owners_per_file):
        for owner in owners:
            graph.add_edge(_start_edge(path, by_address[owner], facts, build_file_options))
    # A deleted file: the images whose Dockerfiles would copy it, and the charts that would package
    # it, were it still there (Pants' graph cannot say: its owner is a generator nothing depends on).
    if deleted:
        images = [i for i in facts.images if any(_in_context(d, i) for d in deleted)]
        resolutions = await MultiGet(
            Get(
                DockerfileResolution,
                DockerfileResolutionRequest,
                OciImageFieldSet.create(i.target).dockerfile_request(
                    oci, assume_present=tuple(d for d in deleted if _in_context(d, i))
                ),
            )
            for i in images
        )
        for image, resolution in zip(images, resolutions):
            graph.add_node(address_node(image.target, facts))
            for path in deleted:
                line = resolution.copy_lines.get(path)
                if line is not None:
                    graph.add_edge(
                        Edge(
                            path, image.address.spec, "deleted; was copied by",
                            f"{resolution.dockerfile_path}:{line}", facts.quote(resolution.dockerfile_path, line),
                        )
                    )
        _add_deleted_chart_files(graph, deleted, facts)
    for target in targets:
        for reader in address_to_dependents.mapping.get(target.address, ()):
            if reader in by_address:
                graph.add_edge(_reads_edge(target, by_address[reader], facts, imports))
    # Images reached only through a deleted file were not in `reached`: follow them on.
    _follow_artifacts(graph, facts)

    return ChangeTrace(tuple(changed), tuple(deleted), graph)


def _add_deleted_chart_files(graph: DeliveryGraph, deleted: Sequence[str], facts: DeliveryFacts) -> None:
    """A deleted file `helm package` would have packaged (under the chart, not .helmignored)."""
    for chart in facts.charts:
        packaged = chart.would_package(deleted)
        if packaged:
            graph.add_node(artifact_node(chart.address, CHART))
        for path in packaged:
            graph.add_edge(Edge(path, chart.address.spec, "deleted; was packaged by"))


def _start_edge(path: str, owner: Target, facts: DeliveryFacts, build_file_options: BuildFileOptions) -> Edge:
    """How a changed file enters the graph through a target owning it."""
    node = address_node(owner, facts)
    image = facts.image(owner.address)
    if image is not None and image.resolved.resolution.dockerfile_path == path:
        return Edge(path, node.id, "is the Dockerfile of")
    chart = facts.chart(owner.address)
    if chart is not None and chart.chart_yaml_path == path:
        return Edge(path, node.id, "is the Chart.yaml of")
    if is_build_file(path, build_file_options):
        return Edge(path, node.id, "declares")
    return Edge(path, node.id, "owned by")


def _reads_edge(dep: Target, reader: Target, facts: DeliveryFacts, imports: dict) -> Edge:
    """Why `reader` reads `dep`, with the most specific reason known."""
    edge: Optional[Edge] = None
    image = facts.image(reader.address)
    chart = facts.chart(reader.address)
    if image is not None:
        edge = image_reads_edge(dep.address, image, facts)
    elif chart is not None:
        edge = chart_reads_edge(dep.address, chart, facts)
    if edge is not None:
        return edge
    source, target = address_node(dep, facts).id, address_node(reader, facts).id
    found = imports.get((dep.address, reader.address))
    if found is not None:
        line, text = found
        return Edge(source, target, "imported by", f"{reader.address.filename}:{line}", text)
    if dep.address.maybe_convert_to_target_generator() == reader.address:
        return Edge(source, target, "generated by")
    return Edge(source, target, "a dependency of")


async def _import_lines(pairs: list[tuple[Target, Target]]) -> dict:
    """For (imported, importer) Python file targets: the importer's line importing the module."""
    if not pairs:
        return {}
    paths = sorted({t.address.filename for pair in pairs for t in pair})
    roots, contents = await MultiGet(
        Get(SourceRootsResult, SourceRootsRequest, SourceRootsRequest.for_files(paths)),
        Get(DigestContents, PathGlobs(sorted({r.address.filename for _, r in pairs}))),
    )
    text = {fc.path: decode_lossless(fc.content) for fc in contents}

    def stripped(path: str) -> str:
        root = roots.path_to_root[PurePath(path)].path
        return path if root in ("", ".") else os.path.relpath(path, root)

    found = {}
    for dep, reader in pairs:
        reader_path = reader.address.filename
        hit = import_line(
            text.get(reader_path, ""),
            module_of(stripped(reader_path)),
            module_of(stripped(dep.address.filename)),
            importer_is_package=posixpath.basename(reader_path) == "__init__.py",
        )
        if hit is not None:
            found[(dep.address, reader.address)] = hit
    return found


def _is_python_file(target: Target) -> bool:
    return target.address.is_file_target and target.address.filename.endswith(".py") and target.alias.startswith("python_")


def _in_context(path: str, image: ImageFacts) -> bool:
    context = image.resolved.resolution.context_dir
    return not context or path.startswith(context.rstrip("/") + "/")


def _follow_artifacts(graph: DeliveryGraph, facts: DeliveryFacts) -> None:
    """Adds the image → image and image → chart edges out of every image and chart in the graph,
    transitively, so an artifact reached by an edge Pants' graph lacks leads on to its readers."""
    pending = [n for n in graph.nodes.values() if n.kind in (IMAGE, CHART)]
    seen = {n.id for n in pending}
    while pending:
        node = pending.pop()
        for image in facts.images:
            for base in image.resolved.base_images:
                if base.image is not None and base.image.spec == node.id:
                    edge = image_reads_edge(base.image, image, facts)
                    _add_followed(graph, edge, image.address.spec, IMAGE, pending, seen)
        for chart in facts.charts:
            for address in {*(r.image for r in chart.image_references if r.image is not None)} | {
                c.address for c in facts.charts if c.chart_dir in {d.directory for d in chart.local_dependencies}
            }:
                if address.spec == node.id:
                    edge = chart_reads_edge(address, chart, facts)
                    _add_followed(graph, edge, chart.address.spec, CHART, pending, seen)


def _add_followed(graph: DeliveryGraph, edge: Optional[Edge], target: str, kind: str, pending: list, seen: set) -> None:
    if edge is None:
        return
    if target not in graph.nodes:
        graph.add_node(Node(target, kind, f"{kind} {target}"))
    graph.add_edge(edge)
    if target not in seen:
        seen.add(target)
        pending.append(graph.nodes[target])
