"""The delivery graph's questions: shortest chains, neighbourhoods, directories, and its pictures."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from shipyard.delivery.graph import CHART, DIRECTORY, EXTERNAL, FILE, IMAGE, TARGET, DeliveryGraph, Edge, Node, directory_of
from shipyard.delivery.render import to_dot, to_mermaid


def graph_of(nodes: dict[str, str], edges: list[tuple[str, str, str]]) -> DeliveryGraph:
    graph = DeliveryGraph()
    for node_id, kind in nodes.items():
        graph.add_node(Node(node_id, kind, node_id))
    for source, target, reason in edges:
        graph.add_edge(Edge(source, target, reason))
    return graph


# lib.py is copied by base and imported by app.py; app.py is copied by ui (FROM base); the chart names ui.
EXAMPLE = graph_of(
    {
        "lib.py": FILE, "app.py": FILE, "README.md": FILE, "base": IMAGE, "ui": IMAGE,
        "chart": CHART, "python:3.11": EXTERNAL, "tests": TARGET,
    },
    [
        ("lib.py", "base", "copied by"),
        ("lib.py", "app.py", "imported by"),
        ("lib.py", "tests", "a dependency of"),
        ("app.py", "ui", "copied by"),
        ("base", "ui", "FROM in"),
        ("python:3.11", "base", "FROM in"),
        ("ui", "chart", "named by"),
    ],
)


@pytest.mark.parametrize(
    "starts,expected",
    [
        pytest.param(["README.md"], {}, id="a_file_nothing_reads_reaches_nothing"),
        pytest.param(["app.py"], {"ui": "app.py > ui", "chart": "app.py > ui > chart"}, id="a_copied_file"),
        pytest.param(
            ["lib.py"],
            {"base": "lib.py > base", "ui": "lib.py > base > ui", "chart": "lib.py > base > ui > chart"},
            id="ties_go_to_images_over_imports",
        ),
        pytest.param(
            ["lib.py", "app.py"],
            {"base": "lib.py > base", "ui": "app.py > ui", "chart": "app.py > ui > chart"},
            id="each_artifact_gets_its_shortest_chain_over_all_starts",
        ),
        pytest.param(["python:3.11"], {"base": "python:3.11 > base", "ui": "python:3.11 > base > ui", "chart": "python:3.11 > base > ui > chart"}, id="an_external_base"),
        pytest.param(["base"], {"base": "base", "ui": "base > ui", "chart": "base > ui > chart"}, id="a_changed_image_is_its_own_chain"),
        pytest.param(["not-a-node"], {}, id="an_unknown_start_reaches_nothing"),
    ],
)
def test_shortest_chains(starts: list[str], expected: dict[str, str]) -> None:
    chains = EXAMPLE.shortest_chains(starts)
    assert {k: " > ".join(n.id for n in c.nodes) for k, c in chains.items()} == expected


def test_chain_text_reads_as_steps_with_reasons_and_locations() -> None:
    graph = DeliveryGraph()
    for node in (Node("a.py", FILE, "a.py"), Node("x:ui", IMAGE, "oci_image x:ui")):
        graph.add_node(node)
    graph.add_edge(Edge("a.py", "x:ui", "copied by", "x/Dockerfile:3", "COPY a.py /app/"))
    (chain,) = graph.shortest_chains(["a.py"]).values()
    assert chain.text() == "a.py → copied by x/Dockerfile:3 (COPY a.py /app/) → oci_image x:ui"


def test_the_first_edge_between_two_nodes_keeps_its_reason() -> None:
    graph = graph_of({"a": FILE, "b": IMAGE}, [("a", "b", "copied by"), ("a", "b", "a dependency of")])
    assert [e.reason for e in graph.edges] == ["copied by"]


@pytest.mark.parametrize(
    "center,radius,expected",
    [
        pytest.param("ui", 0, {"ui"}, id="radius_zero_is_the_node"),
        pytest.param("ui", 1, {"ui", "app.py", "base", "chart"}, id="both_directions"),
        pytest.param("chart", 2, {"chart", "ui", "app.py", "base"}, id="two_steps_upstream"),
    ],
)
def test_neighbourhood(center: str, radius: int, expected: set[str]) -> None:
    assert set(EXAMPLE.neighbourhood(center, radius).nodes) == expected


@pytest.mark.parametrize(
    "path,depth,expected",
    [
        ("apps/ui/x/y.py", None, "apps/ui/x/"),
        ("apps/ui/x/y.py", 2, "apps/ui/"),
        ("apps/ui/x/y.py", 5, "apps/ui/x/"),
        ("pants.toml", 2, "./"),
    ],
)
def test_directory_of(path: str, depth: int, expected: str) -> None:
    assert directory_of(path, depth) == expected


def test_collapsing_files_merges_their_edges_per_directory() -> None:
    graph = graph_of(
        {"apps/ui/a.py": FILE, "apps/ui/b.py": FILE, "libs/c.py": FILE, "ui": IMAGE},
        [("apps/ui/a.py", "ui", "copied by"), ("apps/ui/b.py", "ui", "copied by"), ("libs/c.py", "apps/ui/a.py", "imported by")],
    )
    collapsed = graph.collapse_files(2)
    assert {n.id: n.kind for n in collapsed.nodes.values()} == {"apps/ui/": DIRECTORY, "libs/": DIRECTORY, "ui": IMAGE}
    assert sorted((e.source, e.target) for e in collapsed.edges) == [("apps/ui/", "ui"), ("libs/", "apps/ui/")]


def test_dot_highlights_affected_nodes_and_is_valid_graphviz() -> None:
    dot = to_dot(EXAMPLE.without_kinds([TARGET]), affected={"lib.py", "base"})
    assert '"base" [label="base\\n(oci_image)", shape=box, fillcolor="#ffcf99", penwidth=2' in dot
    assert '"ui" [label="ui\\n(oci_image)", shape=box, fillcolor="#dbe9f6"]' in dot
    assert '"lib.py" -> "base" [label="copied by", penwidth=2];' in dot
    assert "tests" not in dot
    if shutil.which("dot") is None:
        pytest.skip("Graphviz is not installed (tools/setup-machine installs it)")
    svg = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, text=True, check=True).stdout
    assert svg.count('class="node"') == 7 and svg.count('class="edge"') == 6


def test_mermaid_lists_nodes_edges_and_the_affected_class() -> None:
    mermaid = to_mermaid(graph_of({"a/b.py": FILE, "x:ui": IMAGE}, [("a/b.py", "x:ui", "copied by")]), {"x:ui"})
    lines = mermaid.splitlines()
    assert lines[0] == "flowchart LR"
    assert '  n0_a_b_py["a/b.py"]' in lines
    assert '  n1_x_ui["x:ui<br/>(oci_image)"]' in lines
    assert '  n0_a_b_py -->|"copied by"| n1_x_ui' in lines
    assert lines[-1] == "  class n1_x_ui affected;"
