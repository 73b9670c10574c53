"""Which tags an artifact gets from the state of git, like docker/metadata-action's defaults.

* On a version tag `vX.Y.Z` at HEAD: `vX.Y.Z`, `vX.Y`, `vX` and `latest`. `vX.Y` moves only if
  this is the highest release of X.Y, `vX` only if the highest of X, `latest` only if the
  highest release of all: a backport `v1.2.5` after `v1.3.0` moves `v1.2` and nothing else.
* A pre-release `vX.Y.Z-rc.1` gets only its own tag: it never moves `vX.Y`, `vX` or `latest`.
* Build metadata (`v1.2.3+build.5`) is kept, after a `_`: an OCI tag cannot hold `+`, and Helm
  stores a chart version's `+` as `_` too (`v1.2.3_build.5`, chart tag `1.2.3_build.5`).
* A path-scoped version tag `<scope>/vX.Y.Z` (`ui/v1.4.0`) tags only the artifacts of that scope
  and is compared only with that scope's versions (and the unscoped ones).
* On the default branch: the branch tag (`dev` by default, e.g. `edge`) and `sha-<7 hex>`.
* Anywhere else (other branches, a detached HEAD without a version tag): `sha-<7 hex>` only.

Charts use the highest of those versions, without the `v` (`chart_version`).

Plain Python: nothing here knows about Pants.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Optional

from shipyard.image_ref import tag_problem
from shipyard.publish.semver import Version

# A release tag is a full SemVer 2.0 version with a `v` (metadata-action's `type=semver`).
_RELEASE = re.compile(
    r"v(?P<version>(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)\.(?:0|[1-9][0-9]*)"
    r"(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)"
)


@dataclass(frozen=True)
class GitState:
    """What the tags depend on: HEAD's commit, its branch (None when detached), the git tags
    pointing at HEAD, every git tag of the repository (to know the highest release), and whether
    the clone is shallow."""

    commit: str
    branch: Optional[str]
    tags_at_head: tuple[str, ...]
    all_tags: tuple[str, ...]
    shallow: bool = False  # a shallow clone: `all_tags` may lack tags that were never fetched


@dataclass(frozen=True)
class TagPolicy:
    default_branch: str = "main"
    branch_tag: str = "dev"
    sha_length: int = 7


@dataclass(frozen=True)
class _Release:
    scope: Optional[str]  # None for an unscoped `vX.Y.Z`
    text: str  # as the tag writes it, without scope: `v1.4.0`
    version: Version


def _release(git_tag: str) -> Optional[_Release]:
    scope, _, name = git_tag.rpartition("/")
    match = _RELEASE.fullmatch(name)
    if match is None:
        return None
    return _Release(scope or None, name, Version.parse(match.group("version")))


def _releases(tags: Iterable[str], scope: Optional[str]) -> list[_Release]:
    """The release tags that apply to an artifact of `scope`: unscoped ones and its own."""
    found = (_release(t) for t in tags)
    return [r for r in found if r is not None and (r.scope is None or r.scope == scope)]


def _is_highest(version: Version, others: Iterable[Version]) -> bool:
    return all(version.compare(o) >= 0 for o in others if not o.prerelease)


def version_tags(release: _Release, known: list[_Release]) -> list[str]:
    """The tags one release gives: itself, and the floating ones it is the highest of."""
    v = release.version
    tags = [oci_tag(release.text)]
    if v.prerelease:
        return tags
    versions = [r.version for r in known]
    if _is_highest(v, (o for o in versions if (o.major, o.minor) == (v.major, v.minor))):
        tags.append(f"v{v.major}.{v.minor}")
    if _is_highest(v, (o for o in versions if o.major == v.major)):
        tags.append(f"v{v.major}")
    if _is_highest(v, versions):
        tags.append("latest")
    return tags


def oci_tag(version: str) -> str:
    """A SemVer version as an OCI tag holds it: `+` (not allowed in a tag) becomes `_`, as Helm
    does when it pushes a chart."""
    return version.replace("+", "_")


def image_tags(state: GitState, policy: TagPolicy, scope: Optional[str] = None) -> tuple[str, ...]:
    """The tags an image of `scope` gets for `state` (order: most specific first, no duplicates)."""
    sha = f"sha-{state.commit[: policy.sha_length]}"
    at_head = _releases(state.tags_at_head, scope)
    if at_head:
        known = _releases(state.all_tags, scope)
        tags = [t for r in at_head for t in version_tags(r, known)]
        return tuple(dict.fromkeys(tags))
    if state.branch is not None and state.branch == policy.default_branch:
        return (policy.branch_tag, sha)
    return (sha,)


def chart_version(state: GitState, scope: Optional[str] = None) -> Optional[str]:
    """The SemVer version (without `v`) a chart of `scope` is published as: the highest release
    tag at HEAD that applies to it (`v2.0.0` over the `v2.0.0-rc.2` it promotes; of two equal in
    precedence, the first by name). None when HEAD has none (the chart keeps its Chart.yaml
    version)."""
    found = sorted(_releases(state.tags_at_head, scope), key=lambda r: r.text)
    if not found:
        return None
    highest = found[0]
    for release in found[1:]:
        if release.version.compare(highest.version) > 0:
            highest = release
    return highest.text[1:]


def shallow_clone_warning(state: GitState) -> Optional[str]:
    """What a shallow clone risks when HEAD has a version tag: the higher releases it never fetched
    are unknown, so `latest`, `vX` or `vX.Y` could move back to this one. None otherwise."""
    at_head = [t for t in state.tags_at_head if _release(t) is not None]
    if not state.shallow or not at_head:
        return None
    return (
        f"this clone is shallow, and git knows only the tags that were fetched ({len(state.all_tags)}): "
        f"{', '.join(at_head)} at HEAD may move `latest`, `vX` and `vX.Y` back from a higher release "
        "git cannot see. Fetch every tag before releasing (`git fetch --tags`; actions/checkout: "
        "`fetch-depth: 0`)."
    )


def tag_problems(image_tags: Iterable[str], chart_versions: Iterable[str], policy: TagPolicy) -> list[str]:
    """Why a registry would refuse a tag the run is about to move, naming where the tag comes
    from, so the run can stop before it pushes anything: an empty list when all are valid."""
    problems = []
    for tag in dict.fromkeys(image_tags):
        reason = tag_problem(tag)
        if reason is None:
            continue
        if tag == policy.branch_tag:
            problems.append(f"the branch tag {tag!r} (`[release].branch_tag`) cannot be an image tag: {reason}.")
        else:
            problems.append(f"the image tag {tag!r}, from a version tag at HEAD, cannot be pushed: {reason}.")
    for version in dict.fromkeys(chart_versions):
        reason = tag_problem(oci_tag(version))
        if reason is not None:
            problems.append(f"the chart version {version!r}, from a version tag at HEAD, cannot be pushed: {reason}.")
    return problems


def scope_of(repository: str) -> str:
    """An image's scope for path-scoped version tags: the last part of its repository
    (`tinyolly/ui` → `ui`, so `ui/v1.4.0` tags it)."""
    return repository.rsplit("/", 1)[-1]
