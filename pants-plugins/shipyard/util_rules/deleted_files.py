"""The files a `--changed-since` (or `--changed-diffspec`) run reports that no longer exist, and
the targets whose globs owned them (or own the new path of a renamed file).

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

from pants.engine.addresses import Address, Addresses
from pants.engine.internals.graph import Owners, OwnersRequest
from pants.engine.rules import Get, Rule, collect_rules, rule
from pants.engine.target import UnexpandedTargets
from pants.util.frozendict import FrozenDict
from pants.vcs.changed import Changed

from shipyard.target_types import HelmChartMetadataField, OciImageDockerfileField
from shipyard.util_rules.git_checkout import GitCheckoutRequest, MaybeGitCheckout


@dataclass(frozen=True)
class DeletedChangedFiles:
    """Build-root-relative paths that the run's changes removed and that are gone from the disk.

    A path git reports as renamed is listed here, and `renamed_to` maps it to the new path: Pants'
    `--changed-since` sees only the new path, so the image that copied the old one must depend on
    the new path's owner to be listed.
    """

    paths: tuple[str, ...]
    renamed_to: FrozenDict[str, str] = FrozenDict()


def parse_name_status(output: str) -> tuple[list[str], dict[str, str]]:
    """(deleted paths, {old path: new path} for renames) from `git diff --name-status -z` output.

    Fields end with NUL: a status, then one path, or two (old, new) for a rename (`R<score>`) or
    a copy (`C<score>`, which keeps the old path). With `-z` git writes paths as they are, unquoted.
    """
    deleted: list[str] = []
    renamed: dict[str, str] = {}
    fields = output.split("\0")
    i = 0
    while i < len(fields) and fields[i]:
        status = fields[i]
        if status[0] in "RC":
            if status[0] == "R":
                renamed[fields[i + 1]] = fields[i + 2]
            i += 3
        else:
            if status == "D":
                deleted.append(fields[i + 1])
            i += 2
    return deleted, renamed


@rule(desc="Find the deleted files among the changed files")
async def find_deleted_changed_files(changed: Changed) -> DeletedChangedFiles:
    """The files `[changed].since` / `diffspec` removed (deleted or renamed away, as Pants' own git
    commands see them) that no longer exist; none when neither option is set. Read from git
    once per run, like Pants' own."""
    if not (changed.since or changed.diffspec):
        return DeletedChangedFiles(())
    checkout = (await Get(MaybeGitCheckout, GitCheckoutRequest())).checkout
    if checkout is None:
        return DeletedChangedFiles(())  # Pants itself refuses `--changed-since` outside git.
    # The ranges Pants' `changed_files` / `changes_in` diff, with statuses instead of names only,
    # and paths relative to the build root, as Pants makes them.
    if changed.diffspec:
        commands = [["diff-tree", "--no-commit-id", "--name-status", "-z", "-r", "--relative", changed.diffspec]]
    else:
        commands = [
            ["diff", "--name-status", "-z", "--relative", "HEAD"],
            ["diff", "--name-status", "-z", "--relative", f"{changed.since}...HEAD"],
        ]
    deleted: set[str] = set()
    renamed_to: dict[str, str] = {}
    for command in commands:
        gone, moved = parse_name_status(checkout.run(*command))
        deleted.update(gone)
        renamed_to.update(moved)
    # The disk, not the engine's view: a file Pants ignores is changed, not deleted.
    return DeletedChangedFiles(
        tuple(
            sorted(
                path
                for path in {*deleted, *renamed_to}
                if not os.path.lexists(os.path.join(checkout.buildroot, path))
            )
        ),
        FrozenDict(sorted(renamed_to.items())),
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
async def find_deleted_file_owners(
    request: DeletedFileOwnersRequest, deleted: DeletedChangedFiles
) -> DeletedFileOwners:
    """The targets `--changed-since` reports for the deleted files: those whose globs match a
    deleted file (generators, for a generated file), or the owners of a renamed file's new path.
    Images and charts are left out: one that owns a file by its own globs is already changed,
    and depending on it could close a cycle."""
    if not request.paths:
        return DeletedFileOwners(())
    paths = tuple(sorted({deleted.renamed_to.get(p, p) for p in request.paths}))
    owners = await Get(Owners, OwnersRequest(paths, filter_by_global_options=False))
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


def rules() -> Iterable[Rule]:
    return (*collect_rules(), *Changed.rules())
