"""`pants delivery-graph`: the delivery graph as a picture (Graphviz DOT, Mermaid, and SVG when
Graphviz's `dot` is installed): source directories → images → base images → charts.

    pants delivery-graph                                   # everything, sources by directory
    pants --changed-since=main delivery-graph              # affected nodes highlighted
    pants delivery-graph --focus=dockerfiles:ui --radius=1 # one artifact's neighbourhood
"""

from __future__ import annotations

from enum import Enum
from typing import Iterable

from pants.backend.project_info.dependents import AddressToDependents
from pants.base.specs import Specs
from pants.engine.console import Console
from pants.engine.fs import AddPrefix, CreateDigest, Digest, FileContent, MergeDigests, Workspace
from pants.engine.goal import Goal, GoalSubsystem
from pants.engine.internals.build_files import BuildFileOptions
from pants.engine.process import Process, ProcessResult
from pants.engine.rules import Get, Rule, collect_rules, goal_rule
from pants.core.util_rules.system_binaries import BinaryPathRequest, BinaryPaths, BinaryPathTest
from pants.option.option_types import EnumOption, IntOption, StrOption
from pants.util.strutil import help_text

from shipyard.delivery.graph import ARTIFACT_KINDS, CHART, FILE, IMAGE, DeliveryGraph, directory_of
from shipyard.delivery.render import to_dot, to_mermaid
from shipyard.subsystems.oci import OciSubsystem
from shipyard.util_rules.change_trace import trace_changes
from shipyard.util_rules.delivery_facts import DeliveryFacts, artifact_graph


class SourcesShown(Enum):
    none = "none"
    directories = "directories"
    files = "files"


class DeliveryGraphSubsystem(GoalSubsystem):
    name = "delivery-graph"
    help = help_text(
        """
        Write the delivery graph (the files images copy, images, their base images in the repo
        and outside it, and the charts naming them) as Graphviz DOT (`delivery.dot`), Mermaid
        (`delivery.mmd`) and, when Graphviz's `dot` is on the PATH, SVG (`delivery.svg`). With
        `--changed-since` or file arguments, the affected nodes are highlighted.
        """
    )

    sources = EnumOption(
        default=SourcesShown.directories,
        help="Show the sources feeding images and charts: `none`, `directories` (collapsed, see `--depth`) or `files`.",
    )
    depth = IntOption(
        default=2,
        help="With `--sources=directories`, cut directories to this many path components (`apps/ui/`); 0 keeps them whole.",
    )
    focus = StrOption(
        default=None,
        help="Show only the neighbourhood of this node: an image or chart address (`dockerfiles:ui`), an external image reference or a path.",
    )
    radius = IntOption(default=1, help="With `--focus`, how many edges away from it to show.")
    output_dir = StrOption(default="dist/delivery-graph", help="Where to write the files, relative to the build root.")


class DeliveryGraphGoal(Goal):
    subsystem_cls = DeliveryGraphSubsystem
    environment_behavior = Goal.EnvironmentBehavior.LOCAL_ONLY


def show_sources(graph: DeliveryGraph, subsystem: DeliveryGraphSubsystem) -> DeliveryGraph:
    """Applies --sources and --depth."""
    if subsystem.sources == SourcesShown.none:
        return graph.without_kinds([FILE])
    if subsystem.sources == SourcesShown.directories:
        return graph.collapse_files(subsystem.depth or None)
    return graph


@goal_rule
async def delivery_graph(
    console: Console,
    subsystem: DeliveryGraphSubsystem,
    specs: Specs,
    workspace: Workspace,
    facts: DeliveryFacts,
    address_to_dependents: AddressToDependents,
    oci: OciSubsystem,
    build_file_options: BuildFileOptions,
) -> DeliveryGraphGoal:
    full = artifact_graph(facts, sources=subsystem.sources != SourcesShown.none)
    graph = show_sources(full, subsystem)
    if subsystem.focus and subsystem.focus not in graph.nodes:
        console.print_stderr(
            f"--delivery-graph-focus: no node {subsystem.focus!r} in the graph. Name an image or chart "
            "address (e.g. `dockerfiles:ui`), an external image as its Dockerfile writes it, or a directory "
            "ending in `/`."
        )
        return DeliveryGraphGoal(exit_code=1)
    changed = sorted({spec.file for spec in specs.includes.file_literals})
    affected: set[str] = set()
    if changed:
        trace = await trace_changes(changed, address_to_dependents, facts, oci, build_file_options)
        # The changed files and the images and charts they reach (not the files in between).
        reached = trace.graph.reachable(changed)
        affected = {n for n in reached if n in full.nodes and full.nodes[n].kind in ARTIFACT_KINDS}
        affected |= {n for n in changed if n in full.nodes}
        if subsystem.sources == SourcesShown.directories:
            affected |= {directory_of(n, subsystem.depth or None) for n in changed if n in full.nodes}
    if subsystem.focus:
        graph = graph.neighbourhood(subsystem.focus, subsystem.radius)

    dot = to_dot(graph, affected)
    files = [
        FileContent("delivery.dot", dot.encode()),
        FileContent("delivery.mmd", to_mermaid(graph, affected).encode()),
    ]
    dot_source = await Get(Digest, CreateDigest([files[0]]))
    request = BinaryPathRequest(
        binary_name="dot",
        search_path=("/usr/bin", "/bin", "/usr/local/bin"),
        test=BinaryPathTest(["-V"], fingerprint_stdout=False),
    )
    dot_paths = await Get(BinaryPaths, BinaryPathRequest, request)
    outputs = await Get(Digest, CreateDigest(files))
    written = ["delivery.dot", "delivery.mmd"]
    if dot_paths.first_path is not None:
        svg = await Get(
            ProcessResult,
            Process(
                argv=(dot_paths.first_path.path, "-Tsvg", "-o", "delivery.svg", "delivery.dot"),
                input_digest=dot_source,
                output_files=("delivery.svg",),
                description="Render the delivery graph with Graphviz",
            ),
        )
        outputs = await Get(Digest, MergeDigests([outputs, svg.output_digest]))
        written.append("delivery.svg")
    else:
        console.print_stderr("Graphviz's `dot` is not installed: wrote DOT and Mermaid only (apt-get install graphviz).")
    out_dir = subsystem.output_dir.strip("/")
    workspace.write_digest(await Get(Digest, AddPrefix(outputs, out_dir)))
    images = sum(1 for n in graph.nodes.values() if n.kind == IMAGE)
    charts = sum(1 for n in graph.nodes.values() if n.kind == CHART)
    console.print_stdout(
        f"Wrote {', '.join(f'{out_dir}/{w}' for w in written)}: {len(graph.nodes)} nodes "
        f"({_count(images, 'image')}, {_count(charts, 'chart')}), {len(graph.edges)} edges"
        + (f", {len(affected & set(graph.nodes))} affected" if changed else "")
        + "."
    )
    return DeliveryGraphGoal(exit_code=0)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def rules() -> Iterable[Rule]:
    return collect_rules()
