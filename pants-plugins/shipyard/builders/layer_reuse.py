"""Lets a build's OCI layout take its base images' layers as they are already compressed.

containers/image, under `buildah push` and `skopeo copy`, gzips every layer it writes to an OCI
layout, the base image's layers included: 3-4 s of CPU for the 80 MB layer of a Python base, for
every image built on it and every platform, to make bytes the base's layout (or its registry)
already holds. Here a layer is known by its diff ID (the digest of its uncompressed tar, the
entry in the image config's `rootfs.diff_ids`), which is the same in every image that has it.

Before the export, `seed_placeholders` puts a small placeholder file into the empty output
layout for each known layer, named by the layer's diff ID. The export asks the layout whether it
already has that blob (by the digest of what it would write uncompressed), finds it, and records
the layer uncompressed without reading or compressing it. `substitute` then puts the known
compressed descriptor and blob in place of each such layer and rewrites the manifest and index.
The result holds only real blobs.

Standard library only: it runs in the build sandbox beside `driver.py`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from typing import Dict, Iterable, List, Mapping, Optional

PLACEHOLDER = b"shipyard: placeholder for a base layer, replaced after the export\n"

_REUSABLE_LAYER_TYPES = frozenset(
    {
        "application/vnd.oci.image.layer.v1.tar+gzip",
        "application/vnd.oci.image.layer.v1.tar+zstd",
    }
)


class LayoutError(Exception):
    """An OCI layout is not what this module expects; the message says which file and why."""


@dataclass(frozen=True)
class CompressedLayer:
    """One layer as a base image's layout stores it: its descriptor and the blob file."""

    diff_id: str
    descriptor: Mapping[str, object]  # mediaType, digest, size (annotations dropped)
    path: str


def blob_path(blobs_dir: str, digest: str) -> str:
    algorithm, _, hex_digest = digest.partition(":")
    return os.path.join(blobs_dir, algorithm, hex_digest)


def _read_json(path: str) -> dict:
    try:
        with open(path, "rb") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise LayoutError(f"cannot read {path}: {e}") from e


def single_manifest_descriptor(layout: str) -> dict:
    """The descriptor of the one image manifest in the layout's index.json."""
    manifests = _read_json(os.path.join(layout, "index.json")).get("manifests", [])
    if len(manifests) != 1:
        raise LayoutError(f"expected one image in {layout}, found {len(manifests)}")
    return manifests[0]


def compressed_layers(layout: str, blobs_dir: Optional[str] = None) -> List[CompressedLayer]:
    """Each compressed layer of the layout's single image, with its diff ID.

    `blobs_dir` is where the blobs are when not in the layout (skopeo's shared blob directory).
    Layers of other types (uncompressed, foreign, encrypted) are left out: nothing to reuse.
    """
    blobs = blobs_dir or os.path.join(layout, "blobs")
    manifest = _read_json(blob_path(blobs, single_manifest_descriptor(layout)["digest"]))
    config = _read_json(blob_path(blobs, manifest["config"]["digest"]))
    diff_ids = config.get("rootfs", {}).get("diff_ids", [])
    layers = manifest.get("layers", [])
    if len(diff_ids) != len(layers):
        raise LayoutError(f"{layout}: {len(layers)} layers but {len(diff_ids)} diff IDs")
    return [
        CompressedLayer(
            diff_id=diff_id,
            descriptor={k: layer[k] for k in ("mediaType", "digest", "size")},
            path=blob_path(blobs, layer["digest"]),
        )
        for diff_id, layer in zip(diff_ids, layers)
        if layer.get("mediaType") in _REUSABLE_LAYER_TYPES and os.path.exists(blob_path(blobs, layer["digest"]))
    ]


def known_layers(sources: Iterable[List[CompressedLayer]]) -> Dict[str, CompressedLayer]:
    """Diff ID → compressed layer; where two bases hold one layer, the first source given wins."""
    known: Dict[str, CompressedLayer] = {}
    for layers in sources:
        for layer in layers:
            known.setdefault(layer.diff_id, layer)
    return known


def seed_placeholders(output: str, known: Mapping[str, CompressedLayer]) -> None:
    """Creates the output layout's blob directory with one placeholder per known diff ID."""
    for diff_id in known:
        path = blob_path(os.path.join(output, "blobs"), diff_id)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(PLACEHOLDER)


def _link_or_copy(source: str, destination: str) -> None:
    if os.path.exists(destination):
        return
    try:
        os.link(source, destination)
    except OSError:
        shutil.copyfile(source, destination)


def _write_blob(blobs_dir: str, content: bytes) -> Dict[str, object]:
    digest = "sha256:" + hashlib.sha256(content).hexdigest()
    path = blob_path(blobs_dir, digest)
    with open(path, "wb") as f:
        f.write(content)
    return {"digest": digest, "size": len(content)}


def substitute(output: str, known: Mapping[str, CompressedLayer]) -> int:
    """Puts each known layer's compressed descriptor and blob where the export recorded it
    uncompressed, rewrites the manifest and index, and removes the placeholders. Returns how
    many layers were substituted."""
    blobs = os.path.join(output, "blobs")
    index_path = os.path.join(output, "index.json")
    index = _read_json(index_path)
    descriptor = single_manifest_descriptor(output)
    old_manifest_path = blob_path(blobs, descriptor["digest"])
    manifest = _read_json(old_manifest_path)
    substituted = 0
    layers = []
    for layer in manifest.get("layers", []):
        # A layer named by a known diff ID is the placeholder (or the uncompressed tar itself):
        # either way the same tar as the known compressed blob. The media type the export gave it
        # says nothing (containers/image may call a reused blob gzip when its blob info cache
        # has seen that digest compressed).
        reused = known.get(layer.get("digest", ""))
        if reused is not None:
            _link_or_copy(reused.path, blob_path(blobs, str(reused.descriptor["digest"])))
            layer = {**{k: v for k, v in layer.items() if k not in ("mediaType", "digest", "size")}, **reused.descriptor}
            substituted += 1
        layers.append(layer)
    for diff_id in known:
        path = blob_path(blobs, diff_id)
        if os.path.exists(path) and _is_placeholder(path):
            os.unlink(path)
    if not substituted:
        return 0
    manifest["layers"] = layers
    written = _write_blob(blobs, json.dumps(manifest, separators=(",", ":")).encode())
    if written["digest"] != descriptor["digest"]:
        os.unlink(old_manifest_path)
    descriptor.update(written)
    index["manifests"] = [descriptor]
    with open(index_path, "w") as f:
        json.dump(index, f, separators=(",", ":"))
    return substituted


def _is_placeholder(path: str) -> bool:
    if os.path.getsize(path) != len(PLACEHOLDER):
        return False
    with open(path, "rb") as f:
        return f.read() == PLACEHOLDER
