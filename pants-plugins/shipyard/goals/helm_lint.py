"""`pants lint` for `helm_chart`: Helm's own `helm lint`, one cached Process per chart."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from typing import Any, Iterable, Mapping

from pants.core.goals.lint import LintResult, LintTargetsRequest
from pants.core.util_rules.partitions import Partition, Partitions
from pants.engine.fs import Digest, DigestContents, GlobMatchErrorBehavior, MergeDigests, PathGlobs
from pants.engine.rules import Get, Rule, collect_rules, rule
from pants.engine.unions import UnionRule

from shipyard.helm.messages import locate, one_line
from shipyard.subsystems.helm_lint import HelmLintSubsystem
from shipyard.util_rules.chart_package import (
    ChartSources,
    ChartSourcesRequest,
    dependency_dirs,
    helm_failure_message,
)
from shipyard.util_rules.chart_resolution import HelmChartFieldSet, ResolvedHelmChart
from shipyard.util_rules.helm_tool import HelmDriverRequest, HelmDriverResult

#: Helm's lint severities (helm.sh/helm/v4/pkg/lint/support).
SEVERITIES = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}


class HelmLintRequest(LintTargetsRequest):
    field_set_type = HelmChartFieldSet
    tool_subsystem = HelmLintSubsystem


@dataclass(frozen=True)
class ChartPartition:
    """One chart per partition, so each chart's lint is one cached Process."""

    address: str

    @property
    def description(self) -> str:
        return self.address


@rule
async def partition_charts(
    request: HelmLintRequest.PartitionRequest[HelmChartFieldSet], subsystem: HelmLintSubsystem
) -> Partitions[HelmChartFieldSet, ChartPartition]:
    if subsystem.skip:
        return Partitions()
    return Partitions(
        Partition((field_set,), ChartPartition(field_set.address.spec)) for field_set in request.field_sets
    )


def format_report(report: Mapping[str, Any], chart: ResolvedHelmChart, *, strict: bool) -> tuple[int, str]:
    """(exit code, one `path[:line]: [SEVERITY] message` line per finding) from Helm's report."""
    lines = {dep.name: dep.line for dep in chart.metadata.dependencies}
    out = []
    failed = bool(report.get("errors"))
    for message in report.get("messages") or ():
        severity = int(message.get("severity") or 0)
        text = str(message.get("error") or "")
        location = locate(
            text,
            chart_name=chart.metadata.name,
            chart_dir=chart.chart_dir,
            reported_path=str(message.get("path") or ""),
            dependency_lines=lines,
            dependency_dirs=dependency_dirs(chart),
        )
        out.append(f"{location}: [{SEVERITIES.get(severity, severity)}] {one_line(text)}")
        failed = failed or severity >= 3 or (strict and severity >= 2)
    return (1 if failed else 0), "\n".join(out)


@rule(desc="Lint a Helm chart with helm lint")
async def run_helm_lint(request: HelmLintRequest.Batch, subsystem: HelmLintSubsystem) -> LintResult:
    """Runs `helm lint` (with `[helm-lint]`'s strictness and values files) on one chart."""
    field_set = request.elements[0]
    sources = await Get(ChartSources, ChartSourcesRequest(field_set.address, stamp=False))
    chart = sources.chart
    wanted = [posixpath.join(chart.chart_dir, v) for v in subsystem.values_files]
    present = await Get(
        DigestContents, PathGlobs(wanted, glob_match_error_behavior=GlobMatchErrorBehavior.ignore)
    )
    found = {fc.path for fc in present}
    values_files = [path for path in wanted if path in found]
    # The values files may be .helmignore'd (CI values usually are): add them explicitly.
    values_digest = await Get(Digest, PathGlobs(values_files))
    input_digest = await Get(Digest, MergeDigests([sources.digest, values_digest]))
    result = await Get(
        HelmDriverResult,
        HelmDriverRequest.create(
            "lint",
            {
                "chart_dir": chart.chart_dir or ".",
                "dependency_update": bool(chart.local_dependencies),
                "strict": subsystem.strict,
                "values_files": values_files,
            },
            f"helm lint {chart.chart_dir or '.'}",
            input_digest=input_digest,
        ),
    )
    description = request.partition_metadata.description
    if result.failure is not None:
        message = helm_failure_message("lint", chart, result.failure, dependency_dirs(chart))
        return LintResult(1, message, "", request.tool_name, description)
    exit_code, stdout = format_report(result.output["report"], chart, strict=subsystem.strict)
    return LintResult(exit_code, stdout, "", request.tool_name, description)


def rules() -> Iterable[Rule | UnionRule]:
    return (*collect_rules(), *HelmLintRequest.rules())
