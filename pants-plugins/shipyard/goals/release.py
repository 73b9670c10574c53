"""`pants release`: publish images and charts to their registries, by content key, tags moved last.

For every `oci_image` and `helm_chart` in the specs (`::`, or `--changed-since=origin/main` to
narrow the candidates; the images a chart names join the run so it can be stamped), the run:

1. plans: computes the image's content key without building (`OciImageContentKey`), the tags the
   git state gives it (`publish/tags.py`), and asks each of its registries whether it holds
   `inputs-<key>` (`publish/plan.py` says why that tag);
2. stops there with `--dry-run`, printing the plan;
3. builds, with `package`'s own rules, only the images no registry has; one that some registries
   have is fetched from one of them for the others, so every registry holds the same digest;
4. stamps each chart with its images' digests and asks its registries for the chart's content
   key; packages each chart they lack with Helm and checks Helm's render deploys exactly those
   digests (`goals/release_charts.py`); a chart that fails stops the run before anything is
   pushed;
5. pushes each missing image, repo bases first, to `<registry>/<repository>:inputs-<key>`
   (skopeo: every platform and the index; blobs the registry has are not sent) and checks the
   registry now answers with the built index digest; then each missing chart (Helm);
6. only if every push succeeded, points every image tag at its digest; else exits non-zero
   naming what failed and what was pushed untagged, and moves no tag;
7. writes the release record (`dist/release.json`) and prints a summary table.

Why a goal of our own rather than Pants' `publish`: `publish` asks each target for its processes
separately and runs them one after another, continuing after a failure. It cannot hold every tag
until all pushes of the run succeeded, nor skip building when the registry already has the key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Iterable, Optional

from pants.core.util_rules import distdir
from pants.core.util_rules.distdir import DistDir
from pants.engine.console import Console
from pants.engine.fs import CreateDigest, Digest, FileContent, RemovePrefix, Workspace
from pants.engine.goal import Goal, GoalSubsystem
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, goal_rule
from pants.engine.addresses import Address, Addresses
from pants.engine.target import Target, Targets
from pants.option.option_types import BoolOption, StrOption
from pants.util.strutil import help_text

from shipyard.goals.release_why import explain_rebuilds, explanation_lines, inputs_artifact_layout, key_inputs
from shipyard.goals.release_charts import check_charts, chart_records, plan_charts, push_charts
from shipyard.publish.chart_plan import chart_destination_problems, chart_preview_lines, image_stamps
from shipyard.publish.errors import describe_registry_error
from shipyard.publish.inputs_artifact import artifact_tag
from shipyard.publish.plan import (
    Destination,
    ImagePlan,
    Outcome,
    image_destination_problems,
    key_tag,
    preview_lines,
    push_order,
    release_record,
    summary_table,
)
from shipyard.publish.tags import GitState, TagPolicy, image_tags, scope_of, shallow_clone_warning, tag_problems
from shipyard.registries import Registry, RegistryConfigError, parse_registries, select_registries
from shipyard.subsystems.oci import OciSubsystem
from shipyard.target_types import (
    HelmChartRegistriesField,
    OciImageRegistriesField,
    OciImageRepositoryField,
    OciImageTagScopeField,
)
from shipyard.util_rules.git_state import GitStateRequest
from shipyard.util_rules.image_build import (
    BuiltOciImage,
    OciImageBuildRequest,
    OciImageContentKey,
    OciImageContentKeyRequest,
)
from shipyard.util_rules.registry_client import Copy, Fetch, Inspect, RegistryOperations, RegistryResults

logger = logging.getLogger(__name__)


class ReleaseSubsystem(GoalSubsystem):
    name = "release"
    help = help_text(
        """
        Publish `oci_image` and `helm_chart` targets to their registries (`[oci].registries`):
        each image is looked up by its content key first and built and pushed only if a registry
        lacks it; each chart is stamped with its images' digests and looked up by its content
        key, and only if the registry lacks it packaged, checked against Helm's render and
        pushed; image tags move last, only when every push of the run succeeded. Writes
        `dist/release.json`.
        """
    )

    dry_run = BoolOption(
        default=False,
        help="Print, per image and registry, whether the registry has its key, what would be pushed and the tags that would move; build and push nothing.",
    )
    default_branch = StrOption(
        default="main",
        help="The branch whose commits get the branch tag (`--release-branch-tag`) besides `sha-<7 hex>`.",
    )
    branch_tag = StrOption(
        default="dev",
        help="The tag images built from the default branch get, e.g. `edge` (letters, digits, `_`, `.` and `-`; checked before anything is pushed).",
    )
    compare_tag = StrOption(
        default=None,
        help=help_text(
            """
            The tag an image about to be rebuilt is compared with, to say why: the registry's
            record of the inputs of the digest this tag names is diffed with the inputs of the
            new key (files added, removed or changed, Dockerfile lines, build args, base digests).
            Default: the branch tag (`--release-branch-tag`).
            """
        ),
    )
    chart_path = StrOption(
        default="charts",
        help="The path under a registry's address that charts are pushed to: `oci://<address>/<chart path>/<chart name>:<version>`.",
    )
    record = StrOption(
        default="release.json",
        help="Where the release record is written, relative to the dist directory.",
    )


class Release(Goal):
    subsystem_cls = ReleaseSubsystem
    environment_behavior = Goal.EnvironmentBehavior.LOCAL_ONLY


@dataclass
class _Run:
    console: Console
    outcomes: list[Outcome]
    failures: list[str]

    def progress(self, name: str, text: str) -> None:
        self.console.print_stderr(f"{name}: {text}")


def _choose_registries(
    targets: Iterable[Target], oci: OciSubsystem, registries: dict[str, Registry]
) -> dict[Address, tuple[Registry, ...]]:
    """Each image's or chart's registries: its `registries` field, else `[oci].default_registries`."""
    chosen = {}
    for t in targets:
        field = t[OciImageRegistriesField] if t.has_field(OciImageRegistriesField) else t[HelmChartRegistriesField]
        own = tuple(field.value) if field.value is not None else None
        chosen[t.address] = select_registries(own, tuple(oci.default_registries), registries, t.address.spec)
    return chosen


def _nothing_pushed(console: Console, failures: list[str]) -> Release:
    for failure in failures:
        console.print_stderr(f"release failed: {failure}")
    console.print_stderr("Nothing was pushed, and no tag was moved.")
    return Release(exit_code=1)


def _lookup_refs(registry: Registry, plans: list[ImagePlan]) -> list[str]:
    return [f"{d.name}:{key_tag(p.key)}" for p in plans for d in p.destinations if d.alias == registry.alias]


def _lookup_request(registry: Registry, plans: list[ImagePlan]) -> RegistryOperations:
    refs = _lookup_refs(registry, plans)
    return RegistryOperations(
        registry, tuple(Inspect(r) for r in refs), f"Look up {len(refs)} image(s) in {registry.alias}", independent=True
    )


async def _push(
    plan: ImagePlan,
    d: Destination,
    registry: Registry,
    layout: Digest,
    index_digest: str,
    record_layout: Digest,
    run: _Run,
) -> bool:
    """Pushes one image to one registry under its key tag, checks the registry now names the
    index digest pushed, and stores its key-inputs record next to it (`goals/release_why.py`);
    records the outcome. True if it succeeded."""
    ref = f"{d.name}:{key_tag(plan.key)}"
    run.progress(plan.repository, f"{d.alias}: pushing {ref}")
    operations = (Copy(ref, layout=layout), Inspect(ref), Copy(f"{d.name}:{artifact_tag(index_digest)}", layout=record_layout))
    results = await Get(
        RegistryResults,
        RegistryOperations(registry, operations, f"Push {plan.repository} to {d.alias}"),
    )
    push, check, stored = _pad(results.results)
    error = (push or {}).get("error") or (check or {}).get("error") or (stored or {}).get("error")
    if error is None and (check or {}).get("digest") != index_digest:
        error = f"the registry holds {(check or {}).get('digest')} under {ref}, not the pushed {index_digest}"
    if error is not None:
        message = describe_registry_error(registry, f"pushing {ref}", error)
        run.failures.append(message)
        run.outcomes.append(Outcome(plan.address, d.alias, d.name, "failed", error=message))
        run.progress(plan.repository, f"{d.alias}: FAILED")
        return False
    sent, skipped, sent_bytes = (push.get(k, 0) for k in ("blobs_sent", "blobs_skipped", "bytes_sent"))  # type: ignore[union-attr]
    run.outcomes.append(
        Outcome(plan.address, d.alias, d.name, "pushed", index_digest, sent, sent + skipped, bytes_sent=sent_bytes)
    )
    run.progress(plan.repository, f"{d.alias}: pushed {sent}/{sent + skipped} blobs ({sent_bytes} bytes) → {index_digest}")
    return True


def _fetch_request(plan: ImagePlan, registries: dict[str, Registry]) -> RegistryOperations:
    source = next(d for d in plan.destinations if d.present)
    return RegistryOperations(
        registries[source.alias], (Fetch(f"{source.name}@{plan.published_digest}"),), f"Fetch {source.name} from {source.alias}"
    )


def _pad(results: list[dict]) -> tuple[Optional[dict], Optional[dict], Optional[dict]]:
    """(push, check, record) results; the pusher stops after an error, so some may be missing."""
    padded = [*results[:3], None, None, None]
    return padded[0], padded[1], padded[2]


async def _move_tags(plans: list[ImagePlan], registries: dict[str, Registry], digests: dict, run: _Run) -> None:
    """Points every tag of every image at its index digest, one process per registry (an image
    only in the run for a chart's sake, and already published, keeps its tags)."""
    by_registry: dict[str, list[tuple[int, ImagePlan, Destination]]] = {}
    for i, o in enumerate(run.outcomes):
        plan = next(p for p in plans if p.address == o.address)
        if plan.stamp_only and o.action == "present":
            continue  # only named by a chart, and unchanged: its tags stay where they are
        dest = next(d for d in plan.destinations if d.alias == o.alias)
        by_registry.setdefault(o.alias, []).append((i, plan, dest))
    requests = []
    for alias, entries in by_registry.items():
        copies = tuple(
            Copy(f"{dest.name}:{tag}", src=f"{dest.name}@{digests[(plan.address, alias)]}")
            for _, plan, dest in entries
            for tag in plan.tags
        )
        requests.append(RegistryOperations(registries[alias], copies, f"Move {len(copies)} tag(s) in {alias}", independent=True))
    for _, plan, dest in (e for entries in by_registry.values() for e in entries):
        run.progress(plan.repository, f"{dest.alias}: tagging {', '.join(plan.tags)}")
    results = await MultiGet(Get(RegistryResults, RegistryOperations, r) for r in requests)
    for (alias, entries), result in zip(by_registry.items(), results):
        done = result.results
        n = 0
        for i, plan, dest in entries:
            moved = []
            for tag in plan.tags:
                if n < len(done) and "error" not in done[n]:
                    moved.append(tag)
                elif n < len(done):
                    run.failures.append(describe_registry_error(registries[alias], f"tagging {dest.name}:{tag}", done[n]["error"]))
                n += 1
            o = run.outcomes[i]
            run.outcomes[i] = replace(o, tags=tuple(moved))


# Helpers that await Gets must be defined before the rule: Pants collects a rule's Gets (its
# own and those of the functions it calls) when the @goal_rule decorator runs.

@goal_rule
async def release(
    targets: Targets,
    console: Console,
    workspace: Workspace,
    dist_dir: DistDir,
    subsystem: ReleaseSubsystem,
    oci: OciSubsystem,
) -> Release:
    """Plan, (dry run,) build what is missing, package charts, push by key bases first, then
    charts, move tags, record."""
    run = _Run(console, [], [])
    images = [t for t in targets if t.has_field(OciImageRegistriesField)]
    charts = [t for t in targets if t.has_field(HelmChartRegistriesField)]
    try:
        registries = parse_registries(oci.registries)
        chosen = _choose_registries([*images, *charts], oci, registries)
    except RegistryConfigError as e:
        console.print_stderr(f"release: {e}")
        return Release(exit_code=1)
    if (images or charts) and not registries:
        console.print_stderr(
            "release: no registry is configured. Add one to pants.toml, e.g. `[oci.registries.local]` "
            'with `address = "127.0.0.1:5000"` and `insecure = true` (see `pants help oci`).'
        )
        return Release(exit_code=1)
    for target in (*images, *charts):
        if not chosen[target.address]:
            console.print_stderr(f"{target.address.spec}: `registries=[]`: not released")
    images = [t for t in images if chosen[t.address]]
    charts = [t for t in charts if chosen[t.address]]
    if not images and not charts:
        console.print_stderr("release: no image or chart to publish in these targets.")
        return Release(exit_code=0)

    git = await Get(GitState, GitStateRequest())
    shallow = shallow_clone_warning(git)
    if shallow is not None:
        logger.warning(shallow)
    planned_charts = await plan_charts(charts, chosen, git, subsystem.chart_path)
    # The images the charts name join the run (stamp only) when the specs left them out.
    listed = {t.address for t in images}
    extra = [a for a in sorted(planned_charts.images) if a not in listed]
    if extra:
        extra_targets = await Get(Targets, Addresses(extra))
        try:
            chosen.update(_choose_registries(extra_targets, oci, registries))
        except RegistryConfigError as e:
            console.print_stderr(f"release: {e}")
            return Release(exit_code=1)
        images += [t for t in extra_targets if chosen[t.address]]
    keys = await MultiGet(Get(OciImageContentKey, OciImageContentKeyRequest(t.address)) for t in images)
    addresses = {t.address.spec: t.address for t in images}
    policy = TagPolicy(default_branch=subsystem.default_branch, branch_tag=subsystem.branch_tag)
    plans = []
    for target, key in zip(images, keys):
        repository = target[OciImageRepositoryField].repository(target.address)
        scope = target[OciImageTagScopeField].value or scope_of(repository)
        plans.append(
            ImagePlan(
                address=target.address.spec,
                repository=repository,
                key=key.key,
                platforms=tuple(p for p, _ in key.platforms),
                bases=tuple(b.spec for b in key.bases),
                tags=image_tags(git, policy, scope),
                destinations=tuple(Destination(r.alias, r.reference(repository)) for r in chosen[target.address]),
                stamp_only=target.address not in listed,
            )
        )
    unpushable = (
        image_destination_problems(plans)
        + chart_destination_problems(planned_charts.plans)
        + tag_problems(
            [t for p in plans if not p.stamp_only for t in p.tags],
            [c.version for c in planned_charts.plans if c.version is not None],
            policy,
        )
    )
    if unpushable:
        return _nothing_pushed(console, unpushable)
    for plan in plans:
        run.progress(plan.repository, f"checking {', '.join(d.alias for d in plan.destinations)} for {key_tag(plan.key)[:19]}…")

    used = {d.alias: registries[d.alias] for p in plans for d in p.destinations}
    lookups = await MultiGet(Get(RegistryResults, RegistryOperations, _lookup_request(r, plans)) for r in used.values())
    found: dict[str, Optional[str]] = {}
    found_platforms: dict[str, dict[str, str]] = {}
    for registry, results in zip(used.values(), lookups):
        refs = _lookup_refs(registry, plans)
        for ref, result in zip(refs, results.results):
            if "error" in result:
                run.failures.append(describe_registry_error(registry, f"looking up {ref}", result["error"]))
                break
            found[ref] = result.get("digest")
            found_platforms[ref] = result.get("platforms") or {}
    if run.failures:
        return _nothing_pushed(console, run.failures)
    plans = [
        replace(
            plan,
            destinations=tuple(
                Destination(d.alias, d.name, found.get(f"{d.name}:{key_tag(plan.key)}")) for d in plan.destinations
            ),
        )
        for plan in plans
    ]
    by_address = {p.address: p for p in plans}

    to_build = [p for p in plans if p.published_digest is None]
    to_fetch = [p for p in plans if p.published_digest is not None and not p.present_everywhere]
    inputs = await key_inputs([*to_build, *to_fetch], addresses)
    compare_tag = subsystem.compare_tag or subsystem.branch_tag
    why = await explain_rebuilds(to_build, inputs, registries, compare_tag)

    if subsystem.dry_run:
        for line in preview_lines([p for p in plans if not (p.stamp_only and p.present_everywhere)]):
            console.print_stdout(line)
        for plan in push_order(to_build):
            console.print_stdout(f"{plan.address}: would be built")
            for line in explanation_lines(why[plan.address]):
                console.print_stdout(f"  {line}")
        # A chart whose images are all published already has its key: the registry can say
        # whether it holds it. The others are stamped once their images are built.
        published = {p.address: p.published_digest for p in plans if p.published_digest is not None}
        ready = replace(planned_charts, plans=tuple(c for c in planned_charts.plans if all(a in published for a in c.images)))
        checked = await check_charts(ready, by_address, published, registries, run.progress)
        keys_of = {k: r.key for k, r in checked.keys.items()}
        for line in chart_preview_lines(planned_charts.plans, keys_of, checked.present):
            console.print_stdout(line)
        for problem in checked.problems:
            console.print_stderr(f"release would fail: {problem}")
        return Release(exit_code=1 if checked.problems else 0)

    # Build what no registry has (repo bases are built first by the build rules themselves). An
    # image some registry already has is copied from there to the others, so that every registry
    # holds the same digest.
    for plan in to_build:
        run.progress(plan.repository, "building")
        for line in explanation_lines(why[plan.address]):
            run.progress(plan.repository, f"  {line}")
    for plan in to_fetch:
        source = next(d for d in plan.destinations if d.present)
        run.progress(plan.repository, f"fetching {source.name}@{plan.published_digest} to copy to the other registries")
    built_list = await MultiGet(
        Get(BuiltOciImage, OciImageBuildRequest(addresses[p.address])) for p in to_build
    )
    fetched_list = await MultiGet(Get(RegistryResults, RegistryOperations, _fetch_request(p, registries)) for p in to_fetch)
    sources: dict[str, tuple[Digest, str]] = {p.address: (b.layout, b.index_digest) for p, b in zip(to_build, built_list)}
    for plan, fetched in zip(to_fetch, fetched_list):
        source = next(d for d in plan.destinations if d.present)
        error = next((r["error"] for r in fetched.results if "error" in r), None)
        if any(r.get("present") is False for r in fetched.results):
            error = f"manifest unknown: {source.name}@{plan.published_digest} is gone from the registry"
        if error is not None or fetched.fetched is None:
            run.failures.append(describe_registry_error(registries[source.alias], f"fetching {source.name}@{plan.published_digest}", error or "no layout"))
            continue
        sources[plan.address] = (await Get(Digest, RemovePrefix(fetched.fetched, "0")), plan.published_digest)  # type: ignore[arg-type]
    platform_digests = {
        p.address: found_platforms[f"{d.name}:{key_tag(p.key)}"]
        for p in plans
        for d in p.destinations
        if d.present
    }
    platform_digests.update({p.address: dict(b.manifests) for p, b in zip(to_build, built_list)})

    # Charts are stamped with the digests the registries will hold; those the registries lack are
    # packaged and checked before anything is pushed: a chart Helm refuses, or one deploying an
    # unpinned image, stops the run.
    digests_of = {p.address: p.published_digest for p in plans if p.published_digest is not None}
    digests_of.update({p.address: b.index_digest for p, b in zip(to_build, built_list)})
    checked = await check_charts(planned_charts, by_address, digests_of, registries, run.progress)
    run.failures += checked.problems
    if run.failures:
        return _nothing_pushed(console, run.failures)

    # Push by content key, bases first; stop at the first failure.
    digests: dict[tuple[str, str], str] = {}  # (address, alias) → index digest in that registry
    for plan in push_order(plans):
        for d in plan.destinations:
            if d.present:
                digests[(plan.address, d.alias)] = d.digest  # type: ignore[assignment]
                run.outcomes.append(Outcome(plan.address, d.alias, d.name, "present", d.digest))
                run.progress(plan.repository, f"{d.alias}: present ({d.digest}), nothing to push")
                continue
            if run.failures:
                run.outcomes.append(Outcome(plan.address, d.alias, d.name, "not-pushed"))
                continue
            layout, index_digest = sources[plan.address]
            record_layout = await inputs_artifact_layout(inputs[plan.address])
            if await _push(plan, d, registries[d.alias], layout, index_digest, record_layout, run):
                digests[(plan.address, d.alias)] = index_digest

    chart_outcomes: list[Outcome] = []
    if not run.failures:
        chart_outcomes, chart_failures = await push_charts(
            planned_charts.plans, checked, registries, run.progress
        )
        run.failures += chart_failures
    if not run.failures:
        await _move_tags(plans, registries, digests, run)

    status = "failed" if run.failures else "succeeded"
    stamps = {(c.address, c.alias): image_stamps(c, by_address, digests_of) for c in planned_charts.plans}
    record = release_record(
        plans,
        run.outcomes,
        platform_digests,
        {"commit": git.commit, "branch": git.branch, "tags_at_head": list(git.tags_at_head)},
        status,
        chart_records(planned_charts.plans, checked.keys, chart_outcomes, stamps),
        {a: {"compared_with": e.compared_with, "changes": list(e.changes), "note": e.note} for a, e in why.items()},
    )
    record_path = f"{dist_dir.relpath}/{subsystem.record}"
    workspace.write_digest(await Get(Digest, CreateDigest([FileContent(record_path, record.encode())])))
    console.print_stdout(summary_table([*run.outcomes, *chart_outcomes]))
    console.print_stdout(f"Release record: {record_path}")
    if run.failures:
        for failure in run.failures:
            console.print_stderr(f"release failed: {failure}")
        untagged = [f"{o.name}@{o.digest}" for o in run.outcomes if o.action == "pushed"]
        untagged += [f"oci://{o.name}@{o.digest}" for o in chart_outcomes if o.action == "pushed"]
        if untagged:
            console.print_stderr("Pushed but no image tag moved (a re-run finds these by their key):")
            for ref in untagged:
                console.print_stderr(f"  {ref}")
        else:
            console.print_stderr("No tag was moved.")
        return Release(exit_code=1)
    return Release(exit_code=0)


def rules() -> Iterable[Rule]:
    return (*collect_rules(), *distdir.rules())
