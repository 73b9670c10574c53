"""Version precedence from semver.org 2.0 (item 11's own examples), as release tags are ordered."""

from __future__ import annotations

import pytest

from shipyard.publish.semver import InvalidVersion, Version

# semver.org item 11: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta < 1.0.0-beta.2
# < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0, and 1.0.0 < 2.0.0 < 2.1.0 < 2.1.1.
ORDERED = [
    "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2",
    "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1",
]


@pytest.mark.parametrize("lower,higher", list(zip(ORDERED, ORDERED[1:])))
def test_precedence_follows_the_spec(lower: str, higher: str) -> None:
    assert Version.parse(lower).compare(Version.parse(higher)) == -1
    assert Version.parse(higher).compare(Version.parse(lower)) == 1


@pytest.mark.parametrize(
    "a,b",
    [("1.0.0+build.1", "1.0.0+build.2"), ("v1.2.3", "1.2.3"), ("1.2", "1.2.0"), ("1", "1.0.0")],
    ids=["build-metadata-ignored", "v-prefix", "missing-patch", "missing-minor-and-patch"],
)
def test_equal_precedence(a: str, b: str) -> None:
    assert Version.parse(a).compare(Version.parse(b)) == 0


@pytest.mark.parametrize(
    "text", ["", "1.2.3.4", "01.2.3", "1.2.3-01", "1.2.3-", "1.2.3+", "latest", "1.2.3-rc..1"],
    ids=["empty", "four-parts", "leading-zero-major", "leading-zero-prerelease", "empty-prerelease",
         "empty-build", "a-word", "empty-prerelease-identifier"],
)
def test_not_a_version(text: str) -> None:
    with pytest.raises(InvalidVersion):
        Version.parse(text)
