"""Semantic versions and version constraints with the rules Helm uses (Masterminds semver v3).

Helm checks a dependency's version against the constraint written in Chart.yaml
(`version: ^1.2.0`) and refuses to vendor a chart that does not satisfy it; `helm package
--version` must be a version. Supported here, as in Masterminds v3:

* versions: `1`, `1.2`, `v1.2.3`, `1.2.3-rc.1+build` (missing parts are 0);
* constraints: `=`, `!=`, `>`, `<`, `>=`, `=>`, `<=`, `=<`, `~` (`~>`), `^`, wildcards `x`, `X`
  and `*` in any part (`1.2.x`), hyphen ranges (`1.2 - 1.4.5`), comma or space for AND, `||`
  for OR;
* a pre-release version (`1.2.3-rc.1`) only satisfies a constraint that names a pre-release.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

_VERSION = re.compile(
    r"v?(?P<major>[0-9]+)(?:\.(?P<minor>[0-9]+))?(?:\.(?P<patch>[0-9]+))?"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+(?P<meta>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)
_WILDCARDS = ("x", "X", "*")
_PART = r"(?:[0-9]+|[xX*])"
_CONSTRAINT_VERSION = (
    rf"v?{_PART}(?:\.{_PART})?(?:\.{_PART})?"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?"
)
_OPERATORS = ("!=", ">=", "=>", "<=", "=<", "~>", "=", ">", "<", "~", "^")
_HYPHEN = re.compile(rf"\s*({_CONSTRAINT_VERSION})\s+-\s+({_CONSTRAINT_VERSION})\s*")
_TERM = re.compile(
    r"\s*(" + "|".join(re.escape(op) for op in _OPERATORS) + rf")?\s*({_CONSTRAINT_VERSION})\s*"
)


class InvalidVersion(ValueError):
    """Text that is not a version or a constraint; `str()` says what it is."""


@dataclass(frozen=True)
class Version:
    major: int
    minor: int
    patch: int
    prerelease: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parse a version the lenient way Helm does (`1.2` is `1.2.0`)."""
        match = _VERSION.fullmatch(text)
        if match is None:
            raise InvalidVersion(f"{text!r} is not a semantic version (e.g. 1.2.3)")
        pre = match.group("pre") or ""
        for identifier in pre.split(".") if pre else ():
            if identifier.isdigit() and len(identifier) > 1 and identifier.startswith("0"):
                raise InvalidVersion(
                    f"{text!r} is not a semantic version: pre-release part {identifier!r} "
                    "has a leading zero"
                )
        return cls(
            int(match.group("major")),
            int(match.group("minor") or 0),
            int(match.group("patch") or 0),
            pre,
        )

    def compare(self, other: Version) -> int:
        """-1, 0 or 1 by semver precedence (build metadata ignored)."""
        mine = (self.major, self.minor, self.patch)
        theirs = (other.major, other.minor, other.patch)
        if mine != theirs:
            return -1 if mine < theirs else 1
        return _compare_prerelease(self.prerelease, other.prerelease)


def _compare_prerelease(a: str, b: str) -> int:
    if a == b:
        return 0
    if not a:
        return 1
    if not b:
        return -1
    parts_a, parts_b = a.split("."), b.split(".")
    for x, y in zip(parts_a, parts_b):
        if x == y:
            continue
        if x.isdigit() and y.isdigit():
            return -1 if int(x) < int(y) else 1
        if x.isdigit() != y.isdigit():
            return -1 if x.isdigit() else 1
        return -1 if x < y else 1
    return -1 if len(parts_a) < len(parts_b) else (1 if len(parts_a) > len(parts_b) else 0)


@dataclass(frozen=True)
class _Term:
    operator: str
    version: Version
    minor_dirty: bool
    patch_dirty: bool
    any_version: bool

    @property
    def dirty(self) -> bool:
        return self.minor_dirty or self.patch_dirty

    def check(self, v: Version) -> bool:
        if v.prerelease and not self.version.prerelease:
            return False
        return _CHECKS[self.operator](self, v)


def _equal(c: _Term, v: Version) -> bool:
    if c.any_version:
        return True
    if c.dirty:
        return _tilde(c, v)
    return v.compare(c.version) == 0


def _not_equal(c: _Term, v: Version) -> bool:
    if c.dirty:
        if c.any_version:
            return False
        if v.major != c.version.major:
            return True
        if c.minor_dirty:
            return False
        return c.patch_dirty and v.minor != c.version.minor
    return v.compare(c.version) != 0


def _greater(c: _Term, v: Version) -> bool:
    if not c.dirty:
        return v.compare(c.version) > 0
    if v.major != c.version.major:
        return v.major > c.version.major
    if c.minor_dirty:
        return False
    return v.minor > c.version.minor


def _less(c: _Term, v: Version) -> bool:
    return v.compare(c.version) < 0


def _greater_equal(c: _Term, v: Version) -> bool:
    return v.compare(c.version) >= 0


def _less_equal(c: _Term, v: Version) -> bool:
    if not c.dirty:
        return v.compare(c.version) <= 0
    if v.major != c.version.major:
        return v.major < c.version.major
    if c.minor_dirty:
        return True
    return v.minor <= c.version.minor


def _tilde(c: _Term, v: Version) -> bool:
    if v.compare(c.version) < 0:
        return False
    if c.any_version:
        return True
    if v.major != c.version.major:
        return False
    return c.minor_dirty or v.minor == c.version.minor


def _caret(c: _Term, v: Version) -> bool:
    if c.any_version:
        return True
    if v.compare(c.version) < 0:
        return False
    if c.version.major > 0 or c.minor_dirty:
        return v.major == c.version.major
    if c.version.minor > 0 or c.patch_dirty:
        return v.major == 0 and v.minor == c.version.minor
    return v.major == 0 and v.minor == 0 and v.patch == c.version.patch


_CHECKS: Dict[str, Callable[[_Term, Version], bool]] = {
    "": _equal,
    "=": _equal,
    "!=": _not_equal,
    ">": _greater,
    "<": _less,
    ">=": _greater_equal,
    "=>": _greater_equal,
    "<=": _less_equal,
    "=<": _less_equal,
    "~": _tilde,
    "~>": _tilde,
    "^": _caret,
}


def _term(operator: str, text: str) -> _Term:
    core, _, _ = text.lstrip("v").partition("+")
    numbers, dash, pre = core.partition("-")
    parts = numbers.split(".")
    while len(parts) < 3:
        parts.append("")
    major, minor, patch = parts
    any_version = major in _WILDCARDS
    minor_dirty = any_version or minor in _WILDCARDS or minor == ""
    patch_dirty = minor_dirty or patch in _WILDCARDS or patch == ""

    def number(part: str) -> int:
        return 0 if part in _WILDCARDS or part == "" else int(part)

    version = Version(number(major), number(minor), number(patch), pre if dash else "")
    return _Term(operator, version, minor_dirty, patch_dirty, any_version)


@dataclass(frozen=True)
class Constraint:
    """A parsed constraint such as `^1.2.0` or `>=1.0, <2.0 || 3.x`."""

    text: str
    alternatives: Tuple[Tuple[_Term, ...], ...]

    @classmethod
    def parse(cls, text: str) -> Constraint:
        alternatives: List[Tuple[_Term, ...]] = []
        for group in text.split("||"):
            alternatives.append(tuple(_parse_group(group, text)))
        return cls(text, tuple(alternatives))

    def check(self, version: Version) -> bool:
        """Whether `version` satisfies the constraint."""
        return any(all(term.check(version) for term in group) for group in self.alternatives)


def _parse_group(group: str, whole: str) -> List[_Term]:
    terms: List[_Term] = []
    for piece in group.split(","):
        hyphen = _HYPHEN.fullmatch(piece)
        if hyphen is not None:
            terms.append(_term(">=", hyphen.group(1)))
            terms.append(_term("<=", hyphen.group(2)))
            continue
        position = 0
        found_any = False
        while position < len(piece):
            if piece[position:].strip() == "":
                break
            match = _TERM.match(piece, position)
            if match is None or match.end() == position:
                raise InvalidVersion(f"{whole!r} is not a version constraint")
            terms.append(_term(match.group(1) or "", match.group(2)))
            position = match.end()
            found_any = True
        if not found_any:
            raise InvalidVersion(f"{whole!r} is not a version constraint")
    return terms


def satisfies(version: str, constraint: str) -> bool:
    """`version` meets `constraint`; raises `InvalidVersion` when either does not parse."""
    return Constraint.parse(constraint).check(Version.parse(version))
