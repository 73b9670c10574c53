"""The tag policy, case by case from docker/metadata-action's documented defaults and the issue's
rules (latest only for the highest release, pre-releases move nothing, path-scoped versions)."""

from __future__ import annotations

from typing import Optional

import pytest

from shipyard.image_ref import tag_problem
from shipyard.publish.tags import GitState, TagPolicy, chart_version, image_tags, oci_tag, scope_of, shallow_clone_warning, tag_problems

SHA = "0123456789abcdef0123456789abcdef01234567"


def state(branch: Optional[str] = None, at_head: tuple = (), others: tuple = ()) -> GitState:
    return GitState(commit=SHA, branch=branch, tags_at_head=tuple(at_head), all_tags=tuple(at_head) + tuple(others))


@pytest.mark.parametrize(
    "git, scope, expected",
    [
        pytest.param(state("main"), "ui", ("dev", "sha-0123456"), id="default-branch-dev-and-sha"),
        pytest.param(state("feature/x"), "ui", ("sha-0123456",), id="other-branch-sha-only"),
        pytest.param(state(None), "ui", ("sha-0123456",), id="detached-head-sha-only"),
        pytest.param(state(None, ["v1.2.3"]), "ui", ("v1.2.3", "v1.2", "v1", "latest"), id="first-release"),
        pytest.param(state("main", ["v1.2.3"]), "ui", ("v1.2.3", "v1.2", "v1", "latest"), id="release-on-main-no-dev"),
        pytest.param(state(None, ["v1.2.3"], ["v2.0.0"]), "ui", ("v1.2.3", "v1.2", "v1"), id="older-major-no-latest"),
        pytest.param(state(None, ["v1.2.5"], ["v1.3.0"]), "ui", ("v1.2.5", "v1.2"), id="backport-moves-only-its-minor"),
        pytest.param(state(None, ["v1.3.1"], ["v1.3.0", "v1.2.9"]), "ui", ("v1.3.1", "v1.3", "v1", "latest"), id="patch-on-top"),
        pytest.param(state(None, ["v2.1.0-rc.1"], ["v2.0.0"]), "ui", ("v2.1.0-rc.1",), id="prerelease-own-tag-only"),
        pytest.param(state(None, ["v2.0.0"], ["v2.1.0-rc.1"]), "ui", ("v2.0.0", "v2.0", "v2", "latest"), id="prerelease-does-not-block-latest"),
        pytest.param(state(None, ["v1.10.0"], ["v1.9.0"]), "ui", ("v1.10.0", "v1.10", "v1", "latest"), id="numeric-not-lexical"),
        pytest.param(state(None, ["ui/v1.4.0"]), "ui", ("v1.4.0", "v1.4", "v1", "latest"), id="scoped-tag-tags-its-image"),
        pytest.param(state("main", ["ui/v1.4.0"]), "receiver", ("dev", "sha-0123456"), id="scoped-tag-ignored-by-others"),
        pytest.param(state(None, ["ui/v1.4.0"], ["receiver/v3.0.0"]), "ui", ("v1.4.0", "v1.4", "v1", "latest"), id="other-scopes-not-compared"),
        pytest.param(state(None, ["ui/v1.4.0"], ["ui/v1.5.0"]), "ui", ("v1.4.0", "v1.4"), id="own-scope-compared"),
        pytest.param(state("main", ["1.2.3", "release-5", "v1.2"]), "ui", ("dev", "sha-0123456"), id="non-semver-tags-ignored"),
        pytest.param(state(None, ["v1.2.3+build.5"]), "ui", ("v1.2.3_build.5", "v1.2", "v1", "latest"), id="build-metadata-after-an-underscore"),
    ],
)
def test_image_tags(git: GitState, scope: str, expected: tuple) -> None:
    assert image_tags(git, TagPolicy(), scope) == expected


def test_branch_tag_and_default_branch_are_configurable() -> None:
    policy = TagPolicy(default_branch="trunk", branch_tag="edge")
    assert image_tags(state("trunk"), policy, "ui") == ("edge", "sha-0123456")
    assert image_tags(state("main"), policy, "ui") == ("sha-0123456",)


@pytest.mark.parametrize(
    "git, scope, expected",
    [
        pytest.param(state(None, ["v1.2.3"]), "ui", "1.2.3", id="drops-the-v"),
        pytest.param(state(None, ["v2.1.0-rc.1"]), "ui", "2.1.0-rc.1", id="pre-release"),
        pytest.param(state(None, ["ui/v1.4.0"]), "tinyolly", None, id="other-scope"),
        pytest.param(state(None, ["ui/v1.4.0"]), "ui", "1.4.0", id="own-scope"),
        pytest.param(state("main"), "ui", None, id="no-version-tag"),
        pytest.param(state(None, ["v2.0.0", "v2.0.0-rc.2"]), "ui", "2.0.0", id="release-over-the-rc-it-promotes"),
        pytest.param(state(None, ["v2.0.0-rc.2", "v2.0.0-rc.10"]), "ui", "2.0.0-rc.10", id="numeric-pre-release-order"),
        pytest.param(state(None, ["v1.10.0", "v1.9.0"]), "ui", "1.10.0", id="numeric-not-lexical"),
        pytest.param(state(None, ["ui/v1.4.0", "v1.2.0"]), "ui", "1.4.0", id="scoped-and-unscoped-highest"),
        pytest.param(state(None, ["v1.2.3+b", "v1.2.3+a"]), "ui", "1.2.3+a", id="equal-precedence-first-by-name"),
    ],
)
def test_chart_version_is_the_highest_release_at_head(git: GitState, scope: str, expected: Optional[str]) -> None:
    assert chart_version(git, scope) == expected


@pytest.mark.parametrize("repository, scope", [("tinyolly/ui", "ui"), ("demo", "demo"), ("a/b/c", "c")])
def test_scope_is_last_repository_part(repository: str, scope: str) -> None:
    assert scope_of(repository) == scope


# The valid versions listed with semver.org's suggested regular expression (SemVer 2.0 FAQ).
SEMVER_ORG_VALID = [
    "0.0.4", "1.2.3", "10.20.30", "1.1.2-prerelease+meta", "1.1.2+meta", "1.1.2+meta-valid",
    "1.0.0-alpha", "1.0.0-beta", "1.0.0-alpha.beta", "1.0.0-alpha.beta.1", "1.0.0-alpha.1",
    "1.0.0-alpha0.valid", "1.0.0-alpha.0valid", "1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay",
    "1.0.0-rc.1+build.1", "2.0.0-rc.1+build.123", "1.2.3-beta", "10.2.3-DEV-SNAPSHOT", "1.2.3-SNAPSHOT-123",
    "1.0.0", "2.0.0", "1.1.7", "2.0.0+build.1848", "2.0.1-alpha.1227", "1.0.0-alpha+beta",
    "1.2.3----RC-SNAPSHOT.12.9.1--.12+788", "1.2.3----R-S.12.9.1--.12+meta", "1.2.3----RC-SNAPSHOT.12.9.1--.12",
    "1.0.0+0.build.1-rc.10000aaa-kk-0.1", "99999999999999999999999.999999999999999999.99999999999999999",
    "1.0.0-0A.is.legal",
]


@pytest.mark.parametrize("version", SEMVER_ORG_VALID)
def test_every_valid_semver_release_gives_tags_a_registry_accepts(version: str) -> None:
    tags = image_tags(state(None, [f"v{version}"]), TagPolicy(), "ui")
    assert tags[0] == f"v{version}".replace("+", "_")
    assert [t for t in tags if tag_problem(t) is not None] == []
    assert chart_version(state(None, [f"v{version}"]), "ui") == version
    assert tag_problem(oci_tag(version)) is None
    assert tag_problems(tags, [version], TagPolicy()) == []


def test_a_branch_tag_no_registry_accepts_is_named_with_its_option() -> None:
    policy = TagPolicy(branch_tag="feature/x")
    [problem] = tag_problems(image_tags(state("main"), policy, "ui"), (), policy)
    assert "'feature/x'" in problem and "`[release].branch_tag`" in problem


def test_a_version_too_long_for_a_tag_is_named() -> None:
    version = "1.0.0-" + "a" * 130
    problems = tag_problems(image_tags(state(None, [f"v{version}"]), TagPolicy(), "ui"), [version], TagPolicy())
    assert len(problems) == 2
    assert "image tag" in problems[0] and "at most 128" in problems[0]
    assert f"chart version {version!r}" in problems[1] and "at most 128" in problems[1]


@pytest.mark.parametrize("version, tag", [("1.2.3", "1.2.3"), ("1.2.3+build.5", "1.2.3_build.5"), ("1.0.0-rc.1+a.b", "1.0.0-rc.1_a.b")])
def test_oci_tag_stores_build_metadata_after_an_underscore(version: str, tag: str) -> None:
    assert oci_tag(version) == tag


@pytest.mark.parametrize(
    "git, warned",
    [
        pytest.param(GitState(SHA, None, ("v1.2.5",), ("v1.2.5",), shallow=True), True, id="shallow-version-tag"),
        pytest.param(GitState(SHA, None, ("ui/v1.2.5",), ("ui/v1.2.5",), shallow=True), True, id="shallow-scoped-version-tag"),
        pytest.param(GitState(SHA, "main", (), (), shallow=True), False, id="shallow-no-version-tag"),
        pytest.param(GitState(SHA, None, ("nightly",), ("nightly",), shallow=True), False, id="shallow-other-tag"),
        pytest.param(GitState(SHA, None, ("v1.2.5",), ("v1.2.5", "v1.3.0")), False, id="full-clone"),
    ],
)
def test_a_shallow_clone_is_warned_about_only_when_a_version_tag_is_at_head(git: GitState, warned: bool) -> None:
    assert (shallow_clone_warning(git) is not None) == warned
