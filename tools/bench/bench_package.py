#!/usr/bin/env python3
"""Time `./pants package ::` (cold, no-op, one app edit) against the seeds' build loops.

Usage: python3 tools/bench/bench_package.py [--builder buildah|docker] [--cold-builder] [--json PATH]
                                            [--skip-docker-loop] [--rounds N] [--baseline REV]

Needs the machine set up by tools/setup-machine (its env.sh is read). In one run, on one fresh
copy of this repository (the files git sees, committed in a new git repository, like
tests/e2e/conftest.py), it measures:

  1. `./pants package ::` cold: a fresh Pants local store (PANTS_LOCAL_STORE_DIR in a temporary
     directory) and a fresh pantsd. The builder's own layer cache is whatever the machine has,
     unless `--cold-builder` (buildah only) gives buildah a temporary storage (a copy of the
     machine's CONTAINERS_STORAGE_CONF with a temporary graphroot/runroot): then base images are
     pulled again from the local registry and no layer is reused.
  2. `./pants package ::` again, nothing changed.
  3. `./pants package ::` after appending a comment to apps/webui/src/main.ts.
  4. The changed image built by hand with the same builder: another comment appended, then
     `<builder> build` of tinyolly/webui for both platforms (no export: what a developer runs).
  5. With buildah: the seeds' loop with the same builder, `buildah build --layers` over every
     image and both platforms, base first, run twice (the second run has nothing to do but cannot
     skip anything); with `--cold-builder` its first pass gets its own fresh storage. buildah
     1.28 gives the stages after a `FROM --platform=$BUILDPLATFORM` stage that stage's platform,
     so this loop builds the multi-stage images' arm64 variants as amd64: timed all the same,
     and the row says so (our driver pins each FROM by digest and is not affected).
  6. The seeds' approach as they run it: a shell loop of `/usr/bin/docker build` (BuildKit, the
     machine's private dockerd), the same order, run twice. Each image's dockerfile, context and
     build args come from `./pants peek` on the copy. Docker's layer cache is the daemon's
     (shared, never pruned here; `--cold-builder` runs the first pass with `docker build
     --no-cache`); the output says how many build steps (FROM aside) BuildKit reported CACHED.

With `--rounds N` all of it runs N times, each on a new copy, and a table of medians (min–max)
follows, with two ratios taken run by run: one app edit ÷ the same edit built by hand, and cold ÷
the seeds' loop with the same builder in that round. With `--baseline REV` each round also runs
the Pants scenarios and the hand-built image on a copy whose pants-plugins/ is as of REV, the
two sides taking turns to go first (buildah slows down as its storage grows, run after run).

Builder runs are counted by a wrapper script named after the builder, first on the oci backend's
search path (PANTS_OCI_EXECUTABLE_SEARCH_PATHS), that logs each call; `build` calls are counted.
The pantsd started in the copy is stopped and all temporary directories are deleted at the end,
also on failure or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import posixpath
import re
import shlex
import shutil
import signal
import stat
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
sys.dont_write_bytecode = True  # no __pycache__ left in tests/e2e/

from tests.e2e.repo_copy import copy_repo, init_git, stop_pantsd  # noqa: E402
MACHINE_DIR = Path(os.environ.get("SHIPYARD_MACHINE_DIR", "/var/lib/shipyard-machine"))
DOCKER = "/usr/bin/docker"  # Debian's 20.10 client: BuildKit builds without the buildx plugin
BUILDAH = "/usr/bin/buildah"
HOST_ARCH = {"x86_64": "amd64", "aarch64": "arm64"}.get(platform.machine(), platform.machine())
PLATFORMS = ("linux/amd64", "linux/arm64")
# The seeds' build order: the base, the two images FROM it, then the standalone images.
SEED_ORDER = (
    "tinyolly/python-base",
    "tinyolly/ui",
    "tinyolly/receiver",
    "tinyolly/opamp-server",
    "tinyolly/webui",
    "tinyolly/demo",
)
EDITED_FILE = "apps/webui/src/main.ts"
PANTS_TIMEOUT = 1800
# A numbered build step other than FROM (BuildKit never reports FROM as CACHED, only resolves it).
STEP_LINE = re.compile(r"^#(\d+) \[[^\]]*\d+/\d+\] (?!FROM )")
CACHED_LINE = re.compile(r"^#(\d+) CACHED\s*$")
BUILDAH_STEP = re.compile(r"^(?:\[\d+/\d+\] )?STEP \d+/\d+: (?!FROM )")
BUILT_LINE = re.compile(r"Completed: Building (\S+ for \S+) with ")


class BenchError(Exception):
    pass


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------
# Machine, copy, pantsd
# ---------------------------------------------------------------------------------------------


def machine_env() -> Dict[str, str]:
    """The `export NAME="value"` lines of the machine's env.sh (as tests/integration/conftest.py)."""
    env_file = MACHINE_DIR / "env.sh"
    if not env_file.is_file():
        raise BenchError(f"{env_file} is missing: run `sudo tools/setup-machine` first")
    env = {}
    for line in env_file.read_text().splitlines():
        line = line.strip()
        if line.startswith("export "):
            name, sep, value = line[len("export "):].partition("=")
            if sep:
                words = shlex.split(value)
                env[name.strip()] = words[0] if words else ""
    return env


def tail(text: str, n: int = 25) -> str:
    return "\n".join(text.splitlines()[-n:])


# ---------------------------------------------------------------------------------------------
# Buildah's temporary storage (--cold-builder)
# ---------------------------------------------------------------------------------------------


def fresh_storage_conf(machine_conf: Path, dest: Path) -> Path:
    """A copy of the machine's storage.conf with graphroot/runroot in `dest` (same driver/options)."""
    graphroot, runroot = dest / "graphroot", dest / "runroot"
    graphroot.mkdir(parents=True)
    runroot.mkdir(parents=True)
    lines, seen = [], set()
    for line in machine_conf.read_text().splitlines():
        key = line.split("=", 1)[0].strip()
        if key in ("graphroot", "runroot") and "=" in line:
            lines.append(f'{key} = "{graphroot if key == "graphroot" else runroot}"')
            seen.add(key)
        else:
            lines.append(line)
    if seen != {"graphroot", "runroot"}:
        raise BenchError(f"{machine_conf} has no graphroot/runroot lines to replace; cannot make a cold copy")
    conf = dest / "storage.conf"
    conf.write_text("\n".join(lines) + "\n")
    return conf


def remove_storage(conf: Path, env: Dict[str, str]) -> None:
    """Removes buildah's images from the temporary storage and unmounts anything left under it."""
    e = dict(env, CONTAINERS_STORAGE_CONF=str(conf))
    subprocess.run(["/usr/bin/buildah", "rm", "--all"], env=e, capture_output=True)
    subprocess.run(["/usr/bin/buildah", "rmi", "--all", "--force"], env=e, capture_output=True)
    base = str(conf.parent)
    mounts = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            point = line.split()[4]
            if point == base or point.startswith(base + "/"):
                mounts.append(point)
    for point in sorted(mounts, key=len, reverse=True):
        subprocess.run(["umount", point], capture_output=True)


# ---------------------------------------------------------------------------------------------
# Pants scenarios
# ---------------------------------------------------------------------------------------------


class PantsCopy:
    def __init__(self, root: Path, env: Dict[str, str], counter: Path) -> None:
        self.root, self.env, self.counter = root, env, counter

    def builds(self) -> int:
        """`<builder> build` calls logged by the wrapper since the last call."""
        calls = self.counter.read_text().split() if self.counter.exists() else []
        self.counter.unlink(missing_ok=True)
        return calls.count("build")

    def pants(self, *args: str, timeout: float = PANTS_TIMEOUT) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["./pants", *args], cwd=self.root, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if result.returncode != 0:
            raise BenchError(
                f"./pants {' '.join(args)} exited {result.returncode}\n--- stderr (last lines)\n{tail(result.stderr)}"
            )
        return result

    def timed_package(self, scenario: str, expected: int, note: str = "") -> dict:
        self.builds()
        log(f"{scenario}: ./pants package :: ...")
        start = time.monotonic()
        result = self.pants("package", "::")
        wall = time.monotonic() - start
        runs = self.builds()
        # Pants' own account of the build processes it ran (cache hits are not logged).
        built = sorted(set(BUILT_LINE.findall(result.stderr)))
        log(f"{scenario}: {wall:.1f}s, {runs} builder runs (expected {expected}): {', '.join(built) or '-'}")
        return {"scenario": scenario, "wall_seconds": round(wall, 2), "builder_runs": runs,
                "expected_builder_runs": expected, "built": built, "note": note}


def write_wrapper(directory: Path, builder: str, counter: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    wrapper = directory / builder
    wrapper.write_text(f'#!/bin/sh\necho "$1" >> {shlex.quote(str(counter))}\nexec /usr/bin/{builder} "$@"\n')
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)


# ---------------------------------------------------------------------------------------------
# The seeds' docker loop
# ---------------------------------------------------------------------------------------------


def image_specs(copy: PantsCopy) -> List[dict]:
    """dockerfile/context/build args of every oci_image, from `./pants peek`, in the seeds' order."""
    peeked = json.loads(copy.pants("peek", "--filter-target-type=oci_image", "::").stdout)
    by_repo = {}
    for t in peeked:
        spec_path = t["address"].split(":", 1)[0]
        context = posixpath.normpath(posixpath.join(spec_path, t.get("context") or "."))
        (dockerfile,) = t["sources"]
        by_repo[t["repository"]] = {
            "address": t["address"],
            "repository": t["repository"],
            "dockerfile": dockerfile,
            "context": context,
            "build_args": t.get("build_args") or {},
            "target_stage": t.get("target_stage"),
        }
    if set(by_repo) != set(SEED_ORDER):
        raise BenchError(f"expected the images {sorted(SEED_ORDER)}, `peek` lists {sorted(by_repo)}")
    return [by_repo[r] for r in SEED_ORDER]


def loop_script(specs: Sequence[dict], outdir: Path, no_cache: bool = False, builder: str = "docker") -> str:
    """The seeds' shell loop: per platform, base first, each image tagged <repository>:latest.
    `builder` is docker (BuildKit) or buildah (`buildah build --layers`, the way our driver calls it)."""
    lines = ["#!/bin/bash", "set -euo pipefail", "export DOCKER_BUILDKIT=1"]
    for plat in PLATFORMS:
        arch = plat.split("/")[1]
        for s in specs:
            name = s["repository"].split("/")[-1]
            if builder == "docker":
                argv = [DOCKER, "build", "--progress=plain", *(["--no-cache"] if no_cache else [])]
            else:
                # buildah 1.28 reads `FROM --platform=$BUILDPLATFORM` as the target platform unless
                # BUILDPLATFORM is given (the stand-in node image has no arm64 variant).
                argv = [BUILDAH, "build", "--layers", "--force-rm", *(["--no-cache"] if no_cache else []),
                        "--build-arg", f"BUILDPLATFORM=linux/{HOST_ARCH}"]
            argv += ["--platform", plat, "-f", s["dockerfile"]]
            for k, v in sorted(s["build_args"].items()):
                argv += ["--build-arg", f"{k}={v}"]
            if s["target_stage"]:
                argv += ["--target", s["target_stage"]]
            argv += ["--iidfile", str(outdir / f"{name}-{arch}.iid"), "-t", f"{s['repository']}:latest", s["context"]]
            lines.append(f"echo '=== {s['repository']} {plat}'")
            lines.append(" ".join(shlex.quote(a) for a in argv) + " 2>&1")
    return "\n".join(lines) + "\n"


def docker_check(env: Dict[str, str], tmp: Path) -> Optional[str]:
    """None if dockerd resolves `python:3.11-slim-bookworm` for both platforms, else why not."""
    if not Path(DOCKER).is_file():
        return f"{DOCKER} is not installed"
    if not env.get("DOCKER_HOST"):
        return "env.sh exports no DOCKER_HOST (no private dockerd)"
    ctx = tmp / "docker-check"
    ctx.mkdir()
    (ctx / "Dockerfile").write_text("FROM python:3.11-slim-bookworm\n")
    for plat in PLATFORMS:
        iid = ctx / "iid"
        r = subprocess.run(
            [DOCKER, "build", "--progress=plain", "--platform", plat, "--iidfile", str(iid), str(ctx)],
            env=env, capture_output=True, text=True, timeout=300,
        )
        if r.returncode != 0:
            return f"`docker build --platform {plat}` of FROM python:3.11-slim-bookworm failed:\n{tail(r.stdout + r.stderr, 8)}"
        arch = inspect_arch(env, iid.read_text().strip())
        if arch != plat.split("/")[1]:
            return f"FROM python:3.11-slim-bookworm for {plat} gave a {arch} image"
        subprocess.run([DOCKER, "rmi", iid.read_text().strip()], env=env, capture_output=True)
        iid.unlink()
    return None


def inspect_arch(env: Dict[str, str], image: str, builder: str = "docker") -> str:
    if builder == "buildah":
        argv = [BUILDAH, "inspect", "--type", "image", "--format", "{{.OCIv1.Architecture}}", image]
    else:
        argv = [DOCKER, "image", "inspect", "-f", "{{.Architecture}}", image]
    return subprocess.run(argv, env=env, capture_output=True, text=True).stdout.strip()


def cache_summary(output: str) -> dict:
    """Numbered build steps (`#N [stage k/n] ...`, FROM aside) and which BuildKit reported CACHED."""
    blocks: List[List[str]] = []
    names: List[str] = []
    for line in output.splitlines():
        if line.startswith("=== "):
            blocks.append([])
            names.append(line[4:].strip())
        elif blocks:
            blocks[-1].append(line)
    steps = 0
    cached: List[str] = []
    for name, lines in zip(names, blocks):  # vertex numbers restart with each build
        labels = {m.group(1): line[m.end(1):].strip() for line in lines for m in [STEP_LINE.match(line)] if m}
        steps += len(labels)
        hits = {m.group(1) for m in map(CACHED_LINE.match, lines) if m} & set(labels)
        cached += sorted(f"{name}: {labels[i]}" for i in hits)
    return {"builds": len(blocks), "steps": steps, "cached": len(cached), "cached_steps": cached}


def run_script(copy: PantsCopy, env: Dict[str, str], outdir: Path, text: str, what: str) -> Tuple[str, float]:
    """Runs the build script `text` from `outdir` in the copy; returns its stdout and wall time."""
    outdir.mkdir()
    script = outdir / "build.sh"
    script.write_text(text)
    start = time.monotonic()
    r = subprocess.run(["bash", str(script)], cwd=copy.root, env=env, capture_output=True, text=True,
                       timeout=PANTS_TIMEOUT)
    wall = time.monotonic() - start
    if r.returncode != 0:
        raise BenchError(f"{what} failed (exit {r.returncode}):\n{tail(r.stdout + r.stderr)}")
    return r.stdout, wall


def run_loop(
    copy: PantsCopy, env: Dict[str, str], specs: Sequence[dict], tmp: Path, label: str,
    no_cache: bool = False, builder: str = "docker",
) -> dict:
    outdir = tmp / f"loop-{builder}-{label}"
    log(f"{builder} loop ({label}): {len(specs) * len(PLATFORMS)} x {builder} build ...")
    script = loop_script(specs, outdir, no_cache, builder)
    stdout, wall = run_script(copy, env, outdir, script, f"the {builder} loop ({label})")
    cache = cache_summary(stdout) if builder == "docker" else buildah_cache_summary(stdout)
    builds = cache.pop("builds")
    # Each platform's images really are that platform's (the base tag is overwritten per platform).
    wrong = []
    for plat in PLATFORMS:
        arch = plat.split("/")[1]
        for s in specs:
            name = s["repository"].split("/")[-1]
            got = inspect_arch(env, (outdir / f"{name}-{arch}.iid").read_text().strip(), builder)
            if got != arch:
                wrong.append(f"{s['repository']} {plat} -> {got}")
    if wrong and builder == "docker":
        raise BenchError(f"the {builder} loop ({label}) built images of the wrong architecture: {wrong}")
    # buildah 1.28 gives every later stage the platform of a `FROM --platform=...` stage: a plain
    # loop builds the multi-stage images for the wrong architecture. Timed all the same (the same
    # steps run), and said so.
    log(f"{builder} loop ({label}): {wall:.1f}s, {builds} builds, {cache['cached']}/{cache['steps']} steps CACHED"
        + (f"; wrong architecture: {wrong}" if wrong else ""))
    return {"wall_seconds": round(wall, 2), "builder_runs": builds, "cache": cache, "script": script,
            "wrong_architecture": wrong}


def buildah_cache_summary(output: str) -> dict:
    """Build steps buildah ran (`STEP n/m:`, FROM aside) and how many it took from its cache
    (`--> Using cache`)."""
    builds = sum(1 for line in output.splitlines() if line.startswith("=== "))
    steps = sum(1 for line in output.splitlines() if BUILDAH_STEP.match(line))
    cached = sum(1 for line in output.splitlines() if line.startswith("--> Using cache"))
    return {"builds": builds, "steps": steps, "cached": cached}


def build_alone(copy: PantsCopy, env: Dict[str, str], spec: dict, tmp: Path, builder: str) -> dict:
    """Builds one image for both platforms by hand with the builder, as a developer would."""
    outdir = tmp / f"alone-{builder}-{len(list(tmp.glob('alone-*')))}"
    log(f"{spec['repository']} alone: 2 x {builder} build ...")
    _, wall = run_script(copy, env, outdir, loop_script([spec], outdir, builder=builder),
                         f"building {spec['repository']} alone")
    log(f"{spec['repository']} alone: {wall:.1f}s")
    return {"wall_seconds": round(wall, 2), "builder_runs": len(PLATFORMS)}


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def print_table(rows: Sequence[dict]) -> None:
    w = max(len(r["scenario"]) for r in rows)
    print(f"{'scenario':<{w}}  {'wall s':>7}  {'builder runs':>12}  note")
    print(f"{'-' * w}  {'-' * 7}  {'-' * 12}  {'-' * 4}")
    for r in rows:
        wall = "-" if r.get("wall_seconds") is None else f"{r['wall_seconds']:.1f}"
        runs = "-" if r.get("builder_runs") is None else str(r["builder_runs"])
        exp = r.get("expected_builder_runs")
        if exp is not None and r.get("builder_runs") is not None and r["builder_runs"] != exp:
            runs += f" (!={exp})"
        print(f"{r['scenario']:<{w}}  {wall:>7}  {runs:>12}  {r.get('note', '')}")


def _spread(values: Sequence[float], digits: int = 1) -> str:
    """`median (min–max)` of `values`, the median alone for one value, `-` for none."""
    if not values:
        return "-"
    median = f"{statistics.median(values):.{digits}f}"
    return median if len(values) == 1 else f"{median} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def _wall(run: dict, prefix: str) -> Optional[float]:
    return next(
        (r["wall_seconds"] for r in run["scenarios"]
         if r["scenario"].startswith(prefix) and r.get("wall_seconds") is not None),
        None,
    )


def summarize(runs: Sequence[dict], sides: Sequence[str], builder: str) -> List[dict]:
    """Per scenario and side, the median (min–max) of its wall seconds over the rounds. Then per
    side two ratios, each run against its own round (the machine's speed drifts between runs):
    one app edit ÷ the same edit built by hand, and cold ÷ the seeds' loop with `builder` (the
    loop runs once a round, on the work tree's side)."""
    names: List[str] = []
    seconds: Dict[Tuple[str, str], List[float]] = {}
    for run in runs:
        for row in run["scenarios"]:
            if row.get("wall_seconds") is None:
                continue
            if row["scenario"] not in names:
                names.append(row["scenario"])
            seconds.setdefault((row["scenario"], run["side"]), []).append(row["wall_seconds"])
    table = [{"scenario": name, **{side: _spread(seconds.get((name, side), [])) for side in sides}} for name in names]

    loop_prefix = f"{builder} loop, 1st run"
    loops = {run["round"]: _wall(run, loop_prefix) for run in runs if _wall(run, loop_prefix) is not None}
    by_hand: Dict[str, List[float]] = {side: [] for side in sides}
    by_loop: Dict[str, List[float]] = {side: [] for side in sides}
    for run in runs:
        edit, alone, cold = _wall(run, "pants after 1 app edit"), _wall(run, "webui alone"), _wall(run, "pants cold")
        if edit is not None and alone:
            by_hand[run["side"]].append(edit / alone)
        if cold is not None and loops.get(run["round"]):
            by_loop[run["side"]].append(cold / loops[run["round"]])
    table.append({"scenario": "one app edit ÷ webui alone", **{s: _spread(by_hand[s], 2) for s in sides}})
    table.append({"scenario": f"cold ÷ {loop_prefix} (same round)", **{s: _spread(by_loop[s], 2) for s in sides}})
    return table


def print_summary(table: Sequence[dict], sides: Sequence[str]) -> None:
    w = max(len(r["scenario"]) for r in table)
    widths = [max(len(side), *(len(r[side]) for r in table)) for side in sides]
    print(f"{'scenario':<{w}}  " + "  ".join(f"{side:>{c}}" for side, c in zip(sides, widths)))
    print(f"{'-' * w}  " + "  ".join("-" * c for c in widths))
    for r in table:
        print(f"{r['scenario']:<{w}}  " + "  ".join(f"{r[side]:>{c}}" for side, c in zip(sides, widths)))


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def use_plugin_at(root: Path, ref: str) -> None:
    """Replaces the copy's pants-plugins/ with this repository's as of the git revision `ref`."""
    archive = subprocess.run(["git", "archive", ref, "pants-plugins"], cwd=REPO_ROOT, capture_output=True)
    if archive.returncode != 0:
        raise BenchError(f"git archive {ref} pants-plugins: {archive.stderr.decode(errors='replace').strip()}")
    shutil.rmtree(root / "pants-plugins")
    subprocess.run(["tar", "-x", "-C", str(root)], input=archive.stdout, check=True)


def run_scenarios(
    args: argparse.Namespace, menv: Dict[str, str], tmp: Path, plugin_ref: Optional[str], loops: bool,
    rows: List[dict],
) -> dict:
    """One fresh copy of the repository (its plugin as of `plugin_ref`, or this work tree's):
    the Pants scenarios and the edited image built by hand, then with `loops` the seeds' loops.
    Appends a row per scenario to `rows` as it goes; returns the run's metadata. Stops the
    copy's pantsd and deletes `tmp` (and buildah storage it made) however it ends."""
    root = tmp / "repo"
    storage_confs: List[Path] = []
    env = {**os.environ, **menv}
    meta: dict = {}
    tmp.mkdir(parents=True, exist_ok=True)
    try:
        copy_repo(root)
        if plugin_ref:
            use_plugin_at(root, plugin_ref)
        init_git(root)
        counter = tmp / "builder-calls.log"
        write_wrapper(tmp / "wrappers", args.builder, counter)
        env.update({
            "PANTS_OCI_BUILDER": args.builder,
            "PANTS_OCI_EXECUTABLE_SEARCH_PATHS": json.dumps([str(tmp / "wrappers"), "/usr/bin", "/bin"]),
        })
        builder_cache = (
            "buildah: fresh temporary storage" if args.cold_builder
            else f"{args.builder} layer cache: the machine's (not reset)"
        )
        copy = PantsCopy(root, env, counter)
        meta = {
            "plugin": plugin_ref or "work tree",
            "builder": args.builder, "cold_builder": args.cold_builder, "builder_cache": builder_cache,
            "cpus": os.cpu_count(), "machine": platform.machine(), "platforms": list(PLATFORMS),
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }

        stop_pantsd(root)
        store = tmp / "pants-store"
        env["PANTS_LOCAL_STORE_DIR"] = str(store)
        if args.cold_builder:
            storage_confs.append(fresh_storage_conf(Path(menv["CONTAINERS_STORAGE_CONF"]), tmp / "containers"))
            env["CONTAINERS_STORAGE_CONF"] = str(storage_confs[-1])
        log(f"copy in {root}; Pants store {store}; {builder_cache}")
        rows.append(copy.timed_package(f"pants cold ({args.builder})", 12, f"fresh Pants store + pantsd; {builder_cache}"))

        rows.append(copy.timed_package("pants no-op re-run", 0, "nothing changed"))
        # New text in every run of this script: the builders' layer caches outlive a run, and an
        # edit they have seen before would be a cache hit for them, not a build.
        nonce = uuid.uuid4().hex
        specs = image_specs(copy)
        meta["loop_images"] = specs
        with open(root / EDITED_FILE, "a") as f:
            f.write(f"\n// bench: edited {nonce}\n")
        rows.append(copy.timed_package("pants after 1 app edit", 2, f"comment appended to {EDITED_FILE}"))
        # The same kind of edit again, built by hand: the one image, both platforms, same builder.
        with open(root / EDITED_FILE, "a") as f:
            f.write(f"\n// bench: edited again {nonce}\n")
        benv = {k: v for k, v in env.items() if not k.startswith("PANTS_")}
        (webui,) = [s for s in specs if s["repository"] == "tinyolly/webui"]
        rows.append({"scenario": f"webui alone ({args.builder} build x2)", **build_alone(copy, benv, webui, tmp, args.builder),
                     "note": f"another comment appended to {EDITED_FILE}; no export"})
        subprocess.run(["git", "checkout", "-q", "--", "."], cwd=root, check=True)

        if loops:
            if args.builder == "buildah":
                lenv = dict(benv)
                if args.cold_builder:
                    storage_confs.append(fresh_storage_conf(Path(menv["CONTAINERS_STORAGE_CONF"]), tmp / "loop-containers"))
                    lenv["CONTAINERS_STORAGE_CONF"] = str(storage_confs[-1])
                first = run_loop(copy, lenv, specs, tmp, "first", builder="buildah")
                second = run_loop(copy, lenv, specs, tmp, "re-run", builder="buildah")
                first.pop("script")
                second.pop("script")
                c1, c2 = first["cache"], second["cache"]
                wrong = f"; {len(first['wrong_architecture'])} of the images have the wrong architecture" if first["wrong_architecture"] else ""
                rows.append({"scenario": "buildah loop, 1st run", **first, "expected_builder_runs": 12,
                             "note": f"{'fresh temporary storage; ' if args.cold_builder else ''}"
                                     f"{c1['cached']}/{c1['steps']} steps from buildah's cache; no export{wrong}"})
                rows.append({"scenario": "buildah loop, no-op re-run", **second, "expected_builder_runs": 12,
                             "note": f"{c2['cached']}/{c2['steps']} steps from buildah's cache; cannot skip a build"})

            if args.skip_docker_loop:
                rows.append({"scenario": "docker loop", "note": "skipped (--skip-docker-loop)"})
            else:
                denv = dict(benv)
                denv["DOCKER_BUILDKIT"] = "1"
                why_not = docker_check(denv, tmp)
                if why_not:
                    log(f"docker loop skipped: {why_not}")
                    rows.append({"scenario": "docker loop", "note": f"skipped: {why_not.splitlines()[0]}",
                                 "skipped": why_not})
                else:
                    first = run_loop(copy, denv, specs, tmp, "first", no_cache=args.cold_builder)
                    second = run_loop(copy, denv, specs, tmp, "re-run")
                    c1, c2 = first["cache"], second["cache"]
                    if args.cold_builder:
                        warm = "not used (--no-cache)"
                    else:
                        warm = "cold" if c1["cached"] == 0 else ("warm" if c1["cached"] == c1["steps"] else "partly warm")
                    meta["docker_loop_script"] = first.pop("script")
                    second.pop("script")
                    rows.append({"scenario": "docker loop, 1st run", **first, "expected_builder_runs": 12,
                                 "note": f"docker layer cache {warm}: {c1['cached']}/{c1['steps']} steps CACHED"})
                    rows.append({"scenario": "docker loop, no-op re-run", **second, "expected_builder_runs": 12,
                                 "note": f"{c2['cached']}/{c2['steps']} steps CACHED; cannot skip a build"})
        return meta
    finally:
        stop_pantsd(root)
        for conf in storage_confs:
            remove_storage(conf, env)
        shutil.rmtree(tmp, ignore_errors=True)
        if tmp.exists():
            log(f"could not delete all of {tmp}")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--builder", choices=("buildah", "docker"), default="buildah",
                        help="the builder Pants uses ([oci].builder); default buildah")
    parser.add_argument("--cold-builder", action="store_true",
                        help="give buildah a fresh temporary storage (no layer cache, bases pulled again), and "
                             "run the docker loop's first pass with --no-cache; buildah only")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON to this path")
    parser.add_argument("--skip-docker-loop", action="store_true", help="measure only the Pants scenarios")
    parser.add_argument("--rounds", type=int, default=1,
                        help="measure everything this many times and print medians (min-max); default 1")
    parser.add_argument("--baseline", metavar="REV",
                        help="in each round, also measure with pants-plugins/ as of this git revision, "
                             "interleaved with this work tree's (the seeds' loops run on the work tree's side only)")
    args = parser.parse_args(argv)
    if args.cold_builder and args.builder != "buildah":
        parser.error("--cold-builder needs --builder buildah (a fresh dockerd is not cheap)")
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    signal.signal(signal.SIGTERM, _interrupt)
    try:
        menv = machine_env()
    except BenchError as e:
        print(f"bench_package: {e}", file=sys.stderr)
        return 1
    sides: List[Tuple[str, Optional[str]]] = [("ours", None)]
    if args.baseline:
        sides.append((f"ours@{args.baseline}", args.baseline))
    tmp = Path(tempfile.mkdtemp(prefix="shipyard-package-bench-"))
    runs: List[dict] = []
    try:
        for r in range(args.rounds):
            # Alternate which side goes first, so a machine that slows down over the runs (buildah's
            # storage grows with every build) does not always favour the same side.
            for i, (label, ref) in enumerate(sides if r % 2 == 0 else sides[::-1]):
                rows: List[dict] = []
                runs.append({"round": r + 1, "side": label, "scenarios": rows})
                log(f"round {r + 1}/{args.rounds}: {label}")
                runs[-1]["meta"] = run_scenarios(args, menv, tmp / f"round{r + 1}-{i}", ref, ref is None, rows)
    except BenchError as e:
        for run in runs:
            if run["scenarios"]:
                print(f"# round {run['round']}, {run['side']}")
                print_table(run["scenarios"])
        print(f"bench_package: {e}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    meta = runs[0]["meta"]
    print(f"# {meta['date']}, {meta['cpus']} CPUs ({meta['machine']}), images x {', '.join(PLATFORMS)}")
    if len(runs) == 1:
        print_table(runs[0]["scenarios"])
    else:
        print(f"# {args.rounds} rounds; seconds: median (min-max)")
        labels = [label for label, _ in sides]
        print_summary(summarize(runs, labels, args.builder), labels)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        document = {"meta": meta, "scenarios": runs[0]["scenarios"]} if len(runs) == 1 else {
            "meta": {**meta, "rounds": args.rounds, "baseline": args.baseline}, "runs": runs,
            "summary": summarize(runs, [label for label, _ in sides], args.builder),
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: pantsd stopped and temporary directories deleted", file=sys.stderr)
        sys.exit(130)
