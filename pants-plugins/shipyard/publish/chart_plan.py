"""The chart half of a release plan: which chart goes to which registry, stamped with which image
references, and what happened to it.

A chart is released per registry: its copy in a registry names its images in that same registry
(by digest), so that a cluster pulling from one registry needs no other. An image not published
to the chart's registry is named in the first registry it is published to.

Plain Python: nothing here knows about Pants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

from shipyard.image_ref import ImageRef, InvalidImageReference
from shipyard.publish.plan import ImagePlan


@dataclass(frozen=True)
class ChartPlan:
    """One chart bound for one registry: pushed with Helm to `oci://<repository>` as
    `<repository>/<chart_name>:<version>`."""

    address: str
    chart_name: str
    alias: str
    repository: str  # <registry address>/<chart path>
    version: Optional[str]  # from a release tag at HEAD; None: the target's or Chart.yaml's
    images: tuple[str, ...]  # addresses of the repo images it names

    @property
    def name(self) -> str:
        return f"{self.repository}/{self.chart_name}"


def image_stamps(chart: ChartPlan, images: Mapping[str, ImagePlan], digests: Mapping[str, str]) -> dict[str, str]:
    """Image address → the reference the chart's copy in `chart.alias` names it by:
    `<registry address>/<repository>@<index digest>`, the registry being the chart's own when
    the image is published there, else the image's first. Images without a digest are left out
    (the render check then refuses the chart)."""
    stamps = {}
    for address in chart.images:
        plan = images.get(address)
        if plan is None or address not in digests or not plan.destinations:
            continue
        where = next((d for d in plan.destinations if d.alias == chart.alias), plan.destinations[0])
        stamps[address] = f"{where.name}@{digests[address]}"
    return stamps


def chart_preview_lines(charts: Sequence[ChartPlan], keys: Mapping[tuple[str, str], str], present: Mapping[tuple[str, str], Optional[str]]) -> list[str]:
    """The dry run's chart lines: a chart whose images are all published already has a key, so
    the registry can say whether it holds it; the others are stamped once their images are."""
    lines = []
    for chart in sorted(charts, key=lambda c: (c.address, c.alias)):
        version = chart.version or "its Chart.yaml version"
        lines.append(f"{chart.address} (chart {chart.chart_name}) → {chart.alias}")
        key = keys.get((chart.address, chart.alias))
        if key is None:
            lines.append(
                f"  {chart.alias}: would stamp with the digests of the images built in this run, "
                f"then push oci://{chart.repository} at {version}"
            )
        elif present.get((chart.address, chart.alias)):
            lines.append(f"  {chart.alias}: has this chart already (key {key[:12]}): nothing to push")
        else:
            lines.append(f"  {chart.alias}: missing (key {key[:12]}): would push oci://{chart.repository} at {version}")
    return lines


def chart_destination_problems(charts: Sequence[ChartPlan]) -> list[str]:
    """Why a registry would refuse a chart's repository (`<registry>/<chart path>/<chart name>`,
    an OCI repository name: lower case, with `.`, `_`, `__` or `-` between words), which Helm's
    own name rules allow (`MyChart`), so that the run can stop before anything is pushed."""
    problems = []
    for chart in sorted({(c.address, c.name, c.chart_name) for c in charts}):
        address, name, chart_name = chart
        try:
            ImageRef.parse(name)
        except InvalidImageReference as e:
            problems.append(
                f"{address}: chart {chart_name!r} cannot be pushed to oci://{name}: {e.reason}. "
                "Name the chart (`name:` in its Chart.yaml) with lower-case words joined by `-`, "
                "or fix the registry's address or `[release].chart_path`."
            )
    return problems
