#!/usr/bin/env python3
"""Score Pants' built-in `docker`/`helm` backends and ours on the same change corpus.

Usage: python3 tools/bench/compare_builtin_backends.py [--json PATH]

Makes two throwaway copies of this repository (the files git sees: tracked + untracked, not
ignored), each committed in a fresh git repository:
  * "ours": unchanged (the shipyard backend);
  * "built-in": pants.toml loads `pants.backend.python`, `pants.backend.docker` and
    `pants.backend.experimental.helm` instead of shipyard, and every `oci_image`/`helm_chart` is
    rewritten to the closest `docker_image`/`helm_chart` their docs describe (see `convert_build`).
For every edit of tests/e2e/change_corpus.CORPUS, from a clean work tree, it runs
  ./pants --changed-since=HEAD --filter-target-type=<image type>,helm_chart list
and compares the addresses with the edit's expected set. Each edit is applied to the "ours" copy
as written; the files it changed are then carried over to the "built-in" copy, BUILD files and
pants.toml through the same conversion (so an edit of `build_args={...}` becomes the equivalent
edit of `extra_build_args=[...]`). An edit with a setup (a repository shape the example does not
have) is measured against a commit of that setup, made in both copies the same way. Only `list`
runs: nothing is built, linted or downloaded.

Prints a table and per-backend totals (micro-averaged over (edit, target) pairs); `--json` writes
the same data. The pantsd processes started in the copies are stopped and the copies deleted at
the end, also on failure.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import posixpath
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))
sys.dont_write_bytecode = True  # no __pycache__ left in tests/e2e/

from tests.e2e.change_corpus import CORPUS, Edit  # noqa: E402
from tests.e2e.repo_copy import copy_repo, git, init_git, stop_pantsd  # noqa: E402

BUILTIN_BACKENDS = (
    "pants.backend.python",
    "pants.backend.docker",
    "pants.backend.experimental.helm",
)
PLUGIN_DIR = REPO_ROOT / "pants-plugins" / "shipyard"
PANTS_TIMEOUT = 900
ERROR_LINES = 6


# ---------------------------------------------------------------------------------------------
# Copying and git
# ---------------------------------------------------------------------------------------------








def restore_clean(root: Path, commit: str = "HEAD") -> None:
    git(root, "reset", "-q", "--hard", commit)
    git(root, "clean", "-fdq")  # not -x: keeps .pids/ and .pants.d/ (ignored)


def commit_all(root: Path, message: str) -> None:
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", message)


def changed_files(root: Path) -> Dict[str, Optional[bytes]]:
    """The work tree's changes against HEAD: path -> new content (None if deleted)."""
    out = subprocess.run(
        ["git", "status", "--porcelain", "-z", "--untracked-files=all", "--no-renames"],
        cwd=root,
        check=True,
        capture_output=True,
    ).stdout.decode()
    changes: Dict[str, Optional[bytes]] = {}
    for entry in filter(None, out.split("\0")):
        path = entry[3:]
        full = root / path
        changes[path] = full.read_bytes() if full.is_file() else None
    return changes


# ---------------------------------------------------------------------------------------------
# Conversion to the built-in backends
# ---------------------------------------------------------------------------------------------


def shipyard_scopes(plugin_dir: Path = PLUGIN_DIR) -> frozenset:
    """The options scopes the shipyard backend registers (its subsystems' `options_scope` and its
    goals' `name`), read from its source: Pants without the backend refuses their sections."""
    assignment = re.compile(r'^\s+(?:options_scope|name)\s*=\s*"([a-z][a-z0-9-]*)"\s*$', re.M)
    return frozenset(
        scope
        for directory in ("subsystems", "goals")
        for module in sorted((plugin_dir / directory).glob("*.py"))
        for scope in assignment.findall(module.read_text())
    )


def convert_pants_toml(text: str) -> str:
    """Swaps shipyard for the built-in backends; everything else ([pex-cli], [changed], ...) stays."""
    # [GLOBAL].pythonpath only served to load shipyard from pants-plugins/ (and its comment).
    text, n = re.subn(
        r"^(?:#[^\n]*\n)?pythonpath\s*=\s*\[[^\]]*\]\s*\n", "", text, count=1, flags=re.M
    )
    backends = "".join(f'  "{b}",\n' for b in BUILTIN_BACKENDS)
    text, n = re.subn(
        r"^backend_packages\s*=\s*\[[^\]]*\]",
        lambda _: f"backend_packages = [\n{backends}]",
        text,
        count=1,
        flags=re.M,
    )
    if n != 1:
        raise ValueError("pants.toml has no [GLOBAL].backend_packages list to replace")
    # Drop the shipyard backend's own option sections ([oci], [oci.registries.x], [helm-lint], ...).
    kept: List[str] = []
    scopes = shipyard_scopes()
    skipping = False
    for line in text.splitlines(keepends=True):
        header = re.match(r"^\[([^\]]+)\]\s*$", line)
        if header:
            scope = header.group(1).strip()
            skipping = scope.split(".")[0] in scopes
        if not skipping:
            kept.append(line)
    return "".join(kept)


def _kwargs(call: ast.Call, path: str) -> Dict[str, object]:
    if call.args:
        raise ValueError(f"{path}:{call.lineno}: positional arguments are not supported")
    values: Dict[str, object] = {}
    for kw in call.keywords:
        if kw.arg is None:
            raise ValueError(f"{path}:{call.lineno}: **kwargs are not supported")
        try:
            values[kw.arg] = ast.literal_eval(kw.value)
        except ValueError as e:
            raise ValueError(f"{path}:{call.lineno}: {kw.arg}= is not a literal") from e
    return values


def _format_call(alias: str, fields: List[Tuple[str, object]]) -> str:
    if len(fields) <= 1:
        return f"{alias}(" + ", ".join(f"{k}={json.dumps(v)}" for k, v in fields) + ")"
    body = "".join(f"    {k}={json.dumps(v)},\n" for k, v in fields)
    return f"{alias}(\n{body})"


def context_root_for(spec_path: str, context: str) -> str:
    """Our `context` (relative to the BUILD file's directory) as a built-in `context_root`.

    The docs: "Specify the `context_root` path as `files` for relative to build root, or as
    `./files` for relative to the BUILD file." The build root itself is "" (the default of
    `[docker].default_context_root`).
    """
    resolved = posixpath.normpath(posixpath.join(spec_path, context or "."))
    if resolved == ".":
        return ""
    if resolved == spec_path:
        return "./"
    if resolved.startswith(spec_path + "/") and spec_path:
        return "./" + resolved[len(spec_path) + 1 :]
    return resolved


def convert_oci_image(spec_path: str, kwargs: Dict[str, object], where: str) -> str:
    fields: List[Tuple[str, object]] = []
    known = {"name", "dockerfile", "context", "repository", "build_args", "target_stage",
             "dependencies", "description", "tags"}
    unknown = set(kwargs) - known
    if unknown:
        raise ValueError(f"{where}: oci_image fields with no built-in equivalent: {sorted(unknown)}")
    if "name" in kwargs:
        fields.append(("name", kwargs["name"]))
    if "dockerfile" in kwargs:
        fields.append(("source", kwargs["dockerfile"]))
    fields.append(("context_root", context_root_for(spec_path, str(kwargs.get("context", ".")))))
    if "repository" in kwargs:
        fields.append(("repository", kwargs["repository"]))
        # Our repository is published as `<repository>:latest`; `image_tags` defaults to
        # ["latest"], written out so the mapping is explicit.
        fields.append(("image_tags", ["latest"]))
    build_args = kwargs.get("build_args") or {}
    if build_args:
        fields.append(("extra_build_args", [f"{k}={v}" for k, v in dict(build_args).items()]))  # type: ignore[arg-type]
    for key in ("target_stage", "dependencies", "description", "tags"):
        if key in kwargs:
            fields.append((key, kwargs[key]))
    return _format_call("docker_image", fields)


def convert_helm_chart(kwargs: Dict[str, object], where: str) -> str:
    known = {"name", "chart", "dependencies", "description", "tags"}
    unknown = set(kwargs) - known
    if unknown:
        raise ValueError(f"{where}: helm_chart fields with no built-in equivalent: {sorted(unknown)}")
    # Same field names; the built-in target also owns values.yaml, templates/*.yaml|yml|tpl and
    # crds/* through its default `sources`.
    return _format_call("helm_chart", [(k, kwargs[k]) for k in ("name", "chart", "dependencies",
                                                               "description", "tags") if k in kwargs])


def convert_build(spec_path: str, text: str) -> str:
    """Rewrites the shipyard targets of one BUILD file; other targets are kept verbatim."""
    where = posixpath.join(spec_path, "BUILD")
    tree = ast.parse(text, filename=where)
    lines = text.splitlines(keepends=True)
    offsets = [0]
    for line in lines:
        offsets.append(offsets[-1] + len(line))

    def offset(lineno: int, col: int) -> int:
        # ast columns are UTF-8 byte offsets.
        return offsets[lineno - 1] + len(lines[lineno - 1].encode()[:col].decode())

    has_helm_chart = any(
        isinstance(s, ast.Expr) and isinstance(s.value, ast.Call)
        and isinstance(s.value.func, ast.Name) and s.value.func.id == "helm_chart"
        for s in tree.body
    )
    edits: List[Tuple[int, int, str]] = []
    for stmt in tree.body:
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)
                and isinstance(stmt.value.func, ast.Name)):
            continue
        call, alias = stmt.value, stmt.value.func.id
        start = offset(stmt.lineno, stmt.col_offset)
        end = offset(stmt.end_lineno, stmt.end_col_offset)  # type: ignore[arg-type]
        loc = f"{where}:{stmt.lineno}"
        if alias == "oci_image":
            edits.append((start, end, convert_oci_image(spec_path, _kwargs(call, where), loc)))
        elif alias == "helm_chart":
            edits.append((start, end, convert_helm_chart(_kwargs(call, where), loc)))
        elif alias == "files" and has_helm_chart:
            # A chart directory's own `files(...)` (values, templates, README, ...): a user of the
            # built-in backend writes only `helm_chart()`, whose default `sources` own the values
            # and templates; a second owner would only make inference ambiguous. Removed with the
            # comment lines right above it.
            first = stmt.lineno
            while first > 1 and lines[first - 2].lstrip().startswith("#"):
                first -= 1
            last_end = end
            if last_end < len(text) and text[last_end] == "\n":
                last_end += 1
            edits.append((offsets[first - 1], last_end, ""))
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return re.sub(r"\n{3,}", "\n\n", text).rstrip("\n") + "\n"


def convert_file(path: str, content: Optional[bytes]) -> Optional[bytes]:
    """The built-in copy's version of one file of our repository."""
    if content is None:
        return None
    if path == "pants.toml":
        return convert_pants_toml(content.decode()).encode()
    if posixpath.basename(path) == "BUILD" or posixpath.basename(path).startswith("BUILD."):
        return convert_build(posixpath.dirname(path), content.decode()).encode()
    return content


def convert_repo(root: Path) -> List[str]:
    """Converts a fresh copy in place; returns the paths it rewrote."""
    rewritten = []
    for path in sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()):
        if path.startswith((".git/", "pants-plugins/", "tests/", "tools/")):
            continue  # pants_ignore'd: not part of the example monorepo
        before = (root / path).read_bytes()
        after = convert_file(path, before)
        if after != before:
            (root / path).write_bytes(after)  # type: ignore[arg-type]
            rewritten.append(path)
    return rewritten


# ---------------------------------------------------------------------------------------------
# Running Pants
# ---------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    targets: List[str] = field(default_factory=list)
    error: Optional[str] = None
    seconds: float = 0.0


def run_pants(root: Path, args: Sequence[str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["./pants", *args], cwd=root, env=dict(os.environ), capture_output=True, text=True,
        timeout=PANTS_TIMEOUT,
    )


def first_lines(result: subprocess.CompletedProcess) -> str:
    text = (result.stderr or "") + (result.stdout or "")
    lines = [l for l in text.splitlines() if l.strip() and "pantsd" not in l.lower()[:40]]
    # Pants' error block starts at the first line naming an error; show that and what follows.
    for i, line in enumerate(lines):
        if re.search(r"error|exception|failed", line, re.I):
            lines = lines[i:]
            break
    return "\n".join(lines[:ERROR_LINES]) or f"exit code {result.returncode}"


def changed_targets(root: Path, target_types: str) -> Outcome:
    start = time.monotonic()
    try:
        result = run_pants(root, ["--changed-since=HEAD", f"--filter-target-type={target_types}", "list"])
    except subprocess.TimeoutExpired:
        return Outcome(error=f"timed out after {PANTS_TIMEOUT}s", seconds=time.monotonic() - start)
    seconds = time.monotonic() - start
    if result.returncode != 0:
        return Outcome(error=first_lines(result), seconds=seconds)
    return Outcome(targets=sorted(set(result.stdout.split())), seconds=seconds)




def warm_up(root: Path) -> Tuple[float, Optional[str]]:
    """Starts pantsd and computes every target's dependencies once (builds the Dockerfile parser
    PEX for the built-in backend), so the timed loop measures the `--changed-since` queries."""
    start = time.monotonic()
    result = run_pants(root, ["dependencies", "::"])
    return time.monotonic() - start, None if result.returncode == 0 else first_lines(result)


# ---------------------------------------------------------------------------------------------
# Scoring and output
# ---------------------------------------------------------------------------------------------


@dataclass
class Score:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    exact: int = 0
    errors: int = 0

    def add(self, expected: frozenset, outcome: Outcome) -> None:
        got = set() if outcome.error else set(outcome.targets)
        self.tp += len(got & expected)
        self.fp += len(got - expected)
        self.fn += len(expected - got)
        self.exact += int(outcome.error is None and got == expected)
        self.errors += int(outcome.error is not None)

    @property
    def precision(self) -> Optional[float]:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> Optional[float]:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None


ALL_TARGETS = frozenset(a for e in CORPUS for a in e.affected)


def short(addresses) -> str:
    """`dockerfiles:ui` -> `ui` (target names are unique in the example repo)."""
    if addresses and set(addresses) == ALL_TARGETS:
        return f"{{all {len(ALL_TARGETS)}}}"
    return "{" + ", ".join(sorted(a.split(":")[-1] for a in addresses)) + "}"


def cell(expected: frozenset, outcome: Outcome) -> str:
    """The result set, marked ✓ when it is exactly the expected one."""
    if outcome.error:
        return "✗ ERROR: " + outcome.error.splitlines()[0][:60]
    return ("✓ " if set(outcome.targets) == expected else "✗ ") + short(outcome.targets)


def fmt(x: Optional[float]) -> str:
    return "n/a" if x is None else f"{x:.2f}"


def print_report(rows: List[dict], scores: Dict[str, Score], walls: Dict[str, float]) -> None:
    headers = ("edit", "expected", "built-in", "ours")
    table = [headers] + [
        (r["edit"], short(r["expected"]), r["builtin_cell"], r["ours_cell"]) for r in rows
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    for i, row in enumerate(table):
        print("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        if i == 0:
            print("  ".join("-" * w for w in widths))
    print(
        "\n✓/✗: the result is/is not exactly the expected set. Targets by name: "
        "dockerfiles:{python-base,ui,receiver}, apps/<n>:<n>, charts/<n>:<n>;\n"
        f"{{all {len(ALL_TARGETS)}}} = every image and chart. Totals are micro-averaged over "
        "(edit, target) pairs; an edit that errors counts as finding nothing.\n"
    )
    print(f"{'backend':<10} {'TP':>4} {'FP':>4} {'FN':>4} {'precision':>9} {'recall':>6} {'exact':>7} {'errors':>6} {'wall s':>7}")
    for backend in ("builtin", "ours"):
        s = scores[backend]
        print(
            f"{backend:<10} {s.tp:>4} {s.fp:>4} {s.fn:>4} {fmt(s.precision):>9} {fmt(s.recall):>6} "
            f"{s.exact:>3}/{len(rows):<3} {s.errors:>6} {walls[backend]:>7.1f}"
        )
    errors = [(r["edit"], r["builtin"]["error"]) for r in rows if r["builtin"]["error"]]
    errors += [(r["edit"] + " (ours)", r["ours"]["error"]) for r in rows if r["ours"]["error"]]
    for name, error in errors:
        print(f"\n{name}:\n  " + error.replace("\n", "\n  "))


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def apply_edit(edit: Edit, root: Path, setup: bool = False) -> Optional[str]:
    """Applies the edit (or, with `setup`, its setup); an error message instead of raising."""
    try:
        (edit.setup if setup and edit.setup else edit.apply)(root)
    except Exception as e:  # a stale corpus entry, reported like a Pants error
        return f"could not apply the {'setup' if setup else 'edit'}: {type(e).__name__}: {e}"
    return None


def write_converted(root: Path, files: Dict[str, Optional[bytes]]) -> None:
    """Writes our repository's changed files, converted, into the built-in copy."""
    for path, content in files.items():
        converted = convert_file(path, content)
        target = root / path
        if converted is None:
            target.unlink(missing_ok=True)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(converted)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="also write the results as JSON to this path")
    parser.add_argument("--only", action="append", default=[], metavar="EDIT",
                        help="run only this corpus edit (repeatable; for debugging)")
    args = parser.parse_args(argv)

    corpus = [e for e in CORPUS if not args.only or e.name in args.only]
    if not corpus:
        parser.error(f"no corpus edit named {args.only}")

    # SIGTERM (e.g. a CI timeout) unwinds through the `finally` below like Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)

    tmp = Path(tempfile.mkdtemp(prefix="shipyard-builtin-bench-"))
    ours_root, builtin_root = tmp / "ours", tmp / "builtin"
    try:
        copy_repo(ours_root)
        copy_repo(builtin_root)
        rewritten = convert_repo(builtin_root)
        print(f"Converted for the built-in backends: {', '.join(rewritten)}", file=sys.stderr)
        init_git(ours_root)
        init_git(builtin_root)

        # Edits with a setup are measured against a commit of the setup; every edit starts here.
        bases = {root: git(root, "rev-parse", "HEAD").strip() for root in (ours_root, builtin_root)}
        results: Dict[str, Dict[str, Outcome]] = {"ours": {}, "builtin": {}}
        setup_files: Dict[str, Dict[str, Optional[bytes]]] = {}
        edits_files: Dict[str, Dict[str, Optional[bytes]]] = {}
        apply_errors: Dict[str, Optional[str]] = {}
        walls: Dict[str, float] = {}
        warmups: Dict[str, dict] = {}

        # Loop 1: our backend, each edit as written.
        secs, err = warm_up(ours_root)
        warmups["ours"] = {"seconds": round(secs, 2), "error": err}
        print(f"ours: warm-up {secs:.1f}s{' (failed: ' + err + ')' if err else ''}", file=sys.stderr)
        start = time.monotonic()
        for edit in corpus:
            restore_clean(ours_root, bases[ours_root])
            setup_files[edit.name], err = {}, None
            if edit.setup is not None:
                err = apply_edit(edit, ours_root, setup=True)
                setup_files[edit.name] = changed_files(ours_root)
                commit_all(ours_root, f"setup for {edit.name}")
            err = apply_errors[edit.name] = err or apply_edit(edit, ours_root)
            edits_files[edit.name] = changed_files(ours_root)
            results["ours"][edit.name] = (
                Outcome(error=err) if err else changed_targets(ours_root, "oci_image,helm_chart")
            )
            print(f"ours: {edit.name}: {results['ours'][edit.name].seconds:.1f}s", file=sys.stderr)
        walls["ours"] = time.monotonic() - start
        restore_clean(ours_root, bases[ours_root])
        stop_pantsd(ours_root)

        # Loop 2: the built-in backends, the same file changes translated by the conversion.
        secs, err = warm_up(builtin_root)
        warmups["builtin"] = {"seconds": round(secs, 2), "error": err}
        print(f"built-in: warm-up {secs:.1f}s{' (failed: ' + err + ')' if err else ''}", file=sys.stderr)
        start = time.monotonic()
        for edit in corpus:
            restore_clean(builtin_root, bases[builtin_root])
            apply_err = apply_errors[edit.name]
            try:
                if setup_files[edit.name]:
                    write_converted(builtin_root, setup_files[edit.name])
                    commit_all(builtin_root, f"setup for {edit.name}")
                write_converted(builtin_root, edits_files[edit.name])
            except Exception as e:
                apply_err = f"could not translate the edit: {type(e).__name__}: {e}"
            results["builtin"][edit.name] = (
                Outcome(error=apply_err) if apply_err
                else changed_targets(builtin_root, "docker_image,helm_chart")
            )
            print(f"built-in: {edit.name}: {results['builtin'][edit.name].seconds:.1f}s", file=sys.stderr)
        walls["builtin"] = time.monotonic() - start
        restore_clean(builtin_root, bases[builtin_root])

        scores = {"ours": Score(), "builtin": Score()}
        rows = []
        for edit in corpus:
            row = {"edit": edit.name, "why": edit.why, "expected": sorted(edit.affected),
                   "changed_files": sorted(edits_files[edit.name])}
            for backend in ("builtin", "ours"):
                outcome = results[backend][edit.name]
                scores[backend].add(edit.affected, outcome)
                row[backend] = {"targets": outcome.targets, "error": outcome.error,
                                "exact": outcome.error is None and set(outcome.targets) == edit.affected,
                                "seconds": round(outcome.seconds, 2)}
                row[backend + "_cell"] = cell(edit.affected, outcome)
            rows.append(row)

        print_report(rows, scores, walls)
        if args.json:
            payload = {
                "command": "./pants --changed-since=HEAD --filter-target-type=<docker_image|oci_image>,helm_chart list",
                "builtin_backends": list(BUILTIN_BACKENDS),
                "converted_files": rewritten,
                "edits": [{k: v for k, v in r.items() if not k.endswith("_cell")} for r in rows],
                "totals": {
                    b: {"true_positives": s.tp, "false_positives": s.fp, "false_negatives": s.fn,
                        "precision": s.precision, "recall": s.recall, "exact": s.exact,
                        "edits": len(rows), "errors": s.errors,
                        "loop_wall_seconds": round(walls[b], 2), "warm_up": warmups[b]}
                    for b, s in scores.items()
                },
            }
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(payload, indent=2) + "\n")
        return 0
    finally:
        for root in (ours_root, builtin_root):
            stop_pantsd(root)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted: pantsd stopped and temporary copies deleted", file=sys.stderr)
        sys.exit(130)
