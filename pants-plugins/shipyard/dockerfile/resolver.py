"""Parsed Dockerfile + build context -> the files the build reads and the images it needs.

The resolver replays what BuildKit (the builder behind `docker build`) does with a Dockerfile,
without running anything:

- Automatic platform ARGs (TARGETPLATFORM, TARGETOS, TARGETARCH, TARGETVARIANT, BUILDPLATFORM,
  BUILDOS, BUILDARCH, BUILDVARIANT) and the ARGs before the first FROM form the global scope,
  which only FROM lines see. Inside a stage an ARG is visible after `ARG NAME` declares it;
  without a default it takes the global value. A build arg overrides the value of a declared
  ARG (and of an automatic platform ARG), never creates one. ENV and ARG values live in one
  environment per stage, in instruction order; a stage built `FROM` another stage starts with
  that stage's environment (BuildKit copies the parent's state), and one built FROM an image
  whose ENV and ONBUILD triggers are known (`base_exports`: the repo's own images) starts with
  that image's ENV and runs its triggers first; a stage built FROM a stage runs that stage's
  ONBUILD instructions. Triggers read the child's context and are reported at its FROM line.
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

import re
from dataclasses import dataclass, field, replace
from typing import (
    Callable,
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

from shipyard.dockerfile.context_index import ContextIndex
from shipyard.dockerfile.dockerignore import DockerIgnore
from shipyard.dockerfile.instructions import DockerfileError, Instruction, ParsedDockerfile
from shipyard.dockerfile.parser import is_heredoc_marker, parse_dockerfile
from shipyard.dockerfile.paths import BadPattern, context_relative, split_wildcards
from shipyard.dockerfile.platforms import (
    DEFAULT_BUILD_PLATFORM,
    InvalidPlatformError,
    canonical_platform,
    platform_args,
    platform_list,
)
from shipyard.dockerfile.resolved import (
    KIND_COPY_FROM,
    KIND_FROM,
    KIND_MOUNT_FROM,
    ORIGIN_CONTEXT,
    ORIGIN_HEREDOC,
    ORIGIN_IMAGE,
    ORIGIN_REMOTE,
    ORIGIN_STAGE,
    CopySource,
    ImageExport,
    ImageRef,
    OnbuildTrigger,
    ResolvedDockerfile,
    StageInfo,
)
from shipyard.dockerfile.stages import Stage, StageGraph
from shipyard.dockerfile.substitution import Expansion, ShellLexError, expand_word

_SCRATCH = "scratch"
_REMOTE_PREFIXES = ("http://", "https://", "git://", "ssh://", "git@")


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
    unlisted_reason: Optional[Callable[[str], Optional[Tuple[str, str]]]] = None,
    base_exports: Optional[Mapping[Tuple[str, str], ImageExport]] = None,
) -> ResolvedDockerfile:
    """Work out what building `parsed` reads from its context and which images it needs.

    `context_files` lists every file in the build context (POSIX paths relative to the context
    root, before .dockerignore); `dockerignore` is the ignore file that applies, if any. Or pass
    `context_index` (a `ContextIndex` holding both) to share one index between resolutions.
    `platforms` are the target platforms (default: the build platform, "linux/amd64" unless
    `build_platform` says otherwise; InvalidPlatformError for a malformed one). `context_dir_label` names the context in messages (e.g. the
    repo-relative directory). `unlisted_reason`, given a context-relative path that is missing
    from `context_files`, may return (why the caller could not list it though it exists, e.g.
    "Pants ignores it", and the fix); a "not found" error then says that instead.
    `base_exports` maps (FROM reference, platform) of images built elsewhere (the repo's own
    images) to what they hand down: a stage FROM one starts with its ENV and runs its ONBUILD
    triggers first, against this Dockerfile's context, as BuildKit does. Raises DockerfileError for what
    `docker build` would reject.
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
        unlisted_reason=unlisted_reason,
        base_exports=base_exports or {},
    ).run()


@dataclass
class _Accumulator:
    """Results gathered over all platforms, de-duplicated, in first-seen order."""

    files: Set[str] = field(default_factory=set)
    empty_dirs: Set[str] = field(default_factory=set)
    used: Set[int] = field(default_factory=set)
    bases: Dict[int, List[str]] = field(default_factory=dict)
    base_stage: Dict[int, Optional[int]] = field(default_factory=dict)
    refs: Dict[Tuple[str, str, int, int, Optional[str]], List[str]] = field(default_factory=dict)
    trace: Dict[Tuple[int, str, str, str, Optional[str]], CopySource] = field(default_factory=dict)
    referenced: Set[str] = field(default_factory=set)
    unset: Set[str] = field(default_factory=set)
    warnings: List[str] = field(default_factory=list)
    exports: List[ImageExport] = field(default_factory=list)

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
        context_index: Optional[ContextIndex],
        build_args: Dict[str, str],
        target_stage: Optional[str],
        platforms: Tuple[str, ...],
        dockerignore: Optional[DockerIgnore],
        build_platform: str,
        context_dir_label: str,
        unlisted_reason: Optional[Callable[[str], Optional[Tuple[str, str]]]] = None,
        base_exports: Mapping[Tuple[str, str], ImageExport] = {},
    ) -> None:
        self.parsed = parsed
        self.path = parsed.path
        self.escape = parsed.escape
        self.build_args = build_args
        self.label = context_dir_label
        self.unlisted_reason = unlisted_reason
        self.base_exports = base_exports
        if context_index is not None:
            dockerignore = context_index.ignore
        self.ignore = dockerignore
        self.context = context_index if context_index is not None else ContextIndex(context_files, dockerignore)
        self.platforms = platforms
        self.build_platform = build_platform
        self.graph = StageGraph(parsed)
        self.global_args, self.stages = self.graph.global_args, self.graph.stages
        self.target = self.graph.find_target(target_stage)
        self.acc = _Accumulator()

    # -- errors ---------------------------------------------------------------------------------
    def error(self, ins: Instruction, message: str, hint: str) -> DockerfileError:
        return DockerfileError(self.path, ins.line, message, hint, ins.original)

    def _label(self, index: int) -> str:
        return self.graph.label(index)

    # -- setup ----------------------------------------------------------------------------------
    def _normalized_platforms(self) -> List[str]:
        # Not the Dockerfile's fault: the error names the argument (the rule layer validates the
        # [oci] options and the platforms field before they get here).
        canonical_platform(self.build_platform)
        return list(platform_list(self.platforms, "The requested platforms"))

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

    # -- main -----------------------------------------------------------------------------------
    def run(self) -> ResolvedDockerfile:
        platforms = self._normalized_platforms()
        deps = self.graph.dependencies()
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
            copied_empty_dirs=frozenset(self.acc.empty_dirs),
            stages=tuple(stages),
            image_refs=tuple(refs),
            copy_trace=tuple(trace),
            target=self._label(self.target),
            platforms=tuple(platforms),
            referenced_variables=frozenset(self.acc.referenced),
            unset_variables=frozenset(self.acc.unset),
            warnings=tuple(self.acc.warnings),
            exports=tuple(self.acc.exports),
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
                    # A substitution error here fails the build in BuildKit, like anywhere else.
                    scope[key] = self.expand(ins, default, env)
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
            platform_flag[stage.index] = self._from_platform(ins, flag, from_env) if flag else None
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
        final_exported: Dict[int, Dict[str, str]] = {}
        for stage in self.stages:
            if stage.index not in reachable:
                continue
            parent = base_of[stage.index]
            triggers: Sequence[OnbuildTrigger] = ()
            if parent is None:
                base = base_text[stage.index]
                if base.lower() != _SCRATCH:
                    self.acc.add_ref(base, KIND_FROM, stage.from_ins.line, stage.index, platform_flag[stage.index], platform)
                inherited = self.base_exports.get((base, platform_flag[stage.index] or platform))
                env: Dict[str, str] = dict(inherited.env) if inherited else {}
                exported = dict(env)
                triggers = inherited.onbuild if inherited else ()
            else:
                env = dict(final_env[parent])
                exported = dict(final_exported[parent])
                # BuildKit also runs the ONBUILD instructions of a stage used as a base.
                triggers = self._own_triggers(self.stages[parent])
            body = [self._trigger_instruction(stage, t) for t in triggers] + list(stage.body)
            self._run_stage(stage, body, env, exported, scope, platform)
            final_env[stage.index] = env
            final_exported[stage.index] = exported
        target = self.stages[self.target]
        self.acc.exports.append(ImageExport(platform, tuple(sorted(final_exported[self.target].items())), self._own_triggers(target)))

    def _own_triggers(self, stage: Stage) -> Tuple[OnbuildTrigger, ...]:
        return tuple(OnbuildTrigger(self.path, ins.line, ins.args_text, self.escape) for ins in stage.body if ins.keyword == "ONBUILD")

    def _trigger_instruction(self, stage: Stage, trigger: OnbuildTrigger) -> Instruction:
        """An ONBUILD trigger as an instruction of `stage`, located at its FROM line (as BuildKit
        reports it) and quoted with the base's file and line."""
        directive = "# escape=`\n" if trigger.escape == "`" else ""
        try:
            parsed = parse_dockerfile(f"{directive}FROM scratch\n{trigger.text}\n", trigger.path)
        except DockerfileError as e:
            raise DockerfileError(trigger.path, trigger.line, f"cannot read the ONBUILD trigger: {e.message}", e.hint, f"ONBUILD {trigger.text}") from None
        ins = parsed.instructions[-1]
        line = stage.from_ins.line
        return replace(ins, line=line, end_line=line, original=f"ONBUILD {trigger.text}    (from {trigger.path}:{trigger.line}, run by the FROM on this line)")

    def _from_platform(self, ins: Instruction, flag: str, env: Mapping[str, str]) -> str:
        """The `FROM --platform` value, substituted and normalized; an error here, with the line,
        rather than when the build pulls the base."""
        value = self.expand(ins, flag, env)
        try:
            return canonical_platform(value)
        except InvalidPlatformError:
            shown = repr(flag) if value == flag else f"{flag!r} (= {value!r})"
            hint = "write e.g. --platform=linux/arm64, or --platform=$BUILDPLATFORM for a stage that runs on the build machine"
            missing = sorted(n for n in _variables_in(flag, self.escape) if not env.get(n))
            if not value and missing:
                hint = f"{', '.join(missing)} has no value: set it in the oci_image build_args, or declare ARG {missing[0]}=<os/arch> before the first FROM"
            raise self.error(ins, f"invalid FROM --platform {shown}: expected os/arch[/variant]", hint) from None

    # -- one stage ------------------------------------------------------------------------------
    def _run_stage(
        self,
        stage: Stage,
        body: Sequence[Instruction],
        env: Dict[str, str],
        exported: Dict[str, str],
        scope: Mapping[str, Optional[str]],
        platform: str,
    ) -> None:
        """Runs `body` (the stage's instructions, after any ONBUILD triggers it inherits); `env`
        holds the ARG and ENV values substitution sees, `exported` the ENV values an image keeps."""
        for ins in body:
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
                exported.update(assignments)
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

    def _copy(self, stage: Stage, ins: Instruction, env: Mapping[str, str], platform: str) -> None:
        label = self._label(stage.index)
        from_value = ins.flag("from") if ins.keyword == "COPY" else None
        dep = self.graph.dep(ins, from_value, "--from") if from_value else None
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
            self._warn_unset(ins, written, value, env)
            # An instruction whose sources all match nothing is not an error by itself: see the
            # module docstring (BuildKit copies with AllowEmptyWildcard).
            files = self._context_source(ins, written, value, excludes)
            self._trace(ins, label, written, value, ORIGIN_CONTEXT, files=tuple(files))

    def _warn_unset(self, ins: Instruction, written: str, value: str, env: Mapping[str, str]) -> None:
        """Warns when a context path uses a variable with no value: `apps/${APP}/` then reads
        `apps//`, i.e. everything under `apps/`, which is legal but rarely meant."""
        names = sorted(n for n in _variables_in(written, self.escape) if n not in env and _plain_reference(written, n))
        if not names:
            return
        which = ", ".join(names)
        rel = context_relative(value)[0]
        if not rel:
            what = "the whole build context"
        elif self.context.all_under(rel):
            what = f"everything under {rel!r} in the build context"
        else:
            what = f"{rel!r} in the build context"
        self.acc.warn(
            f"{self.path}:{ins.line}: {ins.keyword} source {written!r} uses {which}, which has no value here, so it "
            f"reads {what} {self.label!r}. Declare it in "
            f"this stage (ARG {names[0]}) with a default (ARG {names[0]}=...) or set it in the oci_image build_args, "
            f"or write ${{{names[0]}:-...}}"
        )

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
                if not self._directory_of_ignored_files(rel):
                    raise self._not_found(ins, written, rel)
                # The directory is in the context, only its files are not: BuildKit copies it,
                # empty (its subdirectories too).
                self.acc.empty_dirs.update(self._kept_directories(rel))
                self.acc.warn(
                    f"{self.path}:{ins.line}: {ins.keyword} source {written!r}: every file under it is "
                    f"excluded by {self.ignore.path if self.ignore else '.dockerignore'}, so Docker copies "
                    "only empty directories"
                )
            roots = [rel]
        else:
            if prefix and not self.context.is_file(prefix) and not self.context.has_files_under(prefix):
                self._raise_if_unlisted(ins, written, prefix)
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

    def _directory_of_ignored_files(self, rel: str) -> bool:
        """Whether `rel` is a directory of the context that .dockerignore keeps, though it
        excludes every file under it."""
        return (
            self.ignore is not None
            and not self.context.is_file(rel)
            and bool(self.context.all_under(rel))
            and self.context.included(rel)
        )

    def _kept_directories(self, rel: str) -> Set[str]:
        """`rel` and the directories under it that .dockerignore keeps, found from the parents
        of the listed files (the listing holds files only); below an excluded one, none."""
        kept = {rel}
        for path in self.context.all_under(rel):
            chain = []
            directory = path.rsplit("/", 1)[0]
            while directory != rel:
                chain.append(directory)
                directory = directory.rsplit("/", 1)[0]
            for directory in reversed(chain):
                if not self.context.included(directory):
                    break
                kept.add(directory)
        return kept

    def _raise_if_unlisted(self, ins: Instruction, written: str, rel: str) -> None:
        """A located error when `rel` exists but the caller could not list it (see resolve_dockerfile)."""
        reason = self.unlisted_reason(rel) if self.unlisted_reason and rel else None
        if reason:
            why, fix = reason
            raise self.error(ins, f"{ins.keyword} source {written!r} is in the build context {self.label!r}, but {why}", fix)

    def _not_found(self, ins: Instruction, written: str, rel: str) -> DockerfileError:
        self._raise_if_unlisted(ins, written, rel)
        ignored_by = None
        if self.ignore is not None:
            candidates = [rel] if self.context.is_file(rel) else self.context.all_under(rel)[:1]
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

    def _run_mounts(self, stage: Stage, ins: Instruction, env: Mapping[str, str], platform: str) -> None:
        label = self._label(stage.index)
        for mount in self.graph.mounts(ins):
            source = self.expand(ins, mount.source, env) if mount.source else ""
            if mount.from_:
                dep = self.graph.dep(ins, mount.from_, "--mount from=")
                if dep.image is not None:
                    if dep.image.lower() != _SCRATCH:
                        self.acc.add_ref(dep.image, KIND_MOUNT_FROM, ins.line, stage.index, None, platform)
                    self._trace(ins, label, mount.raw, source, ORIGIN_IMAGE, from_ref=dep.image)
                elif dep.stage is not None:
                    self._trace(ins, label, mount.raw, source, ORIGIN_STAGE, from_ref=self._label(dep.stage))
                continue
            if mount.type != "bind":
                continue
            if mount.source:
                self._warn_unset(ins, mount.source, source, env)
            rel, escapes = context_relative(source)
            if escapes:
                raise self.error(ins, f"--mount source {source!r} points outside the build context {self.label!r}", "mount a path inside the context, or widen the oci_image context field")
            files = self.context.literal(rel) if rel else self.context.files_under("")
            if rel and not files:
                self._raise_if_unlisted(ins, source, rel)
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


def _plain_reference(word: str, name: str) -> bool:
    """Whether `word` uses `name` as `$NAME` or `${NAME}` (not `${NAME:-default}` and the like)."""
    return re.search(r"\$(?:\{" + re.escape(name) + r"\}|" + re.escape(name) + r"(?![A-Za-z0-9_]))", word) is not None


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
