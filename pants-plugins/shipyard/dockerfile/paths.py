"""Go-compatible path cleaning and wildcard matching, shared by the .dockerignore matcher and
the resolver.

Docker is written in Go, so its notion of a "clean" path is Go's `path.Clean` and its COPY
wildcards are Go's `filepath.Match`, applied one path segment at a time (BuildKit walks the
directory under the wildcard-free prefix and matches each entry). Python's `posixpath.normpath`
and `fnmatch` differ in small ways (`//a`, `[!x]`, `\\` escapes), hence this module.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import List, Tuple


class BadPattern(ValueError):
    """A wildcard pattern Go's filepath.Match rejects (unclosed `[`, trailing `\\`, ...)."""


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


def _class_char(pattern: str, i: int) -> Tuple[str, int]:
    """Read one (possibly escaped) character of a `[...]` class, as Go's getEsc does."""
    if i >= len(pattern) or pattern[i] in "-]":
        raise BadPattern(f"syntax error in pattern {pattern!r}")
    if pattern[i] == "\\":
        i += 1
        if i >= len(pattern):
            raise BadPattern(f"syntax error in pattern {pattern!r}")
    ch = pattern[i]
    i += 1
    if i >= len(pattern):
        raise BadPattern(f"syntax error in pattern {pattern!r}: unclosed '['")
    return ch, i


@lru_cache(maxsize=4096)
def segment_regex(pattern: str) -> "re.Pattern[str]":
    """Compile one path segment of a Go `filepath.Match` pattern into a Python regex.

    `*` matches any run of characters except `/`, `?` one character except `/`, `[abc]`,
    `[a-z]` and `[^a-z]` are classes (`!` is not a negation in Go), `\\x` is a literal `x`.
    Raises BadPattern for patterns Go rejects.
    """
    out: List[str] = []
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        if ch == "*":
            while i < n and pattern[i] == "*":
                i += 1
            out.append("[^/]*")
            continue
        if ch == "?":
            out.append("[^/]")
            i += 1
            continue
        if ch == "\\":
            i += 1
            if i >= n:
                raise BadPattern(f"syntax error in pattern {pattern!r}: trailing backslash")
            out.append(re.escape(pattern[i]))
            i += 1
            continue
        if ch == "[":
            i += 1
            negated = i < n and pattern[i] == "^"
            if negated:
                i += 1
            ranges: List[str] = []
            count = 0
            while True:
                if i < n and pattern[i] == "]" and count > 0:
                    i += 1
                    break
                lo, i = _class_char(pattern, i)
                hi = lo
                if pattern[i] == "-":
                    hi, i = _class_char(pattern, i + 1)
                count += 1
                if lo <= hi:  # Go accepts an inverted range and simply never matches it
                    ranges.append(re.escape(lo) if lo == hi else f"{re.escape(lo)}-{re.escape(hi)}")
            if ranges:
                out.append(("[^" if negated else "[") + "".join(ranges) + "]")
            else:
                out.append("[^/]" if negated else "(?!)")
            continue
        out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def match_segment(pattern: str, name: str) -> bool:
    """Go `filepath.Match(pattern, name)` for a single segment (no `/` in either)."""
    return segment_regex(pattern).match(name) is not None


def validate_pattern(pattern: str) -> None:
    """Raise BadPattern when any segment of a `/`-separated pattern is malformed."""
    for segment in pattern.split("/"):
        segment_regex(segment)
