"""Reads a `helm_chart`'s directory: what `helm package` would include, its local chart
dependencies and the image references in its values and templates."""

from __future__ import annotations

import dataclasses
import fnmatch
import posixpath
from dataclasses import dataclass
from typing import Iterable, Optional

from pants.build_graph.address import BuildFileAddress, BuildFileAddressRequest
from pants.engine.addresses import Address
from pants.engine.fs import DigestContents, GlobMatchErrorBehavior, PathGlobs, Paths
from pants.engine.internals.build_files import BuildFileOptions
from pants.engine.rules import Get, MultiGet, Rule, collect_rules, rule
from pants.engine.target import FieldSet

from shipyard.chart.chart_yaml import ChartMetadata, parse_chart_yaml, parse_requirements_yaml
from shipyard.chart.errors import ChartError
from shipyard.chart.helmignore import HelmIgnore, chart_files
from shipyard.chart.template_images import find_template_image_refs
from shipyard.chart.values_images import find_values_image_refs
from shipyard.source_text import NotUtf8Error, decode_lossless, decode_utf8, decode_yaml
from shipyard.target_types import HelmChartDependenciesField, HelmChartMetadataField
from shipyard.util_rules.file_owners import is_build_file
from shipyard.util_rules.repositories import ImageRepositories


class InvalidChartError(Exception):
    """A chart's Chart.yaml, values or templates cannot be read; the message names file and line."""


@dataclass(frozen=True)
class HelmChartFieldSet(FieldSet):
    required_fields = (HelmChartMetadataField,)

    chart: HelmChartMetadataField
    dependencies: HelmChartDependenciesField


@dataclass(frozen=True)
class ChartImageReference:
    """An image named in a values file or template, with where it was found."""

    reference: str
    path: str
    line: int
    image: Optional[Address]  # the repo's `oci_image`, or None for an external image
    in_values: bool  # found in a values file (stampable), not a template


@dataclass(frozen=True)
class LocalChartDependency:
    """A `Chart.yaml` dependency with a `file://` repository, resolved to a directory."""

    name: str
    directory: str
    line: int
    path: str  # the file declaring it: Chart.yaml, or requirements.yaml of an apiVersion v1 chart


@dataclass(frozen=True)
class ResolvedHelmChart:
    address: Address
    chart_yaml_path: str
    chart_dir: str
    metadata: ChartMetadata
    packaged_files: tuple[str, ...]  # build-root relative, as `helm package` would include them
    local_dependencies: tuple[LocalChartDependency, ...]
    image_references: tuple[ChartImageReference, ...]
    # The chart's .helmignore, parsed (None: it has none, and Helm's default rule applies).
    helmignore: Optional[HelmIgnore] = None

    @property
    def repo_images(self) -> frozenset[Address]:
        return frozenset(r.image for r in self.image_references if r.image is not None)

    @property
    def helmignore_path(self) -> str:
        return f"{self.chart_dir}/.helmignore" if self.chart_dir else ".helmignore"

    def would_package(self, paths: Iterable[str]) -> tuple[str, ...]:
        """Of `paths` (build-root relative, e.g. deleted files), those under the chart that
        `helm package` would include: not excluded by its `.helmignore` or Helm's default rule."""
        prefix = f"{self.chart_dir}/" if self.chart_dir else ""
        under = [p for p in paths if p.startswith(prefix)]
        packaged = chart_files([p[len(prefix):] for p in under], self.helmignore)
        return tuple(p for p in under if p[len(prefix):] in packaged)


def _is_values_file(relpath: str) -> bool:
    return fnmatch.fnmatchcase(posixpath.basename(relpath), "values*.y*ml")


def _is_template(relpath: str) -> bool:
    parts = relpath.split("/")
    return "templates" in parts[:-1]


def _helm_loads_values(relpath: str) -> bool:
    """Whether `helm package` parses this chart file as values: `values.yaml` of the chart or of
    a subchart unpacked under `charts/` (other values files are only packaged)."""
    *directories, name = relpath.split("/")
    return (
        name == "values.yaml"
        and len(directories) % 2 == 0
        and all(d == "charts" for d in directories[0::2])
    )


def _yaml_text(data: bytes, path: str, utf16: bool = False) -> str:
    """A file Helm parses as YAML, which must be UTF-8, or for Chart.yaml also UTF-16 with a byte
    order mark (checked with Helm's SDK: its values reader refuses UTF-16). Helm refuses the chart
    otherwise."""
    try:
        return decode_yaml(data, path) if utf16 else decode_utf8(data, path)
    except NotUtf8Error as e:
        raise ChartError(
            path,
            e.line,
            f"{e.description}; Helm parses {posixpath.basename(path)} as YAML, which must be "
            "UTF-8, and refuses the chart",
            "save the file as UTF-8 (e.g. `iconv -f latin1 -t utf-8`)",
        ) from e


@rule(desc="Read a Helm chart's files, dependencies and image references")
async def resolve_helm_chart(
    field_set: HelmChartFieldSet,
    repositories: ImageRepositories,
    build_file_options: BuildFileOptions,
) -> ResolvedHelmChart:
    """Lists the chart directory, applies `.helmignore`, and reads Chart.yaml, values and templates."""
    chart_yaml_path = field_set.chart.file_path
    chart_dir = posixpath.dirname(chart_yaml_path)
    prefix = f"{chart_dir}/" if chart_dir else ""
    listing, helmignore_contents = await MultiGet(
        Get(Paths, PathGlobs([f"{prefix}**"])),
        Get(
            DigestContents,
            PathGlobs([f"{prefix}.helmignore"], glob_match_error_behavior=GlobMatchErrorBehavior.ignore),
        ),
    )
    try:
        helmignore = (
            # Helm reads .helmignore as bytes: any byte is accepted.
            HelmIgnore.parse(decode_lossless(helmignore_contents[0].content), helmignore_contents[0].path)
            if helmignore_contents
            else None
        )
        # BUILD files are Pants' metadata, never part of a chart.
        relative = [
            p[len(prefix):] for p in listing.files
            if not is_build_file(p, build_file_options)
        ]
        packaged = sorted(prefix + f for f in chart_files(relative, helmignore))
    except ChartError as e:
        raise InvalidChartError(str(e)) from e
    if chart_yaml_path not in packaged:
        packaged.append(chart_yaml_path)

    requirements_path = f"{prefix}requirements.yaml"
    readable = [
        p for p in packaged
        if p in (chart_yaml_path, requirements_path) or _is_values_file(p[len(prefix):]) or _is_template(p[len(prefix):])
    ]
    contents = await Get(DigestContents, PathGlobs(readable))
    by_path = {fc.path: fc.content for fc in contents}
    if chart_yaml_path not in by_path or posixpath.basename(chart_yaml_path) != "Chart.yaml":
        build_file = await Get(
            BuildFileAddress,
            BuildFileAddressRequest(field_set.address, description_of_origin="a helm_chart's fields"),
        )
        raise InvalidChartError(
            _chart_field_error(build_file.rel_path, field_set, exists=chart_yaml_path in by_path)
        )

    references: list[ChartImageReference] = []
    try:
        metadata = parse_chart_yaml(
            _yaml_text(by_path[chart_yaml_path], chart_yaml_path, utf16=True), chart_yaml_path
        )
        declared = [(dep, chart_yaml_path) for dep in metadata.dependencies]
        if metadata.api_version == "v1" and requirements_path in by_path:
            # Helm reads an apiVersion v1 chart's dependencies from requirements.yaml.
            required = parse_requirements_yaml(
                _yaml_text(by_path[requirements_path], requirements_path), requirements_path
            )
            declared.extend((dep, requirements_path) for dep in required)
            metadata = dataclasses.replace(metadata, dependencies=metadata.dependencies + required)
        for path in sorted(by_path):
            rel = path[len(prefix):]
            if path in (chart_yaml_path, requirements_path):
                continue
            # Other files are only scanned for images; `helm package` takes them as they are.
            text = (
                _yaml_text(by_path[path], path)
                if _helm_loads_values(rel)
                else by_path[path].decode(errors="replace")
            )
            if _is_values_file(rel):
                for v in find_values_image_refs(text, path):
                    image = repositories.match(v.reference, f"{path}:{v.line}")
                    if image is None:  # values name images on purpose: warn on a near miss
                        repositories.check_near_miss(v.reference, f"{path}:{v.line}")
                    references.append(ChartImageReference(v.reference, path, v.line, image, in_values=True))
            elif _is_template(rel):
                for t in find_template_image_refs(text, path):
                    image = repositories.match(t.reference, f"{path}:{t.line}")
                    if image is not None:  # templates are scanned loosely: keep only repo images
                        references.append(ChartImageReference(t.reference, path, t.line, image, in_values=False))
    except ChartError as e:
        raise InvalidChartError(str(e)) from e

    local_dependencies = tuple(
        LocalChartDependency(dep.name, local, dep.line, declared_path)
        for dep, declared_path in declared
        for local in [dep.local_path(chart_dir)]
        if local is not None
    )
    return ResolvedHelmChart(
        address=field_set.address,
        chart_yaml_path=chart_yaml_path,
        chart_dir=chart_dir,
        metadata=metadata,
        packaged_files=tuple(packaged),
        local_dependencies=local_dependencies,
        image_references=tuple(references),
        helmignore=helmignore,
    )


def _chart_field_error(build_file: str, field_set: HelmChartFieldSet, exists: bool) -> str:
    """The message for a `chart` field Helm could not load: a missing file, or one not named
    Chart.yaml (Helm reads a chart's metadata from `Chart.yaml` and nothing else)."""
    path = field_set.chart.file_path
    chart_dir = posixpath.dirname(path) or "."
    problem = (
        f"names {path}, but Helm reads a chart's metadata only from a file named Chart.yaml"
        if exists
        else f"names {path}, which does not exist"
    )
    return (
        f"{build_file}: helm_chart `{field_set.address}`: the `chart` field {problem}.\n"
        f"  hint: put the chart's metadata in {chart_dir}/Chart.yaml and drop the `chart` field "
        "(its default is Chart.yaml), or declare the helm_chart in the directory holding Chart.yaml."
    )


def rules() -> Iterable[Rule]:
    return collect_rules()
