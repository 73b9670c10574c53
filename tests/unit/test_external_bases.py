"""Choosing a platform's manifest from a raw index or single manifest."""

from __future__ import annotations

import hashlib
import json

import pytest

from shipyard.util_rules.external_bases import config_platform, index_entries, select_manifest

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


# Registries list entries no build asks for: attestation manifests (BuildKit writes them with
# platform unknown/unknown) and, in some indexes, descriptors without a platform at all.
WITH_UNPLATFORMED = json.dumps(
    {
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"digest": "sha256:att", "annotations": {"vnd.docker.reference.type": "attestation-manifest"}},
            {"digest": "sha256:half", "platform": {"architecture": "amd64"}},
            {"digest": "sha256:unknown", "platform": {"os": "unknown", "architecture": "unknown"}},
            {"digest": "sha256:aa", "platform": {"os": "linux", "architecture": "amd64"}},
        ],
    }
).encode()


def test_entries_without_a_platform_are_skipped() -> None:
    assert select_manifest(WITH_UNPLATFORMED, "linux/amd64") == "sha256:aa"
    assert select_manifest(WITH_UNPLATFORMED, "linux/arm64") is None
    assert index_entries(WITH_UNPLATFORMED) == [("unknown/unknown", "sha256:unknown"), ("linux/amd64", "sha256:aa")]


# The image config's os/architecture/variant (OCI image-spec config.md), normalized.
CONFIGS = [
    ({"os": "linux", "architecture": "amd64"}, "linux/amd64"),
    ({"os": "linux", "architecture": "arm64", "variant": "v8"}, "linux/arm64"),
    ({"os": "linux", "architecture": "arm"}, "linux/arm/v7"),
    ({"os": "linux", "architecture": "arm", "variant": "v6"}, "linux/arm/v6"),
    ({"rootfs": {}}, None),
]


@pytest.mark.parametrize("config,platform", CONFIGS, ids=["amd64", "arm64_v8", "arm_default_v7", "arm_v6", "no_platform"])
def test_config_platform(config: dict, platform: str) -> None:
    assert config_platform(json.dumps(config).encode()) == platform
