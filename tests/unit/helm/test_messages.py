"""Mapping Helm's messages to build-root `path:line`. The messages are Helm v4's own texts, as the
SDK returned them for a bad template, a bad Chart.yaml and a missing dependency."""

from __future__ import annotations

import pytest

from shipyard.helm.messages import Location, locate, one_line

CASES = [
    pytest.param(
        'parse error at (tinyolly/templates/cm.yaml:5): function "nosuchfunc" not defined',
        "",
        Location("charts/tinyolly/templates/cm.yaml", 5),
        id="template-parse-error",
    ),
    pytest.param(
        "execution error at (tinyolly/templates/ui.yaml:12:14): ui.image.tag is required",
        "",
        Location("charts/tinyolly/templates/ui.yaml", 12),
        id="template-execution-error-with-column",
    ),
    pytest.param(
        "template: tinyolly/templates/ui.yaml:3:7: executing \"tinyolly/templates/ui.yaml\" at <.Values.x.y>: nil pointer",
        "",
        Location("charts/tinyolly/templates/ui.yaml", 3),
        id="template-prefix",
    ),
    pytest.param(
        "parse error at (tinyolly/charts/common/templates/_helpers.tpl:2): unexpected EOF",
        "",
        Location("charts/common/templates/_helpers.tpl", 2),
        id="subchart-file-maps-to-the-file-dependency-directory",
    ),
    pytest.param(
        "cannot load Chart.yaml: error converting YAML to JSON: yaml: line 4: mapping values are not allowed in this context",
        "",
        Location("charts/tinyolly/Chart.yaml", 4),
        id="bad-chart-yaml",
    ),
    pytest.param(
        "unable to parse YAML\n\terror converting YAML to JSON: yaml: line 2: did not find expected key",
        "values.yaml",
        Location("charts/tinyolly/values.yaml", 2),
        id="lint-finding-with-reported-path",
    ),
    pytest.param(
        "found in Chart.yaml, but missing in charts/ directory: common",
        "",
        Location("charts/tinyolly/Chart.yaml", 9),
        id="missing-dependency-at-its-entry",
    ),
    pytest.param(
        "directory common not found",
        "",
        Location("charts/tinyolly/Chart.yaml", 9),
        id="missing-file-dependency-directory",
    ),
    pytest.param("icon is recommended", "Chart.yaml", Location("charts/tinyolly/Chart.yaml", None), id="lint-info"),
    pytest.param("directory does not exist", "templates/", Location("charts/tinyolly/templates/", None), id="lint-dir"),
    pytest.param("something else", "/tmp/sandbox/charts/tinyolly", Location("charts/tinyolly", None), id="absolute-path-is-the-chart"),
]


@pytest.mark.parametrize("message, reported_path, expected", CASES)
def test_locate(message: str, reported_path: str, expected: Location) -> None:
    assert (
        locate(
            message,
            chart_name="tinyolly",
            chart_dir="charts/tinyolly",
            reported_path=reported_path,
            dependency_lines={"common": 9},
            dependency_dirs={"common": "charts/common"},
        )
        == expected
    )


def test_a_dependency_name_inside_a_word_is_not_a_match() -> None:
    location = locate(
        "chart commonality is broken", chart_name="c", chart_dir="c", dependency_lines={"common": 9}
    )
    assert location == Location("c", None)


@pytest.mark.parametrize(
    "location, text",
    [(Location("c/Chart.yaml", 4), "c/Chart.yaml:4"), (Location("c/Chart.yaml", None), "c/Chart.yaml")],
)
def test_location_reads_as_path_line(location: Location, text: str) -> None:
    assert str(location) == text


def test_one_line_joins_helms_indented_continuations() -> None:
    assert one_line("unable to load chart\n\tcannot load Chart.yaml: bad") == (
        "unable to load chart cannot load Chart.yaml: bad"
    )
