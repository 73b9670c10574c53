"""The key-inputs record stored next to a published image: a tiny OCI artifact in the image's own
repository, tagged `sha256-<hex of the image's index digest>.inputs` (the convention cosign uses
for signatures), whose one layer is the JSON document of everything the image's content key
covers (`publish/key_diff.py` reads it).

Stored in the registry, it answers "why was this rebuilt?" after the fact and on any machine:
the next release compares its own inputs with those of the digest the registry's tag names.

`artifact_layout` writes the artifact as an OCI image layout (what skopeo copies to a registry);
`read_artifact` reads the document back from a layout skopeo fetched.

Plain Python: nothing here knows about Pants.
"""

from __future__ import annotations

import hashlib
import json
from typing import Mapping, Optional

ARTIFACT_TYPE = "application/vnd.shipyard.key-inputs.v1+json"
_EMPTY_CONFIG = b"{}"
_EMPTY_CONFIG_TYPE = "application/vnd.oci.empty.v1+json"


def artifact_tag(index_digest: str) -> str:
    """`sha256:<hex>` → `sha256-<hex>.inputs` (75 characters; tags allow 128)."""
    algorithm, _, hex_part = index_digest.partition(":")
    return f"{algorithm}-{hex_part}.inputs"


def _descriptor(media_type: str, data: bytes) -> dict:
    return {"mediaType": media_type, "digest": "sha256:" + hashlib.sha256(data).hexdigest(), "size": len(data)}


def artifact_layout(document: bytes) -> dict[str, bytes]:
    """The files of an OCI image layout holding the record: path → content."""
    config = _descriptor(_EMPTY_CONFIG_TYPE, _EMPTY_CONFIG)
    layer = _descriptor(ARTIFACT_TYPE, document)
    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "artifactType": ARTIFACT_TYPE,
            "config": config,
            "layers": [layer],
        },
        sort_keys=True,
    ).encode()
    index = json.dumps(
        {"schemaVersion": 2, "manifests": [_descriptor("application/vnd.oci.image.manifest.v1+json", manifest)]},
        sort_keys=True,
    ).encode()
    blobs = {d["digest"]: data for d, data in ((config, _EMPTY_CONFIG), (layer, document))}
    blobs[_descriptor("", manifest)["digest"]] = manifest
    files = {f"blobs/sha256/{digest[len('sha256:'):]}": data for digest, data in blobs.items()}
    files["oci-layout"] = b'{"imageLayoutVersion": "1.0.0"}'
    files["index.json"] = index
    return files


def read_artifact(files: Mapping[str, bytes]) -> Optional[bytes]:
    """The record's document from a fetched layout (path → content), or None when the layout
    holds no such artifact (an image pushed by something else under that tag)."""
    try:
        index = json.loads(files["index.json"])
        manifest = json.loads(_blob(files, index["manifests"][0]["digest"]))
        layers = [l for l in manifest.get("layers", []) if l.get("mediaType") == ARTIFACT_TYPE]
        return _blob(files, layers[0]["digest"]) if layers else None
    except (KeyError, IndexError, ValueError, TypeError):
        return None


def _blob(files: Mapping[str, bytes], digest: str) -> bytes:
    return files[f"blobs/sha256/{digest.split(':', 1)[1]}"]
