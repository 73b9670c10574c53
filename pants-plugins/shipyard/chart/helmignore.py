"""`.helmignore` with Helm's own semantics, and the set of files `helm package` puts in a chart.

Helm's rules are not .gitignore's. Mirrored here on purpose, so our file set equals Helm's:

* one pattern per line (a line ends at "\\n" only), surrounding whitespace trimmed as Go trims
  it; blank lines and lines starting with `#` are skipped;
* patterns are Go `filepath.Match` globs: `*` and `?` never cross `/`, `[...]` classes (negated
  with `^`), `\\` escapes. A malformed glob, or any `**`, makes Helm refuse the chart: here it is
  a `ChartError` at that line;
* a trailing `/` restricts a pattern to directories; a leading `/` anchors it at the chart root;
  a pattern containing `/` matches the whole relative path; one without matches the base name at
  any depth;
* rules are tried in order and the first plain rule that matches ignores the path. A `!` rule is
  NOT gitignore's re-include: when Helm reaches `!pattern`, every path that does not match the
  pattern is ignored, and a path that matches goes on to the next rule;
* Helm always appends the rule `templates/.?*` (dotfiles directly under templates/);
* an ignored directory is not descended into, so nothing under it is packaged.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import Collection, Dict, FrozenSet, Optional, Pattern, Tuple

from shipyard.chart.errors import ChartError
from shipyard.go_glob import BadPattern, segment_regex
from shipyard.source_text import go_trim_space, split_lines

HELMIGNORE = ".helmignore"
#: The rule Helm adds after the user's rules.
DEFAULT_RULES = ("templates/.?*",)


_NEVER = re.compile(r"(?!)")


@dataclass(frozen=True)
class HelmIgnoreRule:
    """One parsed line of a .helmignore file."""

    raw: str
    line: int
    negate: bool
    dir_only: bool
    anchored: bool
    has_slash: bool
    regex: Pattern[str]

    @classmethod
    def parse(cls, raw: str, line: int, path: str) -> Optional[HelmIgnoreRule]:
        """The rule on one line, None for blank and comment lines."""
        rule = go_trim_space(raw)
        if not rule or rule.startswith("#"):
            return None
        if "**" in rule:
            raise ChartError(
                path,
                line,
                f"{rule!r} uses '**', which Helm does not support (helm package fails on it)",
                "patterns without '/' already match at any depth: write e.g. '*.md' instead of "
                "'**/*.md', or list each directory",
            )
        try:
            segment_regex(rule)  # Helm validates the whole line, `!` and trailing `/` included.
        except BadPattern as e:
            raise ChartError(
                path, line, f"{rule!r} is not a valid pattern: {e}", "fix or escape the pattern"
            ) from e
        negate = rule.startswith("!")
        if negate:
            rule = rule[1:]
        dir_only = rule.endswith("/")
        if dir_only:
            rule = rule[:-1]
        anchored = rule.startswith("/")
        if anchored:
            rule = rule[1:]
        try:
            regex = segment_regex(rule)
        except BadPattern:
            # Stripping `/` exposed a lone escape (`foo\/`): Helm accepts the line, but the rule
            # then fails to compile each time and so never matches.
            regex = _NEVER
        return cls(
            raw=go_trim_space(raw),
            line=line,
            negate=negate,
            dir_only=dir_only,
            anchored=anchored,
            has_slash=anchored or "/" in rule,
            regex=regex,
        )

    def matches(self, relpath: str) -> bool:
        """Whether the glob matches `relpath` (its base name only, for patterns without `/`).
        A directory may be given with a trailing `/` (`cargo/`): Helm's walker names it without."""
        relpath = relpath.rstrip("/") or relpath
        subject = relpath if self.has_slash else posixpath.basename(relpath)
        return self.regex.fullmatch(subject) is not None


@dataclass(frozen=True)
class HelmIgnore:
    """A chart's ignore rules: the .helmignore lines followed by Helm's default rule."""

    rules: Tuple[HelmIgnoreRule, ...]

    @classmethod
    def parse(cls, text: str, path: str) -> HelmIgnore:
        """Parse .helmignore `text` (read from `path`, used in errors) and append Helm's
        defaults. Raises `ChartError` where Helm would refuse the file."""
        rules = [
            rule
            for number, line in enumerate(split_lines(text), start=1)
            for rule in [HelmIgnoreRule.parse(line, number, path)]
            if rule is not None
        ]
        return cls(tuple(rules) + _defaults())

    @classmethod
    def defaults(cls) -> HelmIgnore:
        """The rules of a chart without a .helmignore file."""
        return cls(_defaults())

    def ignores(self, relpath: str, is_dir: bool) -> bool:
        """Whether Helm skips `relpath` (relative to the chart dir, `/`-separated) by itself.
        This does not look at parent directories; `chart_files` does."""
        return self.deciding_rule(relpath, is_dir) is not None

    def deciding_rule(self, relpath: str, is_dir: bool) -> Optional[HelmIgnoreRule]:
        """The rule that makes Helm skip `relpath` (line 0: Helm's default rule), or None when
        no rule does. Like `ignores`, this does not look at parent directories."""
        if relpath in ("", ".", "./"):
            return None
        for rule in self.rules:
            if rule.negate:
                if rule.dir_only and not is_dir:
                    return rule
                if not rule.matches(relpath):
                    return rule
                continue
            if rule.dir_only and not is_dir:
                continue
            if rule.matches(relpath):
                return rule
        return None


def _defaults() -> Tuple[HelmIgnoreRule, ...]:
    rules = (HelmIgnoreRule.parse(rule, 0, "<helm defaults>") for rule in DEFAULT_RULES)
    return tuple(rule for rule in rules if rule is not None)


def chart_files(
    all_files_under_chart_dir: Collection[str], helmignore: Optional[HelmIgnore]
) -> FrozenSet[str]:
    """The files `helm package` would put in the chart, relative to the chart dir.

    `all_files_under_chart_dir` are `/`-separated paths relative to the chart dir. A file is left
    out when it, or any directory above it, is ignored. With no .helmignore, Helm's default rule
    still applies.
    """
    rules = helmignore if helmignore is not None else HelmIgnore.defaults()
    directory_verdicts: Dict[str, bool] = {}

    def directory_ignored(directory: str) -> bool:
        # Helm walks top-down and skips an ignored directory without looking inside.
        if directory not in directory_verdicts:
            parent = posixpath.dirname(directory)
            directory_verdicts[directory] = (
                bool(parent)
                and directory_ignored(parent)
                or (rules.ignores(directory, is_dir=True))
            )
        return directory_verdicts[directory]

    kept = set()
    for raw in all_files_under_chart_dir:
        relpath = _normalize(raw)
        parent = posixpath.dirname(relpath)
        if parent and directory_ignored(parent):
            continue
        if not rules.ignores(relpath, is_dir=False):
            kept.add(relpath)
    return frozenset(kept)


def _normalize(relpath: str) -> str:
    normalized = posixpath.normpath(relpath)
    if normalized.startswith("/") or normalized == ".." or normalized.startswith("../"):
        raise ValueError(f"{relpath!r} is not a path inside the chart directory")
    return normalized
