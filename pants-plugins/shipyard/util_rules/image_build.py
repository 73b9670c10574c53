"""Builds `oci_image` targets: one sandboxed, cached builder run per platform, then an OCI index.

Each platform's build is a Pants `Process`, so its result is cached: a second build with the same
inputs (context files, Dockerfile, build args, platform, base images) runs no builder at all.
A FROM naming a repo image is rewritten to that image as built in this same run (its layout is an
input of the process), never a stale copy in a daemon or registry; that also builds bases first.
"""

from __future__ import annotations

import hashlib
import json
import pkgutil
from dataclasses import dataclass
from typing import Iterable, Optional

from pants.engine.addresses import Address
from pants.engine.env_vars import EnvironmentVars, EnvironmentVarsRequest
from pants.engine.fs import (
    AddPrefix,
    CreateDigest,
    Digest,
    DigestContents,
    DigestSubset,
    Directory,
    FileContent,
    GlobMatchErrorBehavior,
    MergeDigests,
    PathGlobs,
    RemovePrefix,
)
from pants.engine.process import FallibleProcessResult, Process, ProcessCacheScope
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.engine.target import WrappedTarget, WrappedTargetRequest
from pants.util.logging import LogLevel

from shipyard.dockerfile.parser import parse_dockerfile
from shipyard.dockerfile.resolver import format_platform, normalize_platform
from shipyard.dockerfile.rewrite import FromRewrite, rewrite_from_lines
from shipyard.subsystems.oci import OciSubsystem
from shipyard.util_rules.builder import OciBuilder
from shipyard.util_rules.external_bases import ExternalBase, ExternalBaseRequest
from shipyard.util_rules.image_resolution import OciImageFieldSet, ResolvedOciImage
from shipyard.util_rules.literal_globs import literal_glob

INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
_SANDBOX = "__shipyard"


class OciBuildError(Exception):
    """A builder failed; the message names the Dockerfile line and shows the builder's last lines."""


@dataclass(frozen=True)
class PlatformImageRequest:
    address: Address
    platform: str


@dataclass(frozen=True)
class PlatformImage:
    """One platform of an image: an OCI layout holding one manifest, described by `descriptor`."""

    address: Address
    platform: str
    layout: Digest
    descriptor_json: str
    inputs_fingerprint: str

    @property
    def digest(self) -> str:
        return json.loads(self.descriptor_json)["digest"]


@dataclass(frozen=True)
class OciImageBuildRequest:
    address: Address


@dataclass(frozen=True)
class BuiltOciImage:
    """An image built for all its platforms: an OCI layout whose index.json names one index."""

    address: Address
    repository: str
    layout: Digest
    index_digest: str
    manifests: tuple[tuple[str, str], ...]  # (platform, manifest digest)
    inputs_hash: str

    def metadata(self) -> dict:
        return {
            "address": self.address.spec,
            "repository": self.repository,
            "index_digest": self.index_digest,
            "platforms": {platform: digest for platform, digest in self.manifests},
            "inputs_hash": self.inputs_hash,
        }


def canonical_platform(text: str) -> str:
    return format_platform(*normalize_platform(text))


def _failed_line(parsed_instructions, step: Optional[str]) -> Optional[int]:
    """The Dockerfile line of the instruction the builder printed as its last step."""
    if not step:
        return None
    wanted = " ".join(step.split())
    for instruction in parsed_instructions:
        text = " ".join(instruction.original.split())
        if text == wanted or text.endswith(wanted) or wanted.endswith(text):
            return instruction.line
    return None


@rule(desc="Build one platform of an OCI image", level=LogLevel.DEBUG)
async def build_platform_image(
    request: PlatformImageRequest, builder: OciBuilder, oci: OciSubsystem
) -> PlatformImage:
    wrapped = await Get(
        WrappedTarget, WrappedTargetRequest(request.address, description_of_origin="shipyard build")
    )
    field_set = OciImageFieldSet.create(wrapped.target)
    image = await Get(ResolvedOciImage, OciImageFieldSet, field_set)
    resolution = image.resolution
    platform = canonical_platform(request.platform)

    # Every image this platform's build starts FROM is pinned for the exact platform it runs on:
    # repo images to their build from this run, external ones to the digest of that platform's
    # manifest, resolved this run (so a moved tag rebuilds, and no builder can pick a local image
    # of another architecture).
    rewrites: dict[int, FromRewrite] = {}
    repo_bases: dict[str, PlatformImageRequest] = {}  # by placeholder
    external_bases: dict[str, ExternalBaseRequest] = {}
    for ref, base in zip(resolution.image_refs, image.base_images):
        if ref.target_platforms and platform not in {canonical_platform(p) for p in ref.target_platforms}:
            continue
        if ref.kind != "from":
            if base.image is not None:
                raise OciBuildError(
                    f"{resolution.dockerfile_path}:{ref.line}: building with "
                    f"`{ref.kind.replace('_', ' ')}` of the repo image {ref.reference} is not "
                    f"supported yet. Use it in a stage (`FROM {ref.reference} AS base`) and "
                    "`COPY --from=base`."
                )
            continue
        base_platform = canonical_platform(ref.platform) if ref.platform else platform
        placeholder = f"shipyard-base-placeholder-{len(rewrites)}"
        # Always explicit: buildah 1.28 carries an earlier stage's --platform over to later stages.
        rewrites[ref.line] = FromRewrite(placeholder, base_platform)
        if base.image is not None:
            repo_bases[placeholder] = PlatformImageRequest(base.image, base_platform)
        else:
            external_bases[placeholder] = ExternalBaseRequest(
                ref.reference, base_platform, f"{resolution.dockerfile_path}:{ref.line}"
            )
    bases = await MultiGet(Get(PlatformImage, PlatformImageRequest, r) for r in repo_bases.values())
    pinned = await MultiGet(Get(ExternalBase, ExternalBaseRequest, r) for r in external_bases.values())
    # What the driver loads (a layout in the sandbox) or pulls (a pinned reference), per placeholder.
    driver_bases = [
        {"placeholder": placeholder, "layout": f"{_SANDBOX}/bases/{i}"}
        for i, placeholder in enumerate(repo_bases)
    ] + [
        {"placeholder": placeholder, "reference": e.pinned, "platform": e.platform}
        for placeholder, e in zip(external_bases, pinned)
    ]

    dockerfile_contents, context, env = await MultiGet(
        Get(DigestContents, PathGlobs([resolution.dockerfile_path])),
        # The copy set was resolved from the context as it is now; a file of it that is gone
        # when the context is captured must fail the build, not drop out of it silently.
        Get(
            Digest,
            PathGlobs(
                [literal_glob(path) for path in resolution.copied_files],
                glob_match_error_behavior=GlobMatchErrorBehavior.error,
                description_of_origin=f"the build context of {request.address}",
            ),
        ),
        Get(EnvironmentVars, EnvironmentVarsRequest(oci.env_vars)),
    )
    text = dockerfile_contents[0].content.decode()
    parsed = parse_dockerfile(text, resolution.dockerfile_path)
    rewritten = rewrite_from_lines(text, parsed, rewrites)
    if resolution.context_dir:
        context = await Get(Digest, RemovePrefix(context, resolution.context_dir))
    request_json = {
        "builder": builder.name,
        "executables": dict(builder.executables),
        "image": str(request.address),
        "platform": platform,
        "dockerfile": f"{_SANDBOX}/Dockerfile",
        "context": "context",
        "build_args": dict(field_set.build_args.value or {}),
        "target_stage": field_set.target_stage.value,
        "bases": driver_bases,
        "output": f"{_SANDBOX}/out",
    }
    driver_source = pkgutil.get_data("shipyard.builders", "driver.py")
    assert driver_source is not None
    files = await Get(
        Digest,
        CreateDigest(
            [
                Directory("context"),
                FileContent(f"{_SANDBOX}/driver.py", driver_source),
                FileContent(f"{_SANDBOX}/Dockerfile", rewritten.encode()),
                FileContent(f"{_SANDBOX}/request.json", json.dumps(request_json, sort_keys=True).encode()),
            ]
        ),
    )
    prefixed = await MultiGet(
        [Get(Digest, AddPrefix(context, "context"))]
        + [Get(Digest, AddPrefix(b.layout, f"{_SANDBOX}/bases/{i}")) for i, b in enumerate(bases)]
    )
    input_digest = await Get(Digest, MergeDigests([files, *prefixed]))

    result = await Get(
        FallibleProcessResult,
        Process(
            argv=(builder.python, f"{_SANDBOX}/driver.py", f"{_SANDBOX}/request.json"),
            input_digest=input_digest,
            output_directories=(f"{_SANDBOX}/out",),
            env=env,
            description=f"Building {request.address} for {platform} with {builder.name}",
            level=LogLevel.INFO,
            cache_scope=ProcessCacheScope.SUCCESSFUL,
        ),
    )
    if result.exit_code != 0:
        output = (result.stdout + result.stderr).decode(errors="replace").splitlines()
        step = next((l.split(":", 1)[1].strip() for l in reversed(output) if l.startswith("shipyard-failed-step:")), None)
        line = _failed_line(parsed.instructions, step)
        where = f"{resolution.dockerfile_path}:{line}: {step}" if line else resolution.dockerfile_path
        tail = "\n".join(f"  | {l}" for l in output[-30:])
        raise OciBuildError(
            f"Building {request.address} for {platform} with {builder.name} failed at {where}\n"
            f"Last lines of the builder's output:\n{tail}"
        )

    layout = await Get(Digest, RemovePrefix(result.output_digest, f"{_SANDBOX}/out"))
    index_contents = await Get(DigestContents, DigestSubset(layout, PathGlobs(["index.json"])))
    (descriptor,) = json.loads(index_contents[0].content)["manifests"]
    descriptor.get("annotations", {}).pop("org.opencontainers.image.ref.name", None)
    if not descriptor.get("annotations"):
        descriptor.pop("annotations", None)
    return PlatformImage(
        address=request.address,
        platform=platform,
        layout=layout,
        descriptor_json=json.dumps(descriptor, sort_keys=True),
        inputs_fingerprint=input_digest.fingerprint,
    )


@rule(desc="Build an OCI image for all its platforms")
async def build_oci_image(request: OciImageBuildRequest, oci: OciSubsystem) -> BuiltOciImage:
    wrapped = await Get(
        WrappedTarget, WrappedTargetRequest(request.address, description_of_origin="shipyard build")
    )
    field_set = OciImageFieldSet.create(wrapped.target)
    platforms = tuple(dict.fromkeys(canonical_platform(p) for p in field_set.platforms_or_default(oci)))
    images = await MultiGet(
        Get(PlatformImage, PlatformImageRequest(request.address, p)) for p in platforms
    )
    blobs = await MultiGet(Get(Digest, DigestSubset(i.layout, PathGlobs(["blobs/**"]))) for i in images)

    index = {
        "schemaVersion": 2,
        "mediaType": INDEX_MEDIA_TYPE,
        "manifests": [json.loads(i.descriptor_json) for i in images],
    }
    index_bytes = json.dumps(index, sort_keys=True, separators=(",", ":")).encode()
    index_hex = hashlib.sha256(index_bytes).hexdigest()
    layout_index = {
        "schemaVersion": 2,
        "manifests": [
            {
                "mediaType": INDEX_MEDIA_TYPE,
                "digest": f"sha256:{index_hex}",
                "size": len(index_bytes),
                "annotations": {"org.opencontainers.image.ref.name": "latest"},
            }
        ],
    }
    layout_files = await Get(
        Digest,
        CreateDigest(
            [
                FileContent(f"blobs/sha256/{index_hex}", index_bytes),
                FileContent("index.json", json.dumps(layout_index, indent=2).encode()),
                FileContent("oci-layout", b'{"imageLayoutVersion":"1.0.0"}'),
            ]
        ),
    )
    layout = await Get(Digest, MergeDigests([*blobs, layout_files]))
    inputs_hash = hashlib.sha256(
        "\n".join(f"{i.platform} {i.inputs_fingerprint}" for i in images).encode()
    ).hexdigest()
    return BuiltOciImage(
        address=request.address,
        repository=field_set.repository.repository(request.address),
        layout=layout,
        index_digest=f"sha256:{index_hex}",
        manifests=tuple((i.platform, i.digest) for i in images),
        inputs_hash=inputs_hash,
    )


def rules() -> Iterable[Rule]:
    return collect_rules()
