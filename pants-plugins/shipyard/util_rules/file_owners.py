"""Which file-level targets own a set of files, found in one pass instead of Pants' `Owners` rule.

`Get(Owners, OwnersRequest(...))` matches every candidate target against every file, which turns
quadratic for images that copy thousands of files (see shared/notes/exact-ownership.md). Here the
candidate targets come from one ancestor-glob query over the files' directories, and generated
(single-file) targets are looked up by path in a dict.
"""

from __future__ import annotations

import fnmatch
import posixpath
from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable

from pants.base.specs import AncestorGlobSpec, RawSpecsWithoutFileOwners
from pants.engine.addresses import Address
from pants.engine.fs import GlobMatchErrorBehavior
from pants.engine.internals.build_files import BuildFileOptions
from pants.engine.rules import Get, Rule, collect_rules, rule
from pants.engine.target import SingleSourceField, SourcesField, Targets
from pants.util.frozendict import FrozenDict


def is_build_file(path: str, build_file_options: BuildFileOptions) -> bool:
    """Whether `path` is a BUILD file by `[GLOBAL].build_patterns` (Pants' metadata, not a source)."""
    return any(fnmatch.fnmatchcase(posixpath.basename(path), p) for p in build_file_options.patterns)


@dataclass(frozen=True)
class FileOwnersRequest:
    """Files (build-root-relative paths) whose owning targets are wanted."""

    files: tuple[str, ...]
    description_of_origin: str


@dataclass(frozen=True)
class FileOwners:
    """The owners of each requested file; files no target owns are listed in `unowned`.

    BUILD files are Pants' own metadata, never owned by a target: they are listed apart. (Editing
    one marks the targets it declares as changed.)
    """

    owners: FrozenDict[str, tuple[Address, ...]]
    unowned: tuple[str, ...]
    build_files: tuple[str, ...] = ()

    def addresses(self, *, excluding: Iterable[Address] = ()) -> frozenset[Address]:
        """Every owner of every file, without the given addresses (e.g. the requesting target)."""
        excluded = set(excluding)
        return frozenset(a for addrs in self.owners.values() for a in addrs if a not in excluded)


@rule(desc="Find the targets owning copied and packaged files")
async def find_file_owners(request: FileOwnersRequest, build_file_options: BuildFileOptions) -> FileOwners:
    """Looks up the owners of `request.files` among the targets resident in their directories."""
    build_files = sorted(f for f in set(request.files) if is_build_file(f, build_file_options))
    files = sorted(set(request.files).difference(build_files))
    if not files:
        return FileOwners(FrozenDict(), (), tuple(build_files))
    directories = sorted({posixpath.dirname(f) for f in files})
    candidates = await Get(
        Targets,
        RawSpecsWithoutFileOwners(
            ancestor_globs=tuple(AncestorGlobSpec(directory=d) for d in directories),
            description_of_origin=request.description_of_origin,
            unmatched_glob_behavior=GlobMatchErrorBehavior.ignore,
        ),
    )

    owners: dict[str, list[Address]] = defaultdict(list)
    multi_source_targets = []
    wanted = set(files)
    for target in candidates:
        if not target.has_field(SourcesField):
            continue
        sources = target[SourcesField]
        if isinstance(sources, SingleSourceField):
            if sources.value is not None and sources.file_path in wanted:
                owners[sources.file_path].append(target.address)
        else:
            multi_source_targets.append(target)
    for target in multi_source_targets:
        for path in target[SourcesField].filespec_matcher.matches(files):
            owners[path].append(target.address)

    return FileOwners(
        owners=FrozenDict({f: tuple(sorted(set(owners[f]))) for f in files if owners.get(f)}),
        unowned=tuple(f for f in files if not owners.get(f)),
        build_files=tuple(build_files),
    )


class UnownedFilesError(Exception):
    """Files an image copies or a chart packages that no target owns (their changes would be lost)."""

    @classmethod
    def create(cls, consumer: str, files_with_reasons: Iterable[tuple[str, str]], fix: str) -> UnownedFilesError:
        listed = "\n".join(f"  {path}  ({reason})" for path, reason in files_with_reasons)
        return cls(
            f"{consumer} uses files that no target owns, so `--changed-since` could not see changes "
            f"to them:\n{listed}\n{fix}"
        )


def rules() -> Iterable[Rule]:
    return collect_rules()
