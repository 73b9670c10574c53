"""Image and chart repositories a registry refuses, found before anything is built. Pants target
names and Helm allow names OCI repository names do not (distribution's reference grammar:
lower-case path components joined by `.`, `_`, `__` or runs of `-`)."""

from __future__ import annotations

import pytest

from shipyard.publish.chart_plan import ChartPlan, chart_destination_problems
from shipyard.publish.plan import Destination, ImagePlan, image_destination_problems


def plan(chart_name: str, repository: str = "registry.example:5000/charts", alias: str = "local") -> ChartPlan:
    return ChartPlan("charts/x:x", chart_name, alias, repository, None, ())


@pytest.mark.parametrize("name", ["tinyolly", "my-chart", "my_chart", "my__chart", "my.chart", "my---chart", "chart2"])
def test_names_an_oci_registry_accepts(name: str) -> None:
    assert chart_destination_problems([plan(name)]) == []


@pytest.mark.parametrize(
    "name, reason",
    [
        ("MyChart", "must be lower-case"),
        ("my..chart", "is invalid"),
        ("my___chart", "is invalid"),
        ("-chart", "is invalid"),
        ("chart_", "is invalid"),
    ],
)
def test_names_helm_allows_but_a_registry_refuses_are_named_with_the_fix(name: str, reason: str) -> None:
    [problem] = chart_destination_problems([plan(name)])
    assert problem.startswith(f"charts/x:x: chart {name!r} cannot be pushed to oci://registry.example:5000/charts/{name}:")
    assert reason in problem and "Chart.yaml" in problem


def test_a_chart_path_a_registry_refuses_is_named() -> None:
    [problem] = chart_destination_problems([plan("tinyolly", repository="registry.example:5000/Charts")])
    assert "must be lower-case" in problem and "`[release].chart_path`" in problem


def test_one_problem_per_chart_and_destination() -> None:
    plans = [plan("MyChart", alias="a"), plan("MyChart", alias="b"), plan("MyChart", repository="other.example/charts")]
    assert len(chart_destination_problems(plans)) == 2


def image(repository: str, registries: tuple = ("registry.example:5000",)) -> ImagePlan:
    return ImagePlan(
        "apps/x:x", repository, "0" * 64, ("linux/amd64",), (), ("dev",), tuple(Destination(f"r{i}", f"{r}/{repository}") for i, r in enumerate(registries))
    )


@pytest.mark.parametrize("repository", ["webui", "tinyolly/ui", "team/web_ui", "a.b/c-d", "x__y"])
def test_image_repositories_a_registry_accepts(repository: str) -> None:
    assert image_destination_problems([image(repository)]) == []


@pytest.mark.parametrize(
    "repository, reason, example",
    [
        ("WebUI", "must be lower-case", '`repository="webui"`'),
        ("Team/Web_UI", "must be lower-case", '`repository="team/web_ui"`'),
        ("web..ui", "is invalid", None),
        ("web/", "empty path component", None),
    ],
)
def test_image_repositories_a_registry_refuses_are_named_with_the_fix(repository: str, reason: str, example: str | None) -> None:
    problems = image_destination_problems([image(repository, ("registry.example:5000", "ghcr.io/acme"))])
    assert len(problems) == 2  # one per registry
    assert problems[0].startswith(f"apps/x:x: cannot be pushed to registry.example:5000/{repository}: ")
    assert reason in problems[0] and "`repository`" in problems[0]
    assert (example in problems[0]) if example else ("e.g." not in problems[0])
