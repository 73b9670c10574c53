"""`pants oci-peek`: what each image and chart is built from, with the lines that say so.

`pants peek` shows targets' fields and their (inferred) dependencies; this goal adds what
inference saw but does not turn into dependencies: external base images, the Dockerfile line that
copies each file, the values/template line that names each image.
"""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable

from pants.engine.console import Console
from pants.engine.goal import Goal, GoalSubsystem, Outputting
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, goal_rule
from pants.engine.addresses import Address
from pants.engine.target import Target, Targets
from pants.option.option_types import BoolOption

from shipyard.target_types import OciImageAliasesField, OciImageRepositoryField
from shipyard.goals.oci_peek_facts import chart_facts, image_facts
from shipyard.subsystems.oci import OciSubsystem
from shipyard.dependency_inference.chart_dependencies import ChartDependencyCycleError, MissingChartDependencyError
from shipyard.dependency_inference.image_dependencies import BaseImageCycleError
from shipyard.util_rules.chart_resolution import HelmChartFieldSet, InvalidChartError, ResolvedHelmChart
from shipyard.util_rules.dockerfile_resolution import InvalidDockerfileError
from shipyard.util_rules.file_owners import UnownedFilesError
from shipyard.util_rules.repositories import AmbiguousImageReferenceError
from shipyard.util_rules.image_resolution import OciImageFieldSet, ResolvedOciImage


class OciPeekSubsystem(Outputting, GoalSubsystem):
    name = "oci-peek"
    help = (
        "Show, as JSON, what each `oci_image` and `helm_chart` is built from: copied files with the "
        "Dockerfile line copying them, stages, build args, base images (the repo's and external "
        "ones, with digests per platform under `--oci-peek-resolve`), registries, the content key, "
        "chart dependencies, and the images named in values and templates with their file and line. "
        "A target that cannot be resolved is shown as its `error` (also printed on stderr) while the "
        "others are shown in full; the goal then exits 1."
    )

    resolve = BoolOption(
        default=False,
        help=(
            "Also show what needs the registry or a build: the digest each base image resolves to "
            "per platform, and each image's content key (the inputs hash `package` computes; taken "
            "from the cache when the image was built, else built)."
        ),
    )


class OciPeek(Goal):
    subsystem_cls = OciPeekSubsystem
    environment_behavior = Goal.EnvironmentBehavior.LOCAL_ONLY


def describe_image(
    image: ResolvedOciImage, repository: str, aliases: tuple[str, ...] = ()
) -> dict[str, Any]:
    resolution = image.resolution
    return {
        "address": image.address.spec,
        "target_type": "oci_image",
        "repository": repository,
        "aliases": list(aliases),
        "dockerfile": resolution.dockerfile_path,
        "context": resolution.context_dir or ".",
        "dockerignore": resolution.dockerignore_path,
        "base_images": [
            {
                "reference": b.reference,
                "kind": b.kind,
                "line": b.line,
                "image": b.image.spec if b.image else None,
                **(
                    {"did_you_mean": {"image": b.near_miss.key.spec, "name": b.near_miss.name}}
                    if b.near_miss
                    else {}
                ),
            }
            for b in image.base_images
        ],
        "copied_files": [
            {"path": path, "line": resolution.copy_lines.get(path)} for path in resolution.copied_files
        ],
    }


def describe_chart(chart: ResolvedHelmChart) -> dict[str, Any]:
    return {
        "address": chart.address.spec,
        "target_type": "helm_chart",
        "chart": chart.chart_yaml_path,
        "name": chart.metadata.name,
        "version": chart.metadata.version,
        "app_version": chart.metadata.app_version,
        "chart_dependencies": [
            {"name": d.name, "directory": d.directory, "line": d.line} for d in chart.local_dependencies
        ],
        "images": [
            {"reference": r.reference, "path": r.path, "line": r.line, "image": r.image.spec if r.image else None}
            for r in chart.image_references
        ],
        "packaged_files": list(chart.packaged_files),
    }


# A target's own mistake: reported for that target while the others are shown.
_TARGET_ERRORS = (
    InvalidDockerfileError,
    InvalidChartError,
    AmbiguousImageReferenceError,
    UnownedFilesError,
    BaseImageCycleError,
    MissingChartDependencyError,
    ChartDependencyCycleError,
)


async def _resolve_each(
    targets: list[Target], get_one: Callable[[Target], Get]
) -> tuple[list[Any], dict[Address, str]]:
    """Every target resolved, all at once; if one fails, one at a time, keeping each error."""
    try:
        return list(await MultiGet(get_one(t) for t in targets)), {}
    except _TARGET_ERRORS:
        pass
    ok, errors = [], {}
    for t in targets:
        try:
            ok.append(await get_one(t))
        except _TARGET_ERRORS as e:
            errors[t.address] = str(e)
    return ok, errors

@goal_rule
async def oci_peek(
    console: Console, subsystem: OciPeekSubsystem, targets: Targets, oci: OciSubsystem
) -> OciPeek:
    images = [t for t in targets if OciImageFieldSet.is_applicable(t)]
    charts = [t for t in targets if HelmChartFieldSet.is_applicable(t)]
    resolved_images, image_errors = await _resolve_each(
        images, lambda t: Get(ResolvedOciImage, OciImageFieldSet, OciImageFieldSet.create(t))
    )
    resolved_charts, chart_errors = await _resolve_each(
        charts, lambda t: Get(ResolvedHelmChart, HelmChartFieldSet, HelmChartFieldSet.create(t))
    )
    broken = {**image_errors, **chart_errors}
    images = [t for t in images if t.address not in broken]
    charts = [t for t in charts if t.address not in broken]
    entries = [
        describe_image(
            image,
            t[OciImageRepositoryField].repository(t.address),
            tuple(t[OciImageAliasesField].value or ()),
        )
        for t, image in zip(images, resolved_images)
    ] + [describe_chart(chart) for chart in resolved_charts]
    entries += [{"address": a.spec, "error": message} for a, message in broken.items()]
    entries.sort(key=lambda e: e["address"])
    extra = await image_facts(images, resolved_images, oci, subsystem.resolve)
    extra.update({chart.address.spec: chart_facts(chart) for chart in resolved_charts})
    for entry in entries:
        entry.update(extra.get(entry["address"], {}))
    with subsystem.output(console) as write_stdout:
        write_stdout(json.dumps(entries, indent=2) + "\n")
    for address, message in broken.items():
        console.print_stderr(f"{address.spec}: {message}")
    return OciPeek(exit_code=1 if broken else 0)


def rules() -> Iterable[Rule]:
    return collect_rules()
