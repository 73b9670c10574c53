"""Chart repositories a registry refuses, found before anything is pushed. Helm allows chart names
OCI repository names do not (distribution's reference grammar: lower-case path components joined
by `.`, `_`, `__` or runs of `-`)."""

from __future__ import annotations

import pytest

from shipyard.publish.chart_plan import ChartPlan, destination_problems


def plan(chart_name: str, repository: str = "registry.example:5000/charts", alias: str = "local") -> ChartPlan:
    return ChartPlan("charts/x:x", chart_name, alias, repository, None, ())


@pytest.mark.parametrize("name", ["tinyolly", "my-chart", "my_chart", "my__chart", "my.chart", "my---chart", "chart2"])
def test_names_an_oci_registry_accepts(name: str) -> None:
    assert destination_problems([plan(name)]) == []


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
    [problem] = destination_problems([plan(name)])
    assert problem.startswith(f"charts/x:x: chart {name!r} cannot be pushed to oci://registry.example:5000/charts/{name}:")
    assert reason in problem and "Chart.yaml" in problem


def test_a_chart_path_a_registry_refuses_is_named() -> None:
    [problem] = destination_problems([plan("tinyolly", repository="registry.example:5000/Charts")])
    assert "must be lower-case" in problem and "`[release].chart_path`" in problem


def test_one_problem_per_chart_and_destination() -> None:
    plans = [plan("MyChart", alias="a"), plan("MyChart", alias="b"), plan("MyChart", repository="other.example/charts")]
    assert len(destination_problems(plans)) == 2
