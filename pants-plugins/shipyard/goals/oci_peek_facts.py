"""The facts `oci-peek` adds to each image beyond its Dockerfile lines: stages, build args,
registries, the digest each base reference resolves to per platform, and the content key.

Digests and the content key need the registry (`skopeo inspect`) or a build (taken from the cache
when `package` already ran); they are filled only with `--oci-peek-resolve`, and are null when not
known. A base written `name@sha256:...` is known without resolving.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

from pants.engine.rules import Get, MultiGet
from pants.engine.target import Target
from pants.util.frozendict import FrozenDict

from shipyard.image_ref import ImageRef, InvalidImageReference
from shipyard.subsystems.oci import OciSubsystem
from shipyard.target_types import OciImageBuildArgsField, OciImageTargetStageField
from shipyard.util_rules.external_bases import ExternalBase, ExternalBaseRequest
from shipyard.util_rules.image_build import BuiltOciImage, OciImageBuildRequest, canonical_platform
from shipyard.util_rules.chart_resolution import ResolvedHelmChart
from shipyard.util_rules.image_resolution import ResolvedOciImage


def _pinned_digest(reference: str) -> Optional[str]:
    try:
        return ImageRef.parse(reference).digest
    except InvalidImageReference:  # reported where the Dockerfile was resolved
        return None


def _pulled(from_platform: Optional[str], target_platform: str) -> str:
    """The platform of the base a build for `target_platform` pulls (`FROM --platform=` wins)."""
    return canonical_platform(from_platform or target_platform)


def chart_facts(chart: ResolvedHelmChart) -> dict[str, Any]:
    """The extra keys of a chart's `oci-peek` entry: every Chart.yaml dependency (remote ones
    too) and each image reference's `path:line`."""
    return {
        "dependencies": [
            {
                "name": d.name,
                "version": d.version,
                "repository": d.repository,
                "alias": d.alias,
                "line": d.line,
                "local_directory": d.local_path(chart.chart_dir),
            }
            for d in chart.metadata.dependencies
        ],
        "image_locations": [f"{r.path}:{r.line}" for r in chart.image_references],
    }


async def image_facts(
    targets: Sequence[Target], resolved: Sequence[ResolvedOciImage], oci: OciSubsystem, resolve: bool
) -> dict[str, dict[str, Any]]:
    """The extra keys of each image's `oci-peek` entry, by address spec."""
    built_by_address: dict = {}
    external: dict[tuple[str, str], str] = {}
    if resolve:
        repo_bases = {b for image in resolved for b in image.repo_bases}
        addresses = sorted({t.address for t in targets} | repo_bases)
        built = await MultiGet(Get(BuiltOciImage, OciImageBuildRequest(a)) for a in addresses)
        built_by_address = {b.address: b for b in built}
        requests = {
            (ref.reference, _pulled(ref.platform, platform)): ExternalBaseRequest(
                ref.reference, _pulled(ref.platform, platform), f"{image.resolution.dockerfile_path}:{ref.line}"
            )
            for image in resolved
            for ref, base in zip(image.resolution.image_refs, image.base_images)
            if base.image is None and not _pinned_digest(ref.reference)
            for platform in ref.target_platforms
        }
        pinned = await MultiGet(Get(ExternalBase, ExternalBaseRequest, r) for r in requests.values())
        external = {key: p.pinned.rsplit("@", 1)[1] for key, p in zip(requests, pinned)}

    facts = {}
    for target, image in zip(targets, resolved):
        resolution = image.resolution
        bases = []
        for ref, base in zip(resolution.image_refs, image.base_images):
            digests: dict[str, Optional[str]] = {}
            for platform in (canonical_platform(p) for p in ref.target_platforms):
                if _pinned_digest(ref.reference):
                    digests[platform] = _pinned_digest(ref.reference)
                elif base.image is not None and base.image in built_by_address:
                    pulled = _pulled(ref.platform, platform)
                    digests[platform] = dict(built_by_address[base.image].manifests).get(pulled)
                else:
                    digests[platform] = external.get((ref.reference, _pulled(ref.platform, platform)))
            bases.append(
                {
                    "reference": ref.reference,
                    "kind": ref.kind,
                    "line": ref.line,
                    "stage": ref.stage,
                    "in_repo": base.image is not None,
                    "image": base.image.spec if base.image else None,
                    "digests": digests,
                }
            )
        built = built_by_address.get(target.address)
        facts[target.address.spec] = {
            "stages": [
                {
                    "index": s.index,
                    "name": s.name,
                    "line": s.line,
                    "base": s.base,
                    "base_stage": s.base_stage,
                    "built": s.used,
                }
                for s in resolution.stages
            ],
            "target_stage": target[OciImageTargetStageField].value,
            "build_args": dict(FrozenDict(target[OciImageBuildArgsField].value or {})),
            "registries": dict(oci.registries),
            "bases": bases,
            "content_key": built.inputs_hash if built else None,
            "platforms": {p: d for p, d in built.manifests} if built else None,
            "index_digest": built.index_digest if built else None,
        }
    return facts
