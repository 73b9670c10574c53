"""Parsed Dockerfile + build context -> the files the build reads and the images it needs.

The resolver replays what BuildKit (the builder behind `docker build`) does with a Dockerfile,
without running anything:

- Automatic platform ARGs (TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT, BUILDPLATFORM,
  BUILDOS, BUILDARCH, BUILDVARIANT) and the ARGs before the first FROM form the global scope,
  which only FROM lines see. Inside a stage an ARG is visible after `ARG NAME` declares it;
  without a default it takes the global value. A build arg overrides the value of a declared
  ARG (and of an automatic platform ARG), never creates one. ENV and ARG values live in one
  environment per stage, in instruction order; a stage built `FROM` another stage starts with
  that stage's environment (BuildKit copies the parent's state).
- BuildKit builds only the target stage (default: the last) and what it depends on: its FROM
  parent stage, stages named by `COPY --from` (by name, case-insensitively, or by index; a name
  may refer to a later stage) and by `RUN --mount from=`. Other stages are skipped, and so are
  the files they would copy. Each requested platform can pick different stages (`FROM
  base-$TARGETARCH`), so the answer is the union over platforms.
- COPY/ADD sources are relative to the context root (`./a`, `/a` and `a` are the same path).
  A source without wildcards must exist in the context after .dockerignore; a directory copies
  every file under it. A source with wildcards (`*`, `?`, `[...]`) is matched one path segment
  at a time with Go's filepath.Match rules, below its wildcard-free directory prefix.
- `COPY --from=...`, heredoc sources, `ADD` of URLs and git repositories read nothing from the
  context. `RUN --mount=type=bind` without `from=` reads its `source` (default: the whole
  context). BuildKit does not substitute variables in `--from` or `--mount from=`; it rejects them.

Empty wildcard matches: BuildKit copies with `AllowEmptyWildcard`, so a wildcard that matches
nothing is not an error on its own, even when it is the only source of the instruction
(`COPY *.nothing /dst/` succeeds and copies nothing). What does fail is a wildcard whose
wildcard-free directory is missing from the context (`COPY missing/*.txt /dst/` fails with
"lstat missing: no such file or directory", moby/buildkit#2933), even when another source of the
same COPY matched. We follow that: a missing prefix directory is an error, an empty match with
an existing directory is a warning in `ResolvedDockerfile.warnings`.

Where we are stricter or kinder than BuildKit, on purpose:
- a source with `..` that climbs out of the context is an error (BuildKit silently reads the
  path from the context root instead, which is never what the author meant);
- `FROM Build` names the stage `build` (BuildKit would look for an image "Build", an invalid
  reference), since stage names are otherwise case-insensitive.
"""

from __future__ import annotations

import csv
import re
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import (
    Collection,
    Dict,
    FrozenSet,
    Iterable,
    List,
    Mapping,
    Optional,
    Sequence,
    Set,
    Tuple,
)

from shipyard.dockerfile.dockerignore import DockerIgnore
from shipyard.dockerfile.instructions import DockerfileError, Instruction, ParsedDockerfile
from shipyard.dockerfile.parser import is_heredoc_marker
from shipyard.dockerfile.paths import (
    BadPattern,
    context_relative,
    segment_regex,
    split_wildcards,
)
from shipyard.dockerfile.substitution import (
    Expansion,
    ShellLexError,
    expand_word,
    has_substitution,
)

KIND_FROM = "from"
KIND_COPY_FROM = "copy_from"
KIND_MOUNT_FROM = "mount_from"

ORIGIN_CONTEXT = "context"
ORIGIN_STAGE = "stage"
ORIGIN_IMAGE = "image"
ORIGIN_REMOTE = "remote"
ORIGIN_HEREDOC = "heredoc"

DEFAULT_BUILD_PLATFORM = "linux/amd64"

_SCRATCH = "scratch"
_REMOTE_PREFIXES = ("http://", "https://", "git://", "ssh://", "git@")
_INT_RE = re.compile(r"[+-]?\d+")
_MOUNT_TYPES = ("bind", "cache", "tmpfs", "secret", "ssh")


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class StageInfo:
    """One FROM stage of the Dockerfile.

    `base` is the FROM reference after substitution (for the first requested platform; `bases`
    lists every distinct value over all platforms). `base_stage` is the index of the stage it is
    built from, if it names an earlier stage. `used` is True when the build runs the stage for at
    least one platform.
    """

    index: int
    name: Optional[str]
    base: str
    line: int
    used: bool
    base_stage: Optional[int] = None
    bases: Tuple[str, ...] = ()

    @property
    def label(self) -> str:
        """The stage's name, or `stage-N` for an unnamed stage (BuildKit's naming)."""
        return self.name or f"stage-{self.index}"


@dataclass(frozen=True)
class ImageRef:
    """An external image a used stage needs.

    `kind` is "from" (a FROM base), "copy_from" (`COPY --from=<image>`) or "mount_from"
    (`RUN --mount from=<image>`). `platform` is the FROM `--platform` value after substitution
    (None when absent or for the other kinds); `target_platforms` the requested platforms whose
    build needs the image.
    """

    reference: str
    kind: str
    line: int
    stage: str
    stage_index: int
    platform: Optional[str] = None
    target_platforms: Tuple[str, ...] = ()


@dataclass(frozen=True)
class CopySource:
    """One COPY/ADD source or bind-mount source of a used stage, for explain/peek output.

    `source` is the text as written, `expanded` after substitution. `origin` says where the
    build reads it from: "context" (then `files` lists the context files it matched), "stage"
    or "image" (then `from_ref` names it), "remote" (ADD of a URL or git repository) or
    "heredoc" (inline content).
    """

    line: int
    stage: str
    keyword: str
    source: str
    expanded: str
    origin: str
    files: Tuple[str, ...] = ()
    from_ref: Optional[str] = None


@dataclass(frozen=True)
class ResolvedDockerfile:
    """What a build of the Dockerfile reads from its context and which images it needs.

    - `copied_files`: context-relative paths the build reads, after .dockerignore.
    - `stages`: every stage, with whether the build uses it.
    - `image_refs`: external images the used stages need, in Dockerfile order.
    - `copy_trace`: every COPY/ADD/mount source of the used stages and what it matched.
    - `target`: the label of the stage that is built.
    - `platforms`: the target platforms resolved (normalized, e.g. "linux/arm/v7").
    - `referenced_variables`: variables looked up while substituting (used stages + FROM lines);
      `unset_variables` those that were not set at the time.
    - `warnings`: things that are legal but probably unintended (a wildcard matching nothing).
    """

    path: str
    copied_files: FrozenSet[str]
    stages: Tuple[StageInfo, ...]
    image_refs: Tuple[ImageRef, ...]
    copy_trace: Tuple[CopySource, ...]
    target: str
    platforms: Tuple[str, ...]
    referenced_variables: FrozenSet[str] = frozenset()
    unset_variables: FrozenSet[str] = frozenset()
    warnings: Tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------
# Platforms


_ARCH_ALIASES = {"x86_64": "amd64", "x86-64": "amd64", "aarch64": "arm64", "i386": "386", "armhf": "arm", "armel": "arm"}


def normalize_platform(text: str) -> Tuple[str, str, str]:
    """(os, arch, variant) of a platform string, normalized like containerd does.

    "linux/amd64" -> ("linux", "amd64", ""); "linux/arm" -> ("linux", "arm", "v7");
    "linux/aarch64/v8" -> ("linux", "arm64", ""). Raises ValueError for malformed input.
    """
    parts = [p.strip().lower() for p in text.strip().split("/")]
    if not text.strip() or len(parts) > 3 or any(p == "" for p in parts):
        raise ValueError(f"invalid platform {text!r}: expected os/arch[/variant], e.g. linux/arm64")
    if len(parts) == 1:
        parts = ["linux", parts[0]]
    os_name = "darwin" if parts[0] == "macos" else parts[0]
    raw_arch = parts[1]
    variant = parts[2] if len(parts) == 3 else ""
    arch = _ARCH_ALIASES.get(raw_arch, raw_arch)
    if raw_arch == "armhf" and not variant:
        variant = "v7"
    if raw_arch == "armel" and not variant:
        variant = "v6"
    if arch == "amd64" and variant == "v1":
        variant = ""
    if arch == "arm64" and variant in ("8", "v8", "v8.0"):
        variant = ""
    if arch == "arm":
        if variant in ("", "7"):
            variant = "v7"
        elif variant in ("5", "6", "8"):
            variant = "v" + variant
    return os_name, arch, variant


def format_platform(os_name: str, arch: str, variant: str) -> str:
    """"os/arch" or "os/arch/variant"."""
    return f"{os_name}/{arch}/{variant}" if variant else f"{os_name}/{arch}"


def platform_args(target: str, build: str = DEFAULT_BUILD_PLATFORM) -> Dict[str, str]:
    """The automatic ARGs BuildKit defines for a target platform and a build platform."""
    t_os, t_arch, t_var = normalize_platform(target)
    b_os, b_arch, b_var = normalize_platform(build)
    return {
        "TARGETPLATFORM": format_platform(t_os, t_arch, t_var),
        "TARGETOS": t_os,
        "TARGETARCH": t_arch,
        "TARGETVARIANT": t_var,
        "BUILDPLATFORM": format_platform(b_os, b_arch, b_var),
        "BUILDOS": b_os,
        "BUILDARCH": b_arch,
        "BUILDVARIANT": b_var,
    }


# ---------------------------------------------------------------------------------------------
# The build context


class _Context:
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
        cached = self._under_cache.get(directory)
        if cached is None:
            lo, hi = self._range(directory)
            cached = self.sorted[lo:hi] if self.ignore is None else self.ignore.kept(self.sorted[lo:hi])
            self._under_cache[directory] = cached
        return cached

    def has_files_under(self, directory: str) -> bool:
        lo, hi = self._range(directory)
        return any(self.included(self.sorted[i]) for i in range(lo, hi))

    def is_file(self, path: str) -> bool:
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


# ---------------------------------------------------------------------------------------------
# Stage structure (platform independent)


@dataclass
class _Stage:
    index: int
    name: Optional[str]
    from_ins: Instruction
    body: List[Instruction]


@dataclass(frozen=True)
class _Mount:
    type: str
    source: str
    from_: Optional[str]
    raw: str


@dataclass(frozen=True)
class _Dep:
    """Where a COPY --from or a mount reads from: a stage (index) or an external image."""

    stage: Optional[int]
    image: Optional[str]


def _split_stages(parsed: ParsedDockerfile) -> Tuple[List[Instruction], List[_Stage]]:
    global_args: List[Instruction] = []
    stages: List[_Stage] = []
    for ins in parsed.instructions:
        if ins.keyword == "FROM":
            name = ins.arguments[2].lower() if len(ins.arguments) == 3 else None
            stages.append(_Stage(len(stages), name, ins, []))
        elif stages:
            stages[-1].body.append(ins)
        else:
            global_args.append(ins)  # the parser allows only ARG before the first FROM
    return global_args, stages


def _parse_mount(raw: str, path: str, ins: Instruction) -> Dict[str, str]:
    """The key=value fields of one `--mount` value (CSV, keys lower-cased)."""
    try:
        fields = next(csv.reader([raw], skipinitialspace=False), [])
    except csv.Error as e:
        raise DockerfileError(path, ins.line, f"cannot read --mount={raw}: {e}", "write --mount=type=bind,source=...,target=...", ins.original) from None
    out: Dict[str, str] = {}
    for item in fields:
        key, eq, value = item.partition("=")
        key = key.strip().lower()
        if not eq:
            if key in ("readonly", "ro", "readwrite", "rw", "required"):
                out[key] = "true"
                continue
            raise DockerfileError(
                path, ins.line, f"invalid --mount field {item!r}: must be a key=value pair", "write --mount=type=bind,source=...,target=...", ins.original
            )
        out[key] = value
    return out


# ---------------------------------------------------------------------------------------------
# The resolver


# The index's public name, for callers that keep one to share between resolutions.
ContextIndex = _Context


def index_context(context_files: Collection[str], dockerignore: Optional[DockerIgnore]) -> ContextIndex:
    """Indexes a build context once, for every `resolve_dockerfile(context_index=...)` sharing it.

    Building the index costs time linear in the context's size; images built from one context
    (e.g. the repository root) with one `.dockerignore` can share it instead of each building it.
    """
    return _Context(context_files, dockerignore)


def resolve_dockerfile(
    parsed: ParsedDockerfile,
    *,
    context_files: Collection[str] = (),
    context_index: Optional[ContextIndex] = None,
    build_args: Optional[Mapping[str, str]] = None,
    target_stage: Optional[str] = None,
    platforms: Sequence[str] = (),
    dockerignore: Optional[DockerIgnore] = None,
    build_platform: str = DEFAULT_BUILD_PLATFORM,
    context_dir_label: str = ".",
) -> ResolvedDockerfile:
    """Work out what building `parsed` reads from its context and which images it needs.

    `context_files` lists every file in the build context (POSIX paths relative to the context
    root, before .dockerignore); `dockerignore` is the ignore file that applies, if any. Or pass
    `context_index` from `index_context` (files and ignore file together) to share one index.
    `platforms` are the target platforms (default: the build platform, "linux/amd64" unless
    `build_platform` says otherwise). `context_dir_label` names the context in messages (e.g. the
    repo-relative directory). Raises DockerfileError for what `docker build` would reject.
    """
    return _Resolver(
        parsed,
        context_files=context_files,
        context_index=context_index,
        build_args=dict(build_args or {}),
        target_stage=target_stage,
        platforms=tuple(platforms) or (build_platform,),
        dockerignore=dockerignore,
        build_platform=build_platform,
        context_dir_label=context_dir_label,
    ).run()


@dataclass
class _Accumulator:
    """Results gathered over all platforms, de-duplicated, in first-seen order."""

    files: Set[str] = field(default_factory=set)
    used: Set[int] = field(default_factory=set)
    bases: Dict[int, List[str]] = field(default_factory=dict)
    base_stage: Dict[int, Optional[int]] = field(default_factory=dict)
    refs: Dict[Tuple[str, str, int, int, Optional[str]], List[str]] = field(default_factory=dict)
    trace: Dict[Tuple[int, str, str, str, Optional[str]], CopySource] = field(default_factory=dict)
    referenced: Set[str] = field(default_factory=set)
    unset: Set[str] = field(default_factory=set)
    warnings: List[str] = field(default_factory=list)

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def add_ref(self, reference: str, kind: str, line: int, stage: int, platform: Optional[str], target: str) -> None:
        seen = self.refs.setdefault((reference, kind, line, stage, platform), [])
        if target not in seen:
            seen.append(target)


class _Resolver:
    def __init__(
        self,
        parsed: ParsedDockerfile,
        *,
        context_files: Collection[str],
        context_index: Optional[_Context],
        build_args: Dict[str, str],
        target_stage: Optional[str],
        platforms: Tuple[str, ...],
        dockerignore: Optional[DockerIgnore],
        build_platform: str,
        context_dir_label: str,
    ) -> None:
        self.parsed = parsed
        self.path = parsed.path
        self.escape = parsed.escape
        self.build_args = build_args
        self.label = context_dir_label
        if context_index is not None:
            dockerignore = context_index.ignore
        self.ignore = dockerignore
        self.context = context_index if context_index is not None else _Context(context_files, dockerignore)
        self.platforms = platforms
        self.build_platform = build_platform
        self.global_args, self.stages = _split_stages(parsed)
        self.by_name: Dict[str, int] = {}
        for stage in self.stages:
            if stage.name is not None:
                self.by_name[stage.name] = stage.index  # a repeated name refers to the last stage, as in BuildKit
        self.target = self._find_target(target_stage)
        self.acc = _Accumulator()

    # -- errors ---------------------------------------------------------------------------------
    def error(self, ins: Instruction, message: str, hint: str) -> DockerfileError:
        return DockerfileError(self.path, ins.line, message, hint, ins.original)

    def _label(self, index: int) -> str:
        stage = self.stages[index]
        return stage.name or f"stage-{index}"

    # -- setup ----------------------------------------------------------------------------------
    def _find_target(self, target_stage: Optional[str]) -> int:
        if not target_stage:
            return len(self.stages) - 1
        index = self.by_name.get(target_stage.lower())
        if index is None:
            names = ", ".join(s.name for s in self.stages if s.name) or "(no stage has a name)"
            raise DockerfileError(
                self.path,
                0,
                f"target stage {target_stage!r} could not be found; the stages are: {names}",
                "set the oci_image target_stage field to one of the stage names (the word after AS in a FROM line)",
            )
        return index

    def _normalized_platforms(self) -> List[str]:
        out: List[str] = []
        for text in self.platforms:
            try:
                formatted = format_platform(*normalize_platform(text))
            except ValueError as e:
                raise DockerfileError(self.path, 0, str(e), "write platforms as os/arch[/variant], e.g. linux/amd64") from None
            if formatted not in out:
                out.append(formatted)
        try:
            normalize_platform(self.build_platform)
        except ValueError as e:
            raise DockerfileError(self.path, 0, str(e), "write the build platform as os/arch, e.g. linux/amd64") from None
        return out

    # -- substitution ---------------------------------------------------------------------------
    def expand(self, ins: Instruction, word: str, env: Mapping[str, str]) -> str:
        try:
            result: Expansion = expand_word(word, env, self.escape)
        except ShellLexError as e:
            raise self._lex_error(ins, word, e) from None
        self.acc.referenced.update(result.referenced)
        self.acc.unset.update(result.unset)
        return result.value

    def _lex_error(self, ins: Instruction, word: str, err: ShellLexError) -> DockerfileError:
        text = str(err)
        if "quote" in text and ins.keyword in ("COPY", "ADD") and not ins.json_form:
            hint = (
                "Docker splits shell-form COPY/ADD arguments on whitespace before removing quotes, so a quoted "
                'path with spaces falls apart; use the JSON form, e.g. COPY ["my file.txt", "/dest/"]'
            )
        elif "not allowed to be" in text or ":" in text.split(" ")[0]:
            name = text.split(":")[0]
            hint = f"pass {name} in the oci_image build_args, or give it a default with ARG {name}=<value>"
        else:
            hint = "fix the substitution; Docker supports $VAR, ${VAR}, ${VAR:-default}, ${VAR:+alt}, ${VAR-default} and ${VAR+alt}"
        return self.error(ins, f"cannot substitute variables in {word!r}: {text}", hint)

    # -- dependencies (platform independent) ------------------------------------------------------
    def _from_dep(self, ins: Instruction, value: str, what: str) -> _Dep:
        if has_substitution(value, self.escape):
            raise self.error(
                ins,
                f"variable expansion is not supported in {what} ({value!r})",
                f"define a stage from the global ARG instead, e.g. 'ARG IMG=...' before the first FROM, "
                f"'FROM ${{IMG}} AS src', then {what.split('=')[0]}=src",
            )
        if _INT_RE.fullmatch(value) and what == "--from":
            index = int(value)
            if index < 0 or index >= len(self.stages):
                raise self.error(
                    ins,
                    f"invalid stage index {index} in --from (the Dockerfile has {len(self.stages)} stages, numbered from 0)",
                    "use the index or, better, the name of a stage defined with FROM ... AS <name>",
                )
            return _Dep(index, None)
        named = self.by_name.get(value.lower())
        if named is not None:
            return _Dep(named, None)
        return _Dep(None, value)

    def _mounts(self, ins: Instruction) -> List[_Mount]:
        mounts: List[_Mount] = []
        for raw in ins.flag_values("mount"):
            fields = _parse_mount(raw, self.path, ins)
            kind = fields.get("type", "bind").lower()
            if kind not in _MOUNT_TYPES:
                raise self.error(ins, f"unsupported mount type {kind!r}", f"use one of: {', '.join(_MOUNT_TYPES)}")
            source = fields.get("source", fields.get("src", ""))
            mounts.append(_Mount(kind, source, fields.get("from"), raw))
        return mounts

    def _dependencies(self) -> Dict[int, Dict[int, Instruction]]:
        """Per stage: the stages it reads via COPY --from / mounts, with the instruction doing it."""
        deps: Dict[int, Dict[int, Instruction]] = {s.index: {} for s in self.stages}
        for stage in self.stages:
            for ins in stage.body:
                if ins.keyword == "COPY" and ins.flag("from"):
                    dep = self._from_dep(ins, ins.flag("from") or "", "--from")
                    if dep.stage is not None:
                        deps[stage.index].setdefault(dep.stage, ins)
                elif ins.keyword == "RUN":
                    for mount in self._mounts(ins):
                        if mount.from_:
                            dep = self._from_dep(ins, mount.from_, "--mount from=")
                            if dep.stage is not None:
                                deps[stage.index].setdefault(dep.stage, ins)
        self._check_cycles(deps)
        return deps

    def _check_cycles(self, deps: Dict[int, Dict[int, Instruction]]) -> None:
        visited: Set[int] = set()
        on_path: List[int] = []

        def visit(node: int) -> None:
            if node in visited:
                return
            visited.add(node)
            on_path.append(node)
            for dep, ins in deps[node].items():
                if dep in on_path:
                    cycle = " -> ".join(self._label(i) for i in on_path[on_path.index(dep) :] + [dep])
                    raise self.error(
                        ins,
                        f"circular dependency detected on stage: {self._label(dep)} ({cycle})",
                        "a stage cannot copy from itself or from a stage that copies from it; split the shared part into its own stage",
                    )
                visit(dep)
            on_path.pop()

        for stage in self.stages:
            visit(stage.index)

    # -- main -----------------------------------------------------------------------------------
    def run(self) -> ResolvedDockerfile:
        platforms = self._normalized_platforms()
        deps = self._dependencies()
        for platform in platforms:
            self._run_platform(platform, deps)

        stages = []
        for stage in self.stages:
            bases = tuple(self.acc.bases.get(stage.index, ()))
            stages.append(
                StageInfo(
                    index=stage.index,
                    name=stage.name,
                    base=bases[0] if bases else "",
                    line=stage.from_ins.line,
                    used=stage.index in self.acc.used,
                    base_stage=self.acc.base_stage.get(stage.index),
                    bases=bases,
                )
            )
        refs = [
            ImageRef(reference, kind, line, self._label(stage), stage, platform, tuple(targets))
            for (reference, kind, line, stage, platform), targets in self.acc.refs.items()
        ]
        refs.sort(key=lambda r: (r.line, r.kind, r.reference))
        trace = sorted(self.acc.trace.values(), key=lambda t: (t.line, t.source, t.expanded))
        return ResolvedDockerfile(
            path=self.path,
            copied_files=frozenset(self.acc.files),
            stages=tuple(stages),
            image_refs=tuple(refs),
            copy_trace=tuple(trace),
            target=self._label(self.target),
            platforms=tuple(platforms),
            referenced_variables=frozenset(self.acc.referenced),
            unset_variables=frozenset(self.acc.unset),
            warnings=tuple(self.acc.warnings),
        )

    def _global_scope(self, platform: str) -> Dict[str, Optional[str]]:
        scope: Dict[str, Optional[str]] = {}
        for key, value in platform_args(platform, self.build_platform).items():
            scope[key] = self.build_args.get(key, value)
        for ins in self.global_args:
            for key, default in ins.key_values:
                if key in self.build_args:
                    scope[key] = self.build_args[key]
                elif default is not None:
                    env = {k: (v or "") for k, v in scope.items()}
                    try:
                        scope[key] = self.expand(ins, default, env)
                    except DockerfileError:
                        # BuildKit ignores a substitution error in a global ARG default and uses "".
                        self.acc.warn(f"{self.path}:{ins.line}: cannot substitute variables in the default of ARG {key}; Docker uses an empty value")
                        scope[key] = ""
                else:
                    scope[key] = None
        return scope

    def _run_platform(self, platform: str, deps: Dict[int, Dict[int, Instruction]]) -> None:
        scope = self._global_scope(platform)
        from_env = {k: (v or "") for k, v in scope.items()}  # FROM sees declared-but-unset ARGs as ""

        base_of: Dict[int, Optional[int]] = {}
        base_text: Dict[int, str] = {}
        platform_flag: Dict[int, Optional[str]] = {}
        seen_names: Dict[str, int] = {}
        for stage in self.stages:
            ins = stage.from_ins
            written = ins.arguments[0]
            base = self.expand(ins, written, from_env)
            if base == "":
                missing = sorted(_variables_in(written, self.escape) - {k for k, v in from_env.items() if v})
                names = ", ".join(missing) or "the variable"
                raise self.error(
                    ins,
                    f"base name ({written}) should not be blank: it is empty after substitution",
                    f"set {names} in the oci_image build_args (e.g. build_args={{'{missing[0] if missing else 'BASE_IMAGE'}': '...'}}), "
                    f"or give a default with ARG {missing[0] if missing else 'NAME'}=<image> before the first FROM",
                )
            flag = ins.flag("platform")
            platform_flag[stage.index] = self.expand(ins, flag, from_env) if flag else None
            base_text[stage.index] = base
            parent = seen_names.get(base.lower())
            base_of[stage.index] = parent
            if stage.name is not None:
                seen_names[stage.name] = stage.index
            bases = self.acc.bases.setdefault(stage.index, [])
            if base not in bases:
                bases.append(base)
            if parent is not None:
                self.acc.base_stage[stage.index] = parent

        reachable: Set[int] = set()
        pending = [self.target]
        while pending:
            node = pending.pop()
            if node in reachable:
                continue
            reachable.add(node)
            if base_of[node] is not None:
                pending.append(base_of[node])  # type: ignore[arg-type]
            pending.extend(deps[node])
        self.acc.used.update(reachable)

        final_env: Dict[int, Dict[str, str]] = {}
        for stage in self.stages:
            if stage.index not in reachable:
                continue
            parent = base_of[stage.index]
            if parent is None:
                if base_text[stage.index].lower() != _SCRATCH:
                    self.acc.add_ref(base_text[stage.index], KIND_FROM, stage.from_ins.line, stage.index, platform_flag[stage.index], platform)
                env: Dict[str, str] = {}
            else:
                env = dict(final_env[parent])
            self._run_stage(stage, env, scope, platform)
            final_env[stage.index] = env

    # -- one stage ------------------------------------------------------------------------------
    def _run_stage(self, stage: _Stage, env: Dict[str, str], scope: Mapping[str, Optional[str]], platform: str) -> None:
        for ins in stage.body:
            k = ins.keyword
            if k == "ARG":
                for key, default in ins.key_values:
                    name = self.expand(ins, key, env)
                    value = self.expand(ins, default, env) if default is not None else None
                    if name in self.build_args:
                        value = self.build_args[name]
                    elif value is None:
                        value = scope.get(name)
                    if value is not None:
                        env[name] = value
            elif k == "ENV":
                assignments = [(self.expand(ins, key, env), self.expand(ins, value or "", env)) for key, value in ins.key_values]
                env.update(assignments)
            elif k == "LABEL":
                for key, value in ins.key_values:
                    self.expand(ins, key, env)
                    self.expand(ins, value or "", env)
            elif k in ("WORKDIR", "USER", "STOPSIGNAL", "EXPOSE", "VOLUME"):
                for word in ins.arguments:
                    self.expand(ins, word, env)
            elif k in ("COPY", "ADD"):
                self._copy(stage, ins, env, platform)
            elif k == "RUN":
                self._run_mounts(stage, ins, env, platform)

    def _copy(self, stage: _Stage, ins: Instruction, env: Mapping[str, str], platform: str) -> None:
        label = self._label(stage.index)
        from_value = ins.flag("from") if ins.keyword == "COPY" else None
        dep = self._from_dep(ins, from_value, "--from") if from_value else None
        excludes = [self.expand(ins, p, env) for p in ins.flag_values("exclude")]
        if from_value and dep is not None and dep.image is not None and dep.image.lower() != _SCRATCH:
            self.acc.add_ref(dep.image, KIND_COPY_FROM, ins.line, stage.index, None, platform)

        for written in ins.arguments[:-1]:
            if is_heredoc_marker(written) is not None:
                # BuildKit treats every `<<NAME` source as inline content (empty without a body).
                self._trace(ins, label, written, written, ORIGIN_HEREDOC)
                continue
            value = self.expand(ins, written, env)
            if dep is not None:
                if dep.stage is not None:
                    self._trace(ins, label, written, value, ORIGIN_STAGE, from_ref=self._label(dep.stage))
                else:
                    self._trace(ins, label, written, value, ORIGIN_IMAGE, from_ref=dep.image)
                continue
            lowered = value.lower()
            if lowered.startswith(("http://", "https://")) and ins.keyword == "COPY":
                raise self.error(ins, f"COPY source {value!r} is a URL; COPY reads only the build context", "use ADD to download a URL, or download it in a RUN step")
            if ins.keyword == "ADD" and lowered.startswith(_REMOTE_PREFIXES):
                self._trace(ins, label, written, value, ORIGIN_REMOTE)
                continue
            # An instruction whose sources all match nothing is not an error by itself: see the
            # module docstring (BuildKit copies with AllowEmptyWildcard).
            files = self._context_source(ins, written, value, excludes)
            self._trace(ins, label, written, value, ORIGIN_CONTEXT, files=tuple(files))

    def _context_source(self, ins: Instruction, written: str, value: str, excludes: Sequence[str]) -> List[str]:
        rel, escapes = context_relative(value)
        if escapes:
            raise self.error(
                ins,
                f"{ins.keyword} source {written!r} points outside the build context {self.label!r}",
                "Docker can only read files inside the context (BuildKit would silently read "
                f"{rel.lstrip('./') or '.'!r} from the context root instead); widen the oci_image context field "
                "or move the file into the context",
            )
        prefix, wild = split_wildcards(rel)
        if not wild:
            files = self.context.literal(rel) if rel else self.context.files_under("")
            if not files and rel:
                raise self._not_found(ins, written, rel)
            roots = [rel]
        else:
            if prefix and not self.context.is_file(prefix) and not self.context.has_files_under(prefix):
                raise self.error(
                    ins,
                    f"{ins.keyword} source {written!r}: directory {prefix!r} does not exist in the build context {self.label!r}",
                    "BuildKit fails with 'no such file or directory' when the directory before a wildcard is missing; "
                    "check the path, the oci_image context field and .dockerignore, or make the directory part a wildcard too",
                )
            try:
                files, roots = self.context.glob(prefix, wild)
            except BadPattern as e:
                raise self.error(ins, f"bad wildcard in {ins.keyword} source {written!r}: {e}", "close every [ and do not end a pattern with \\") from None
            if not files:
                self.acc.warn(
                    f"{self.path}:{ins.line}: {ins.keyword} source {written!r} matched no files in the build context "
                    f"{self.label!r}; Docker copies nothing for it"
                )
        if excludes and files:
            files = _apply_excludes(files, roots, prefix if wild else None, excludes, self.path, ins)
        self.acc.files.update(files)
        return files

    def _not_found(self, ins: Instruction, written: str, rel: str) -> DockerfileError:
        ignored_by = None
        if self.ignore is not None:
            candidates = [rel] if self.context.is_file(rel) else self.context.sorted[slice(*self.context._range(rel))][:1]
            for candidate in candidates:
                pattern = self.ignore.deciding_pattern(candidate)
                if pattern is not None and not pattern.exclusion:
                    ignored_by = f"{self.ignore.path}:{pattern.line} ({pattern.pattern!r})"
        if ignored_by:
            return self.error(
                ins,
                f"{ins.keyword} source {written!r} is excluded from the build context {self.label!r} by {ignored_by}",
                f"remove the pattern from {self.ignore.path if self.ignore else '.dockerignore'} or add an exception line '!{rel}'",
            )
        hint = (
            "paths are relative to the build context, not to the Dockerfile; check the oci_image context field "
            "and .dockerignore, and the spelling of the path"
        )
        parts = rel.split("/")
        for cut in range(1, len(parts)):
            shorter = "/".join(parts[cut:])
            if self.context.literal(shorter):
                hint = (
                    f"the context has {shorter!r}: the source seems written relative to a parent directory of "
                    f"the context; write {shorter!r} or set the oci_image context field to the directory the path starts from"
                )
                break
        return self.error(ins, f"{ins.keyword} source {written!r} was not found in the build context {self.label!r}", hint)

    def _run_mounts(self, stage: _Stage, ins: Instruction, env: Mapping[str, str], platform: str) -> None:
        label = self._label(stage.index)
        for mount in self._mounts(ins):
            source = self.expand(ins, mount.source, env) if mount.source else ""
            if mount.from_:
                dep = self._from_dep(ins, mount.from_, "--mount from=")
                if dep.image is not None:
                    if dep.image.lower() != _SCRATCH:
                        self.acc.add_ref(dep.image, KIND_MOUNT_FROM, ins.line, stage.index, None, platform)
                    self._trace(ins, label, mount.raw, source, ORIGIN_IMAGE, from_ref=dep.image)
                elif dep.stage is not None:
                    self._trace(ins, label, mount.raw, source, ORIGIN_STAGE, from_ref=self._label(dep.stage))
                continue
            if mount.type != "bind":
                continue
            rel, escapes = context_relative(source)
            if escapes:
                raise self.error(ins, f"--mount source {source!r} points outside the build context {self.label!r}", "mount a path inside the context, or widen the oci_image context field")
            files = self.context.literal(rel) if rel else self.context.files_under("")
            if rel and not files:
                raise self.error(
                    ins,
                    f"--mount source {source!r} was not found in the build context {self.label!r}",
                    "the source of a bind mount without from= is relative to the build context; check the path, "
                    "the oci_image context field and .dockerignore",
                )
            self.acc.files.update(files)
            self._trace(ins, label, mount.raw, rel or ".", ORIGIN_CONTEXT, files=tuple(files))

    def _trace(
        self,
        ins: Instruction,
        stage_label: str,
        written: str,
        expanded: str,
        origin: str,
        *,
        files: Tuple[str, ...] = (),
        from_ref: Optional[str] = None,
    ) -> None:
        key = (ins.line, written, expanded, origin, from_ref)
        if key not in self.acc.trace:
            self.acc.trace[key] = CopySource(ins.line, stage_label, ins.keyword, written, expanded, origin, tuple(sorted(files)), from_ref)


def _variables_in(word: str, escape: str) -> FrozenSet[str]:
    try:
        return expand_word(word, {}, escape).referenced
    except ShellLexError:
        return frozenset()


def _apply_excludes(
    files: Iterable[str],
    roots: Sequence[str],
    glob_base: Optional[str],
    patterns: Sequence[str],
    path: str,
    ins: Instruction,
) -> List[str]:
    """Drop files matched by COPY/ADD --exclude patterns.

    Patterns are matched relative to what is being copied: for a wildcard source, to the
    directory before the wildcard; for a directory source, to that directory; for a single file,
    to its name. When unsure we keep the file (over-reporting a dependency is harmless).
    """
    try:
        matcher = DockerIgnore.from_patterns(patterns, f"{path}:{ins.line} --exclude")
    except DockerfileError as e:
        raise DockerfileError(path, ins.line, e.message, "fix the --exclude pattern", ins.original) from None
    kept: List[str] = []
    for f in files:
        if glob_base is not None:
            base = glob_base
        else:
            root = next((r for r in roots if f == r or f.startswith(r + "/")), "")
            base = root if f != root else root.rpartition("/")[0]
        rel = f[len(base) + 1 :] if base else f
        if not matcher.excludes(rel):
            kept.append(f)
    return kept
