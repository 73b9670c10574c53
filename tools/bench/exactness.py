#!/usr/bin/env python3
"""Exactness of `--changed-since` on a synthetic monorepo: ours, Pants' built-in backends, and
the path-prefix filter CI scripts use, against the generator's ground truth.

Usage: python3 tools/bench/exactness.py [--size 100] [--seed 13] [--json PATH] [--no-builtin]

Generates the repository (tools/bench/synth_repo.py) for both backends, commits each, and for
every change of `build_corpus` (>= 50, of every kind: app file, shared library, base Dockerfile,
values tag, chart template, library chart, README/tests/docs, .dockerignore, added, deleted and
moved files, BUILD edits) applies it to a clean work tree and runs
  ./pants --changed-since=HEAD --changed-dependents=transitive --filter-target-type=<image>,helm_chart list
The expected set comes from the generator's model of what each image copies and each chart
packages (Model.affected_by), never from a backend. The path-prefix filter marks an image when
a changed path is under its app directory or is its Dockerfile, and a chart when one is under
its chart directory (no dependents), as CI scripts do.
Prints per-kind and total precision/recall (micro-averaged over (change, target) pairs); `--json`
writes every change with the three answers. pantsd is stopped and the copies deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, FrozenSet, List, Optional, Sequence

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
sys.dont_write_bytecode = True

from tests.e2e.repo_copy import git, init_git, stop_pantsd  # noqa: E402
from tools.bench.bench_inference import dockerfile_parser_wheel, use_local_dockerfile_parser  # noqa: E402
from tools.bench.compare_builtin_backends import Outcome, Score, convert_file, run_pants  # noqa: E402
from tools.bench.synth_repo import Image, Model, generate_model, write_repo  # noqa: E402

IMAGE_TYPE = {"ours": "oci_image", "builtin": "docker_image"}


@dataclass(frozen=True)
class Change:
    """Files to write (None: delete), and the images and charts that must be rebuilt."""

    kind: str
    name: str
    files: Dict[str, Optional[str]]
    expected: FrozenSet[str]
    # Staged (`git add -A`), so that git reports a deleted and an added file of the same content
    # as a rename, as it does for `git mv` or in a commit.
    staged: bool = False


def _pkg_dir(image: Image) -> str:
    return f"{image.app_dir}/{image.app_dir.rsplit('/', 1)[1].replace('-', '_')}"


def build_corpus(model: Model, seed: int = 13) -> List[Change]:
    """The scripted changes, each with its ground truth from the generator's model."""
    rng = random.Random(seed)
    files = model.files
    by_kind: Dict[str, List[Image]] = {}
    for image in model.images.values():
        by_kind.setdefault(image.kind, []).append(image)
    pick = lambda kind, n: rng.sample(by_kind[kind], k=min(n, len(by_kind[kind])))  # noqa: E731
    charts = [c for c in model.charts.values() if c.images]
    changes: List[Change] = []

    def edit(kind: str, path: str, new: Optional[str], name: Optional[str] = None) -> None:
        changes.append(Change(kind, name or path, {path: new}, model.affected_by([path])))

    def append(kind: str, path: str, text: str) -> None:
        edit(kind, path, files[path] + text)

    # Copied app files, one per image kind and more for Python.
    for image in pick("python-root", 2) + pick("python-app", 2):
        append("app file", f"{_pkg_dir(image)}/handlers.py", "\n\ndef extra():\n    return 1\n")
    for image in pick("go", 1):
        append("app file", f"{image.app_dir}/main.go", "\n// tuned\n")
    for image in pick("node", 1):
        append("app file", f"{image.app_dir}/src/api.ts", "\nexport const v = 2;\n")
    # Shared libraries: the base's (everything Python) and the others (their importers).
    for lib, module in [(model.libs[0], "core"), (model.libs[1], "io")] + [
        (lib, rng.choice(("core", "util", "io"))) for lib in rng.sample(model.libs[2:], k=min(4, len(model.libs) - 2))
    ]:
        append("shared lib", f"libs/{lib}/{module}.py", "\n\nVERSION = 2\n")
    # The base image's Dockerfile.
    base = "dockerfiles/Dockerfile.python-base"
    for i, line in enumerate(("ENV LANG=C.UTF-8\n", "LABEL team=platform\n", "# rebuilt monthly\n")):
        changes.append(Change("base Dockerfile", f"{base} #{i}", {base: files[base] + line}, model.affected_by([base])))
    # A tag in a chart's values (the chart changes, the image does not).
    for chart in rng.sample(charts, k=min(6, len(charts))):
        path = f"{chart.directory}/values.yaml"
        edit("values tag", path, files[path].replace("tag: latest", 'tag: "1.2.3"', 1))
    for chart in rng.sample(charts, k=min(3, len(charts))):
        append("chart template", f"{chart.directory}/templates/deployments.yaml", "# reviewed\n")
    lib_tpl = "charts/bench-lib/templates/_labels.tpl"
    append("library chart", lib_tpl, "{{/* labels v2 */}}\n")
    append("library chart", "charts/bench-lib/Chart.yaml", "keywords: [bench]\n")
    # README, tests and docs beside copied code: nothing is rebuilt.
    for image in pick("python-app", 2) + pick("python-root", 1):
        append("README/tests", f"{image.app_dir}/README.md", "\nMore docs.\n")
        append("README/tests", f"{image.app_dir}/tests/test_server.py", "\n\ndef test_more():\n    pass\n")
    for image in pick("go", 1):
        append("README/tests", f"{image.app_dir}/server_test.go", "\n// more tests\n")
    for image in pick("node", 1):
        append("README/tests", f"{image.app_dir}/test/api.test.ts", "\napi();\n")
    append("README/tests", f"libs/{model.libs[0]}/tests/test_core.py", "\n\ndef test_more():\n    pass\n")
    append("README/tests", f"{charts[0].directory}/README.md", "\nHow to install.\n")
    append("README/tests", f"{charts[0].directory}/ci/test-values.yaml", "svc1:\n  replicas: 3\n")
    # .dockerignore: what the context holds changes, so the image may.
    for image in pick("python-app", 2) + pick("go", 1) + pick("node", 1):
        append(".dockerignore", image.dockerignore, "*.log\n")
    # Added files: copied (the image) or not (nothing).
    added = []
    for image in pick("python-app", 1) + pick("python-root", 1):
        added.append(f"{_pkg_dir(image)}/extra.py")
        added.append(f"{image.app_dir}/tests/test_extra.py")
    for image in pick("node", 1):
        added += [f"{image.app_dir}/src/extra.ts", f"{image.app_dir}/docs/extra.md"]
    for image in pick("go", 1):
        added += [f"{image.app_dir}/internal/handler/extra.go", f"{image.app_dir}/extra_test.go"]
    for path in added:
        owner = model.image_copying_new_file(path)
        content = "// added\n" if path.endswith((".go", ".ts")) else "# added\n"
        changes.append(Change("added file", path, {path: content},
                              model.closure_of_images([owner]) if owner else frozenset()))
    # Deleted files: copied (the image changes) or not.
    for image in pick("python-app", 1) + pick("python-root", 1):
        edit("deleted file", f"{_pkg_dir(image)}/settings.py", None)
    for image in pick("go", 1):
        edit("deleted file", f"{image.app_dir}/server.go", None)
    for image in pick("node", 1):
        edit("deleted file", f"{image.app_dir}/src/render.ts", None)
        edit("deleted file", f"{image.app_dir}/README.md", None)
    edit("deleted file", f"{charts[1].directory}/templates/NOTES.txt", None)
    # Moved files (git reports renames): a copied file moved into another app where it is not
    # copied. `--changed-since` sees only the new path.
    go_a, go_b = pick("go", 2)
    node_a, node_b = pick("node", 2)
    for old, new in (
        (f"{go_a.app_dir}/internal/handler/handler.go", f"{go_b.app_dir}/docs/handler.go"),
        (f"{node_a.app_dir}/src/render.ts", f"{node_b.app_dir}/docs/render.ts"),
    ):
        owner = model.image_copying_new_file(new)
        expected = model.affected_by([old]) | (model.closure_of_images([owner]) if owner else frozenset())
        changes.append(Change("moved file", f"{old} -> {new}", {old: None, new: files[old]}, expected, staged=True))
    # BUILD edits: a build arg the Dockerfile uses (the image changes), a comment (nothing does).
    for i, image in enumerate(pick("python-app", 3)):
        old = f'oci_image(name="{image.address.split(":")[1]}", repository="{image.repository}")'
        new = old[:-1] + f', build_args={{"VERSION": "2.{i}"}})'
        assert old in files[image.build_file]
        changes.append(Change("BUILD edit", f"{image.build_file} build_args",
                              {image.build_file: files[image.build_file].replace(old, new)},
                              model.closure_of_images([image.address])))
    for image in pick("python-app", 1) + pick("python-root", 1):
        path = image.build_file
        changes.append(Change("BUILD edit", f"{path} comment", {path: "# Owned by the platform team.\n" + files[path]},
                              frozenset()))
    return changes


def prefix_filter(model: Model, changed: Sequence[str]) -> FrozenSet[str]:
    """What a CI script's `git diff --name-only | grep ^apps/<name>/` loop would rebuild."""
    hit = set()
    for image in model.images.values():
        if any(p == image.dockerfile or (image.app_dir and p.startswith(image.app_dir + "/")) for p in changed):
            hit.add(image.address)
    for chart in model.charts.values():
        if any(p.startswith(chart.directory + "/") for p in changed):
            hit.add(chart.address)
    return frozenset(hit)


@dataclass
class Answer:
    targets: FrozenSet[str] = frozenset()
    error: Optional[str] = None
    seconds: float = 0.0


def apply(root: Path, change: Change, builtin: bool) -> None:
    for path, content in change.files.items():
        target = root / path
        if content is None:
            target.unlink()
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        data = content.encode()
        if builtin:
            data = convert_file(path, data) or data
        target.write_bytes(data)
    if change.staged:
        git(root, "add", "-A")


def query(root: Path, backend: str) -> Answer:
    start = time.monotonic()
    result = run_pants(root, ["--changed-since=HEAD", "--changed-dependents=transitive",
                              f"--filter-target-type={IMAGE_TYPE[backend]},helm_chart", "list"])
    seconds = time.monotonic() - start
    if result.returncode != 0:
        lines = [l for l in (result.stderr + result.stdout).splitlines() if l.strip()]
        return Answer(error="\n".join(lines[-6:]), seconds=seconds)
    return Answer(frozenset(result.stdout.split()), seconds=seconds)


def restore(root: Path) -> None:
    git(root, "reset", "-q", "--hard", "HEAD")
    git(root, "clean", "-fdq")


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def fmt(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-builtin", action="store_true")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    backends = ("ours",) if args.no_builtin else ("ours", "builtin")

    model = generate_model(args.size, args.seed)
    corpus = build_corpus(model, args.seed)
    print(f"{len(corpus)} changes over {model.summary()}", file=sys.stderr)
    signal.signal(signal.SIGTERM, _interrupt)
    tmp = Path(tempfile.mkdtemp(prefix="shipyard-exactness-"))
    roots = {b: tmp / b for b in backends}
    answers: Dict[str, Dict[str, Answer]] = {b: {} for b in backends}
    try:
        for backend, root in roots.items():
            write_repo(root, model, backend)
            if backend == "builtin":
                use_local_dockerfile_parser(root, dockerfile_parser_wheel(tmp / "wheels"))
            init_git(root)
            start = time.monotonic()
            warm = run_pants(root, ["dependencies", "::"])
            print(f"{backend}: warm-up {time.monotonic() - start:.0f}s (exit {warm.returncode})", file=sys.stderr)
        for change in corpus:  # interleaved, change by change
            for backend, root in roots.items():
                apply(root, change, backend == "builtin")
                answers[backend][change.name] = answer = query(root, backend)
                restore(root)
                mark = "error" if answer.error else ("exact" if answer.targets == change.expected else "inexact")
                print(f"{backend}: {change.kind}: {change.name}: {mark} ({answer.seconds:.1f}s)", file=sys.stderr)
    finally:
        for root in roots.values():
            stop_pantsd(root)
        shutil.rmtree(tmp, ignore_errors=True)

    methods = [*backends, "path prefix"]
    kinds = list(dict.fromkeys(c.kind for c in corpus))
    scores = {(m, k): Score() for m in methods for k in kinds + ["all"]}
    rows = []
    for change in corpus:
        got = {b: answers[b][change.name] for b in backends}
        got["path prefix"] = Answer(prefix_filter(model, list(change.files)))
        row = {"kind": change.kind, "change": change.name, "files": sorted(change.files),
               "expected": sorted(change.expected)}
        for m in methods:
            a = got[m]
            outcome = Outcome(targets=sorted(a.targets), error=a.error)
            scores[(m, change.kind)].add(change.expected, outcome)
            scores[(m, "all")].add(change.expected, outcome)
            row[m] = {"targets": sorted(a.targets), "error": a.error, "seconds": round(a.seconds, 2),
                      "missed": sorted(change.expected - a.targets), "extra": sorted(a.targets - change.expected)}
        rows.append(row)

    # A Markdown table, pasted as is into BENCHMARKS.md.
    print("| kind | changes | " + " | ".join(f"{m}: precision / recall (exact)" for m in methods) + " |")
    print("|---|---:|" + "---|" * len(methods))
    for k in kinds + ["all"]:
        n = sum(1 for c in corpus if c.kind == k) if k != "all" else len(corpus)
        cells = [f"{fmt(scores[(m, k)].precision)} / {fmt(scores[(m, k)].recall)} ({scores[(m, k)].exact}/{n})"
                 for m in methods]
        print(f"| {k} | {n} | " + " | ".join(cells) + " |")
    print("\nP/R: precision/recall over (change, target) pairs; n/a: no target expected and none listed. "
          "exact: changes answered with exactly the expected set.")
    for row in rows:
        for m in backends:
            if row[m]["error"] or row[m]["missed"] or row[m]["extra"]:
                what = row[m]["error"].splitlines()[-1] if row[m]["error"] else (
                    f"missed {len(row[m]['missed'])}, extra {len(row[m]['extra'])}")
                if m == "ours":
                    print(f"  ours: {row['kind']}: {row['change']}: {what}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({
            "size": args.size, "seed": args.seed, "repo": model.summary(),
            "command": "./pants --changed-since=HEAD --changed-dependents=transitive "
                       "--filter-target-type=<oci_image|docker_image>,helm_chart list",
            "totals": {f"{m}|{k}": {"tp": s.tp, "fp": s.fp, "fn": s.fn, "precision": s.precision,
                                    "recall": s.recall, "exact": s.exact} for (m, k), s in scores.items()},
            "changes": rows,
        }, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: pantsd stopped and temporary copies deleted", file=sys.stderr)
        sys.exit(130)
