"""Registers the shipyard backend: `oci_image` and `helm_chart` targets and their rules.

Enable it with `backend_packages = ["shipyard"]` and `pythonpath = ["%(buildroot)s/pants-plugins"]`.
"""

from __future__ import annotations

from typing import Iterable

from pants.engine.rules import Rule
from pants.engine.target import Target
from pants.engine.unions import UnionRule

from shipyard import target_types as target_types_module
from shipyard.dependency_inference import chart_dependencies, image_dependencies
from shipyard.goals import delivery_graph, helm_lint, oci_peek, package, release, tailor, why_affected
from shipyard.subsystems import helm_lint as helm_lint_subsystem, helm_sdk, oci
from shipyard.util_rules import (
    chart_package,
    chart_registry,
    chart_release,
    chart_render,
    chart_resolution,
    deleted_files,
    dockerfile_resolution,
    external_bases,
    builder,
    file_owners,
    git_checkout,
    git_state,
    helm_tool,
    image_build,
    delivery_facts,
    image_resolution,
    key_inputs,
    oci_config,
    registry_client,
    repositories,
)


def rules() -> Iterable[Rule | UnionRule]:
    return (
        *oci.rules(),
        *helm_sdk.rules(),
        *helm_lint_subsystem.rules(),
        *helm_lint.rules(),
        *file_owners.rules(),
        *deleted_files.rules(),
        *repositories.rules(),
        *chart_resolution.rules(),
        *chart_dependencies.rules(),
        *dockerfile_resolution.rules(),
        *image_resolution.rules(),
        *oci_config.rules(),
        *image_dependencies.rules(),
        *tailor.rules(),
        *oci_peek.rules(),
        *builder.rules(),
        *image_build.rules(),
        *key_inputs.rules(),
        *external_bases.rules(),
        *helm_tool.rules(),
        *chart_package.rules(),
        *chart_render.rules(),
        *chart_registry.rules(),
        *chart_release.rules(),
        *package.rules(),
        *delivery_facts.rules(),
        *why_affected.rules(),
        *delivery_graph.rules(),
        *git_checkout.rules(),
        *git_state.rules(),
        *registry_client.rules(),
        *release.rules(),
    )


def target_types() -> Iterable[type[Target]]:
    return target_types_module.target_types()
