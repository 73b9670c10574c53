"""Turning Helm's lint report into per-chart `path[:line]: [SEVERITY] message` lines and an exit
code. Reports are shaped as helm-python-sdk returns them (severity 1 info, 2 warning, 3 error)."""

from __future__ import annotations

import pytest
from pants.engine.addresses import Address

from shipyard.chart.chart_yaml import ChartMetadata
from shipyard.goals.helm_lint import format_report
from shipyard.util_rules.chart_resolution import ResolvedHelmChart

CHART = ResolvedHelmChart(
    address=Address("charts/c", target_name="c"),
    chart_yaml_path="charts/c/Chart.yaml",
    chart_dir="charts/c",
    metadata=ChartMetadata("v2", "c", "0.1.0", None, "application", ()),
    packaged_files=(),
    local_dependencies=(),
    image_references=(),
)
INFO = {"severity": 1, "path": "Chart.yaml", "error": "icon is recommended"}
WARNING = {"severity": 2, "path": "templates/", "error": "directory does not exist"}
ERROR = {
    "severity": 3,
    "path": "templates/",
    "error": 'parse error at (c/templates/cm.yaml:5): function "nosuchfunc" not defined',
}


@pytest.mark.parametrize(
    "messages, strict, exit_code",
    [
        pytest.param([INFO], False, 0, id="info-passes"),
        pytest.param([INFO, WARNING], False, 0, id="warning-passes"),
        pytest.param([INFO, WARNING], True, 1, id="warning-fails-when-strict"),
        pytest.param([ERROR], False, 1, id="error-fails"),
    ],
)
def test_exit_code(messages: list, strict: bool, exit_code: int) -> None:
    assert format_report({"messages": messages}, CHART, strict=strict)[0] == exit_code


def test_a_report_level_error_fails_even_without_messages() -> None:
    assert format_report({"messages": [], "errors": ["unable to load chart"]}, CHART, strict=False)[0] == 1


def test_each_finding_is_a_line_with_path_and_line() -> None:
    _, text = format_report({"messages": [INFO, WARNING, ERROR]}, CHART, strict=False)
    assert text.splitlines() == [
        "charts/c/Chart.yaml: [INFO] icon is recommended",
        "charts/c/templates/: [WARNING] directory does not exist",
        'charts/c/templates/cm.yaml:5: [ERROR] parse error at (c/templates/cm.yaml:5): function "nosuchfunc" not defined',
    ]
