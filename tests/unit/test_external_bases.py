"""Choosing a platform's manifest from a raw index or single manifest."""

from __future__ import annotations

import hashlib
import json

import pytest

from shipyard.util_rules.external_bases import select_manifest

INDEX = json.dumps(
    {
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"digest": "sha256:aa", "platform": {"os": "linux", "architecture": "amd64"}},
            {"digest": "sha256:bb", "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
            {"digest": "sha256:cc", "platform": {"os": "linux", "architecture": "arm", "variant": "v7"}},
        ],
    }
).encode()
DOCKER_LIST = INDEX.replace(b"application/vnd.oci.image.index.v1+json", b"application/vnd.docker.distribution.manifest.list.v2+json")


@pytest.mark.parametrize(
    "raw, platform, digest",
    [
        (INDEX, "linux/amd64", "sha256:aa"),
        (INDEX, "linux/arm64", "sha256:bb"),  # arm64 means arm64/v8
        (INDEX, "linux/arm64/v8", "sha256:bb"),
        (INDEX, "linux/arm/v7", "sha256:cc"),
        (INDEX, "linux/s390x", None),
        (DOCKER_LIST, "linux/arm64", "sha256:bb"),
    ],
    ids=["amd64", "arm64_default_variant", "arm64_v8", "arm_v7", "missing_platform", "docker_manifest_list"],
)
def test_select_from_an_index(raw: bytes, platform: str, digest: str) -> None:
    assert select_manifest(raw, platform) == digest


def test_a_single_manifest_is_its_own_digest() -> None:
    raw = json.dumps({"mediaType": "application/vnd.oci.image.manifest.v1+json", "layers": []}).encode()
    assert select_manifest(raw, "linux/amd64") == "sha256:" + hashlib.sha256(raw).hexdigest()
