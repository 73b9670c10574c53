#!/usr/bin/env python3
"""Time `./pants release ::` (cold, no-op, one app edit) against the seeds' build-and-push loop.

Usage: python3 tools/bench/bench_publish.py [--json PATH] [--new-machine-rounds N [--baseline REV]]

Needs the machine set up by tools/setup-machine (its env.sh is read). In one run, on one fresh
copy of this repository (committed in a new git repository), with buildah for ours and one
throwaway `docker-registry` on 127.0.0.1 per side, it measures:

  1. ours, cold: `./pants release ::` with a fresh Pants local store and pantsd, into an empty
     registry (buildah's layer cache is the machine's, as for the seeds' loop);
  2. ours, again with nothing changed;
  3. ours, after a comment appended to apps/webui/src/main.ts (committed);
  4. ours, nothing changed, as a new CI machine: a fresh Pants store and pantsd (the registry
     answers for every key, so nothing is built);
  5. the seeds' approach, four times at the same four points (the new machine: `--no-cache`), with the machine's dockerd
     (BuildKit): per platform, base first, `docker build` + `docker push` of every image as
     `<repository>:dev-<arch>`, then per image a manifest list of both platforms pushed with
     `docker manifest push` as `<registry>/<repository>:dev`. (buildah 1.28 cannot be the seeds'
     builder here: it ignores `FROM --platform=$BUILDPLATFORM`, which the Go image needs.)

With `--new-machine-rounds N`, scenario 4 is then run N more times (each with its own fresh store),
and with `--baseline REV` as often with the plugin as of that git revision, the two alternating;
each such row also counts the images and charts the release record calls `present`.

For each: wall time, and from the registry's own log and storage, the blob uploads it completed
and the bytes of the blobs uploaded. Temporary directories, registries and pantsd are removed at
the end, also on failure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
sys.dont_write_bytecode = True

from tests.e2e.repo_copy import copy_repo, init_git, stop_pantsd  # noqa: E402
from tests.integration.registry_server import RegistryServer  # noqa: E402
from tools.bench.bench_package import (  # noqa: E402
    DOCKER,
    PLATFORMS,
    BenchError,
    PantsCopy,
    image_specs,
    log,
    machine_env,
    tail,
    use_plugin_at,
    write_wrapper,
)

EDITED_FILE = "apps/webui/src/main.ts"
_UPLOAD = re.compile(r'http\.request\.method=PUT .*http\.request\.uri="/v2/\S+/blobs/uploads/\S*digest=sha256%3A([0-9a-f]{64})')


class Uploads:
    """Blob uploads a registry completed, read from its log; bytes from its storage."""

    def __init__(self, registry: RegistryServer) -> None:
        self.registry = registry
        self.seen = 0

    def since_last(self) -> tuple[int, int]:
        text = self.registry.log.read_text(errors="replace") if self.registry.log.exists() else ""
        digests = [m.group(1) for line in text.splitlines() if "response completed" in line and "status=201" in line for m in [_UPLOAD.search(line)] if m]
        new, self.seen = digests[self.seen :], len(digests)
        blobs = self.registry.root / "data" / "docker" / "registry" / "v2" / "blobs" / "sha256"
        size = sum((blobs / d[:2] / d / "data").stat().st_size for d in new if (blobs / d[:2] / d / "data").exists())
        return len(new), size


def seeds_script(specs: Sequence[dict], registry: str, outdir: Path) -> str:
    """The seeds' loop, as their scripts do it with Debian's docker 20.10 (BuildKit, no buildx):
    per platform, base first, `docker build` and `docker push` of `<repository>:dev-<arch>`; then
    per image a manifest list of both, `docker manifest push`ed as `<repository>:dev`."""
    lines = ["#!/bin/bash", "set -euo pipefail", "export DOCKER_BUILDKIT=1 DOCKER_CLI_EXPERIMENTAL=enabled"]
    for plat in PLATFORMS:
        arch = plat.split("/")[1]
        for s in specs:
            remote = f"{registry}/{s['repository']}:dev-{arch}"
            argv = [DOCKER, "build", "--quiet", "--platform", plat, "-f", s["dockerfile"]]
            for k, v in sorted(s["build_args"].items()):
                argv += ["--build-arg", f"{k}={v}"]
            if s["target_stage"]:
                argv += ["--target", s["target_stage"]]
            argv += ["-t", f"{s['repository']}:latest", "-t", remote, s["context"]]
            lines.append(" ".join(shlex.quote(a) for a in argv) + " >/dev/null")
            lines.append(f"{DOCKER} push --quiet {remote} >/dev/null")
    for s in specs:
        remote = f"{registry}/{s['repository']}"
        arches = " ".join(f"{remote}:dev-{p.split('/')[1]}" for p in PLATFORMS)
        lines.append(f"{DOCKER} manifest rm {remote}:dev >/dev/null 2>&1 || true")
        lines.append(f"{DOCKER} manifest create --insecure {remote}:dev {arches} >/dev/null")
        lines.append(f"{DOCKER} manifest push --insecure --purge {remote}:dev >/dev/null")
    return "\n".join(lines) + "\n"


def timed(label: str, argv: Sequence[str], cwd: Path, env: Dict[str, str], uploads: Uploads) -> dict:
    log(f"{label} ...")
    start = time.monotonic()
    result = subprocess.run(list(argv), cwd=cwd, env=env, capture_output=True, text=True, timeout=3600)
    wall = time.monotonic() - start
    if result.returncode != 0:
        raise BenchError(f"{label}: exited {result.returncode}\n{tail(result.stdout + result.stderr)}")
    blobs, size = uploads.since_last()
    log(f"{label}: {wall:.1f}s, {blobs} blobs uploaded, {size} bytes")
    return {"scenario": label, "wall_seconds": round(wall, 2), "blobs_uploaded": blobs, "bytes_uploaded": size}


def edit_and_commit(root: Path, n: int) -> None:
    # New text in every run of this script: the builders' layer caches outlive a run, and an
    # edit they have seen before would be a cache hit for them, not a build.
    with open(root / EDITED_FILE, "a") as f:
        f.write(f"\n// bench: edit {n} {uuid.uuid4().hex}\n")
    subprocess.run(["git", "commit", "-qam", f"bench: edit {n}"], cwd=root, check=True)


def present_count(root: Path) -> int:
    """The images (per registry) and charts the last release record calls `present`."""
    record = json.loads((root / "dist" / "release.json").read_text())
    images = [r for image in record["images"] for r in image["registries"]]
    return sum(r["status"] == "present" for r in [*images, *record["charts"]])


def new_machine_rounds(
    root: Path, tmp: Path, penv: Dict[str, str], uploads: Uploads, rounds: int, baseline: Optional[str]
) -> List[dict]:
    """Scenario 4 again, `rounds` times per side (this work tree's plugin, and the one at
    `baseline`), alternating which side goes first; each run on a fresh store, pantsd stopped."""
    ours_plugin = tmp / "plugin-ours"
    shutil.copytree(root / "pants-plugins", ours_plugin)
    sides: List[tuple[str, Optional[str]]] = [("ours", None)] + ([(f"ours@{baseline}", baseline)] if baseline else [])
    rows = []
    for r in range(rounds):
        for label, ref in sides if r % 2 == 0 else sides[::-1]:
            if ref is None:
                shutil.rmtree(root / "pants-plugins")
                shutil.copytree(ours_plugin, root / "pants-plugins")
            else:
                use_plugin_at(root, ref)
            stop_pantsd(root)
            store = tmp / f"pants-store-new-machine-{label}-{r}"
            row = timed(f"{label}: release, no change, new CI machine", ["./pants", "release", "::"], root, {**penv, "PANTS_LOCAL_STORE_DIR": str(store)}, uploads)
            row["present"] = present_count(root)
            rows.append(row)
            shutil.rmtree(store, ignore_errors=True)
    return rows


def summarize_rounds(rows: Sequence[dict]) -> None:
    by_label: Dict[str, List[dict]] = {}
    for row in rows:
        by_label.setdefault(row["scenario"], []).append(row)
    print(f"# new CI machine, nothing changed: {len(next(iter(by_label.values())))} runs per side; seconds: median (min-max)")
    for label, runs in by_label.items():
        walls = sorted(r["wall_seconds"] for r in runs)
        print(
            f"{label}: {statistics.median(walls):.1f} ({walls[0]:.1f}-{walls[-1]:.1f}), "
            f"blobs uploaded {sum(r['blobs_uploaded'] for r in runs)}, present {sorted({r['present'] for r in runs})}"
        )


def print_table(rows: Sequence[dict]) -> None:
    w = max(len(r["scenario"]) for r in rows)
    print(f"{'scenario':<{w}}  {'wall s':>7}  {'blobs up':>8}  {'bytes up':>12}")
    print(f"{'-' * w}  {'-' * 7}  {'-' * 8}  {'-' * 12}")
    for r in rows:
        print(f"{r['scenario']:<{w}}  {r['wall_seconds']:>7.1f}  {r['blobs_uploaded']:>8}  {r['bytes_uploaded']:>12,}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this path")
    parser.add_argument("--new-machine-rounds", type=int, default=0, metavar="N",
                        help="run the new-CI-machine scenario N more times per side at the end")
    parser.add_argument("--baseline", metavar="REV",
                        help="with --new-machine-rounds: also run it with the plugin at this git revision")
    args = parser.parse_args(argv)
    if args.baseline and args.new_machine_rounds < 1:
        parser.error("--baseline needs --new-machine-rounds N (N >= 1)")
    menv = machine_env()
    tmp = Path(tempfile.mkdtemp(prefix="shipyard-publish-bench-"))
    root = tmp / "repo"
    ours, seeds = RegistryServer(tmp / "ours"), RegistryServer(tmp / "seeds")
    env = {k: v for k, v in {**os.environ, **menv}.items() if not k.startswith("REGISTRY_") or k == "REGISTRY_AUTH_FILE"}
    rows: List[dict] = []
    try:
        copy_repo(root)
        init_git(root)
        ours.start()
        seeds.start()
        counter = tmp / "builder-calls.log"
        write_wrapper(tmp / "wrappers", "buildah", counter)
        penv = {
            **env,
            "PANTS_OCI_BUILDER": "buildah",
            "PANTS_OCI_EXECUTABLE_SEARCH_PATHS": json.dumps([str(tmp / "wrappers"), "/usr/bin", "/bin"]),
            "PANTS_OCI_REGISTRIES": repr({"bench": {"address": ours.address, "insecure": True}}),
            "PANTS_OCI_DEFAULT_REGISTRIES": '["bench"]',
            "PANTS_LOCAL_STORE_DIR": str(tmp / "pants-store"),
        }
        copy = PantsCopy(root, penv, counter)
        specs = image_specs(copy)
        stop_pantsd(root)  # the cold run starts its own pantsd on the fresh store

        ours_uploads, seeds_uploads = Uploads(ours), Uploads(seeds)
        outdir = tmp / "seeds-loop"
        outdir.mkdir()
        script = outdir / "loop.sh"
        script.write_text(seeds_script(specs, seeds.address, outdir))
        senv = {k: v for k, v in env.items() if not k.startswith("PANTS_")}
        release = ["./pants", "release", "::"]
        rows.append(timed("ours: release, cold", release, root, penv, ours_uploads))
        rows.append(timed("seeds: build + push all, 1st", ["bash", str(script)], root, senv, seeds_uploads))
        rows.append(timed("ours: release, no change", release, root, penv, ours_uploads))
        rows.append(timed("seeds: build + push all, no change", ["bash", str(script)], root, senv, seeds_uploads))
        edit_and_commit(root, 1)
        rows.append(timed("ours: release, 1 app edit", release, root, penv, ours_uploads))
        rows.append(timed("seeds: build + push all, 1 app edit", ["bash", str(script)], root, senv, seeds_uploads))
        # A new CI machine, nothing changed since the last publish: no Pants store, no builder cache.
        stop_pantsd(root)
        penv["PANTS_LOCAL_STORE_DIR"] = str(tmp / "pants-store-new-machine")
        rows.append(timed("ours: release, no change, new CI machine", release, root, penv, ours_uploads))
        no_cache = outdir / "loop-no-cache.sh"
        no_cache.write_text(script.read_text().replace(f"{DOCKER} build --quiet", f"{DOCKER} build --quiet --no-cache"))
        rows.append(timed("seeds: build + push all, no change, new CI machine", ["bash", str(no_cache)], root, senv, seeds_uploads))
        rounds = new_machine_rounds(root, tmp, penv, ours_uploads, args.new_machine_rounds, args.baseline)
    finally:
        stop_pantsd(root)
        ours.stop()
        seeds.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"# {time.strftime('%Y-%m-%dT%H:%M:%S%z')}, {os.cpu_count()} CPUs ({platform.machine()}), ours: buildah, seeds: docker (BuildKit); images x {', '.join(PLATFORMS)}")
    print_table(rows)
    if rounds:
        summarize_rounds(rounds)
    if args.json:
        document = {"rows": rows, "platforms": list(PLATFORMS), "new_machine_rounds": rounds, "baseline": args.baseline}
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print(f"bench_publish: {e}", file=sys.stderr)
        sys.exit(1)
