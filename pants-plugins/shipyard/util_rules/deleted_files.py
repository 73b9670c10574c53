"""The files a `--changed-since` (or `--changed-diffspec`) run reports that no longer exist, and
the targets whose globs owned them.

Pants 2.17 maps a deleted file to the target generator whose `sources` globs match it, and nothing
depends on a generator, so deleting a file an image copies (or a chart packages) would change no
image. The inference rules ask for the deleted files under their build context or chart, and for
each one the Dockerfile would copy (or `helm package` would include) they depend, in that run, on
its owners: the image is then a dependent of a changed target, as it is for an edited file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterable

from pants.base.build_environment import get_buildroot
from pants.engine.addresses import Address, Addresses
from pants.engine.fs import DigestContents, GlobMatchErrorBehavior, PathGlobs
from pants.engine.internals.graph import Owners, OwnersRequest
from pants.engine.rules import Get, Rule, collect_rules, rule
from pants.engine.target import UnexpandedTargets
from pants.vcs.changed import Changed, ChangedOptions, DependentsOption
from pants.vcs.git import GitWorktreeRequest, MaybeGitWorktree

from shipyard.chart.helmignore import HelmIgnore, chart_files
from shipyard.source_text import decode_lossless
from shipyard.target_types import HelmChartMetadataField, OciImageDockerfileField


@dataclass(frozen=True)
class DeletedChangedFiles:
    """Build-root-relative paths among the run's changed files that are gone from the disk."""

    paths: tuple[str, ...]


@rule(desc="Find the deleted files among the changed files")
async def find_deleted_changed_files(changed: Changed) -> DeletedChangedFiles:
    """The files `[changed].since` / `diffspec` report (as Pants computes them) that no longer
    exist; none when neither option is set. Read from git once per run, like Pants' own."""
    if not (changed.since or changed.diffspec):
        return DeletedChangedFiles(())
    buildroot = get_buildroot()
    worktree = (await Get(MaybeGitWorktree, GitWorktreeRequest(subdir=buildroot))).git_worktree
    if worktree is None:
        return DeletedChangedFiles(())  # Pants itself refuses `--changed-since` outside git.
    options = ChangedOptions(changed.since, changed.diffspec, DependentsOption.NONE)
    # The disk, not the engine's view: a file Pants ignores is changed, not deleted.
    return DeletedChangedFiles(
        tuple(
            sorted(
                path
                for path in options.changed_files(worktree)
                if not os.path.lexists(os.path.join(buildroot, path))
            )
        )
    )


@dataclass(frozen=True)
class DeletedFilesUnderRequest:
    """A directory (build-root relative, "" for the root): a build context or a chart."""

    directory: str


@dataclass(frozen=True)
class DeletedFilesUnder:
    paths: tuple[str, ...]


@rule
async def deleted_files_under(request: DeletedFilesUnderRequest, deleted: DeletedChangedFiles) -> DeletedFilesUnder:
    """The deleted files under one directory. A rule of its own so that an image or chart whose
    directory lost nothing is not inferred again when the run's deleted files change."""
    prefix = f"{request.directory}/" if request.directory else ""
    return DeletedFilesUnder(tuple(p for p in deleted.paths if p.startswith(prefix)))


@dataclass(frozen=True)
class DeletedFileOwnersRequest:
    """Deleted files, and the image or chart asking (never its own dependency)."""

    paths: tuple[str, ...]
    requester: Address


@dataclass(frozen=True)
class DeletedFileOwners:
    addresses: tuple[Address, ...]


@rule(desc="Find the targets that owned deleted files")
async def find_deleted_file_owners(request: DeletedFileOwnersRequest) -> DeletedFileOwners:
    """The targets (generators, for a generated file) whose globs match the deleted files: the
    targets `--changed-since` reports for them. Images and charts are left out: one that owns a
    file by its own globs is already changed, and depending on it could close a cycle."""
    if not request.paths:
        return DeletedFileOwners(())
    owners = await Get(Owners, OwnersRequest(request.paths, filter_by_global_options=False))
    targets = await Get(UnexpandedTargets, Addresses(a for a in owners if a != request.requester))
    return DeletedFileOwners(
        tuple(
            sorted(
                t.address
                for t in targets
                if not t.has_field(OciImageDockerfileField) and not t.has_field(HelmChartMetadataField)
            )
        )
    )


@dataclass(frozen=True)
class DeletedChartFilesRequest:
    """A chart directory (build-root relative, "" for the root) and deleted files under it."""

    chart_dir: str
    paths: tuple[str, ...]


@dataclass(frozen=True)
class DeletedChartFiles:
    """The deleted files `helm package` would have put in the chart (not `.helmignore`d)."""

    paths: tuple[str, ...]


@rule(desc="Find the deleted files a chart packaged")
async def find_deleted_chart_files(request: DeletedChartFilesRequest) -> DeletedChartFiles:
    """Applies the chart's `.helmignore` (or Helm's default) to the deleted files under it."""
    prefix = f"{request.chart_dir}/" if request.chart_dir else ""
    under = [p for p in request.paths if p.startswith(prefix)]
    if not under:
        return DeletedChartFiles(())
    contents = await Get(
        DigestContents,
        PathGlobs([f"{prefix}.helmignore"], glob_match_error_behavior=GlobMatchErrorBehavior.ignore),
    )
    # Helm reads .helmignore as bytes: any byte is accepted.
    helmignore = HelmIgnore.parse(decode_lossless(contents[0].content), contents[0].path) if contents else None
    packaged = chart_files([p[len(prefix):] for p in under], helmignore)
    return DeletedChartFiles(tuple(p for p in under if p[len(prefix):] in packaged))


def rules() -> Iterable[Rule]:
    return (*collect_rules(), *Changed.rules())
