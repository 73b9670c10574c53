"""The chart stage of `pants release` (see `goals/release.py` for the whole run).

Charts are released after their images have digests (published already, or built in this run)
and before any tag moves:

1. `plan_charts`: each `helm_chart` × each of its registries, with the repo images it names (the
   run publishes those too, so that the chart can be stamped even when `--changed-since` left an
   unchanged image out);
2. `chart_keys`: stamp each chart's values with the image references of its registry and compute
   its content key from the stamped files and versions, without Helm;
3. `look_up_charts`: ask each registry for `<chart>:inputs-<key>`: a chart the registry has is
   neither packaged nor pushed again;
4. `package_charts`: package each missing chart with Helm, render it and refuse it if a rendered
   repo image is not pinned to the digest being released (all before anything is pushed);
5. `push_charts`: after every image push succeeded, push each missing chart with Helm
   (`oci://<registry>/<chart path>/<name>:<version>`), then tag it `inputs-<key>`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Mapping, Optional, Sequence

from pants.engine.addresses import Address
from pants.engine.rules import Get, MultiGet
from pants.engine.target import Target
from pants.util.frozendict import FrozenDict

from shipyard.publish.chart_plan import ChartPlan, image_stamps
from shipyard.publish.errors import describe_registry_error
from shipyard.publish.plan import ImagePlan, Outcome, key_tag
from shipyard.publish.tags import GitState, chart_version
from shipyard.registries import Registry
from shipyard.util_rules.chart_registry import ChartPushRequest, ChartPushResult, ChartRegistryError
from shipyard.util_rules.chart_release import (
    ChartImageAddresses,
    ChartImagesRequest,
    ChartReleaseKey,
    ChartReleaseKeyResult,
    ReleaseChartRequest,
    ReleasedChart,
)
from shipyard.util_rules.registry_client import Copy, Inspect, RegistryOperations, RegistryResults

ChartKey = tuple[str, str]  # (chart address, registry alias)


@dataclass(frozen=True)
class PlannedCharts:
    plans: tuple[ChartPlan, ...]
    addresses: Mapping[str, Address]  # chart and image specs → addresses
    images: frozenset[Address]  # every repo image the charts name


async def plan_charts(
    charts: Sequence[Target], chosen: Mapping[Address, tuple[Registry, ...]], git: GitState, chart_path: str
) -> PlannedCharts:
    named = await MultiGet(Get(ChartImageAddresses, ChartImagesRequest(c.address)) for c in charts)
    plans = []
    addresses: dict[str, Address] = {}
    for chart, found in zip(charts, named):
        addresses[chart.address.spec] = chart.address
        addresses.update((a.spec, a) for a in found.addresses)
        version = chart_version(git, found.chart_name)
        for registry in chosen[chart.address]:
            plans.append(
                ChartPlan(
                    address=chart.address.spec,
                    chart_name=found.chart_name,
                    alias=registry.alias,
                    repository=f"{registry.address}/{chart_path.strip('/')}" if chart_path.strip("/") else registry.address,
                    version=version,
                    images=tuple(a.spec for a in found.addresses),
                )
            )
    images = frozenset(a for found in named for a in found.addresses)
    return PlannedCharts(tuple(plans), addresses, images)


def _release_request(
    charts: PlannedCharts, chart: ChartPlan, images: Mapping[str, ImagePlan], digests: Mapping[str, str]
) -> ReleaseChartRequest:
    stamps = image_stamps(chart, images, digests)
    return ReleaseChartRequest(
        charts.addresses[chart.address],
        FrozenDict({charts.addresses[a]: ref for a, ref in stamps.items()}),
        chart.version,
        chart.version,
    )


async def chart_keys(
    charts: PlannedCharts, images: Mapping[str, ImagePlan], digests: Mapping[str, str]
) -> tuple[dict[ChartKey, ChartReleaseKey], list[str]]:
    """Each chart's content key as stamped for its registry, computed without Helm; and the
    problems of the charts that cannot be stamped."""
    requests = [_release_request(charts, chart, images, digests) for chart in charts.plans]
    answers = await MultiGet(Get(ChartReleaseKeyResult, ReleaseChartRequest, r) for r in requests)
    keys: dict[ChartKey, ChartReleaseKey] = {}
    problems: list[str] = []
    for chart, answer in zip(charts.plans, answers):
        if answer.key is not None:
            keys[(chart.address, chart.alias)] = answer.key
        elif answer.problem is not None and answer.problem not in problems:
            problems.append(answer.problem)
    return keys, problems


def missing_charts(
    charts: PlannedCharts, keys: Mapping[ChartKey, ChartReleaseKey], present: Mapping[ChartKey, Optional[str]]
) -> PlannedCharts:
    """The charts with a key that their registry does not hold: the ones to package and push."""
    lacking = tuple(c for c in charts.plans if (c.address, c.alias) in keys and present.get((c.address, c.alias)) is None)
    return replace(charts, plans=lacking)


async def package_charts(
    charts: PlannedCharts, images: Mapping[str, ImagePlan], digests: Mapping[str, str]
) -> tuple[dict[ChartKey, ReleasedChart], list[str]]:
    """Each chart stamped for its registry, packaged and checked; and the problems that forbid
    pushing (a chart Helm refuses, a rendered image not pinned to its released digest)."""
    results = await MultiGet(
        Get(ReleasedChart, ReleaseChartRequest, _release_request(charts, chart, images, digests))
        for chart in charts.plans
    )
    released: dict[ChartKey, ReleasedChart] = {}
    problems: list[str] = []
    for chart, result in zip(charts.plans, results):
        if result.packaged is not None:
            released[(chart.address, chart.alias)] = result
        problems.extend(p for p in result.problems if p not in problems)
    return released, problems


@dataclass(frozen=True)
class CheckedCharts:
    """The charts of a run before anything is pushed: their keys, what their registries hold, the
    missing ones packaged and checked, and the problems that forbid pushing (a chart that cannot
    be stamped or packaged, a rendered image not pinned to its released digest, a registry
    error)."""

    keys: Mapping[ChartKey, ChartReleaseKey]
    present: Mapping[ChartKey, Optional[str]]
    released: Mapping[ChartKey, ReleasedChart]
    problems: tuple[str, ...]


async def check_charts(
    charts: PlannedCharts,
    images: Mapping[str, ImagePlan],
    digests: Mapping[str, str],
    registries: Mapping[str, Registry],
    progress,
) -> CheckedCharts:
    """Steps 2–4 of the module doc: keys, registry lookups, then Helm for the missing charts only."""
    keys, problems = await chart_keys(charts, images, digests)
    present, errors = await look_up_charts(charts.plans, keys, registries)
    missing = missing_charts(charts, keys, present)
    for chart in missing.plans:
        progress(chart.name, f"{chart.alias}: missing, packaging and checking")
    released, more_problems = await package_charts(missing, images, digests)
    return CheckedCharts(keys, present, released, (*problems, *errors, *more_problems))


def _key_ref(chart: ChartPlan, key: ChartReleaseKey) -> str:
    return f"{chart.name}:{key_tag(key.key)}"


async def look_up_charts(
    charts: Sequence[ChartPlan], keys: Mapping[ChartKey, ChartReleaseKey], registries: Mapping[str, Registry]
) -> tuple[dict[ChartKey, Optional[str]], list[str]]:
    """(chart, registry) → the manifest digest the registry holds under the chart's key tag
    (None: missing); and the registry errors met."""
    by_alias: dict[str, list[ChartPlan]] = {}
    for chart in charts:
        if (chart.address, chart.alias) in keys:
            by_alias.setdefault(chart.alias, []).append(chart)
    requests = [
        RegistryOperations(
            registries[alias],
            tuple(Inspect(_key_ref(c, keys[(c.address, c.alias)])) for c in group),
            f"Look up {len(group)} chart(s) in {alias}",
            independent=True,
        )
        for alias, group in by_alias.items()
    ]
    results = await MultiGet(Get(RegistryResults, RegistryOperations, r) for r in requests)
    found: dict[ChartKey, Optional[str]] = {}
    errors = []
    for (alias, group), result in zip(by_alias.items(), results):
        for chart, answer in zip(group, result.results):
            if "error" in answer:
                ref = _key_ref(chart, keys[(chart.address, chart.alias)])
                errors.append(describe_registry_error(registries[alias], f"looking up {ref}", answer["error"]))
                break
            found[(chart.address, chart.alias)] = answer.get("digest")
    return found, errors


async def push_charts(
    charts: Sequence[ChartPlan], checked: CheckedCharts, registries: Mapping[str, Registry], progress
) -> tuple[list[Outcome], list[str]]:
    """Pushes each chart its registry lacks (packaged in `checked.released`), then tags it with
    its key; stops at the first failure. Returns the outcomes and the failures."""
    outcomes: list[Outcome] = []
    failures: list[str] = []
    for chart in sorted(charts, key=lambda c: (c.address, c.alias)):
        key = checked.keys[(chart.address, chart.alias)]
        digest = checked.present.get((chart.address, chart.alias))
        if digest is not None:
            outcomes.append(Outcome(chart.address, chart.alias, chart.name, "present", digest, tags=(key.version,)))
            progress(chart.name, f"{chart.alias}: present ({digest}), nothing to push")
            continue
        this = checked.released[(chart.address, chart.alias)]
        version = this.packaged.version or _archive_version(this.packaged.filename, chart.chart_name)
        if failures:
            outcomes.append(Outcome(chart.address, chart.alias, chart.name, "not-pushed"))
            continue
        registry = registries[chart.alias]
        progress(chart.name, f"{chart.alias}: pushing {this.packaged.filename} to oci://{chart.repository}")
        try:
            pushed = await Get(
                ChartPushResult,
                ChartPushRequest(this.packaged.tgz, f"oci://{chart.repository}", registry.insecure, registry=registry),
            )
        except ChartRegistryError as e:
            message = describe_registry_error(registry, f"pushing chart {chart.name}", str(e))
            failures.append(message)
            outcomes.append(Outcome(chart.address, chart.alias, chart.name, "failed", error=message))
            continue
        tagged = await Get(
            RegistryResults,
            RegistryOperations(
                registry,
                (Copy(_key_ref(chart, key), src=f"{chart.name}@{pushed.digest}"),),
                f"Tag chart {chart.chart_name} with its key in {chart.alias}",
            ),
        )
        error = next((r["error"] for r in tagged.results if "error" in r), None)
        if error is not None:
            message = describe_registry_error(registry, f"tagging chart {_key_ref(chart, key)}", error)
            failures.append(message)
            outcomes.append(Outcome(chart.address, chart.alias, chart.name, "failed", pushed.digest, error=message))
            continue
        outcomes.append(Outcome(chart.address, chart.alias, chart.name, "pushed", pushed.digest, tags=(version,)))
        progress(chart.name, f"{chart.alias}: pushed {pushed.reference} → {pushed.digest}")
    return outcomes, failures


def _archive_version(filename: str, chart_name: str) -> str:
    """`tinyolly-0.1.0.tgz` → `0.1.0`: the version Helm packaged (Chart.yaml's)."""
    stem = filename[: -len(".tgz")] if filename.endswith(".tgz") else filename
    return stem[len(chart_name) + 1 :] if stem.startswith(f"{chart_name}-") else stem


def chart_records(
    charts: Sequence[ChartPlan], keys: Mapping[ChartKey, ChartReleaseKey], outcomes: Sequence[Outcome], stamps: Mapping[ChartKey, Mapping[str, str]]
) -> list[dict]:
    """The release record's `charts`: per chart and registry, its key, version, digest, status
    and the image references it was stamped with."""
    records = []
    for chart in sorted(charts, key=lambda c: (c.address, c.alias)):
        this = keys.get((chart.address, chart.alias))
        outcome = next((o for o in outcomes if o.address == chart.address and o.alias == chart.alias), None)
        records.append(
            {
                "address": chart.address,
                "chart": chart.chart_name,
                "registry": chart.alias,
                "repository": f"oci://{chart.repository}",
                "key": this.key if this else None,
                "version": (outcome.tags[0] if outcome and outcome.tags else chart.version),
                "digest": outcome.digest if outcome else None,
                "status": outcome.action if outcome else "not-pushed",
                "images": dict(stamps.get((chart.address, chart.alias), {})),
                **({"error": outcome.error} if outcome and outcome.error else {}),
            }
        )
    return records
