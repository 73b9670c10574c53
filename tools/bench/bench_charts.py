#!/usr/bin/env python3
"""Time `./pants package` of the example's charts, before (the hand-written port) and after
(Helm's own engine through the `[helm-sdk]` tool), in the same run on the same machine.

Usage: python3 tools/bench/bench_charts.py [--before-ref 01167d1] [--before-repo /work/main] [--json PATH]

Each side is a fresh copy: "before" is `git archive <ref>` of the before repository, "after" the
files git sees in this worktree. In both, apps/ and dockerfiles/ are removed, so the copy has no
images and `package charts::` measures chart packaging only (images are built the same way on both
sides). Per side, with its own temporary Pants local store (PANTS_LOCAL_STORE_DIR), so there is no
cached Process to begin with:

  1. cold:  `./pants --no-pantsd package charts::` on the empty store (the after side also builds
            the Helm tool's PEX venv here; PEX's download cache, the named caches, is the machine's,
            as on any developer machine after the first run);
  2. warm:  `./pants --no-pantsd package charts::` again: a new process, every rule recomputed,
            Processes from the local cache;
  3. no-op: `./pants package charts::` twice with pantsd; the second is timed (memoized rules).

The copies' pantsd are stopped and their temporary directories removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
sys.dont_write_bytecode = True

from tests.e2e.repo_copy import copy_repo, init_git, stop_pantsd  # noqa: E402


def make_copy(dest: Path, before_repo: Path | None, ref: str | None) -> None:
    dest.mkdir(parents=True)
    if before_repo is None:
        copy_repo(dest)
    else:
        archive = subprocess.run(["git", "-C", str(before_repo), "archive", ref or "HEAD"], check=True, capture_output=True).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    for images in ("apps", "dockerfiles"):
        shutil.rmtree(dest / images, ignore_errors=True)
    init_git(dest)


def timed(root: Path, env: Dict[str, str], *args: str) -> float:
    start = time.monotonic()
    result = subprocess.run(["./pants", *args, "package", "charts::"], cwd=root, env=env, capture_output=True, text=True)
    elapsed = time.monotonic() - start
    if result.returncode != 0:
        raise SystemExit(f"./pants {' '.join(args)} package charts:: failed in {root}:\n{result.stderr[-3000:]}")
    return elapsed


def measure(root: Path, scratch: Path) -> Dict[str, float]:
    env = dict(os.environ, PANTS_LOCAL_STORE_DIR=str(scratch / "lmdb_store"), NO_SCIE_WARNING="1")
    results = {
        "cold": timed(root, env, "--no-pantsd"),
        "warm": timed(root, env, "--no-pantsd"),
    }
    timed(root, env)  # starts pantsd and fills its memo
    results["no-op"] = timed(root, env)
    archives = sorted(p.name for p in (root / "dist").glob("*.tgz"))
    print(f"    archives: {', '.join(archives)}", file=sys.stderr)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before-repo", type=Path, default=Path("/work/main"))
    parser.add_argument("--before-ref", default="01167d1")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    scratch = Path(tempfile.mkdtemp(prefix="bench-charts-"))
    results: Dict[str, Dict[str, float]] = {}
    roots = []
    try:
        for side, repo, ref in (("before", args.before_repo, args.before_ref), ("after", None, None)):
            root = scratch / side / "repo"
            roots.append(root)
            make_copy(root, repo, ref)
            print(f"{side}: measuring in {root}", file=sys.stderr)
            results[side] = measure(root, scratch / side)
            stop_pantsd(root)
    finally:
        for root in roots:
            stop_pantsd(root)
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"{'':8}{'cold':>10}{'warm':>10}{'no-op':>10}   (seconds, package charts::)")
    for side, times in results.items():
        print(f"{side:8}" + "".join(f"{times[k]:>10.1f}" for k in ("cold", "warm", "no-op")))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
