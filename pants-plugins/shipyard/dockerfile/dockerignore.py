""".dockerignore matching with Docker's semantics (moby/patternmatcher and its ignorefile reader).

Reading (`ignorefile.ReadAll`):
- a line whose first character is `#` is a comment (`  # x` is a pattern, as in Docker);
- surrounding whitespace is trimmed, blank lines are skipped;
- a leading `!` marks an exception; the rest is cleaned like Go's `filepath.Clean` and one
  leading `/` is dropped (`/build` means `build`).

Matching (`PatternMatcher.MatchesOrParentMatches`):
- `*` matches within one path segment, `?` one character, `[...]` a class, `\\x` a literal `x`,
  `**` any number of segments (including none);
- a pattern applies to a path when it matches the path itself or any of its parent directories,
  so `build` excludes `build/x/y`;
- patterns are evaluated in order and the last one that applies wins, so `!build/keep.txt` after
  `build` keeps that one file.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass, field
from typing import Callable, Collection, Dict, Iterable, List, Optional, Sequence, Tuple

from shipyard.dockerfile.instructions import DockerfileError
from shipyard.dockerfile.paths import BadPattern, clean, validate_pattern
from shipyard.source_text import go_trim_space, split_lines

_BOM = "\ufeff"


@dataclass(frozen=True)
class IgnorePattern:
    """One cleaned .dockerignore pattern (without its `!`), with where it was written."""

    pattern: str
    exclusion: bool
    line: int
    match: Callable[[str], bool] = field(compare=False, repr=False)
    literal_prefix: str = field(default="", compare=False, repr=False)


def _literal_prefix(pattern: str) -> str:
    """The text before the first wildcard: every path the pattern matches starts with it."""
    for i, ch in enumerate(pattern):
        if ch in "*?[]\\^":
            return pattern[:i]
    return pattern


def _compile(pattern: str) -> Callable[[str], bool]:
    """Turn a cleaned pattern into a predicate, choosing the same match strategy as Docker.

    Docker compares plain patterns exactly, `foo/**` as a prefix and `**/foo` as a suffix, and
    everything else with a regular expression; the strategies differ in corner cases (`**foo`
    matches `xfoo` as a suffix), so we keep them.
    """
    regex: List[str] = ["^"]
    kind = "exact"
    i, n, step = 0, len(pattern), 0
    while i < n:
        ch = pattern[i]
        i += 1
        if ch == "*":
            if i < n and pattern[i] == "*":
                i += 1
                if i < n and pattern[i] == "/":
                    i += 1
                if i >= n:
                    if kind == "exact":
                        kind = "prefix"
                    else:
                        regex.append(".*")
                        kind = "regexp"
                else:
                    regex.append("(.*/)?")
                    kind = "regexp"
                if step == 0:
                    kind = "suffix"
            else:
                regex.append("[^/]*")
                kind = "regexp"
        elif ch == "?":
            regex.append("[^/]")
            kind = "regexp"
        elif ch in ".+()|{}$":
            regex.append("\\" + ch)
        elif ch == "\\":
            if i < n:
                regex.append("\\" + pattern[i])
                i += 1
                kind = "regexp"
            else:
                regex.append("\\\\")
        elif ch in "[]":
            regex.append(ch)
            kind = "regexp"
        else:
            regex.append(ch)
        step += 1

    if kind == "exact":
        return lambda path: path == pattern
    if kind == "prefix":
        prefix = pattern[:-2]
        return lambda path: path.startswith(prefix)
    if kind == "suffix":
        suffix = pattern[2:]
        if suffix.startswith("/"):
            bare = suffix[1:]
            return lambda path: path.endswith(suffix) or path == bare
        return lambda path: path.endswith(suffix)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "possible nested set" for patterns like [[]
        compiled = re.compile("".join(regex) + r"\Z", re.DOTALL)
    return lambda path: compiled.match(path) is not None


@dataclass(frozen=True)
class DockerIgnore:
    """The patterns of one .dockerignore file; `excludes(path)` answers like `docker build`."""

    path: str
    patterns: Tuple[IgnorePattern, ...]
    _dir_hits: Dict[str, Tuple[bool, ...]] = field(default_factory=dict, compare=False, repr=False, hash=False)
    _plans: Dict[str, Tuple[Optional[IgnorePattern], Tuple[IgnorePattern, ...]]] = field(
        default_factory=dict, compare=False, repr=False, hash=False
    )

    @classmethod
    def parse(cls, text: str, path: str = ".dockerignore") -> "DockerIgnore":
        """Read .dockerignore `text`; `path` is used in error messages.

        Raises DockerfileError for a lone `!` or a malformed pattern (e.g. an unclosed `[`).
        """
        patterns: List[IgnorePattern] = []
        for number, raw in enumerate(split_lines(text), start=1):
            line = raw
            if number == 1 and line.startswith(_BOM):
                line = line[len(_BOM) :]
            if line.startswith("#"):
                continue
            entry = go_trim_space(line)
            if not entry:
                continue
            exclusion = entry.startswith("!")
            if exclusion:
                entry = go_trim_space(entry[1:])
            if entry:
                entry = clean(entry)
                if len(entry) > 1 and entry.startswith("/"):
                    entry = entry[1:]
            if exclusion and not entry:
                raise DockerfileError(
                    path, number, 'illegal exclusion pattern: "!"', "write the path to re-include after the !", raw
                )
            try:
                validate_pattern(entry)
            except BadPattern as e:
                raise DockerfileError(
                    path, number, f"bad .dockerignore pattern {entry!r}: {e}", "close every [ and do not end a pattern with \\", raw
                ) from None
            try:
                matcher = _compile(entry)
            except re.error as e:
                raise DockerfileError(path, number, f"bad .dockerignore pattern {entry!r}: {e}", "simplify the pattern", raw) from None
            patterns.append(IgnorePattern(entry, exclusion, number, matcher, _literal_prefix(entry)))
        return cls(path=path, patterns=tuple(patterns))

    @classmethod
    def from_patterns(cls, patterns: Sequence[str], path: str = "--exclude") -> "DockerIgnore":
        """A matcher for patterns given one per item (e.g. COPY --exclude values)."""
        return cls.parse("\n".join(p if not p.startswith("#") else "\\" + p for p in patterns), path)

    def _hits_for_dir(self, directory: str) -> Tuple[bool, ...]:
        """Per pattern: does it match `directory` or one of the directory's parents?"""
        cached = self._dir_hits.get(directory)
        if cached is not None:
            return cached
        slash = directory.rfind("/")
        parent = self._hits_for_dir(directory[:slash]) if slash > 0 else None
        if parent is None:
            hits = tuple(p.match(directory) for p in self.patterns)
        else:
            hits = tuple(inherited or p.match(directory) for p, inherited in zip(self.patterns, parent))
        self._dir_hits[directory] = hits
        return hits

    def _plan_for_dir(self, directory: str) -> Tuple[Optional[IgnorePattern], Tuple[IgnorePattern, ...]]:
        """How to decide for a file directly inside `directory` ("" for the root).

        Returns the pattern that decides when no pattern matches the file itself (the last one
        matching a parent directory), and the later patterns that could still match a file here,
        last first. Patterns whose literal prefix rules out this directory are left out, so most
        files are decided with one or two checks.
        """
        cached = self._plans.get(directory)
        if cached is not None:
            return cached
        hits = self._hits_for_dir(directory) if directory else (False,) * len(self.patterns)
        last_hit = max((i for i, hit in enumerate(hits) if hit), default=-1)
        here = directory + "/" if directory else ""
        candidates = tuple(
            self.patterns[i]
            for i in range(len(self.patterns) - 1, last_hit, -1)
            if self.patterns[i].literal_prefix.startswith(here) or here.startswith(self.patterns[i].literal_prefix)
        )
        plan = (self.patterns[last_hit] if last_hit >= 0 else None, candidates)
        self._plans[directory] = plan
        return plan

    def deciding_pattern(self, relpath: str) -> Optional[IgnorePattern]:
        """The last pattern that applies to `relpath` (it decides), or None when none applies."""
        path = clean(relpath)
        while path.startswith("/"):
            path = clean(path[1:] or ".")
        if path in (".", "") or not self.patterns:
            return None  # Docker never excludes the context root itself
        slash = path.rfind("/")
        default, candidates = self._plan_for_dir(path[:slash] if slash > 0 else "")
        for pattern in candidates:
            if pattern.match(path):
                return pattern
        return default

    def excludes(self, relpath: str) -> bool:
        """True when `relpath` (relative to the context root, `/`-separated) is left out of the context."""
        pattern = self.deciding_pattern(relpath)
        return pattern is not None and not pattern.exclusion

    def kept(self, paths: Iterable[str]) -> List[str]:
        """The paths that stay in the context, in order; a fast `excludes` for many clean paths.

        `paths` must already be clean and relative (as produced by the resolver's index).
        """
        if not self.patterns:
            return list(paths)
        out: List[str] = []
        plan_dir: Optional[str] = None
        default: Optional[IgnorePattern] = None
        candidates: Tuple[IgnorePattern, ...] = ()
        for path in paths:
            slash = path.rfind("/")
            directory = path[:slash] if slash > 0 else ""
            if directory != plan_dir:
                default, candidates = self._plan_for_dir(directory)
                plan_dir = directory
            decided = default
            for pattern in candidates:
                if pattern.match(path):
                    decided = pattern
                    break
            if decided is None or decided.exclusion:
                out.append(path)
        return out


def dockerignore_candidates(dockerfile_path: str, context_root: str) -> Tuple[str, ...]:
    """The ignore files that could apply to a build, most specific first (repo-relative paths).

    BuildKit first looks for `<Dockerfile name>.dockerignore` beside the Dockerfile (for
    `apps/ui/Dockerfile.prod` that is `apps/ui/Dockerfile.prod.dockerignore`), and only when it
    is absent uses `.dockerignore` at the root of the build context.
    """
    specific = clean(dockerfile_path) + ".dockerignore"
    root = clean(context_root)
    generic = ".dockerignore" if root in (".", "") else f"{root}/.dockerignore"
    return (specific,) if specific == generic else (specific, generic)


def select_dockerignore(dockerfile_path: str, context_root: str, existing_files: Collection[str]) -> Optional[str]:
    """Which ignore file applies, given the repo-relative paths that exist (None if neither)."""
    present = {clean(p) for p in existing_files}
    for candidate in dockerignore_candidates(dockerfile_path, context_root):
        if candidate in present:
            return candidate
    return None
