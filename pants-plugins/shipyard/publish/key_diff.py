"""What an image's content key covers, as a document, and how two such documents differ.

`inputs_document` lays out, per platform, everything the key hashes: the Dockerfile (its lines,
so that an edited `ARG` default shows as that line), the exact files the build reads with their
sha256, build args, target stage, the digest each external base resolves to, the key of each repo
base, and the build recipe (builder, build platform, driver). `release` stores it with each image
it publishes (`publish/inputs_artifact.py`).

`key_changes(old, new)` says why the key moved: one line per difference, e.g.
`file changed: apps/webui/src/render.ts`, `build arg VERSION: 1.0 → 1.1`,
`base python:3.11-slim moved: sha256:aaa… → sha256:bbb…`,
``dockerfiles/Dockerfile.ui:4: `ARG PORT=5005` → `ARG PORT=5006` ``. A line that holds for only some
platforms names them.

Plain Python: nothing here knows about Pants.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

DOCUMENT_VERSION = 1


@dataclass(frozen=True)
class PlatformInputs:
    """One platform's inputs: its key and the JSON its key hashes (`image_build.key_document`),
    the Dockerfile, the files read (repo path → sha256) and the repo bases' keys."""

    platform: str
    key: str
    key_document: str
    dockerfile_path: str
    dockerfile_text: str
    files: Mapping[str, str]
    repo_bases: Mapping[str, str]  # base image address → its platform key


def _external_bases(request: Mapping[str, Any]) -> dict[str, str]:
    """Name → digest for each external base the build pulls, pinned (`name@sha256:…`)."""
    bases = {}
    for base in request.get("bases") or []:
        reference = base.get("reference")
        if reference:
            name, _, digest = reference.partition("@")
            bases[name] = digest
    return bases


def inputs_document(image: str, key: str, platforms: Sequence[PlatformInputs]) -> dict:
    """The document stored with a published image (see module doc)."""
    described = {}
    for p in platforms:
        document = json.loads(p.key_document)
        request = document.get("request", {})
        described[p.platform] = {
            "key": p.key,
            "dockerfile_path": p.dockerfile_path,
            "dockerfile_lines": p.dockerfile_text.splitlines(),
            "build_args": request.get("build_args") or {},
            "target_stage": request.get("target_stage"),
            "external_bases": _external_bases(request),
            "repo_bases": dict(p.repo_bases),
            "files": dict(p.files),
            "recipe": {
                "builder": request.get("builder"),
                "build_platform": request.get("build_platform"),
                "driver": document.get("driver"),
            },
        }
    return {"version": DOCUMENT_VERSION, "image": image, "key": key, "platforms": described}


def _short(digest: str | None) -> str:
    return (digest or "none")[:19] + "…" if digest and len(digest) > 19 else str(digest)


def _keyed_changes(
    old: Mapping[str, Any],
    new: Mapping[str, Any],
    added: Callable[[str], str],
    removed: Callable[[str], str],
    changed: Callable[[str], str],
) -> list[str]:
    """One line per key added, removed or whose value changed, in key order."""
    lines = []
    for name in sorted(set(old) | set(new)):
        if name not in old:
            lines.append(added(name))
        elif name not in new:
            lines.append(removed(name))
        elif old[name] != new[name]:
            lines.append(changed(name))
    return lines


def _mapping_changes(label: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    return _keyed_changes(
        old,
        new,
        lambda n: f"{label} {n} added: {new[n]}",
        lambda n: f"{label} {n} removed (was {old[n]})",
        lambda n: f"{label} {n}: {old[n]} → {new[n]}",
    )


def _dockerfile_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    before, after = old.get("dockerfile_lines", []), new.get("dockerfile_lines", [])
    path = new.get("dockerfile_path", "Dockerfile")
    if old.get("dockerfile_path") != path:
        return [f"Dockerfile moved: {old.get('dockerfile_path')} → {path}"]
    lines = []
    matcher = difflib.SequenceMatcher(a=before, b=after, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal":
            continue
        was, now = " / ".join(before[a0:a1]), " / ".join(after[b0:b1])
        if tag == "insert":
            lines.append(f"{path}:{b0 + 1}: added `{now}`")
        elif tag == "delete":
            lines.append(f"{path}:{a0 + 1}: removed `{was}` (line of the published Dockerfile)")
        else:
            lines.append(f"{path}:{b0 + 1}: `{was}` → `{now}`")
    return lines


def _platform_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    lines = _keyed_changes(
        old.get("files", {}),
        new.get("files", {}),
        lambda p: f"file added: {p}",
        lambda p: f"file removed: {p}",
        lambda p: f"file changed: {p}",
    )
    lines += _dockerfile_changes(old, new)
    lines += _mapping_changes("build arg", old.get("build_args", {}), new.get("build_args", {}))
    if old.get("target_stage") != new.get("target_stage"):
        lines.append(f"target stage: {old.get('target_stage')} → {new.get('target_stage')}")
    old_bases, new_bases = old.get("external_bases", {}), new.get("external_bases", {})
    lines += _keyed_changes(
        old_bases,
        new_bases,
        lambda n: f"base {n} added",
        lambda n: f"base {n} removed",
        lambda n: f"base {n} moved: {_short(old_bases[n])} → {_short(new_bases[n])}",
    )
    lines += _keyed_changes(
        old.get("repo_bases", {}),
        new.get("repo_bases", {}),
        lambda a: f"repo base {a} added",
        lambda a: f"repo base {a} removed",
        lambda a: f"repo base {a} changed (its own inputs did)",
    )
    lines += _mapping_changes("recipe", old.get("recipe", {}), new.get("recipe", {}))
    return lines


def key_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    """Why `new`'s key differs from `old`'s: one line per difference (empty when the keys are
    equal). Lines true of only some platforms end with them in brackets."""
    if old.get("key") == new.get("key"):
        return []
    old_platforms, new_platforms = old.get("platforms", {}), new.get("platforms", {})
    lines = [f"platform {p} added" for p in sorted(set(new_platforms) - set(old_platforms))]
    lines += [f"platform {p} removed" for p in sorted(set(old_platforms) - set(new_platforms))]
    shared = sorted(set(old_platforms) & set(new_platforms))
    per_platform = {p: _platform_changes(old_platforms[p], new_platforms[p]) for p in shared}
    seen: dict[str, list[str]] = {}
    for platform in shared:
        for line in per_platform[platform]:
            seen.setdefault(line, []).append(platform)
    for line, platforms in seen.items():
        lines.append(line if len(platforms) == len(shared) else f"{line} [{', '.join(platforms)}]")
    if not lines:
        lines.append("inputs the record does not cover changed (a newer shipyard computes keys differently)")
    return lines
