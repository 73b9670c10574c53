"""Helm as a test oracle: what Helm itself says about a chart, as JSON on stdout.

Run with the venv `tools/helm-oracle/install` prints (Python >= 3.10 with helm-python-sdk):

    oracle.py lint DIR|TGZ [--values FILE]... [--strict]
        {"ok": bool, "report": <helm's lint report>}; exit 1 when Helm reports an error.
    oracle.py template DIR|TGZ [--values FILE]... [--name NAME] [--namespace NS]
        {"<chart>/templates/x.yaml": "<rendered manifest>", ...} (empty ones and NOTES.txt left
        out, as `helm template` does).
    oracle.py package DIR DEST [--dependency-update] [--version V] [--app-version V]
        {"path": "<DEST>/<name>-<version>.tgz"}; with --dependency-update, first does what
        `helm dependency update DIR` does (writes DIR/charts/*.tgz and DIR/Chart.lock).
    oracle.py dependency-update DIR
        {"chart_lock": "<DIR/Chart.lock text, or null>"}

Helm's config, cache and data homes live in a temporary directory removed on exit, so the
oracle never reads or writes the user's Helm setup. Helm errors go to stderr with exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

_HOME_VARIABLES = {
    "HELM_CONFIG_HOME": "config",
    "HELM_CACHE_HOME": "cache",
    "HELM_DATA_HOME": "data",
    "HELM_REGISTRY_CONFIG": "config/registry/config.json",
    "HELM_REPOSITORY_CONFIG": "config/repositories.yaml",
    "HELM_REPOSITORY_CACHE": "cache/repository",
}


def _isolate_helm(scratch: Path) -> None:
    """Points every Helm home at `scratch` (before helm_python is imported)."""
    for variable, relpath in _HOME_VARIABLES.items():
        os.environ[variable] = str(scratch / relpath)
    for directory in ("config/registry", "cache/repository", "data"):
        (scratch / directory).mkdir(parents=True, exist_ok=True)


def _load_values(files: list[str]) -> dict[str, Any] | None:
    """Merges `--values` files the way `helm template -f a -f b` does (later files win)."""
    import helm_python as helm

    merged: dict[str, Any] | None = None
    for path in files:
        values = helm.values_from_yaml(Path(path).read_text())
        merged = values if merged is None else _deep_merge(merged, values)
    return merged


def _deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _lint(args: argparse.Namespace) -> int:
    import helm_python as helm

    report = helm.lint(args.chart, _load_values(args.values), strict=args.strict or None)
    errors = [m for m in report.get("messages") or [] if m.get("severity") == 3]
    ok = not errors and not report.get("errors")
    _print({"ok": ok, "report": report})
    return 0 if ok else 1


def _template(args: argparse.Namespace) -> int:
    import helm_python as helm

    with helm.Chart.load(args.chart) as chart:
        rendered = chart.render(
            _load_values(args.values),
            name=args.name,
            namespace=args.namespace,
            is_install=True,
        )
    # Like `helm template`: NOTES.txt is for people, not a manifest.
    _print(
        {
            path: text
            for path, text in sorted(rendered.items())
            if text.strip() and not path.endswith("/NOTES.txt")
        }
    )
    return 0


def _package(args: argparse.Namespace) -> int:
    import helm_python as helm

    if args.dependency_update:
        helm.dependency_update(args.chart_dir)
    Path(args.dest).mkdir(parents=True, exist_ok=True)
    path = helm.package(
        args.chart_dir,
        destination=args.dest,
        version=args.version,
        app_version=args.app_version,
    )
    _print({"path": path})
    return 0


def _dependency_update(args: argparse.Namespace) -> int:
    import helm_python as helm

    helm.dependency_update(args.chart_dir)
    lock = Path(args.chart_dir, "Chart.lock")
    _print({"chart_lock": lock.read_text() if lock.exists() else None})
    return 0


def _print(data: Any) -> None:
    json.dump(data, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)

    lint = commands.add_parser("lint", help="helm lint a chart directory or .tgz")
    lint.add_argument("chart")
    lint.add_argument("--values", "-f", action="append", default=[])
    lint.add_argument("--strict", action="store_true")
    lint.set_defaults(run=_lint)

    template = commands.add_parser("template", help="render a chart offline")
    template.add_argument("chart")
    template.add_argument("--values", "-f", action="append", default=[])
    template.add_argument("--name", default="release")
    template.add_argument("--namespace", default="default")
    template.set_defaults(run=_template)

    package = commands.add_parser("package", help="helm package a chart directory")
    package.add_argument("chart_dir")
    package.add_argument("dest")
    package.add_argument("--dependency-update", "-u", action="store_true")
    package.add_argument("--version")
    package.add_argument("--app-version")
    package.set_defaults(run=_package)

    update = commands.add_parser("dependency-update", help="helm dependency update")
    update.add_argument("chart_dir")
    update.set_defaults(run=_dependency_update)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    scratch = Path(tempfile.mkdtemp(prefix="shipyard-helm-oracle-"))
    try:
        _isolate_helm(scratch)
        import helm_python as helm

        try:
            return int(args.run(args))
        except helm.HelmError as e:
            print(f"helm: {type(e).__name__}: {e}", file=sys.stderr)
            return 2
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
