"""Why an image or a chart does not read a file: the answer to "why was this not rebuilt?".

Each function returns one sentence naming the file and line that decide (a `.dockerignore`
pattern, a `.helmignore` rule, the COPY of a stage the build skips), in the order Docker and
Helm themselves decide: the build context first, then the ignore file, then the instructions.
"""

from __future__ import annotations

import posixpath
from typing import AbstractSet, Mapping, Optional, Tuple

from shipyard.chart.helmignore import HelmIgnore
from shipyard.dockerfile.dockerignore import DockerIgnore


def _under(path: str, directory: str) -> Optional[str]:
    """`path` relative to `directory` ("" is the repository root), or None when outside it."""
    if not directory:
        return path
    prefix = directory.rstrip("/") + "/"
    return path[len(prefix):] if path.startswith(prefix) else None


def why_image_does_not_read(
    path: str,
    *,
    dockerfile_path: str,
    context_dir: str,
    dockerignore: Optional[DockerIgnore],
    copied: AbstractSet[str],
    skipped_stage_copies: Mapping[str, Tuple[int, AbstractSet[str]]] = {},
    target_stage: str = "",
) -> Optional[str]:
    """Why building the image does not read `path` (repo-relative), or None when it does.

    `copied` are the repo-relative files the build reads; `skipped_stage_copies` maps each stage
    the build does not run to (its FROM line, the files building it would copy).
    """
    if path == dockerfile_path or path in copied:
        return None
    relative = _under(path, context_dir)
    if relative is None:
        return f"not under the build context {context_dir or '.'}/ of {dockerfile_path}"
    if dockerignore is not None:
        pattern = dockerignore.deciding_pattern(relative)
        if pattern is not None and not pattern.exclusion:
            return f"excluded from the build context by {dockerignore.path}:{pattern.line} ({pattern.pattern})"
    for stage, (line, files) in sorted(skipped_stage_copies.items(), key=lambda kv: kv[1][0]):
        if path in files:
            built = f" {target_stage}" if target_stage else ""
            return (
                f"copied only by stage {stage} ({dockerfile_path}:{line}), which the build of "
                f"stage{built} does not use"
            )
    return f"in the build context, but no COPY/ADD source in {dockerfile_path} matches it"


def why_chart_does_not_read(
    path: str,
    *,
    chart_dir: str,
    helmignore: Optional[HelmIgnore],
    helmignore_path: Optional[str],
    packaged: AbstractSet[str],
) -> Optional[str]:
    """Why `helm package` of the chart in `chart_dir` leaves `path` out, or None when it packages
    it. A file outside the chart directory is read only through the images and charts it names."""
    if path in packaged:
        return None
    relative = _under(path, chart_dir)
    if relative is None:
        return f"not in the chart directory {chart_dir}/"
    rules = helmignore if helmignore is not None else HelmIgnore.defaults()
    parts = relative.split("/")
    # Helm walks top-down and skips an ignored directory without looking inside.
    for depth in range(1, len(parts) + 1):
        candidate = "/".join(parts[:depth])
        rule = rules.deciding_rule(candidate, is_dir=depth < len(parts))
        if rule is not None:
            if rule.line == 0 or helmignore_path is None:
                return f"left out of the chart by Helm's default ignore rule ({rule.raw})"
            what = f"{candidate}/" if depth < len(parts) else candidate
            return f"left out of the chart by {helmignore_path}:{rule.line} ({rule.raw.strip()}) matching {what}"
    if posixpath.basename(path) in ("BUILD", "BUILD.pants"):
        return "a BUILD file: Pants metadata, never packaged"
    return "in the chart directory, but not packaged"
