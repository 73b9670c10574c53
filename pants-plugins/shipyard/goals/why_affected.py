"""`pants why-affected`: for each image and chart a change affects, the shortest chain from a
changed file to it, every step with its reason and the file and line behind it; and with
`--explain-not`, why an image or chart is *not* affected.

    pants --changed-since=main why-affected
    pants why-affected libs/tinyolly_common/models.py
    pants --changed-since=main why-affected --explain-not=apps/demo:demo

Reachability follows Pants' dependency graph (the one `--changed-since` uses); the reasons come
from the Dockerfile, chart and import facts the inference rules read. A deleted file is matched
against the Dockerfiles as if it were still there, as inference does in a `--changed-since` run.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from enum import Enum
from typing import Any, Iterable, Optional

from pants.backend.project_info.dependents import AddressToDependents
from pants.base.specs import Specs
from pants.engine.addresses import Address, AddressInput
from pants.engine.console import Console
from pants.engine.fs import DigestContents, GlobMatchErrorBehavior, PathGlobs
from pants.engine.goal import Goal, GoalSubsystem, Outputting
from pants.engine.internals.build_files import BuildFileOptions
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, goal_rule
from pants.option.option_types import EnumOption, StrListOption
from pants.util.strutil import help_text

from shipyard.delivery.graph import CHART, IMAGE, Chain, sorted_chains
from shipyard.delivery.not_read import why_chart_does_not_read, why_image_does_not_read
from shipyard.dockerfile.dockerignore import DockerIgnore
from shipyard.source_text import decode_lossless
from shipyard.subsystems.oci import OciSubsystem
from shipyard.util_rules.change_trace import trace_changes
from shipyard.util_rules.chart_resolution import ResolvedHelmChart
from shipyard.util_rules.delivery_facts import DeliveryFacts, ImageFacts
from shipyard.util_rules.dockerfile_resolution import DockerfileResolution, DockerfileResolutionRequest
from shipyard.util_rules.image_resolution import OciImageFieldSet


class WhyAffectedFormat(Enum):
    text = "text"
    json = "json"


class WhyAffectedSubsystem(Outputting, GoalSubsystem):
    name = "why-affected"
    help = help_text(
        """
        Explain which `oci_image` and `helm_chart` targets a change affects, and why: for each,
        the shortest chain from a changed file to it, every step with its reason and the file and
        line that makes it (`copied by dockerfiles/Dockerfile.ui:10 (COPY ...)`, `FROM in ...`,
        `named by charts/x/values.yaml:17`, `imported by apps/ui/server.py:12`).

        Use with `--changed-since=REF` (the files changed since REF) or with file arguments.
        """
    )

    explain_not = StrListOption(
        help=help_text(
            """
            Addresses of `oci_image`/`helm_chart` targets you expected to be affected: for each,
            say why each changed file does not reach it (not under the build context, excluded by
            `.dockerignore:LINE`, copied only by a stage the build skips, left out by
            `.helmignore:LINE`, not named by the chart), e.g. `--explain-not=apps/demo:demo`.
            """
        ),
    )
    format = EnumOption(
        default=WhyAffectedFormat.text,
        help="`text` for people, `json` for scripts (the same chains as lists of steps).",
    )


class WhyAffected(Goal):
    subsystem_cls = WhyAffectedSubsystem
    environment_behavior = Goal.EnvironmentBehavior.LOCAL_ONLY


@dataclass(frozen=True)
class Explanation:
    """Why one artifact the user expected is not affected (or the chain, if it is)."""

    address: str
    kind: str
    chain: Optional[Chain]
    files: tuple[tuple[str, str], ...]  # (changed file, why it does not reach the artifact)
    reads: tuple[str, ...]  # the repo images and charts it reads, none of them affected


def _render_chain(chain: Chain) -> list[str]:
    out = [f"    {chain.nodes[0].label}"]
    for edge, node in zip(chain.edges, chain.nodes[1:]):
        out.append(f"  → {edge.describe()}")
        out.append(f"    {node.label}")
    return out


def _chain_json(chain: Chain) -> dict[str, Any]:
    return {
        "artifact": chain.end.id,
        "kind": chain.end.kind,
        "from": chain.start.id,
        "steps": [
            {"from": e.source, "to": e.target, "reason": e.reason, "location": e.location, "quote": e.quote}
            for e in chain.edges
        ],
        "text": chain.text(),
    }


async def _explain_not(
    address: Address,
    changed: list[str],
    chains: dict[str, Chain],
    facts: DeliveryFacts,
    oci: OciSubsystem,
) -> Explanation:
    image = facts.image(address)
    chart = facts.chart(address)
    kind = IMAGE if image is not None else CHART
    if address.spec in chains:
        return Explanation(address.spec, kind, chains[address.spec], (), ())
    if image is not None:
        return await _explain_image_not(image, changed, facts, oci)
    assert chart is not None
    return _explain_chart_not(chart, changed, facts)


async def _explain_image_not(
    image: ImageFacts, changed: list[str], facts: DeliveryFacts, oci: OciSubsystem
) -> Explanation:
    resolution = image.resolved.resolution
    field_set = OciImageFieldSet.create(image.target)
    skipped = [s for s in resolution.stages if not s.used and s.name]
    ignore_contents, *skipped_resolutions = await MultiGet(
        Get(
            DigestContents,
            PathGlobs(
                [resolution.dockerignore_path] if resolution.dockerignore_path else [],
                glob_match_error_behavior=GlobMatchErrorBehavior.ignore,
            ),
        ),
        *(
            Get(DockerfileResolution, DockerfileResolutionRequest, field_set.dockerfile_request(oci, target_stage=s.name))
            for s in skipped
        ),
    )
    dockerignore = (
        DockerIgnore.parse(decode_lossless(ignore_contents[0].content), resolution.dockerignore_path)
        if ignore_contents and resolution.dockerignore_path
        else None
    )
    skipped_copies = {
        s.label: (s.line, frozenset(r.copied_files)) for s, r in zip(skipped, skipped_resolutions)
    }
    target_stage = next((s.label for s in reversed(resolution.stages) if s.used), "")
    reasons = []
    for path in changed:
        reason = why_image_does_not_read(
            path,
            dockerfile_path=resolution.dockerfile_path,
            context_dir=resolution.context_dir,
            dockerignore=dockerignore,
            copied=frozenset(resolution.copied_files),
            skipped_stage_copies=skipped_copies,
            target_stage=field_set.target_stage.value or target_stage,
        ) or "read by it, but it is not affected (tell us: this is a bug)"
        if path.endswith(".py") and reason.startswith("in the build context"):
            reason += ", and no file it copies imports it"
        reasons.append((path, reason))
    return Explanation(
        image.address.spec, IMAGE, None, tuple(reasons), tuple(a.spec for a in image.resolved.repo_bases)
    )


def _explain_chart_not(chart: ResolvedHelmChart, changed: list[str], facts: DeliveryFacts) -> Explanation:
    reads = sorted(
        {r.image.spec for r in chart.image_references if r.image is not None}
        | {c.address.spec for c in facts.charts if c.chart_dir in {d.directory for d in chart.local_dependencies}}
    )
    reasons = []
    for path in changed:
        reason = why_chart_does_not_read(
            path,
            chart_dir=chart.chart_dir,
            helmignore=chart.helmignore,
            helmignore_path=chart.helmignore_path if chart.helmignore else None,
            packaged=frozenset(chart.packaged_files),
        ) or "packaged by it, but it is not affected (tell us: this is a bug)"
        if reason.startswith("not in the chart directory"):
            reason += ", and no image or chart the chart names is affected by it"
        reasons.append((path, reason))
    return Explanation(chart.address.spec, CHART, None, tuple(reasons), tuple(reads))


def _render_explanation(e: Explanation) -> list[str]:
    if e.chain is not None:
        return [f"{e.kind} {e.address} is affected:", *_render_chain(e.chain)]
    out = [f"{e.kind} {e.address} is not affected:"]
    out.extend(f"  {path}: {reason}" for path, reason in e.files)
    if e.reads:
        out.append(f"  not affected either, of what it reads in the repo: {', '.join(e.reads)}")
    return out

@goal_rule
async def why_affected(
    console: Console,
    subsystem: WhyAffectedSubsystem,
    specs: Specs,
    address_to_dependents: AddressToDependents,
    facts: DeliveryFacts,
    oci: OciSubsystem,
    build_file_options: BuildFileOptions,
) -> WhyAffected:
    changed = sorted({spec.file for spec in specs.includes.file_literals})
    if not changed:
        if specs.includes.from_change_detection:
            console.print_stdout("No file changed: nothing is affected.")
            return WhyAffected(exit_code=0)
        console.print_stderr(
            "why-affected needs changed files: run `pants --changed-since=REF why-affected`, or name "
            "files: `pants why-affected libs/tinyolly_common/models.py`."
        )
        return WhyAffected(exit_code=1)

    trace = await trace_changes(changed, address_to_dependents, facts, oci, build_file_options)
    deleted, graph = trace.deleted, trace.graph
    chains = graph.shortest_chains(changed)
    ordered = sorted_chains(chains)
    reaching = {c.start.id for c in ordered}
    unaffecting = [p for p in changed if p not in reaching]
    expected = await MultiGet(
        Get(Address, AddressInput, AddressInput.parse(spec, description_of_origin="`--why-affected-explain-not`"))
        for spec in subsystem.explain_not
    )
    not_artifacts = [a.spec for a in expected if facts.image(a) is None and facts.chart(a) is None]
    if not_artifacts:
        console.print_stderr(
            f"--why-affected-explain-not: {', '.join(not_artifacts)} is not an oci_image or helm_chart "
            "target. Name an image or chart, e.g. `--explain-not=dockerfiles:ui`."
        )
        return WhyAffected(exit_code=1)
    explanations = []
    for address in expected:
        explanations.append(await _explain_not(address, changed, chains, facts, oci))

    with subsystem.output(console) as write_stdout:
        if subsystem.format == WhyAffectedFormat.json:
            write_stdout(
                json.dumps(
                    {
                        "changed": changed,
                        "deleted": list(deleted),
                        "affected": [_chain_json(c) for c in ordered],
                        "affecting_nothing": unaffecting,
                        "explain_not": [
                            {
                                "address": e.address,
                                "kind": e.kind,
                                "affected": e.chain is not None,
                                "chain": _chain_json(e.chain) if e.chain else None,
                                "files": [{"path": p, "reason": r} for p, r in e.files],
                                "reads": list(e.reads),
                            }
                            for e in explanations
                        ],
                    },
                    indent=2,
                )
                + "\n"
            )
        else:
            write_stdout("\n".join(_render_text(changed, ordered, unaffecting, explanations)) + "\n")
    return WhyAffected(exit_code=0)


def _render_text(changed: list[str], chains: list[Chain], unaffecting: list[str], explanations: list[Explanation]) -> list[str]:
    images = sum(1 for c in chains if c.end.kind == IMAGE)
    charts = len(chains) - images
    files = f"{len(changed)} changed file{'s' if len(changed) != 1 else ''}"
    verb = "affects" if len(changed) == 1 else "affect"
    if chains:
        out = [f"{files} {verb} {images} image{'s' if images != 1 else ''} and {charts} chart{'s' if charts != 1 else ''}."]
    else:
        out = [f"{files} {verb} no image or chart."]
    for chain in chains:
        out.append("")
        out.append(chain.end.label)
        out.extend(_render_chain(chain))
    if unaffecting:
        out.append("")
        out.append("Read by no image or chart:")
        out.extend(f"    {p}" for p in unaffecting)
    for explanation in explanations:
        out.append("")
        out.extend(_render_explanation(explanation))
    return out


def rules() -> Iterable[Rule]:
    return collect_rules()
