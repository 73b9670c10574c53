"""Reusing base layers in an exported OCI layout: layouts as the OCI image-layout spec lays them
out (index.json → manifest → config with `rootfs.diff_ids`, blobs under blobs/<alg>/<hex>), and
an export as containers/image writes one when it finds a blob already present: the layer recorded
by its uncompressed digest, with the uncompressed media type and the present file's size."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest

from shipyard.builders import layer_reuse
from shipyard.builders.layer_reuse import PLACEHOLDER, LayoutError

TAR = "application/vnd.oci.image.layer.v1.tar"
TAR_GZ = "application/vnd.oci.image.layer.v1.tar+gzip"
MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def layer_tar(name: str) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        data = name.encode()
        info = tarfile.TarInfo(name)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def put_blob(blobs: Path, data: bytes) -> dict:
    path = blobs / "sha256" / digest(data)[7:]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return {"digest": digest(data), "size": len(data)}


def write_layout(layout: Path, layers: list[dict], diff_ids: list[str], blobs: Path | None = None) -> dict:
    """Writes config, manifest and index; `layers` are descriptors of blobs already written."""
    blobs = blobs or layout / "blobs"
    config = put_blob(blobs, json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode())
    manifest = {"schemaVersion": 2, "mediaType": MANIFEST, "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config}, "layers": layers}
    manifest_descriptor = {"mediaType": MANIFEST, **put_blob(blobs, json.dumps(manifest).encode()), "annotations": {"org.opencontainers.image.ref.name": "latest"}}
    layout.mkdir(parents=True, exist_ok=True)
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [manifest_descriptor]}))
    return manifest


def base_layout(layout: Path, names: list[str], blobs: Path | None = None) -> list[tuple[str, dict]]:
    """A base image of gzip layers; returns (diff ID, descriptor) per layer."""
    layers = []
    for name in names:
        tar = layer_tar(name)
        layers.append((digest(tar), {"mediaType": TAR_GZ, **put_blob(blobs or layout / "blobs", gzip.compress(tar, mtime=0))}))
    write_layout(layout, [d for _, d in layers], [i for i, _ in layers], blobs)
    return layers


def read_image(layout: Path) -> tuple[dict, dict]:
    (descriptor,) = json.loads((layout / "index.json").read_text())["manifests"]
    manifest_bytes = (layout / "blobs/sha256" / descriptor["digest"][7:]).read_bytes()
    assert digest(manifest_bytes) == descriptor["digest"] and len(manifest_bytes) == descriptor["size"]
    return descriptor, json.loads(manifest_bytes)


def export_child(output: Path, base: list[tuple[str, dict]], own: list[str], reused: bool = True) -> list[str]:
    """Writes what the export leaves: base layers recorded through their placeholders (or
    compressed again when `reused` is False) and the child's own layers compressed."""
    layers, diff_ids = [], []
    for diff_id, descriptor in base:
        if reused:
            assert (output / "blobs/sha256" / diff_id[7:]).read_bytes() == PLACEHOLDER
            layers.append({"mediaType": TAR, "digest": diff_id, "size": len(PLACEHOLDER)})
        else:
            tar_gz = gzip.compress(layer_tar("recompressed " + diff_id), mtime=0)
            layers.append({"mediaType": TAR_GZ, **put_blob(output / "blobs", tar_gz)})
        diff_ids.append(diff_id)
    for name in own:
        tar = layer_tar(name)
        layers.append({"mediaType": TAR_GZ, **put_blob(output / "blobs", gzip.compress(tar, mtime=0))})
        diff_ids.append(digest(tar))
    write_layout(output, layers, diff_ids)
    return diff_ids


def test_compressed_layers_pairs_each_layer_with_its_diff_id_in_order(tmp_path: Path) -> None:
    base = base_layout(tmp_path / "base", ["a", "b", "c"])
    layers = layer_reuse.compressed_layers(str(tmp_path / "base"))
    assert [(l.diff_id, dict(l.descriptor)) for l in layers] == base
    assert all(Path(l.path).read_bytes() and digest(Path(l.path).read_bytes()) == l.descriptor["digest"] for l in layers)


def test_compressed_layers_reads_blobs_from_a_shared_blob_directory(tmp_path: Path) -> None:
    base = base_layout(tmp_path / "layout", ["a", "b"], blobs=tmp_path / "shared")
    layers = layer_reuse.compressed_layers(str(tmp_path / "layout"), blobs_dir=str(tmp_path / "shared"))
    assert [l.diff_id for l in layers] == [i for i, _ in base]
    assert all(Path(l.path).is_relative_to(tmp_path / "shared") for l in layers)


@pytest.mark.parametrize(
    "media_type",
    [TAR, "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", "application/vnd.oci.image.layer.v1.tar+gzip+encrypted"],
    ids=["uncompressed", "non_distributable", "encrypted"],
)
def test_layers_that_cannot_stand_for_another_compression_are_not_offered(tmp_path: Path, media_type: str) -> None:
    tar = layer_tar("x")
    write_layout(tmp_path, [{"mediaType": media_type, **put_blob(tmp_path / "blobs", tar)}], [digest(tar)])
    assert layer_reuse.compressed_layers(str(tmp_path)) == []


def test_a_layer_whose_blob_is_missing_is_not_offered(tmp_path: Path) -> None:
    (diff_id, descriptor), = base_layout(tmp_path, ["a"])
    (tmp_path / "blobs/sha256" / descriptor["digest"][7:]).unlink()
    assert layer_reuse.compressed_layers(str(tmp_path)) == []


def test_a_config_that_disagrees_with_the_manifest_is_an_error(tmp_path: Path) -> None:
    tar = layer_tar("a")
    write_layout(tmp_path, [{"mediaType": TAR_GZ, **put_blob(tmp_path / "blobs", gzip.compress(tar))}], [])
    with pytest.raises(LayoutError, match="1 layers but 0 diff IDs"):
        layer_reuse.compressed_layers(str(tmp_path))


def test_a_layout_with_two_images_is_an_error(tmp_path: Path) -> None:
    base_layout(tmp_path, ["a"])
    index = json.loads((tmp_path / "index.json").read_text())
    index["manifests"] *= 2
    (tmp_path / "index.json").write_text(json.dumps(index))
    with pytest.raises(LayoutError, match="expected one image"):
        layer_reuse.compressed_layers(str(tmp_path))


def test_where_two_bases_hold_a_layer_the_first_wins(tmp_path: Path) -> None:
    base_layout(tmp_path / "one", ["shared", "one"])
    base_layout(tmp_path / "two", ["shared", "two"], blobs=tmp_path / "two-blobs")
    one = layer_reuse.compressed_layers(str(tmp_path / "one"))
    two = layer_reuse.compressed_layers(str(tmp_path / "two"), blobs_dir=str(tmp_path / "two-blobs"))
    known = layer_reuse.known_layers([one, two])
    assert len(known) == 3
    assert known[one[0].diff_id] is one[0]


def test_the_child_takes_its_base_layers_blob_for_blob(tmp_path: Path) -> None:
    base = base_layout(tmp_path / "base", ["os", "runtime"])
    known = layer_reuse.known_layers([layer_reuse.compressed_layers(str(tmp_path / "base"))])
    out = tmp_path / "out"
    layer_reuse.seed_placeholders(str(out), known)
    diff_ids = export_child(out, base, ["app"])

    assert layer_reuse.substitute(str(out), known) == 2

    descriptor, manifest = read_image(out)
    assert manifest["layers"][:2] == [d for _, d in base]
    assert manifest["layers"][2]["mediaType"] == TAR_GZ
    for layer in manifest["layers"]:
        blob = (out / "blobs/sha256" / layer["digest"][7:]).read_bytes()
        assert digest(blob) == layer["digest"] and len(blob) == layer["size"]
    assert [digest(gzip.decompress((out / "blobs/sha256" / l["digest"][7:]).read_bytes())) for l in manifest["layers"]] == diff_ids
    # The index keeps its annotations; no placeholder and no stale manifest is left.
    assert descriptor["annotations"] == {"org.opencontainers.image.ref.name": "latest"}
    blobs = {p.name for p in (out / "blobs/sha256").iterdir()}
    assert blobs == {l["digest"][7:] for l in manifest["layers"]} | {manifest["config"]["digest"][7:], descriptor["digest"][7:]}


def test_substitution_is_deterministic(tmp_path: Path) -> None:
    base = base_layout(tmp_path / "base", ["os"])
    known = layer_reuse.known_layers([layer_reuse.compressed_layers(str(tmp_path / "base"))])
    results = []
    for out in (tmp_path / "a", tmp_path / "b"):
        layer_reuse.seed_placeholders(str(out), known)
        export_child(out, base, ["app"])
        layer_reuse.substitute(str(out), known)
        results.append(read_image(out)[0]["digest"])
    assert results[0] == results[1]


def test_an_export_that_compressed_everything_is_left_as_it_is(tmp_path: Path) -> None:
    base = base_layout(tmp_path / "base", ["os"])
    known = layer_reuse.known_layers([layer_reuse.compressed_layers(str(tmp_path / "base"))])
    out = tmp_path / "out"
    layer_reuse.seed_placeholders(str(out), known)
    export_child(out, base, ["app"], reused=False)
    before = read_image(out)

    assert layer_reuse.substitute(str(out), known) == 0

    assert read_image(out) == before
    assert not (out / "blobs/sha256" / base[0][0][7:]).exists()


@pytest.mark.parametrize("recorded_as", [TAR, TAR_GZ, "application/vnd.docker.image.rootfs.diff.tar"])
def test_a_placeholder_is_replaced_whatever_media_type_the_export_gave_it(tmp_path: Path, recorded_as: str) -> None:
    # containers/image calls a reused blob gzip when its blob info cache once saw that digest
    # compressed: the digest, not the type, says which layer it is.
    base = base_layout(tmp_path / "base", ["os"])
    known = layer_reuse.known_layers([layer_reuse.compressed_layers(str(tmp_path / "base"))])
    out = tmp_path / "out"
    layer_reuse.seed_placeholders(str(out), known)
    diff_id = base[0][0]
    write_layout(out, [{"mediaType": recorded_as, "digest": diff_id, "size": len(PLACEHOLDER)}], [diff_id])

    assert layer_reuse.substitute(str(out), known) == 1

    assert read_image(out)[1]["layers"] == [base[0][1]]
    assert not (out / "blobs/sha256" / diff_id[7:]).exists()
