"""The build context's files after .dockerignore, indexed for the queries COPY sources need."""

from __future__ import annotations

from bisect import bisect_left
from typing import Collection, Dict, List, Optional, Sequence, Set, Tuple

from shipyard.dockerfile.dockerignore import DockerIgnore
from shipyard.dockerfile.paths import context_relative, segment_regex


class ContextIndex:
    """The context's files after .dockerignore, indexed for prefix and directory queries.

    A sorted list answers "every file under d/" with two binary searches, and the entries of a
    directory (for wildcard walks) by jumping from one child to the next. .dockerignore is applied lazily (memoized per file), so
    a build that copies ten files out of 50,000 tests ten.
    """

    def __init__(self, files: Collection[str], ignore: Optional[DockerIgnore]) -> None:
        paths: Set[str] = set()
        for f in files:
            rel, escapes = context_relative(f)
            if rel and not escapes:
                paths.add(rel)
        self.paths = paths
        self.sorted = sorted(paths)
        self.ignore = ignore
        self._included: Dict[str, bool] = {}
        self._children_cache: Dict[str, Dict[str, bool]] = {}
        self._under_cache: Dict[str, List[str]] = {}

    def included(self, path: str) -> bool:
        """Whether .dockerignore keeps `path` in the context."""
        if self.ignore is None:
            return True
        known = self._included.get(path)
        if known is None:
            known = not self.ignore.excludes(path)
            self._included[path] = known
        return known

    def _range(self, directory: str) -> Tuple[int, int]:
        if directory == "":
            return 0, len(self.sorted)
        # Every "d/..." sorts between "d/" and "d0" because "0" follows "/".
        return bisect_left(self.sorted, directory + "/"), bisect_left(self.sorted, directory + "0")

    def files_under(self, directory: str) -> List[str]:
        """Every file under `directory` ("" for the root) that .dockerignore keeps."""
        cached = self._under_cache.get(directory)
        if cached is None:
            lo, hi = self._range(directory)
            cached = self.sorted[lo:hi] if self.ignore is None else self.ignore.kept(self.sorted[lo:hi])
            self._under_cache[directory] = cached
        return cached

    def all_under(self, directory: str) -> List[str]:
        """Every file under `directory`, .dockerignore or not."""
        lo, hi = self._range(directory)
        return self.sorted[lo:hi]

    def has_files_under(self, directory: str) -> bool:
        """Whether .dockerignore keeps at least one file under `directory`."""
        lo, hi = self._range(directory)
        return any(self.included(self.sorted[i]) for i in range(lo, hi))

    def is_file(self, path: str) -> bool:
        """Whether `path` is a file of the context (before .dockerignore)."""
        return path in self.paths

    def literal(self, path: str) -> List[str]:
        """Files a wildcard-free source reads (empty when it does not exist after .dockerignore)."""
        if path in self.paths:
            return [path] if self.included(path) else []
        return self.files_under(path)

    def _children(self, directory: str) -> Dict[str, bool]:
        """Immediate entries of `directory` (name -> is a directory), by skip-scanning the sorted list."""
        cached = self._children_cache.get(directory)
        if cached is not None:
            return cached
        lo, hi = self._range(directory)
        prefix = directory + "/" if directory else ""
        entries: Dict[str, bool] = {}
        i = lo
        while i < hi:
            rest = self.sorted[i][len(prefix) :]
            slash = rest.find("/")
            if slash < 0:
                entries[rest] = False
                i += 1
            else:
                name = rest[:slash]
                entries[name] = True
                i = bisect_left(self.sorted, prefix + name + "0", i, hi)  # jump past everything under name/
        self._children_cache[directory] = entries
        return entries

    def glob(self, prefix: str, segments: Sequence[str]) -> Tuple[List[str], List[str]]:
        """(files, matched roots) for `prefix/segments...` where segments hold wildcards.

        A directory matched by the last segment contributes every file under it; a matched
        entry is a root for --exclude matching.
        """
        files: List[str] = []
        roots: List[str] = []
        regexes = [segment_regex(s) for s in segments]

        def walk(directory: str, depth: int) -> None:
            last = depth == len(regexes) - 1
            for name, is_dir in sorted(self._children(directory).items()):
                if regexes[depth].match(name) is None:
                    continue
                full = f"{directory}/{name}" if directory else name
                if last:
                    found = self.files_under(full) if is_dir else ([full] if self.included(full) else [])
                    if found:
                        files.extend(found)
                        roots.append(full)
                elif is_dir:
                    walk(full, depth + 1)

        walk(prefix, 0)
        return files, roots
