#!/usr/bin/env python3
"""Inference benchmarks on synthetic monorepos: our backend and Pants' built-in one, interleaved.

Usage: python3 tools/bench/bench_inference.py [--sizes 10,100] [--runs 3] [--cold-runs 2]
                                              [--json PATH] [--seed 13] [--no-cold] [--no-builtin]

For each size, generates (tools/bench/synth_repo.py) the same repository twice, one for our
backend and one converted for Pants' `docker`/`helm` backends, each committed in its own git
repository with its own Pants local store, and measures, ours and built-in alternately so that
machine noise hits both:

  warm (pantsd running; the first `dependencies ::`, which starts pantsd, is reported apart):
    list ::                                   the floor: BUILD files parsed, no inference
    dependencies ::                           every target's dependencies (inference)
    changed: app edit                         --changed-since=HEAD~1 --changed-dependents=transitive
                                              list, after a commit editing one copied app file
    changed: lib edit                         the same after editing a module of a base library
    pantsd peak RSS                           VmHWM of pantsd at the end of the warm runs
  cold (--no-pantsd, an empty local store per run): list ::, dependencies ::, changed: app edit.

Each figure is the median of the runs with min–max. Every `changed` row also says how many of
the images and charts the generator knows to be affected were listed (found/expected), and how
many others were. Prints a table and writes JSON (`--json`). Figures, not a test. The pantsd
processes are stopped and the repositories deleted at the end, also on failure or SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
sys.dont_write_bytecode = True

from tests.e2e.repo_copy import git, init_git, stop_pantsd  # noqa: E402
from tools.bench.synth_repo import Model, generate_model, write_repo  # noqa: E402

BACKENDS = ("ours", "builtin")
PANTS_TIMEOUT = 3600
CHANGED = ["--changed-since=HEAD~1", "--changed-dependents=transitive", "list"]


@dataclass
class Sample:
    seconds: float
    ok: bool
    listed: Optional[int] = None  # images and charts listed (changed rows)
    found: Optional[int] = None  # of them, expected
    error: Optional[str] = None


@dataclass
class Repo:
    backend: str
    root: Path
    store: Path
    samples: Dict[str, List[Sample]] = field(default_factory=dict)
    pantsd_pids: set = field(default_factory=set)
    rss_kib: Optional[int] = None


def dockerfile_parser_wheel(dest: Path) -> Path:
    """The wheel of Pants' Dockerfile parser (`dockerfile==3.2.0`), fetched once with pip.

    On this machine pex fails to download it inside Pants (pip exits with a bare AssertionError
    after the download), so the built-in repository's lockfile points at this file instead.
    """
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "--platform", "manylinux1_x86_64", "--python-version", "3.9", "--implementation", "cp",
         "dockerfile==3.2.0", "-d", str(dest)],
        check=True,
    )
    return next(dest.glob("dockerfile-3.2.0-*.whl"))


def use_local_dockerfile_parser(root: Path, wheel: Path) -> None:
    """Points the built-in docker backend's parser lockfile at `wheel` (same artifact, same hash)."""
    venv = subprocess.run([str(root / "pants")], env=dict(os.environ, SHIPYARD_PANTS_VENV_ONLY="1"),
                          capture_output=True, text=True, check=True).stdout.strip()
    default_lock = next(Path(venv).glob("lib/python3.9/site-packages/pants/backend/docker/subsystems/dockerfile.lock"))
    text = re.sub(r'"url": "https://[^"]*/' + re.escape(wheel.name) + '"',
                  f'"url": "file://{wheel}"', default_lock.read_text())
    if f"file://{wheel}" not in text:
        raise RuntimeError(f"{default_lock} names no artifact {wheel.name}")
    (root / "3rdparty/dockerfile-parser.lock").write_text(text)
    with open(root / "pants.toml", "a") as f:
        f.write('\n[dockerfile-parser]\n# The default lock, with the wheel fetched by the benchmark.\n'
                'lockfile = "3rdparty/dockerfile-parser.lock"\n')


def pants(repo: Repo, args: Sequence[str], *, store: Optional[Path] = None, pantsd: bool = True,
          extra_env: Optional[Dict[str, str]] = None) -> Tuple[float, subprocess.CompletedProcess]:
    env = dict(os.environ, PANTS_LOCAL_STORE_DIR=str(store or repo.store), NO_SCIE_WARNING="1")
    env.update(extra_env or {})
    argv = ["./pants", *([] if pantsd else ["--no-pantsd"]), *args]
    start = time.monotonic()
    result = subprocess.run(argv, cwd=repo.root, env=env, capture_output=True, text=True,
                            timeout=PANTS_TIMEOUT)
    return time.monotonic() - start, result


def pantsd_pid(repo: Repo) -> Optional[int]:
    for pid_file in repo.root.glob(".pids/*/pantsd/pid"):
        try:
            pid = int(pid_file.read_text().strip())
        except ValueError:
            continue
        if Path(f"/proc/{pid}").exists():
            return pid
    return None


def peak_rss_kib(pid: int) -> Optional[int]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def error_text(result: subprocess.CompletedProcess) -> str:
    lines = [l for l in (result.stderr + result.stdout).splitlines() if l.strip()]
    return "\n".join(lines[-8:]) or f"exit code {result.returncode}"


def record(repo: Repo, metric: str, seconds: float, result: subprocess.CompletedProcess,
           expected: Optional[frozenset] = None, known: Optional[frozenset] = None) -> Sample:
    sample = Sample(seconds=round(seconds, 2), ok=result.returncode == 0)
    if not sample.ok:
        sample.error = error_text(result)
        print(f"  {repo.backend} {metric}: FAILED\n    " + sample.error.replace("\n", "\n    "), file=sys.stderr)
    elif expected is not None and known is not None:
        listed = set(result.stdout.split()) & known
        sample.listed, sample.found = len(listed), len(listed & expected)
    repo.samples.setdefault(metric, []).append(sample)
    if sample.ok:
        extra = f" ({sample.found}/{len(expected)} expected, {sample.listed} listed)" if expected is not None else ""
        print(f"  {repo.backend} {metric}: {seconds:.1f}s{extra}", file=sys.stderr)
    return sample


def edit_and_commit(repo: Repo, path: str, note: str) -> None:
    with open(repo.root / path, "a") as f:
        f.write(note)
    git(repo.root, "commit", "-qam", f"bench: edit {path}")


def undo_commit(repo: Repo) -> None:
    git(repo.root, "reset", "-q", "--hard", "HEAD~1")


def comment_for(path: str, tag: str) -> str:
    return f"\n// bench {tag}\n" if path.endswith((".go", ".ts")) else f"\n# bench {tag}\n"


def known_addresses(model: Model) -> frozenset:
    """The images and charts; the same addresses in both flavours (the conversion keeps names)."""
    return frozenset([*model.images, *model.charts])


def ordered(run: int, repos: List[Repo]) -> List[Repo]:
    """Alternates which backend goes first, so neither always runs on a cooler machine."""
    return repos if run % 2 == 0 else list(reversed(repos))


def bench_size(size: int, args: argparse.Namespace, tmp: Path) -> dict:
    model = generate_model(size, args.seed)
    print(f"size {size}: {model.summary()}", file=sys.stderr)
    repos: List[Repo] = []
    for backend in args.backends:
        root = tmp / f"{backend}-{size}"
        flavor, _, ref = backend.partition("@")
        write_repo(root, model, flavor, ref or None)
        if backend == "builtin":
            use_local_dockerfile_parser(root, args.parser_wheel)
        init_git(root)
        repos.append(Repo(backend, root, tmp / f"store-{backend}-{size}"))
    known = known_addresses(model)
    app_image = next(i for i in model.images.values() if i.kind == "python-root")
    app_file = f"{app_image.app_dir}/{app_image.app_dir.split('/')[-1].replace('-', '_')}/handlers.py"
    lib_file = f"libs/{model.libs[0]}/core.py"
    edits = {"changed: app edit": app_file, "changed: lib edit": lib_file}
    expected = {metric: model.affected_by([path]) for metric, path in edits.items()}
    memory_env = {"PANTS_PANTSD_MAX_MEMORY_USAGE": args.pantsd_max_memory} if args.pantsd_max_memory else {}

    try:
        # Warm: start pantsd and compute everything once (the "first" figure; the built-in
        # backend also builds its Dockerfile parser here), then alternate.
        for repo in repos:
            secs, result = pants(repo, ["dependencies", "::"], extra_env=memory_env)
            record(repo, "first dependencies :: (starts pantsd)", secs, result)
        for run in range(args.runs):
            for metric, argv in (("warm list ::", ["list", "::"]), ("warm dependencies ::", ["dependencies", "::"])):
                for repo in ordered(run, repos):
                    secs, result = pants(repo, argv, extra_env=memory_env)
                    record(repo, metric, secs, result)
                    repo.pantsd_pids.add(pantsd_pid(repo))
            for metric, path in edits.items():
                for repo in ordered(run, repos):
                    edit_and_commit(repo, path, comment_for(path, f"warm {run}"))
                    secs, result = pants(repo, CHANGED, extra_env=memory_env)
                    record(repo, "warm " + metric, secs, result, expected[metric], known)
                    repo.pantsd_pids.add(pantsd_pid(repo))
                    undo_commit(repo)
        for repo in repos:
            pid = pantsd_pid(repo)
            repo.rss_kib = peak_rss_kib(pid) if pid else None
            stop_pantsd(repo.root)

        # Cold: no pantsd, a fresh local store per command.
        for run in range(args.cold_runs):
            for metric, argv, edit in (
                ("cold list ::", ["list", "::"], None),
                ("cold dependencies ::", ["dependencies", "::"], None),
                ("cold changed: app edit", CHANGED, app_file),
            ):
                for repo in ordered(run, repos):
                    store = Path(tempfile.mkdtemp(prefix="store-", dir=tmp))
                    if edit:
                        edit_and_commit(repo, edit, comment_for(edit, f"cold {run}"))
                    try:
                        secs, result = pants(repo, argv, store=store, pantsd=False)
                        record(repo, metric, secs, result,
                               expected["changed: app edit"] if edit else None, known if edit else None)
                    finally:
                        if edit:
                            undo_commit(repo)
                        shutil.rmtree(store, ignore_errors=True)
    finally:
        for repo in repos:
            stop_pantsd(repo.root)

    return {
        "size": size,
        "repo": model.summary(),
        "edits": {m: {"file": p, "expected_images_and_charts": len(expected[m])} for m, p in edits.items()},
        "backends": {
            repo.backend: {
                "metrics": {m: [s.__dict__ for s in samples] for m, samples in repo.samples.items()},
                "pantsd_peak_rss_mib": round(repo.rss_kib / 1024) if repo.rss_kib else None,
                "pantsd_processes_seen": len({p for p in repo.pantsd_pids if p}),
            }
            for repo in repos
        },
    }


def summarize(samples: List[dict]) -> Optional[str]:
    times = [s["seconds"] for s in samples if s["ok"]]
    if not times:
        return "failed" if samples else None
    text = f"{statistics.median(times):.1f} ({min(times):.1f}–{max(times):.1f})"
    if len(times) < len(samples):
        text += f" [{len(samples) - len(times)} failed]"
    found = [(s["found"], s["listed"]) for s in samples if s.get("found") is not None]
    if found:
        f, l = found[-1]
        text += f" {f}✓/{l - f}✗"
    return text


def print_table(results: List[dict]) -> None:
    metrics: List[str] = []
    for r in results:
        for b in r["backends"].values():
            for m in b["metrics"]:
                if m not in metrics:
                    metrics.append(m)
    header = ["metric (seconds: median (min–max))"]
    columns = []
    for r in results:
        for backend in r["backends"]:
            header.append(f"{backend} @{r['size']}")
            columns.append((r, backend))
    rows = [header]
    for m in metrics:
        rows.append([m] + [summarize(r["backends"][b]["metrics"].get(m, [])) or "–" for r, b in columns])
    rows.append(["pantsd peak RSS MiB"] + [str(r["backends"][b]["pantsd_peak_rss_mib"]) for r, b in columns])
    rows.append(["pantsd processes seen (1 = never restarted)"]
                + [str(r["backends"][b]["pantsd_processes_seen"]) for r, b in columns])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for i, row in enumerate(rows):  # a Markdown table, pasted as is into BENCHMARKS.md
        print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        if i == 0:
            print("|-" + "-|-".join("-" * w for w in widths) + "-|")
    for r in results:
        edits = ", ".join(f"{m}: {e['file']} ({e['expected_images_and_charts']} images+charts)"
                          for m, e in r["edits"].items())
        print(f"\n@{r['size']}: {r['repo']['files']} files, {r['repo']['images']} images, "
              f"{r['repo']['charts']} charts. {edits}.")
    print("N✓/M✗ on changed rows: expected images and charts listed / others listed (last run).")


def machine() -> dict:
    cpu = ""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in Path("/proc/cpuinfo").read_text().splitlines()
                   if l.startswith("model name"))
    except (OSError, StopIteration):
        pass
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory_gib": round(int(mem) / 2**20, 1),
            "kernel": platform.release(), "load_average_at_start": os.getloadavg()}


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="10", help="comma-separated app counts (default 10; 100 and 1000 are slow)")
    parser.add_argument("--runs", type=int, default=3, help="warm runs per figure (default 3)")
    parser.add_argument("--cold-runs", type=int, default=2, help="cold runs per figure (default 2)")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold figures")
    parser.add_argument("--no-builtin", action="store_true", help="measure only our backend")
    parser.add_argument("--baseline", metavar="REV",
                        help="also measure our backend as of this git revision (column ours@REV)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--pantsd-max-memory", help="sets PANTS_PANTSD_MAX_MEMORY_USAGE (e.g. 16GiB)")
    parser.add_argument("--json", type=Path, help="write the results as JSON here")
    args = parser.parse_args(argv)
    args.backends = ("ours",) if args.no_builtin else BACKENDS
    if args.baseline:
        args.backends = (f"ours@{args.baseline}", *args.backends)
    if args.no_cold:
        args.cold_runs = 0
    sizes = [int(s) for s in args.sizes.split(",") if s]

    signal.signal(signal.SIGTERM, _interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="shipyard-inference-bench-"))
    started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True,
                            text=True).stdout.strip()  # the plugin is copied now, not at the end
    results = []
    try:
        if "builtin" in args.backends:
            args.parser_wheel = dockerfile_parser_wheel(tmp / "wheels")
        for size in sizes:
            results.append(bench_size(size, args, tmp))
    finally:
        for root in tmp.glob("*-*"):
            stop_pantsd(root)
        shutil.rmtree(tmp, ignore_errors=True)
    print_table(results)
    if args.json:
        payload = {
            "started": started,
            "command": "python3 tools/bench/bench_inference.py " + " ".join(argv if argv is not None else sys.argv[1:]),
            "commit": commit,
            "machine": machine(),
            "results": results,
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: pantsd stopped and temporary repositories deleted", file=sys.stderr)
        sys.exit(130)
