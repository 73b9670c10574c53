"""A Dockerfile's stages and how they depend on each other (platform independent).

A stage is a FROM line and the instructions up to the next FROM. Stages depend on each other
through `COPY --from=<stage>` (by name, case-insensitively, or by index; a name may refer to a
later stage) and `RUN --mount from=<stage>`; a `--from` naming no stage is an external image.
BuildKit does not substitute variables in `--from` or `--mount from=`; it rejects them.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from typing import Dict, List, Optional, Set, Tuple

from shipyard.dockerfile.instructions import DockerfileError, Instruction, ParsedDockerfile
from shipyard.dockerfile.stage_typos import misspelt_stage
from shipyard.dockerfile.substitution import has_substitution

MOUNT_TYPES = ("bind", "cache", "tmpfs", "secret", "ssh")
_INT_RE = re.compile(r"[+-]?\d+")


@dataclass
class Stage:
    """One FROM line (`from_ins`) and the instructions of its stage (`body`)."""

    index: int
    name: Optional[str]
    from_ins: Instruction
    body: List[Instruction]


@dataclass(frozen=True)
class Mount:
    """One `RUN --mount=...`: its type, `source`, `from` and the flag value as written."""

    type: str
    source: str
    from_: Optional[str]
    raw: str


@dataclass(frozen=True)
class Dep:
    """Where a COPY --from or a mount reads from: a stage (index) or an external image."""

    stage: Optional[int]
    image: Optional[str]


def split_stages(parsed: ParsedDockerfile) -> Tuple[List[Instruction], List[Stage]]:
    """(global ARG instructions before the first FROM, stages)."""
    global_args: List[Instruction] = []
    stages: List[Stage] = []
    for ins in parsed.instructions:
        if ins.keyword == "FROM":
            name = ins.arguments[2].lower() if len(ins.arguments) == 3 else None
            stages.append(Stage(len(stages), name, ins, []))
        elif stages:
            stages[-1].body.append(ins)
        else:
            global_args.append(ins)  # the parser allows only ARG before the first FROM
    return global_args, stages


def parse_mount(raw: str, path: str, ins: Instruction) -> Dict[str, str]:
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


class StageGraph:
    """The stages of one Dockerfile, looked up by name or index, and their dependencies."""

    def __init__(self, parsed: ParsedDockerfile) -> None:
        self.path = parsed.path
        self.escape = parsed.escape
        self.global_args, self.stages = split_stages(parsed)
        self.by_name: Dict[str, int] = {}
        for stage in self.stages:
            if stage.name is None:
                continue
            first = self.by_name.get(stage.name)
            if first is not None:
                # BuildKit refuses the Dockerfile ("duplicate stage name"; build check DuplicateStageName).
                first_line = self.stages[first].from_ins.line
                raise self.error(
                    stage.from_ins,
                    f"stage `{stage.name}` defined twice, at lines {first_line} and {stage.from_ins.line}",
                    "stage names must be unique (case-insensitively); rename one of the stages and the "
                    "COPY --from / FROM lines that mean it",
                )
            self.by_name[stage.name] = stage.index

    def error(self, ins: Instruction, message: str, hint: str) -> DockerfileError:
        """A DockerfileError located at `ins`."""
        return DockerfileError(self.path, ins.line, message, hint, ins.original)

    def label(self, index: int) -> str:
        """The stage's name, or `stage-N` for an unnamed stage (BuildKit's naming)."""
        stage = self.stages[index]
        return stage.name or f"stage-{index}"

    def find_target(self, target_stage: Optional[str]) -> int:
        """The index of the stage to build: `target_stage` by name, else the last stage."""
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

    def dep(self, ins: Instruction, value: str, what: str) -> Dep:
        """What `--from=<value>` (`what` is "--from") or `--mount from=<value>` refers to."""
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
            return Dep(index, None)
        named = self.by_name.get(value.lower())
        if named is not None:
            return Dep(named, None)
        typo = misspelt_stage(value, self.by_name)
        if typo is not None:
            stage_line = self.stages[self.by_name[typo]].from_ins.line
            raise self.error(
                ins,
                f"{what.rstrip('=')} {value!r} names no stage; did you mean the stage {typo!r} (line {stage_line})?",
                f"write {typo}; if you do mean the image {value!r}, give it a tag ({value}:latest) "
                "so it is not taken for a misspelt stage",
            )
        return Dep(None, value)

    def mounts(self, ins: Instruction) -> List[Mount]:
        """The `--mount` flags of a RUN."""
        mounts: List[Mount] = []
        for raw in ins.flag_values("mount"):
            fields = parse_mount(raw, self.path, ins)
            kind = fields.get("type", "bind").lower()
            if kind not in MOUNT_TYPES:
                raise self.error(ins, f"unsupported mount type {kind!r}", f"use one of: {', '.join(MOUNT_TYPES)}")
            source = fields.get("source", fields.get("src", ""))
            mounts.append(Mount(kind, source, fields.get("from"), raw))
        return mounts

    def dependencies(self) -> Dict[int, Dict[int, Instruction]]:
        """Per stage: the stages it reads via COPY --from / mounts, with the instruction doing it.

        Raises DockerfileError for a cycle.
        """
        deps: Dict[int, Dict[int, Instruction]] = {s.index: {} for s in self.stages}
        for stage in self.stages:
            for ins in stage.body:
                if ins.keyword == "COPY" and ins.flag("from"):
                    dep = self.dep(ins, ins.flag("from") or "", "--from")
                    if dep.stage is not None:
                        deps[stage.index].setdefault(dep.stage, ins)
                elif ins.keyword == "RUN":
                    for mount in self.mounts(ins):
                        if mount.from_:
                            dep = self.dep(ins, mount.from_, "--mount from=")
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
                    cycle = " -> ".join(self.label(i) for i in on_path[on_path.index(dep) :] + [dep])
                    raise self.error(
                        ins,
                        f"circular dependency detected on stage: {self.label(dep)} ({cycle})",
                        "a stage cannot copy from itself or from a stage that copies from it; split the shared part into its own stage",
                    )
                visit(dep)
            on_path.pop()

        for stage in self.stages:
            visit(stage.index)
