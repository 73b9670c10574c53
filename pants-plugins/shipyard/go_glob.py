"""Go's `filepath.Match` patterns as Python regexes: the glob Docker (COPY sources,
`.dockerignore` segments) and Helm (`.helmignore`) both use.

`*` matches any run of characters but `/`, `?` one character but `/`; `[abc]`, `[a-z]` and
`[^a-z]` are classes (`!` does not negate; a class may match `/`, as in Go); `\\x` is a literal
`x`. Go accepts an inverted range (`[z-a]`) and it never matches. A malformed pattern (unclosed
`[`, empty class, `-` or `]` where a class character belongs, a lone `\\` at the end) is
`BadPattern`, which Go reports as `ErrBadPattern`. Python's `fnmatch` differs on `[!x]`, `\\`
and `/`, hence this module.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import List, Tuple


class BadPattern(ValueError):
    """A pattern Go's filepath.Match rejects; `str()` says what is wrong."""


_UNCLOSED = "a '[' character class is not closed with ']'"
_LONE_ESCAPE = "the pattern ends with a lone '\\'"


def _class_char(pattern: str, i: int) -> Tuple[str, int]:
    """Read one (possibly escaped) character of a `[...]` class, as Go's getEsc does."""
    if i >= len(pattern):
        raise BadPattern(_UNCLOSED)
    if pattern[i] in "-]":
        raise BadPattern(f"unexpected {pattern[i]!r} in a character class")
    if pattern[i] == "\\":
        i += 1
        if i >= len(pattern):
            raise BadPattern(_LONE_ESCAPE)
    ch = pattern[i]
    i += 1
    if i >= len(pattern):
        raise BadPattern(_UNCLOSED)
    return ch, i


@lru_cache(maxsize=4096)
def segment_regex(pattern: str) -> "re.Pattern[str]":
    """Compile a Go `filepath.Match` pattern; `.match(name)` answers `filepath.Match(pattern,
    name)`. Used on single path segments (COPY, .dockerignore) and whole paths (.helmignore).
    Raises BadPattern for patterns Go rejects."""
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
                raise BadPattern(_LONE_ESCAPE)
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
                out.append("." if negated else "(?!)")
            continue
        out.append(re.escape(ch))
        i += 1
    return re.compile("".join(out) + r"\Z", re.DOTALL)


def match_segment(pattern: str, name: str) -> bool:
    """Go `filepath.Match(pattern, name)` (raises BadPattern for a malformed pattern)."""
    return segment_regex(pattern).match(name) is not None
