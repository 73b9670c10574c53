"""Go-compatible path cleaning and wildcard matching, shared by the .dockerignore matcher and
the resolver.

Docker is written in Go, so its notion of a "clean" path is Go's `path.Clean` and its COPY
wildcards are Go's `filepath.Match` (`shipyard.go_glob`), applied one path segment at a time (BuildKit walks the
directory under the wildcard-free prefix and matches each entry). Python's `posixpath.normpath`
and `fnmatch` differ in small ways (`//a`, `[!x]`, `\\` escapes), hence this module.
"""

from __future__ import annotations

from typing import List, Tuple

# Go's filepath.Match lives in shipyard.go_glob (.helmignore uses it too); these names stay
# importable from here for the Dockerfile layers.
from shipyard.go_glob import BadPattern, match_segment, segment_regex

__all__ = [
    "BadPattern",
    "clean",
    "contains_wildcards",
    "context_relative",
    "match_segment",
    "segment_regex",
    "split_wildcards",
    "validate_pattern",
]


def _is_clean(path: str) -> bool:
    return not (
        "//" in path
        or "/./" in path
        or "/../" in path
        or path.startswith(("./", "../"))
        or (path.endswith(("/", "/.", "/..")) and path != "/")
    )


def clean(path: str) -> str:
    """Go's `path.Clean`: collapse `//`, `.` and `..`; "" becomes "."; no trailing slash."""
    if path == "":
        return "."
    if _is_clean(path):
        return path  # already clean (the common case for file lists)
    rooted = path.startswith("/")
    parts: List[str] = []
    for part in path.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if parts and parts[-1] != "..":
                parts.pop()
            elif not rooted:
                parts.append("..")
            continue
        parts.append(part)
    out = "/".join(parts)
    if rooted:
        return "/" + out
    return out or "."


def context_relative(source: str) -> Tuple[str, bool]:
    """Where a COPY/ADD source or bind-mount source points in the build context.

    Returns (path relative to the context root with "" for the root itself, escapes) where
    `escapes` is True when the path climbs above the context with `..`. BuildKit joins the
    source onto "/" (so `./a`, `/a` and `a` are the same file); a `..` that would leave the
    root is silently dropped by that join, which we report instead because it never does what
    the author meant.
    """
    cleaned = clean(source)
    if cleaned.startswith("/"):
        cleaned = clean(cleaned.lstrip("/") or ".")  # absolute paths are relative to the context root
        # "/../x" was already reduced to "/x" by clean(): rooted paths cannot escape.
        return ("" if cleaned == "." else cleaned), False
    if cleaned == ".":
        return "", False
    if cleaned == ".." or cleaned.startswith("../"):
        return cleaned, True
    return cleaned, False


def contains_wildcards(segment: str) -> bool:
    """True when a path segment holds `*`, `?` or `[` that is not escaped by a backslash."""
    i = 0
    while i < len(segment):
        ch = segment[i]
        if ch == "\\":
            i += 2
            continue
        if ch in "*?[":
            return True
        i += 1
    return False


def split_wildcards(path: str) -> Tuple[str, Tuple[str, ...]]:
    """Split a cleaned relative path into its wildcard-free directory prefix and the rest.

    `apps/*/src/*.py` -> ("apps", ("*", "src", "*.py")). The prefix is "" for the root.
    """
    segments = [s for s in path.split("/") if s != ""]
    for i, segment in enumerate(segments):
        if contains_wildcards(segment):
            return "/".join(segments[:i]), tuple(segments[i:])
    return "/".join(segments), ()


def validate_pattern(pattern: str) -> None:
    """Raise BadPattern when any segment of a `/`-separated pattern is malformed."""
    for segment in pattern.split("/"):
        segment_regex(segment)
