"""Points a Dockerfile's images (FROM lines, `COPY --from=<image>`, `RUN --mount=from=<image>`)
at images built or pinned in this run, keeping every line number.

The builder must build an image on the base built from this same run, never on a stale copy of
the base's published name in a daemon or registry, and on the external image's digest resolved
this run, never on whatever a moved tag points at. So each such reference is rewritten to the
name the image was loaded under; other lines are untouched and line numbers stay the same, so the
builder's errors still point at the user's Dockerfile lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

from shipyard.dockerfile.instructions import DockerfileError, ParsedDockerfile
from shipyard.source_text import split_lines


@dataclass(frozen=True)
class FromRewrite:
    """The image a FROM line should name, and the literal platform for its `--platform` flag."""

    reference: str
    platform: Optional[str] = None


def rewrite_from_lines(text: str, parsed: ParsedDockerfile, rewrites: Mapping[int, FromRewrite]) -> str:
    """Replaces the image of the FROM instruction starting at each given line.

    The stage name (`AS build`) is kept. A `--platform` flag is written with the rewrite's literal
    platform (builders differ in expanding `$BUILDPLATFORM`); without one, it is dropped. A FROM
    spread over several lines becomes one line followed by blank lines.
    """
    by_line = {ins.line: ins for ins in parsed.instructions}
    lines = split_lines(text, keep_ends=True)
    for line, rewrite in sorted(rewrites.items()):
        instruction = by_line.get(line)
        if instruction is None or instruction.keyword != "FROM":
            raise DockerfileError(parsed.path, line, "expected a FROM instruction on this line")
        flags = [f"--platform={rewrite.platform}"] if rewrite.platform else []
        stage = list(instruction.arguments[1:3]) if len(instruction.arguments) >= 3 else []
        replaced = " ".join(["FROM", *flags, rewrite.reference, *stage]) + "\n"
        span = instruction.end_line - instruction.line + 1
        lines[line - 1 : instruction.end_line] = [replaced] + ["\n"] * (span - 1)
    return "".join(lines)


_FLAG_RE = re.compile(r"(--from=|--mount=)(\S+)")


def swap_from_flags(text: str, mapping: Mapping[str, str]) -> str:
    """`text` with the images of its `--from=` and `--mount=...,from=` flags replaced per `mapping`."""

    def swap(match: "re.Match[str]") -> str:
        flag, value = match.group(1), match.group(2)
        if flag == "--from=":
            return flag + mapping.get(value, value)
        fields = value.split(",")
        for i, item in enumerate(fields):
            key, eq, ref = item.partition("=")
            if eq and key.strip().lower() == "from" and ref in mapping:
                fields[i] = f"{key}={mapping[ref]}"
        return flag + ",".join(fields)

    return _FLAG_RE.sub(swap, text)


def rewrite_from_flags(text: str, parsed: ParsedDockerfile, rewrites: Mapping[int, Mapping[str, str]]) -> str:
    """Replaces the image named by `COPY --from=<image>` or `RUN --mount=...,from=<image>` in the
    instruction starting at each given line (`{line: {image as written: replacement}}`).

    Only the flag's value changes, in place, so every line keeps its number. Stage names are
    never in the mappings, so `--from=<stage>` stays as it is.
    """
    by_line = {ins.line: ins for ins in parsed.instructions}
    lines = split_lines(text, keep_ends=True)
    for line, mapping in sorted(rewrites.items()):
        instruction = by_line.get(line)
        if instruction is None or instruction.keyword not in ("COPY", "RUN"):
            raise DockerfileError(parsed.path, line, "expected a COPY or RUN instruction on this line")
        for i in range(line - 1, instruction.end_line):
            lines[i] = swap_from_flags(lines[i], mapping)
    return "".join(lines)


def insert_after_instructions(text: str, parsed: ParsedDockerfile, insertions: Mapping[int, Sequence[str]]) -> str:
    """Inserts lines after the instruction starting at each given line (`{line: [text, ...]}`).

    Used for the ONBUILD triggers of a repo base image, which the OCI images our builders write
    cannot carry: the child's build runs them right after its FROM, as Docker would. Lines after
    an insertion move down; builder errors are matched to instructions by text, not number.
    """
    by_line = {ins.line: ins for ins in parsed.instructions}
    lines = split_lines(text, keep_ends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    for line, added in sorted(insertions.items(), reverse=True):
        instruction = by_line.get(line)
        if instruction is None:
            raise DockerfileError(parsed.path, line, "expected an instruction on this line")
        lines[instruction.end_line : instruction.end_line] = [f"{a}\n" for a in added]
    return "".join(lines)
