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
from dataclasses import dataclass, field
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
from shipyard.dockerfile.platforms import canonical_platform
from shipyard.dockerfile.resolved import StageInfo
from shipyard.dockerfile.rewrite import (
    FromRewrite,
    insert_after_instructions,
    rewrite_from_flags,
    rewrite_from_lines,
    swap_from_flags,
)
from shipyard.dockerfile.shared_stages import stages_shared_by_platforms
from shipyard.dockerfile.stages import StageGraph
from shipyard.source_text import decode_lossless, encode_lossless
from shipyard.subsystems.oci import OciSubsystem
from shipyard.util_rules.builder import OciBuilder
from shipyard.util_rules.external_bases import ExternalBase, ExternalBaseRequest
from shipyard.util_rules.dockerfile_resolution import DockerfileResolution
from shipyard.util_rules.image_resolution import (
    BaseImage,
    ImageExports,
    ImageExportsRequest,
    OciImageFieldSet,
    ResolvedOciImage,
)
from shipyard.util_rules.literal_globs import literal_glob

INDEX_MEDIA_TYPE = "application/vnd.oci.image.index.v1+json"
_SANDBOX = "__shipyard"
# With a remote cache, Pants starts the process this long after asking the cache, unless the cache
# has answered (a miss starts it at once). The default, 0, starts a builder beside every lookup
# and cancels it when the cached layout has downloaded: a builder run for nothing.
_REMOTE_CACHE_SPECULATION_DELAY_MILLIS = 30_000
# The builder driver and the module it imports, written side by side into the sandbox.
_DRIVER_MODULES = ("driver.py", "layer_reuse.py")
# A Pants named cache (kept per machine, outside any cache key) holding external base images'
# compressed layers as their registries serve them, so exports reuse them (`layer_reuse`).
_LAYER_CACHE = ("shipyard_base_layers", f"{_SANDBOX}/layer-cache")


def driver_sources() -> dict[str, bytes]:
    """The driver's files by name, as shipped in the plugin."""
    sources = {name: pkgutil.get_data("shipyard.builders", name) for name in _DRIVER_MODULES}
    missing = [name for name, source in sources.items() if source is None]
    assert not missing, f"shipyard.builders is missing {missing}"
    return sources  # type: ignore[return-value]


class OciBuildError(Exception):
    """A builder failed; the message names the Dockerfile line and shows the builder's last lines."""


@dataclass(frozen=True)
class PlatformInputsRequest:
    """The inputs of one platform's build of an image (`PlatformBuildInputs`)."""

    address: Address
    platform: str


@dataclass(frozen=True)
class PlatformImageRequest:
    """One platform of an image as built from the inputs whose content key is `content_key`.

    The key is part of the request, so a build after an edit is a new node in Pants' graph. Asked
    for by (address, platform) alone, a node asking for two platforms would be re-checked by asking
    again for both at once, and Pants gives up on the rest as soon as one answer differs: the
    first platform to finish building after an edit would cancel the other's running build, only
    for it to start again.
    """

    address: Address
    platform: str
    content_key: str


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


@dataclass(frozen=True)
class BasePlan:
    """How one platform's build gets every image it reads, each under a placeholder name.

    `from_lines` rewrites FROM lines, `from_flags` the `COPY --from=<image>` and `RUN
    --mount=from=<image>` flags (line -> image as written -> placeholder), `trigger_flags` those
    of the ONBUILD triggers the child runs after the FROM on that line. Each placeholder is a
    repo image built in this run (`repo_bases`) or an external image pinned to the digest of the
    platform's manifest, resolved this run (`external_bases`): a moved tag rebuilds, and no
    builder can pick a local image of another architecture.
    """

    from_lines: dict[int, FromRewrite]
    from_flags: dict[int, dict[str, str]]
    repo_bases: dict[str, PlatformInputsRequest]
    external_bases: dict[str, ExternalBaseRequest]
    # The same for the flags of ONBUILD triggers of repo bases, keyed by the child's FROM line.
    trigger_flags: dict[int, dict[str, str]] = field(default_factory=dict)


def plan_bases(resolution: DockerfileResolution, base_images: Iterable[BaseImage], platform: str) -> BasePlan:
    """The images `platform`'s build of `resolution` reads, and how its Dockerfile names them."""
    plan = BasePlan({}, {}, {}, {})
    placeholders: dict[tuple[str, str], str] = {}  # (reference, platform) -> placeholder
    from_lines = {ref.line for ref in resolution.image_refs if ref.kind == "from"}
    for ref, base in zip(resolution.image_refs, base_images):
        if ref.target_platforms and platform not in {canonical_platform(p) for p in ref.target_platforms}:
            continue
        # A FROM runs on its --platform (e.g. $BUILDPLATFORM); BuildKit pulls a --from image for
        # the target platform.
        base_platform = canonical_platform(ref.platform) if ref.kind == "from" and ref.platform else platform
        key = (ref.reference, base_platform)
        placeholder = placeholders.get(key)
        if placeholder is None:
            placeholder = placeholders[key] = f"shipyard-base-placeholder-{len(placeholders)}"
            if base.image is not None:
                plan.repo_bases[placeholder] = PlatformInputsRequest(base.image, base_platform)
            else:
                plan.external_bases[placeholder] = ExternalBaseRequest(
                    ref.reference, base_platform, f"{resolution.dockerfile_path}:{ref.line}"
                )
        if ref.kind == "from":
            # Always explicit: buildah 1.28 carries an earlier stage's --platform over to later stages.
            plan.from_lines[ref.line] = FromRewrite(placeholder, base_platform)
        elif ref.line in from_lines:
            # A --from in a repo base's ONBUILD trigger, reported at the child's FROM line.
            plan.trigger_flags.setdefault(ref.line, {})[ref.reference] = placeholder
        else:
            plan.from_flags.setdefault(ref.line, {})[ref.reference] = placeholder
    return plan


def image_root_line(stages: Iterable[StageInfo], target_index: int) -> Optional[int]:
    """The FROM line of the stage whose base the built image's layers start with: the target
    stage (`StageGraph.find_target`), or the stage it is built FROM, and so on back (a FROM can
    name only an earlier stage). Layers another stage's base gives by `COPY --from` are new
    layers, never the base's own."""
    by_index = {stage.index: stage for stage in stages}
    stage = by_index.get(target_index)
    if stage is None:
        return None
    while stage.base_stage is not None:
        stage = by_index[stage.base_stage]
    return stage.line


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


@dataclass(frozen=True)
class PlatformBuildInputs:
    """Everything one platform's build runs on, known without building anything.

    `files` holds the context, the rewritten Dockerfile, the driver and its request; the repo base
    images' layouts are added by the build. `content_key` names the image this build makes, by
    its inputs: the resolved Dockerfile, the exact files it reads, build args, target stage,
    platform, builder, each external base's digest for this platform and each repo base's own
    content key. Options that do not reach a build (registries, other images' settings) are not
    in it, so it is the same on every machine for the same inputs.
    """

    address: Address
    platform: str
    files: Digest
    repo_bases: tuple[PlatformImageRequest, ...]
    dockerfile_path: str
    dockerfile_text: str
    content_key: str
    key_document: str  # the JSON `content_key` hashes (`key_document`)
    context_dir: str  # the build context, from the build root ("" for the root)
    # The image's first platform's build, to run before this one: both run stages with the same
    # steps (`stages_shared_by_platforms`), which buildah, unlike BuildKit, would run once per
    # build when they run at once; one after the other, the second takes them from the cache.
    build_after: Optional[PlatformImageRequest] = None


def key_document(request_json: dict, dockerfile: str, context_fingerprint: str, driver: dict[str, bytes], base_keys: list[str]) -> str:
    """What a build's content key hashes, as JSON (host paths of executables left out)."""
    document = {
        "request": {k: v for k, v in request_json.items() if k != "executables"},
        "dockerfile": hashlib.sha256(encode_lossless(dockerfile)).hexdigest(),
        "context": context_fingerprint,
        "driver": hashlib.sha256(b"".join(driver[name] for name in sorted(driver))).hexdigest(),
        "repo_bases": base_keys,
    }
    return json.dumps(document, sort_keys=True)


def content_key(document: str) -> str:
    """The sha256 naming a build by its inputs: the hash of its `key_document`."""
    return hashlib.sha256(document.encode()).hexdigest()


@rule(desc="Resolve the inputs of one platform of an OCI image", level=LogLevel.DEBUG)
async def platform_build_inputs(
    request: PlatformInputsRequest, builder: OciBuilder, oci: OciSubsystem
) -> PlatformBuildInputs:
    """Resolves one platform's build (bases pinned, Dockerfile rewritten, context collected) and
    its content key, building nothing: repo bases contribute their own content keys."""
    wrapped = await Get(
        WrappedTarget, WrappedTargetRequest(request.address, description_of_origin="shipyard build")
    )
    field_set = OciImageFieldSet.create(wrapped.target)
    image = await Get(ResolvedOciImage, OciImageFieldSet, field_set)
    resolution = image.resolution
    platform = canonical_platform(request.platform)

    plan = plan_bases(resolution, image.base_images, platform)
    repo_bases, external_bases = plan.repo_bases, plan.external_bases
    # ONBUILD triggers of repo bases: the OCI layouts the builders write drop them, so the
    # child's Dockerfile runs them after its FROM, as the inference (the resolver) does.
    repo_from_lines = {
        line: repo_bases[r.reference] for line, r in plan.from_lines.items() if r.reference in repo_bases
    }
    base_exports = await MultiGet(
        Get(ImageExports, ImageExportsRequest(b.address, (b.platform,))) for b in repo_from_lines.values()
    )
    triggers = {
        line: [swap_from_flags(t.text, plan.trigger_flags.get(line, {})) for e in exports.exports for t in e.onbuild]
        for line, exports in zip(repo_from_lines, base_exports)
        if any(e.onbuild for e in exports.exports)
    }
    base_inputs = await MultiGet(Get(PlatformBuildInputs, PlatformInputsRequest, r) for r in repo_bases.values())
    pinned = await MultiGet(Get(ExternalBase, ExternalBaseRequest, r) for r in external_bases.values())

    dockerfile_contents, context = await MultiGet(
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
    )
    if resolution.copied_empty_dirs:
        # Copied though .dockerignore leaves them empty: the build needs them in its context.
        empty_dirs = await Get(Digest, CreateDigest([Directory(d) for d in resolution.copied_empty_dirs]))
        context = await Get(Digest, MergeDigests([context, empty_dirs]))
    text = decode_lossless(dockerfile_contents[0].content)
    parsed = parse_dockerfile(text, resolution.dockerfile_path)
    # What the driver loads (a layout in the sandbox) or pulls (a pinned reference), per placeholder.
    # The external base the image's layers start with, if any: the driver reuses its registry's
    # compressed layers (a repo base's layout always holds its own).
    target_index = StageGraph(parsed).find_target(field_set.target_stage.value)
    root = plan.from_lines.get(image_root_line(resolution.stages, target_index))
    driver_bases = [
        {"placeholder": placeholder, "layout": f"{_SANDBOX}/bases/{i}"}
        for i, placeholder in enumerate(repo_bases)
    ] + [
        {
            "placeholder": placeholder,
            "reference": e.pinned,
            "platform": e.platform,
            **({"image_root": True} if root and root.reference == placeholder else {}),
        }
        for placeholder, e in zip(external_bases, pinned)
    ]
    build_after = None
    platforms = field_set.build_platforms(oci)
    if (
        builder.name == "buildah"
        and platform in platforms[1:]
        and stages_shared_by_platforms(parsed, resolution.image_refs, (platforms[0], platform))
    ):
        first = await Get(PlatformBuildInputs, PlatformInputsRequest(request.address, platforms[0]))
        build_after = PlatformImageRequest(request.address, first.platform, first.content_key)
    rewritten = rewrite_from_flags(rewrite_from_lines(text, parsed, plan.from_lines), parsed, plan.from_flags)
    rewritten = insert_after_instructions(rewritten, parsed, triggers)
    if resolution.context_dir:
        context = await Get(Digest, RemovePrefix(context, resolution.context_dir))
    request_json = {
        "builder": builder.name,
        "executables": dict(builder.executables),
        "image": str(request.address),
        "platform": platform,
        # What $BUILDPLATFORM meant when the FROM lines were pinned: part of the cache key.
        "build_platform": oci.build_platform,
        "dockerfile": f"{_SANDBOX}/Dockerfile",
        "context": "context",
        "build_args": dict(field_set.build_args.value or {}),
        "target_stage": field_set.target_stage.value,
        "bases": driver_bases,
        "output": f"{_SANDBOX}/out",
        "layer_cache": _LAYER_CACHE[1],
    }
    driver_source = driver_sources()
    files = await Get(
        Digest,
        CreateDigest(
            [
                Directory("context"),
                *(FileContent(f"{_SANDBOX}/{name}", source) for name, source in driver_source.items()),
                FileContent(f"{_SANDBOX}/Dockerfile", encode_lossless(rewritten)),
                FileContent(f"{_SANDBOX}/request.json", json.dumps(request_json, sort_keys=True).encode()),
            ]
        ),
    )
    prefixed_context = await Get(Digest, AddPrefix(context, "context"))
    document = key_document(
        request_json, rewritten, context.fingerprint, driver_source, [b.content_key for b in base_inputs]
    )
    return PlatformBuildInputs(
        address=request.address,
        platform=platform,
        files=await Get(Digest, MergeDigests([files, prefixed_context])),
        repo_bases=tuple(
            PlatformImageRequest(r.address, r.platform, b.content_key)
            for r, b in zip(repo_bases.values(), base_inputs)
        ),
        dockerfile_path=resolution.dockerfile_path,
        dockerfile_text=text,
        content_key=content_key(document),
        key_document=document,
        context_dir=resolution.context_dir,
        build_after=build_after,
    )


@rule(desc="Build one platform of an OCI image", level=LogLevel.DEBUG)
async def build_platform_image(
    request: PlatformImageRequest, builder: OciBuilder, oci: OciSubsystem
) -> PlatformImage:
    """Runs the builder for one platform on the resolved inputs and this run's repo base layouts."""
    inputs, env = await MultiGet(
        Get(PlatformBuildInputs, PlatformInputsRequest(request.address, request.platform)),
        Get(EnvironmentVars, EnvironmentVarsRequest(oci.env_vars)),
    )
    platform = inputs.platform
    waits_for = (*inputs.repo_bases, *((inputs.build_after,) if inputs.build_after else ()))
    built = await MultiGet(Get(PlatformImage, PlatformImageRequest, r) for r in waits_for)
    bases = built[: len(inputs.repo_bases)]
    prefixed = await MultiGet(
        Get(Digest, AddPrefix(b.layout, f"{_SANDBOX}/bases/{i}")) for i, b in enumerate(bases)
    )
    input_digest = await Get(Digest, MergeDigests([inputs.files, *prefixed]))

    result = await Get(
        FallibleProcessResult,
        Process(
            argv=(builder.python, f"{_SANDBOX}/driver.py", f"{_SANDBOX}/request.json"),
            input_digest=input_digest,
            output_directories=(f"{_SANDBOX}/out",),
            env=env,
            description=f"Building {request.address} for {platform} with {builder.name}",
            level=LogLevel.INFO,
            append_only_caches={_LAYER_CACHE[0]: _LAYER_CACHE[1]},
            cache_scope=ProcessCacheScope.SUCCESSFUL,
            remote_cache_speculation_delay_millis=_REMOTE_CACHE_SPECULATION_DELAY_MILLIS,
        ),
    )
    if result.exit_code != 0:
        output = (result.stdout + result.stderr).decode(errors="replace").splitlines()
        step = next((l.split(":", 1)[1].strip() for l in reversed(output) if l.startswith("shipyard-failed-step:")), None)
        parsed = parse_dockerfile(inputs.dockerfile_text, inputs.dockerfile_path)
        line = _failed_line(parsed.instructions, step)
        where = f"{inputs.dockerfile_path}:{line}: {step}" if line else inputs.dockerfile_path
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
        inputs_fingerprint=inputs.content_key,
    )


def image_content_key(platform_keys: Iterable[tuple[str, str]]) -> str:
    """An image's content key: its platforms, each with its build's content key."""
    return hashlib.sha256("\n".join(f"{p} {k}" for p, k in platform_keys).encode()).hexdigest()


@dataclass(frozen=True)
class OciImageContentKeyRequest:
    address: Address


@dataclass(frozen=True)
class OciImageContentKey:
    """An image's content key, computed without building (see `PlatformBuildInputs`); equal to
    the `inputs_hash` of the image `package` builds from the same inputs."""

    address: Address
    key: str
    platforms: tuple[tuple[str, str], ...]  # (platform, that platform's content key)
    bases: tuple[Address, ...]  # the repo images it is built on


@rule(desc="Compute the content key of an OCI image")
async def oci_image_content_key(request: OciImageContentKeyRequest, oci: OciSubsystem) -> OciImageContentKey:
    """The image's content key over all its platforms, and the repo images it is built on."""
    wrapped = await Get(
        WrappedTarget, WrappedTargetRequest(request.address, description_of_origin="shipyard content key")
    )
    field_set = OciImageFieldSet.create(wrapped.target)
    platforms = field_set.build_platforms(oci)
    inputs = await MultiGet(
        Get(PlatformBuildInputs, PlatformInputsRequest(request.address, p)) for p in platforms
    )
    keys = tuple((i.platform, i.content_key) for i in inputs)
    bases = tuple(sorted({b.address for i in inputs for b in i.repo_bases}))
    return OciImageContentKey(request.address, image_content_key(keys), keys, bases)


@rule(desc="Build an OCI image for all its platforms")
async def build_oci_image(request: OciImageBuildRequest) -> BuiltOciImage:
    wrapped = await Get(
        WrappedTarget, WrappedTargetRequest(request.address, description_of_origin="shipyard build")
    )
    field_set = OciImageFieldSet.create(wrapped.target)
    # The content key first, then the builds by their platforms' keys (see `PlatformImageRequest`).
    key = await Get(OciImageContentKey, OciImageContentKeyRequest(request.address))
    images = await MultiGet(
        Get(PlatformImage, PlatformImageRequest(request.address, platform, platform_key))
        for platform, platform_key in key.platforms
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
    inputs_hash = image_content_key((i.platform, i.inputs_fingerprint) for i in images)
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
