"""Semantic versions (semver.org 2.0) read from release tags, and their precedence.

Only what the tag policy needs: parse `v1.2.3`, `1.2.3-rc.1+build` (missing minor or patch
parts are 0, as Helm and docker/metadata-action read them) and order versions by precedence.
Version *constraints* are Helm's business; charts are checked by Helm's own engine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_VERSION = re.compile(
    r"v?(?P<major>0|[1-9][0-9]*)(?:\.(?P<minor>0|[1-9][0-9]*))?(?:\.(?P<patch>0|[1-9][0-9]*))?"
    r"(?:-(?P<pre>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
    r"(?:\+(?P<meta>[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?"
)


class InvalidVersion(ValueError):
    """Text that is not a semantic version; `str()` says what it is."""


@dataclass(frozen=True)
class Version:
    """A version's precedence-relevant parts (build metadata is ignored by semver precedence)."""

    major: int
    minor: int
    patch: int
    prerelease: str = ""

    @classmethod
    def parse(cls, text: str) -> Version:
        """Parses `[v]MAJOR[.MINOR[.PATCH]][-PRE][+BUILD]`; InvalidVersion otherwise."""
        match = _VERSION.fullmatch(text)
        if match is None:
            raise InvalidVersion(f"{text!r} is not a semantic version (e.g. 1.2.3)")
        pre = match.group("pre") or ""
        for identifier in pre.split(".") if pre else ():
            if identifier.isdigit() and len(identifier) > 1 and identifier.startswith("0"):
                raise InvalidVersion(
                    f"{text!r} is not a semantic version: pre-release part {identifier!r} has a leading zero"
                )
        return cls(int(match.group("major")), int(match.group("minor") or 0), int(match.group("patch") or 0), pre)

    def compare(self, other: Version) -> int:
        """-1, 0 or 1 by semver precedence (semver.org 2.0, item 11)."""
        mine, theirs = (self.major, self.minor, self.patch), (other.major, other.minor, other.patch)
        if mine != theirs:
            return -1 if mine < theirs else 1
        return _compare_prerelease(self.prerelease, other.prerelease)


def _compare_prerelease(a: str, b: str) -> int:
    """A release outranks its pre-releases; identifiers compare numerically when both are numbers,
    numbers rank below words, and a longer list wins when all shared identifiers are equal."""
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
