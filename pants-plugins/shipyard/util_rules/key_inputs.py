"""The document of everything an image's content key covers (`publish/key_diff.py`), computed
without building: what `release` stores with each image it publishes, and compares with the
document of the digest the registry's tag names to say why an image is rebuilt.

    Get(ImageKeyInputs, ImageKeyInputsRequest(address))
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass
from typing import Iterable

from pants.engine.addresses import Address
from pants.engine.fs import Digest, DigestEntries, FileEntry
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.util.logging import LogLevel

from shipyard.publish.key_diff import PlatformInputs, inputs_document
from shipyard.util_rules.image_build import (
    OciImageContentKey,
    OciImageContentKeyRequest,
    PlatformBuildInputs,
    PlatformInputsRequest,
)

_CONTEXT = "context/"


@dataclass(frozen=True)
class ImageKeyInputsRequest:
    address: Address


@dataclass(frozen=True)
class ImageKeyInputs:
    """The image's content key and the JSON document of its inputs."""

    address: Address
    key: str
    document: str


@rule(desc="Describe the inputs of an image's content key", level=LogLevel.DEBUG)
async def image_key_inputs(request: ImageKeyInputsRequest) -> ImageKeyInputs:
    key = await Get(OciImageContentKey, OciImageContentKeyRequest(request.address))
    inputs = await MultiGet(
        Get(PlatformBuildInputs, PlatformInputsRequest(request.address, p)) for p, _ in key.platforms
    )
    entries = await MultiGet(Get(DigestEntries, Digest, i.files) for i in inputs)
    base_requests = [b for i in inputs for b in i.repo_bases]
    base_inputs = await MultiGet(
        Get(PlatformBuildInputs, PlatformInputsRequest(b.address, b.platform)) for b in base_requests
    )
    base_keys = dict(zip(base_requests, base_inputs))
    platforms = []
    for platform_inputs, platform_entries in zip(inputs, entries):
        platform_bases = [base_keys[b] for b in platform_inputs.repo_bases]
        files = {
            posixpath.join(platform_inputs.context_dir, e.path[len(_CONTEXT) :]): e.file_digest.fingerprint
            for e in platform_entries
            if isinstance(e, FileEntry) and e.path.startswith(_CONTEXT)
        }
        platforms.append(
            PlatformInputs(
                platform=platform_inputs.platform,
                key=platform_inputs.content_key,
                key_document=platform_inputs.key_document,
                dockerfile_path=platform_inputs.dockerfile_path,
                dockerfile_text=platform_inputs.dockerfile_text,
                files=files,
                repo_bases={b.address.spec: b.content_key for b in platform_bases},
            )
        )
    document = inputs_document(request.address.spec, key.key, platforms)
    return ImageKeyInputs(request.address, key.key, json.dumps(document, sort_keys=True, indent=1))


def rules() -> Iterable[Rule]:
    return collect_rules()
