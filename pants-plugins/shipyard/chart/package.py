"""Packaging a chart the way `helm dependency update` followed by `helm package` does, in Python.

`package_chart(files, dependencies)` takes a chart directory's files (already filtered by
.helmignore, BUILD files left out) and its `file://` dependencies, and returns the archive Helm
would write, byte for byte in its uncompressed tar (`tar_bytes`) for the same file times:

* dependency update: every `file://` dependency is checked against its version constraint and
  packaged into `charts/<name>-<version>.tgz`; chart archives already in `charts/` that are no
  longer wanted are dropped (as Helm deletes them), dependencies without a repository must be
  unpacked in `charts/<name>/`, and Chart.lock is written (kept as is when its digest is
  still current, as Helm does). `generated` in a new Chart.lock is `LOCK_GENERATED`, not now;
* loading: Chart.yaml and Chart.lock are read into Helm's structs (`helm_metadata`); every entry
  of `charts/` is a subchart (an archive, or a directory); a leading UTF-8 BOM is dropped from
  every file, as Helm's loader does;
* saving: members under `<chart-name>/` in Helm's order (Chart.yaml, Chart.lock, values.yaml,
  values.schema.json, templates, other files, then each subchart, unpacked under
  `charts/<subchart-name>/`, recursively); values, templates and files byte for byte;
  ustar, no directory entries, mode 0644, uid/gid 0, every mtime `ARCHIVE_MTIME` (`archive`).
  Helm orders subcharts randomly (a Go map); here they are sorted by their entry in `charts/`.

`version` / `app_version` replace Chart.yaml's (as `helm package --version/--app-version`), and
`image_stamps` rewrites image references in values.yaml before anything else (`stamp`).

Dependencies fetched from chart repositories (`https://`, `oci://`) are not downloaded: they must
already be vendored in `charts/`. Plain Python, PyYAML only.
"""

from __future__ import annotations

import json
import posixpath
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Dict, List, Mapping, Optional, Sequence, Set, Tuple, Union

from shipyard.chart import archive
from shipyard.chart.chart_yaml import ChartDependency, parse_chart_yaml
from shipyard.chart.errors import ChartError
from shipyard.chart.helm_metadata import (
    load_lock,
    load_metadata,
    lock_yaml,
    metadata_yaml,
    new_lock,
    sanitize,
)
from shipyard.chart.semver import Constraint, InvalidVersion, Version
from shipyard.chart.stamp import StampedImage, stamp_values
from shipyard.chart.yaml_nodes import compose_all

#: `generated` of the Chart.locks written here: a constant, so archives are reproducible.
LOCK_GENERATED = "1970-01-01T00:00:00Z"
#: Modification time of every archive member (seconds since the epoch).
ARCHIVE_MTIME = 0

CHART_YAML = "Chart.yaml"
CHART_LOCK = "Chart.lock"
VALUES_YAML = "values.yaml"
VALUES_SCHEMA = "values.schema.json"
_UTF8_BOM = b"\xef\xbb\xbf"
_NO_STAMPS: Mapping[str, str] = MappingProxyType({})
_NO_DEPENDENCIES: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class PackagedChart:
    """A packaged chart.

    `files` maps each archive member (`tinyolly/Chart.yaml`, `tinyolly/charts/common/...`) to its
    content, in archive order. `tar_bytes` is the uncompressed archive, `tgz_bytes` the gzipped
    one written to `filename`. `stamped_images` lists the values rewritten by `image_stamps`.
    """

    name: str
    version: str
    app_version: Optional[str]
    filename: str
    tar_bytes: bytes = field(repr=False)
    tgz_bytes: bytes = field(repr=False)
    files: Mapping[str, bytes] = field(repr=False)
    stamped_images: Tuple[StampedImage, ...] = ()


#: A `file://` dependency: already packaged, or the files of its chart directory.
ChartDependencyInput = Union[PackagedChart, Mapping[str, bytes]]


@dataclass
class _Chart:
    """A chart as Helm's loader holds it."""

    metadata: Dict[str, Any]
    lock: Optional[Dict[str, Any]]
    values: Optional[bytes]
    schema: Optional[bytes]
    templates: List[Tuple[str, bytes]]
    files: List[Tuple[str, bytes]]
    subcharts: List[Tuple[str, "_Chart"]]
    where: str

    @property
    def name(self) -> str:
        return str(self.metadata["name"])

    @property
    def version(self) -> str:
        return str(self.metadata["version"])


def package_chart(
    chart_dir_files: Mapping[str, bytes],
    dependencies: Mapping[str, ChartDependencyInput] = _NO_DEPENDENCIES,
    *,
    version: Optional[str] = None,
    app_version: Optional[str] = None,
    image_stamps: Mapping[str, str] = _NO_STAMPS,
    source_dir: str = "",
) -> PackagedChart:
    """Package the chart whose directory holds `chart_dir_files` (paths relative to it).

    `dependencies` maps each `file://` dependency's name (as in Chart.yaml) to its packaged chart
    or its directory's files. `source_dir` (e.g. `charts/tinyolly`) only prefixes paths in
    errors. Raises `ChartError` for what Helm would refuse, and for image references that cannot
    be stamped; ValueError for a malformed stamp or a path outside the chart directory.
    """
    files = _walk_order(chart_dir_files)
    stamped: Tuple[StampedImage, ...] = ()
    if image_stamps:
        files, stamped = _stamp(files, image_stamps, source_dir)
    chart_yaml = _chart_yaml_text(files, source_dir)
    chart_yaml_path = _join(source_dir, CHART_YAML)
    declared = parse_chart_yaml(chart_yaml, chart_yaml_path).dependencies
    metadata = load_metadata(chart_yaml, chart_yaml_path)
    if len(metadata.get("dependencies", ())) != len(declared):
        raise ChartError(
            chart_yaml_path,
            None,
            "Helm reads dependencies from a key spelled differently than `dependencies`",
            "write the key as `dependencies:`",
        )
    if metadata.get("dependencies"):
        files = _update_dependencies(files, metadata, declared, dependencies, source_dir)
    chart = _load(files, source_dir)
    _override_versions(chart, version, app_version, chart_yaml_path)
    _check_dependencies_present(chart, declared, chart_yaml_path)
    members = _save(chart, "")
    tar_bytes = archive.write_tar(members, ARCHIVE_MTIME)
    return PackagedChart(
        name=chart.name,
        version=chart.version,
        app_version=chart.metadata.get("appVersion"),
        filename=f"{chart.name}-{chart.version}.tgz",
        tar_bytes=tar_bytes,
        tgz_bytes=archive.gzip_bytes(tar_bytes),
        files=dict(members),
        stamped_images=stamped,
    )


def _override_versions(
    chart: _Chart, version: Optional[str], app_version: Optional[str], path: str
) -> None:
    """What `helm package --version --app-version` does to the loaded metadata."""
    if version is not None:
        try:
            Version.parse(version)
        except InvalidVersion as e:
            raise ChartError(path, None, f"the version override {e}", "pass e.g. `1.2.3`") from e
        chart.metadata["version"] = version
    if app_version is not None:
        chart.metadata["appVersion"] = sanitize(app_version)
        if not chart.metadata["appVersion"]:
            del chart.metadata["appVersion"]


def _join(source_dir: str, relpath: str) -> str:
    return posixpath.join(source_dir, relpath) if source_dir else relpath


def _walk_order(files: Mapping[str, bytes]) -> List[Tuple[str, bytes]]:
    """The files in the order Helm's directory loader walks them (each directory's entries
    sorted by name), paths normalized."""
    normalized: Dict[str, bytes] = {}
    for raw, data in files.items():
        relpath = posixpath.normpath(raw.replace("\\", "/"))
        if (
            relpath.startswith("/")
            or relpath == ".."
            or relpath.startswith("../")
            or relpath == "."
        ):
            raise ValueError(f"{raw!r} is not a path inside the chart directory")
        normalized[relpath] = bytes(data)
    return sorted(normalized.items(), key=lambda item: item[0].split("/"))


def _stamp(
    files: List[Tuple[str, bytes]], image_stamps: Mapping[str, str], source_dir: str
) -> Tuple[List[Tuple[str, bytes]], Tuple[StampedImage, ...]]:
    result: List[Tuple[str, bytes]] = []
    stamped: Tuple[StampedImage, ...] = ()
    for name, data in files:
        if name == VALUES_YAML:
            path = _join(source_dir, name)
            text = _text(data, path)
            new_text, stamped = stamp_values(text, path, image_stamps)
            if new_text != text:
                data = new_text.encode("utf-8")
        result.append((name, data))
    return result, stamped


def _text(data: bytes, path: str) -> str:
    try:
        return (
            data[len(_UTF8_BOM) :].decode("utf-8")
            if data.startswith(_UTF8_BOM)
            else data.decode("utf-8")
        )
    except UnicodeDecodeError as e:
        raise ChartError(path, None, f"is not UTF-8 text ({e})", "save the file as UTF-8") from e


def _chart_yaml_text(files: Sequence[Tuple[str, bytes]], where: str) -> str:
    for name, data in files:
        if name == CHART_YAML:
            return _text(data, _join(where, CHART_YAML))
    raise ChartError(
        _join(where, CHART_YAML),
        None,
        "the chart has no Chart.yaml",
        "add Chart.yaml with apiVersion, name and version",
    )


# --- helm dependency update -------------------------------------------------------------------


def _update_dependencies(
    files: List[Tuple[str, bytes]],
    metadata: Dict[str, Any],
    declared: Sequence[ChartDependency],
    provided: Mapping[str, ChartDependencyInput],
    where: str,
) -> List[Tuple[str, bytes]]:
    """`files` after `helm dependency update`: charts/ holds exactly the wanted archives, and
    Chart.lock is current."""
    requested: List[Dict[str, Any]] = metadata["dependencies"]
    chart_yaml_path = _join(where, CHART_YAML)
    wanted: Dict[str, bytes] = {}
    keep_vendored: Set[str] = set()
    locked: List[Dict[str, Any]] = []
    for dependency, written in zip(requested, declared):
        name, repository = dependency["name"], dependency.get("repository", "")
        constraint = _constraint(dependency, written, chart_yaml_path)
        if repository == "":
            sub = _load_subdirectory(files, name, written, where, chart_yaml_path)
            _check_version(sub, constraint, written, chart_yaml_path, f"charts/{name}")
            locked.append(
                {"name": name, "repository": "", "version": dependency.get("version", "")}
            )
        elif repository.startswith("file://"):
            target = written.local_path(where or ".") or repository
            sub = _provided_chart(provided, name, written, target, chart_yaml_path)
            if sub.name != name:
                raise ChartError(
                    chart_yaml_path,
                    written.line,
                    f"dependency {name!r} ({repository}) is a chart named {sub.name!r}",
                    f"write `name: {sub.name}` (use `alias:` to give it another name)",
                )
            _check_version(sub, constraint, written, chart_yaml_path, repository)
            members = _save(sub, "")
            wanted[f"{sub.name}-{sub.version}.tgz"] = archive.gzip_bytes(
                archive.write_tar(members, ARCHIVE_MTIME)
            )
            locked.append({"name": name, "repository": repository, "version": sub.version})
        else:
            entry, sub = _vendored(files, name, constraint, written, chart_yaml_path, where)
            keep_vendored.add(entry)
            locked.append({"name": name, "repository": repository, "version": sub.version})
    local_names = {d["name"] for d in requested if d.get("repository", "") == ""}
    result: List[Tuple[str, bytes]] = []
    for name, data in files:
        top_entry = _charts_entry(name)
        if top_entry is not None and top_entry not in keep_vendored:
            if top_entry in wanted:
                continue
            archived = _try_archive_name(data)
            if archived is not None and archived not in local_names:
                continue  # helm dependency update deletes chart archives it did not fetch
        if name == CHART_LOCK:
            continue
        result.append((name, data))
    result.extend((f"charts/{entry}", data) for entry, data in wanted.items())
    result.append((CHART_LOCK, _current_lock(files, requested, locked, where)))
    return sorted(result, key=lambda item: item[0].split("/"))


def _constraint(dependency: Dict[str, Any], written: ChartDependency, path: str) -> Constraint:
    text = dependency.get("version", "")
    try:
        return Constraint.parse(text)
    except InvalidVersion as e:
        raise ChartError(
            path,
            written.line,
            f"dependency {dependency['name']!r} has an invalid version/constraint format: "
            f"{text!r}",
            "write a version or a range, e.g. `version: 0.1.0` or `version: ^0.1.0`",
        ) from e


def _check_version(
    sub: _Chart, constraint: Constraint, written: ChartDependency, path: str, source: str
) -> None:
    try:
        ok = constraint.check(Version.parse(sub.version))
    except InvalidVersion:
        ok = False
    if not ok:
        raise ChartError(
            path,
            written.line,
            f"dependency {written.name!r} wants version {constraint.text!r}, but {source} is "
            f"version {sub.version!r}",
            "change `version:` of this dependency, or the version of the dependency's chart",
        )


def _charts_entry(name: str) -> Optional[str]:
    """`x` for a file directly in charts/ (`charts/x`), else None."""
    parts = name.split("/")
    return parts[1] if len(parts) == 2 and parts[0] == "charts" else None


def _try_archive_name(data: bytes) -> Optional[str]:
    """The chart name inside a chart archive; None when `data` is not one."""
    try:
        entries = archive.read_chart_archive(data)
        return _load(entries, "<archive>").name
    except (ValueError, ChartError):
        return None


def _load_subdirectory(
    files: Sequence[Tuple[str, bytes]], name: str, written: ChartDependency, where: str, path: str
) -> _Chart:
    prefix = f"charts/{name}/"
    entries = [(n[len(prefix) :], d) for n, d in files if n.startswith(prefix)]
    if not entries:
        raise ChartError(
            path,
            written.line,
            f"dependency {name!r} has no repository, so Helm expects its chart unpacked in "
            f"charts/{name}/, which is empty or missing",
            "add the chart there, or give the dependency a `repository: file://...`",
        )
    return _load(entries, _join(where, f"charts/{name}"))


def _provided_chart(
    provided: Mapping[str, ChartDependencyInput],
    name: str,
    written: ChartDependency,
    target: str,
    path: str,
) -> _Chart:
    given = provided.get(name)
    if given is None:
        raise ChartError(
            path,
            written.line,
            f"dependency {name!r} ({written.repository}) was not found: no chart at {target}",
            f"check the path after file://, and that {target}/Chart.yaml exists",
        )
    if isinstance(given, PackagedChart):
        entries = archive.read_chart_archive(given.tgz_bytes)
        return _load(entries, target)
    ordered = _walk_order(given)
    parse_chart_yaml(_chart_yaml_text(ordered, target), _join(target, CHART_YAML))
    loaded = _load(ordered, target)
    # Helm packs the directory into charts/ and loads that archive back: do the same round trip.
    return _load(
        archive.read_chart_archive(archive.gzip_bytes(archive.write_tar(_save(loaded, "")))), target
    )


def _vendored(
    files: Sequence[Tuple[str, bytes]],
    name: str,
    constraint: Constraint,
    written: ChartDependency,
    path: str,
    where: str,
) -> Tuple[str, _Chart]:
    """A repository dependency already in charts/ (an archive or a directory) that fits."""
    candidates: Dict[str, List[Tuple[str, bytes]]] = {}
    for file_name, data in files:
        if file_name.startswith("charts/"):
            entry, _, rest = file_name[len("charts/") :].partition("/")
            candidates.setdefault(entry, []).append((rest, data))
    for entry, entries in sorted(candidates.items()):
        try:
            if entry.endswith(".tgz") and entries[0][0] == "":
                sub = _load(archive.read_chart_archive(entries[0][1]), entry)
            else:
                sub = _load([(n, d) for n, d in entries if n], entry)
            if sub.name == name and constraint.check(Version.parse(sub.version)):
                return entry, sub
        except (ValueError, ChartError):
            continue
    raise ChartError(
        path,
        written.line,
        f"dependency {name!r} comes from {written.repository}, which is not downloaded here, "
        f"and no chart {name!r} matching {constraint.text!r} is vendored in "
        f"{_join(where, 'charts')}/",
        "vendor it (`helm dependency update`, then commit the archive in charts/), or make it a "
        "file:// dependency",
    )


def _current_lock(
    files: Sequence[Tuple[str, bytes]],
    requested: List[Dict[str, Any]],
    locked: List[Dict[str, Any]],
    where: str,
) -> bytes:
    """Chart.lock after the update: the existing one when its digest still matches (Helm does not
    rewrite it then), else a new one."""
    lock = new_lock(requested, locked, LOCK_GENERATED)
    for name, data in files:
        if name == CHART_LOCK:
            path = _join(where, CHART_LOCK)
            try:
                existing = load_lock(_text(data, path), path)
            except ChartError:
                break
            if existing.get("digest") == lock["digest"]:
                return data
    return lock_yaml(lock)


# --- loading and saving, as Helm's loader and chartutil.Save -----------------------------------


def _load(files: Sequence[Tuple[str, bytes]], where: str) -> _Chart:
    """A chart from its files (paths relative to the chart, in load order)."""
    files = [
        (name, data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data)
        for name, data in files
    ]
    metadata = load_metadata(_chart_yaml_text(files, where), _join(where, CHART_YAML))
    chart = _Chart(metadata, None, None, None, [], [], [], where)
    groups: Dict[str, List[Tuple[str, bytes]]] = {}
    for name, data in files:
        path = _join(where, name)
        if name == CHART_YAML:
            continue
        if name == CHART_LOCK:
            chart.lock = load_lock(_text(data, path), path)
        elif name == VALUES_YAML:
            compose_all(_text(data, path), path, "values.yaml")
            chart.values = data
        elif name == VALUES_SCHEMA:
            chart.schema = data
        elif name in ("requirements.yaml", "requirements.lock"):
            if metadata.get("apiVersion") != "v1":
                raise ChartError(
                    path,
                    None,
                    f"{name} is Helm 2's dependency file, which Helm 3 reads but leaves out of "
                    "the package",
                    "move its dependencies into Chart.yaml (`dependencies:`) and delete it",
                )
            chart.files.append((name, data))
        elif name.startswith("templates/"):
            chart.templates.append((name, data))
        elif name.startswith("charts/"):
            if posixpath.splitext(name)[1] == ".prov":
                chart.files.append((name, data))
                continue
            entry, _, rest = name[len("charts/") :].partition("/")
            groups.setdefault(entry, []).append((rest, data))
        else:
            chart.files.append((name, data))
    for entry in sorted(groups):
        if entry[:1] in ("_", "."):
            continue
        entries = groups[entry]
        sub_where = _join(where, f"charts/{entry}")
        if posixpath.splitext(entry)[1] == ".tgz":
            if len(entries) != 1 or entries[0][0] != "":
                raise ChartError(
                    sub_where, None, "is a directory named like a chart archive", "rename it"
                )
            try:
                sub = _load(archive.read_chart_archive(entries[0][1]), sub_where)
            except ValueError as e:
                raise ChartError(
                    sub_where,
                    None,
                    f"is not a chart archive: {e}",
                    "replace it with a `helm package`d chart",
                ) from e
        else:
            inside = [(rest, data) for rest, data in entries if rest]
            if not inside:
                raise ChartError(
                    sub_where,
                    None,
                    "Helm loads every entry of charts/ as a subchart, and this file is not one",
                    "move it out of charts/, or list it in .helmignore",
                )
            sub = _load(inside, sub_where)
        twin = next((other for other, loaded in chart.subcharts if loaded.name == sub.name), None)
        if twin is not None:
            raise ChartError(
                sub_where,
                None,
                f"charts/ holds two charts named {sub.name!r} ({twin} and {entry}); both would "
                "be packaged",
                "remove one of them",
            )
        chart.subcharts.append((entry, sub))
    return chart


def _save(chart: _Chart, prefix: str) -> List[Tuple[str, bytes]]:
    """The archive members of `chart` under `<prefix><name>/`, in Helm's order."""
    base = f"{prefix}{chart.name}/"
    members: List[Tuple[str, bytes]] = [(base + CHART_YAML, metadata_yaml(chart.metadata))]
    if chart.metadata.get("apiVersion") == "v2" and chart.lock is not None:
        members.append((base + CHART_LOCK, lock_yaml(chart.lock)))
    if chart.values is not None:
        members.append((base + VALUES_YAML, chart.values))
    if chart.schema is not None:
        try:
            json.loads(chart.schema.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as e:
            raise ChartError(
                _join(chart.where, VALUES_SCHEMA), None, f"is not valid JSON ({e})", "fix the JSON"
            ) from e
        members.append((base + VALUES_SCHEMA, chart.schema))
    members.extend((base + name, data) for name, data in chart.templates)
    members.extend((base + name, data) for name, data in chart.files)
    for _, sub in chart.subcharts:
        members.extend(_save(sub, base + "charts/"))
    return members


def _check_dependencies_present(
    chart: _Chart, declared: Sequence[ChartDependency], path: str
) -> None:
    """`helm package` refuses a chart whose Chart.yaml names a dependency charts/ lacks."""
    present = {sub.name for _, sub in chart.subcharts}
    missing = [d for d in declared if d.name not in present]
    if missing:
        raise ChartError(
            path,
            missing[0].line,
            "found in Chart.yaml, but missing in charts/: " + ", ".join(d.name for d in missing),
            "vendor the dependency, or make it a file:// dependency",
        )
