"""Runs one Helm operation through Helm's own engine (helm-python-sdk, Helm v4's Go SDK).

Runs inside a Pants sandbox as `<tool venv>/python driver.py request.json` with a Python >= 3.10
(the `[helm-sdk]` tool's environment); standard library and `helm_python` only. The request's
`command` picks the operation:

    package   {chart_dir, dependency_update, version?, app_version?, output_dir}
              `helm dependency update` (when asked) then `helm package` into output_dir, then
              the archive's default render. stdout: {"archive": "<name>-<version>.tgz",
              "rendered": {"<chart>/templates/x.yaml": "<manifest>", ...} | null,
              "render_error": "<why it did not render>" | null}
    lint      {chart_dir, dependency_update, strict, values_files}
              stdout: {"report": <Helm's lint report>}
    render    {archive}  stdout: {"rendered": {...}}
    push      {archive, remote, plain_http, <credentials>}
              stdout: {"reference": "oci://host/path/name:tag", "digest": "sha256:..."}; the tag
              is the chart's version with `+` stored as `_` (Helm's convention: an OCI tag
              cannot hold `+`)
    pull      {reference (`oci://host/path/name:tag`, `+` or `_`), plain_http, <credentials>, output_dir}
              stdout: {"archive": "<file name in output_dir>", "digest": "sha256:..."}

Helm's homes (config, cache, data, registry and repository config) are a scratch directory of
this process, never the user's. Credentials for push/pull (`<credentials>`, at most one) come
from `docker_config` (a docker config.json Helm reads itself) or from a JSON file
(`{"username": ..., "password": ...}`) whose path is in the environment variable named by
`credentials_env` (never the login itself: Pants logs a process's environment at debug level). A
login is kept only in the scratch homes, deleted when the process ends.

A Helm error prints `{"error": {"kind": ..., "message": ...}}` on stdout and exits 2.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any, Callable, Dict, Optional

_HOMES = {
    "HELM_CONFIG_HOME": "config",
    "HELM_CACHE_HOME": "cache",
    "HELM_DATA_HOME": "data",
    "HELM_REGISTRY_CONFIG": "config/registry/config.json",
    "HELM_REPOSITORY_CONFIG": "config/repositories.yaml",
    "HELM_REPOSITORY_CACHE": "cache/repository",
}

#: `generated:` of a Chart.lock (requirements.lock) that dependency update wrote: the epoch, so the archive does not
#: change with the clock (Helm writes the current time; it keeps an existing, current lock as is).
LOCK_GENERATED = '"1970-01-01T00:00:00Z"'
_GENERATED_LINE = re.compile(r"^generated: .*$", re.MULTILINE)


class DriverError(Exception):
    """A request the driver cannot run (not Helm's error)."""


def isolate_helm(scratch: Path) -> None:
    """Points every Helm home at `scratch` (before helm_python is imported)."""
    for variable, relpath in _HOMES.items():
        os.environ[variable] = str(scratch / relpath)
    for directory in ("config/registry", "cache/repository", "data"):
        (scratch / directory).mkdir(parents=True, exist_ok=True)


def _render_archive(archive: str) -> Dict[str, str]:
    import helm_python as helm

    with helm.Chart.load(archive) as chart:
        rendered = chart.render(None, name="release", namespace="default", is_install=True)
    return {path: text for path, text in sorted(rendered.items()) if text.strip()}


def _dependency_update(chart_dir: str) -> None:
    import helm_python as helm

    # Chart.lock, or requirements.lock for an apiVersion v1 chart.
    locks = [Path(chart_dir, name) for name in ("Chart.lock", "requirements.lock")]
    before = {lock: lock.read_bytes() if lock.exists() else None for lock in locks}
    helm.dependency_update(chart_dir)
    for lock in locks:
        if lock.exists() and lock.read_bytes() != before[lock]:
            text = lock.read_text()
            lock.write_text(_GENERATED_LINE.sub(f"generated: {LOCK_GENERATED}", text, count=1))


def package(request: Dict[str, Any]) -> Dict[str, Any]:
    import helm_python as helm

    chart_dir = request["chart_dir"]
    if request.get("dependency_update"):
        _dependency_update(chart_dir)
    output_dir = Path(request["output_dir"])
    output_dir.mkdir(parents=True, exist_ok=True)
    path = helm.package(
        chart_dir,
        destination=str(output_dir),
        version=request.get("version"),
        app_version=request.get("app_version"),
    )
    rendered: Optional[Dict[str, str]] = None
    render_error: Optional[str] = None
    try:
        rendered = _render_archive(path)
    except helm.HelmError as e:
        render_error = str(e)
    return {"archive": Path(path).name, "rendered": rendered, "render_error": render_error}


def _deep_merge(base: Dict[str, Any], override: Dict[str, Any]) -> Dict[str, Any]:
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def lint(request: Dict[str, Any]) -> Dict[str, Any]:
    import helm_python as helm

    chart_dir = request["chart_dir"]
    if request.get("dependency_update"):
        _dependency_update(chart_dir)
    values: Optional[Dict[str, Any]] = None
    for path in request.get("values_files") or ():
        loaded = helm.values_from_yaml(Path(path).read_text())
        values = loaded if values is None else _deep_merge(values, loaded)
    report = helm.lint(chart_dir, values, strict=bool(request.get("strict")) or None)
    return {"report": report}


def render(request: Dict[str, Any]) -> Dict[str, Any]:
    return {"rendered": _render_archive(request["archive"])}


def _registry_client(request: Dict[str, Any], host: str, scratch: Path) -> Any:
    """Helm's registry client, logged in to `host` with the request's credentials: a docker
    config (`docker_config`, read by Helm itself) or a JSON credentials file named by an
    environment variable (`credentials_env`)."""
    import helm_python as helm

    plain_http = bool(request.get("plain_http"))
    client = helm.RegistryClient(
        plain_http=plain_http,
        credentials_file=request.get("docker_config") or str(scratch / "registry-login.json"),
    )
    variable = request.get("credentials_env")
    if variable:
        credentials_path = os.environ.get(variable)
        if not credentials_path:
            raise DriverError(f"the environment variable {variable} (the credentials file) is not set")
        try:
            credentials = json.loads(Path(credentials_path).read_text())
            username, password = credentials["username"], credentials["password"]
        except (OSError, ValueError, KeyError, TypeError) as e:
            raise DriverError(
                f"cannot read registry credentials from {credentials_path}: {type(e).__name__} "
                '(it must be JSON: {"username": "...", "password": "..."})'
            ) from None
        client.login(host, username, password, plain_http=plain_http)
    return client


def _host(reference: str) -> str:
    if not reference.startswith("oci://"):
        raise DriverError(f"{reference!r} is not an oci:// reference")
    return reference[len("oci://") :].split("/", 1)[0]


def push(request: Dict[str, Any], scratch: Path) -> Dict[str, Any]:
    import helm_python as helm

    remote = request["remote"].rstrip("/")
    client = _registry_client(request, _host(remote), scratch)
    with client:
        client.push(request["archive"], remote, plain_http=bool(request.get("plain_http")))
        with helm.Chart.load(request["archive"]) as chart:
            reference = f"{remote}/{chart.name}:{_oci_tag(chart.version)}"
        digest = client.resolve(reference)["digest"]
    return {"reference": reference, "digest": digest}


def _oci_tag(version: str) -> str:
    """A chart version as Helm stores it in a tag: an OCI tag cannot hold `+`, so it is `_`."""
    return version.replace("+", "_")


def pull(request: Dict[str, Any], scratch: Path) -> Dict[str, Any]:
    reference = request["reference"]
    repository, _, tag = reference.rpartition(":")
    if not tag or "/" in tag or "@" in reference:
        raise DriverError(f"{reference!r} names no tag (expected oci://host/path/name:tag)")
    client = _registry_client(request, _host(reference), scratch)
    output_dir = Path(request["output_dir"])
    output_dir.mkdir(parents=True, exist_ok=True)
    with client:
        digest = client.resolve(f"{repository}:{_oci_tag(tag)}")["digest"]
        # Helm reads a tag in a reference as a version constraint, where `_` is not allowed.
        result = client.pull(
            repository,
            version=tag.replace("_", "+"),
            destination=str(output_dir),
            plain_http=bool(request.get("plain_http")),
        )
    archives = sorted(p.name for p in output_dir.glob("*.tgz"))
    if len(archives) != 1:
        raise DriverError(f"pulling {reference} left {archives} in {output_dir}: {result}")
    return {"archive": archives[0], "digest": digest}


def main(argv: list) -> int:
    if len(argv) != 2:
        print("usage: driver.py request.json", file=sys.stderr)
        return 64
    request = json.loads(Path(argv[1]).read_text())
    scratch = Path(tempfile.mkdtemp(prefix="helm-home-", dir=os.getcwd()))
    try:
        isolate_helm(scratch)
        import helm_python as helm

        commands: Dict[str, Callable[[Dict[str, Any]], Dict[str, Any]]] = {
            "package": package,
            "lint": lint,
            "render": render,
            "push": lambda r: push(r, scratch),
            "pull": lambda r: pull(r, scratch),
        }
        try:
            command = commands.get(request.get("command"))
            if command is None:
                raise DriverError(f"unknown command {request.get('command')!r}")
            result = command(request)
        except helm.HelmError as e:
            result = {"error": {"kind": type(e).__name__, "message": str(e)}}
        except DriverError as e:
            result = {"error": {"kind": "DriverError", "message": str(e)}}
        json.dump(result, sys.stdout, sort_keys=True)
        sys.stdout.write("\n")
        return 2 if "error" in result else 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
