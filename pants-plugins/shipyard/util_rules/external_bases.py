"""Pins external base images to the digest of the platform a build needs.

A build that pulls `python:3.11-slim` by tag would be cached under the tag: when upstream moves the
tag, Pants would keep reusing the old build. So each tag is resolved once per Pants run (a
per-session `skopeo inspect`), and the per-platform manifest digest goes into the build's inputs:
the build is redone exactly when the base really changed, and pulls by digest. References already
pinned by digest are resolved once and cached for good.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Iterable, Optional

from pants.engine.env_vars import EnvironmentVars, EnvironmentVarsRequest
from pants.engine.process import FallibleProcessResult, Process, ProcessCacheScope
from pants.engine.rules import Get, Rule, collect_rules, rule
from pants.util.logging import LogLevel

from shipyard.builders.driver import docker_hub_qualified
from shipyard.dockerfile.platforms import canonical_platform, normalize_platform
from shipyard.image_ref import ImageRef
from shipyard.subsystems.oci import OciSubsystem
from shipyard.util_rules.builder import OciBuilder

_INDEX_TYPES = (
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
)


class ExternalBaseError(Exception):
    """An external base image cannot be resolved; the message says which and why."""


@dataclass(frozen=True)
class ExternalBaseRequest:
    reference: str  # as written in the Dockerfile, after ARG substitution
    platform: str  # os/arch[/variant]
    origin: str  # `Dockerfile:line`, for errors


@dataclass(frozen=True)
class ExternalBase:
    """`pinned` is `<fully qualified name>@sha256:...` of the manifest for `platform`."""

    reference: str
    platform: str
    pinned: str


def select_manifest(raw: bytes, platform: str) -> Optional[str]:
    """The digest of the manifest for `platform` in a raw index, or of the raw single manifest."""
    document = json.loads(raw)
    if document.get("mediaType") not in _INDEX_TYPES and "manifests" not in document:
        return "sha256:" + hashlib.sha256(raw).hexdigest()
    wanted = normalize_platform(platform)
    for descriptor in document.get("manifests", []):
        p = descriptor.get("platform") or {}
        candidate = normalize_platform(
            "/".join(filter(None, (p.get("os"), p.get("architecture"), p.get("variant"))))
        )
        if candidate == wanted:
            return descriptor["digest"]
    return None


@rule(desc="Resolve an external base image to a digest", level=LogLevel.DEBUG)
async def resolve_external_base(
    request: ExternalBaseRequest, builder: OciBuilder, oci: OciSubsystem
) -> ExternalBase:
    ref = ImageRef.parse(request.reference)
    qualified = docker_hub_qualified(request.reference)
    env = await Get(EnvironmentVars, EnvironmentVarsRequest(oci.env_vars))
    argv = [builder.skopeo, "inspect", "--raw"]
    if env.get("CONTAINERS_REGISTRIES_CONF"):
        # skopeo ignores CONTAINERS_REGISTRIES_CONF; the mirrors for Docker Hub names live there.
        argv += ["--registries-conf", env["CONTAINERS_REGISTRIES_CONF"]]
    result = await Get(
        FallibleProcessResult,
        Process(
            argv=(*argv, f"docker://{qualified}"),
            env=env,
            description=f"Resolve {request.reference}",
            level=LogLevel.DEBUG,
            # A tag can move: resolve it again on every run. A digest cannot.
            cache_scope=ProcessCacheScope.SUCCESSFUL if ref.digest else ProcessCacheScope.PER_SESSION,
        ),
    )
    if result.exit_code != 0:
        raise ExternalBaseError(
            f"{request.origin}: cannot resolve the base image {request.reference} "
            f"({result.stderr.decode(errors='replace').strip()[-400:]}). Check that its registry "
            "can be reached (and the mirrors in CONTAINERS_REGISTRIES_CONF), or pin it by digest."
        )
    platform = canonical_platform(request.platform)
    digest = select_manifest(result.stdout, platform)
    if digest is None:
        raise ExternalBaseError(
            f"{request.origin}: the base image {request.reference} has no image for {platform}. "
            "Build for the platforms it has (the `platforms` field or [oci].platforms), or use a "
            "multi-platform base."
        )
    name = qualified.split("@", 1)[0]
    if ref.tag:
        name = name.rsplit(":", 1)[0]
    return ExternalBase(request.reference, platform, f"{name}@{digest}")


def rules() -> Iterable[Rule]:
    return collect_rules()
