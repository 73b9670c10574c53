#!/usr/bin/env python3
"""Time the registry lookups `release` starts with, and its tag moves: one at a time against side by side.

Usage: python3 tools/bench/bench_lookups.py [--images 6,100] [--latency-ms 0,50] [--rounds 3]
                                           [--baseline REV] [--json PATH]

Every `release` first asks each registry whether it holds each image's key (`skopeo inspect`,
one process per image, through `publish/pusher.py`), then for the images to build, their
published tag and its key-inputs record. With nothing to publish that is all a run does with the
registry. This starts a throwaway `docker-registry` on 127.0.0.1 behind a proxy that delays each
connection and each answer by the given latency (as a registry across a network), pushes N small
images shaped as `package` makes them (an index of two platforms, five layers each), and runs the pusher with N lookups as `release` sends them, `independent` (side by side:
sixteen lookups, four writes at a time) and not (one at a time), rotating which goes first; then
the same for the last step of a release, moving one tag of each image to its digest (`skopeo
copy` within the registry; side by side, the moves to one repository still go one after another).
With `--baseline REV`, the pusher as of that git revision runs side by side too, in the same
rotation. Prints the median and range of each, in seconds.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "pants-plugins"))
sys.dont_write_bytecode = True

from tests.integration.registry_server import KillingProxy, RegistryServer  # noqa: E402
from tests.unit.test_layer_reuse import TAR_GZ, digest, layer_tar, put_blob  # noqa: E402
from tools.bench.bench_package import BenchError, log, machine_env  # noqa: E402

PUSHER = REPO_ROOT / "pants-plugins" / "shipyard" / "publish" / "pusher.py"


def multi_arch_layout(layout: Path, architectures: Sequence[str] = ("amd64", "arm64"), layers: int = 5) -> None:
    """An OCI layout whose `latest` is an image index of one small image per architecture, each of
    `layers` gzip layers: the shape `package` gives every image."""
    blobs = layout / "blobs"
    manifests = []
    for arch in architectures:
        tars = [layer_tar(f"{arch}-layer-{i}") for i in range(layers)]
        descriptors = [{"mediaType": TAR_GZ, **put_blob(blobs, gzip.compress(t, mtime=0))} for t in tars]
        config = {"architecture": arch, "os": "linux", "rootfs": {"type": "layers", "diff_ids": [digest(t) for t in tars]}}
        manifest = {
            "schemaVersion": 2,
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **put_blob(blobs, json.dumps(config).encode())},
            "layers": descriptors,
        }
        manifests.append({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            **put_blob(blobs, json.dumps(manifest).encode()),
            "platform": {"architecture": arch, "os": "linux"},
        })
    index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": manifests}
    top = {"mediaType": index["mediaType"], **put_blob(blobs, json.dumps(index).encode()), "annotations": {"org.opencontainers.image.ref.name": "latest"}}
    (layout / "oci-layout").write_text('{"imageLayoutVersion": "1.0.0"}')
    (layout / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [top]}))


def push_images(skopeo: str, registry: RegistryServer, layout: Path, count: int, env: Dict[str, str]) -> List[str]:
    refs = [f"bench/img-{i}:inputs-{i:04d}" for i in range(count)]
    for ref in refs:
        subprocess.run(
            [skopeo, "copy", "--quiet", "--multi-arch", "all", "--preserve-digests", "--dest-tls-verify=false", f"oci:{layout}:latest", f"docker://{registry.address}/{ref}"],
            check=True, env=env, capture_output=True,
        )
    return refs


def run_pusher(
    skopeo: str, host: str, operations: List[dict], independent: bool, work: Path, env: Dict[str, str], pusher: Path = PUSHER
) -> tuple[float, List[dict]]:
    request = work / "request.json"
    request.write_text(json.dumps({"skopeo": skopeo, "host": host, "insecure": True, "operations": operations, "independent": independent}))
    start = time.monotonic()
    result = subprocess.run([sys.executable, str(pusher), str(request)], capture_output=True, text=True, env=env, check=True)
    return time.monotonic() - start, json.loads(result.stdout)


def lookups(skopeo: str, host: str, refs: Sequence[str], independent: bool, work: Path, env: Dict[str, str], pusher: Path = PUSHER) -> float:
    wall, answers = run_pusher(skopeo, host, [{"op": "inspect", "ref": f"{host}/{r}"} for r in refs], independent, work, env, pusher)
    if len(answers) != len(refs) or not all(a.get("present") for a in answers):
        raise BenchError(f"lookups did not all find their image: {answers[:3]}")
    return wall


def tag_moves(
    skopeo: str, host: str, refs: Sequence[str], digests: Dict[str, str], tag: str, independent: bool, work: Path, env: Dict[str, str],
    pusher: Path = PUSHER,
) -> float:
    operations = [
        {"op": "copy", "src": f"docker://{host}/{r.split(':')[0]}@{digests[r]}", "dest": f"docker://{host}/{r.split(':')[0]}:{tag}"}
        for r in refs
    ]
    wall, answers = run_pusher(skopeo, host, operations, independent, work, env, pusher)
    if len(answers) != len(refs) or not all(a.get("ok") for a in answers):
        raise BenchError(f"tag moves did not all succeed: {[a for a in answers if not a.get('ok')][:3]}")
    return wall


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--images", default="6,100", help="comma-separated numbers of images to look up")
    parser.add_argument("--latency-ms", default="0,50", help="comma-separated added latencies, milliseconds")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--baseline", help="also run the pusher as of this git revision side by side, in the same rounds")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this path")
    args = parser.parse_args(argv)
    sizes = [int(n) for n in args.images.split(",")]
    latencies = [int(ms) for ms in args.latency_ms.split(",")]
    env = {**os.environ, **machine_env()}
    skopeo = shutil.which("skopeo", path=env.get("PATH"))
    if skopeo is None:
        raise BenchError("no skopeo on PATH: run tools/setup-machine first")
    tmp = Path(tempfile.mkdtemp(prefix="shipyard-lookups-bench-"))
    # (column, independent, pusher): one at a time, then side by side as of each revision.
    variants = [("one at a time", False, PUSHER), ("side by side", True, PUSHER)]
    if args.baseline:
        old = tmp / "pusher-baseline.py"
        old.write_text(subprocess.run(
            ["git", "-C", str(REPO_ROOT), "show", f"{args.baseline}:pants-plugins/shipyard/publish/pusher.py"],
            check=True, capture_output=True, text=True,
        ).stdout)
        variants.insert(1, (f"side by side @{args.baseline}", True, old))
    columns = [name for name, _, _ in variants]
    registry = RegistryServer(tmp / "registry")
    rows = []
    try:
        registry.start()
        multi_arch_layout(tmp / "layout")
        refs = push_images(skopeo, registry, tmp / "layout", max(sizes), env)
        _, found = run_pusher(skopeo, registry.address, [{"op": "inspect", "ref": f"{registry.address}/{r}"} for r in refs], True, tmp, env)
        digests = {r: a["digest"] for r, a in zip(refs, found)}
        moves = 0
        for latency in latencies:
            proxy = KillingProxy(registry, latency=latency / 1000)
            try:
                for operation in ("lookups", "tag moves"):
                    for size in sizes:
                        times: Dict[str, List[float]] = {name: [] for name in columns}
                        for r in range(args.rounds):
                            for name, independent, pusher in variants[r % len(variants) :] + variants[: r % len(variants)]:
                                if operation == "lookups":
                                    wall = lookups(skopeo, proxy.address, refs[:size], independent, tmp, env, pusher)
                                else:
                                    moves += 1
                                    wall = tag_moves(
                                        skopeo, proxy.address, refs[:size], digests, f"moved-{moves}", independent, tmp, env, pusher
                                    )
                                times[name].append(wall)
                        row = {"operation": operation, "images": size, "latency_ms": latency, **{k: sorted(v) for k, v in times.items()}}
                        log(f"{operation}, {size} images, {latency} ms: {row}")
                        rows.append(row)
            finally:
                proxy.close()
    finally:
        registry.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%S%z')}, {os.cpu_count()} CPUs; {args.rounds} rounds; seconds: median (min-max)")
    print(f"{'operation':>9}  {'images':>6}  {'latency ms':>10}  " + "  ".join(f"{c:>24}" for c in columns))
    for row in rows:
        cells = [f"{statistics.median(row[k]):.2f} ({row[k][0]:.2f}-{row[k][-1]:.2f})" for k in columns]
        print(f"{row['operation']:>9}  {row['images']:>6}  {row['latency_ms']:>10}  " + "  ".join(f"{c:>24}" for c in cells))
    if args.json:
        args.json.write_text(json.dumps({"rows": rows, "rounds": args.rounds}, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench_lookups: {e}", file=sys.stderr)
        sys.exit(1)
