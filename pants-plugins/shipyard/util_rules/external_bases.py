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
from shipyard.dockerfile.platforms import InvalidPlatformError, canonical_platform
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


def is_index(raw: bytes) -> bool:
    """Whether a raw manifest is an index (OCI index or Docker manifest list)."""
    document = json.loads(raw)
    return document.get("mediaType") in _INDEX_TYPES or "manifests" in document


def index_entries(raw: bytes) -> list[tuple[str, str]]:
    """(platform, digest) of each entry of a raw index that names its platform.

    Entries without a platform (or without its os and architecture), such as attestation
    manifests some registries list, are skipped: no build can ask for them.
    """
    entries: list[tuple[str, str]] = []
    for descriptor in json.loads(raw).get("manifests", []):
        p = descriptor.get("platform") or {}
        if not p.get("os") or not p.get("architecture") or "digest" not in descriptor:
            continue
        try:
            candidate = canonical_platform("/".join(filter(None, (p["os"], p["architecture"], p.get("variant")))))
        except InvalidPlatformError:
            continue
        entries.append((candidate, descriptor["digest"]))
    return entries


def select_manifest(raw: bytes, platform: str) -> Optional[str]:
    """The digest of the manifest for `platform` in a raw index, or of the raw single manifest
    (whose platform only its config says: see `config_platform`)."""
    if not is_index(raw):
        return "sha256:" + hashlib.sha256(raw).hexdigest()
    wanted = canonical_platform(platform)
    return next((digest for candidate, digest in index_entries(raw) if candidate == wanted), None)


def config_platform(raw_config: bytes) -> Optional[str]:
    """The platform an image config declares (`os`, `architecture`, `variant`), normalized; None
    when it does not say."""
    try:
        config = json.loads(raw_config)
        return canonical_platform("/".join(filter(None, (config.get("os"), config.get("architecture"), config.get("variant")))))
    except (ValueError, AttributeError):
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
        offered = ", ".join(sorted({p for p, _ in index_entries(result.stdout)})) or "none"
        raise ExternalBaseError(
            f"{request.origin}: the base image {request.reference} has no image for {platform} "
            f"(it has: {offered}). Build for the platforms it has (the `platforms` field or "
            "[oci].platforms), or use a multi-platform base."
        )
    name = qualified.split("@", 1)[0]
    if ref.tag:
        name = name.rsplit(":", 1)[0]
    pinned = f"{name}@{digest}"
    if not is_index(result.stdout):
        # A single-platform image: only its config says which platform it is for.
        config = await Get(
            FallibleProcessResult,
            Process(
                argv=(*argv, "--config", f"docker://{pinned}"),
                env=env,
                description=f"Read the config of {request.reference}",
                level=LogLevel.DEBUG,
                cache_scope=ProcessCacheScope.SUCCESSFUL,  # by digest: it never changes
            ),
        )
        has = config_platform(config.stdout) if config.exit_code == 0 else None
        if has is not None and has != platform:
            # Docker only warns here and builds arm64 images of amd64 files; its BuildKit (20.10)
            # and buildah 1.28, given the pinned image, then fail looking for a matching one.
            raise ExternalBaseError(
                f"{request.origin}: the image {request.reference} is a single-platform image for "
                f"{has}, not {platform}, so it cannot be used in the {platform} build. Use a "
                f"multi-platform image, or build this image for {has} only (its `platforms` field)."
            )
    return ExternalBase(request.reference, platform, pinned)


def rules() -> Iterable[Rule]:
    return collect_rules()
