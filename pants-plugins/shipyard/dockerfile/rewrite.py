"""Points a Dockerfile's FROM lines at images built in this run, keeping every line number.

The builder must build an image on the base built from this same run, never on a stale copy of
the base's published name in a daemon or registry. So each FROM naming a repo image is rewritten
to the name the base was loaded under; other lines are untouched and line numbers stay the same,
so the builder's errors still point at the user's Dockerfile lines.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, Optional

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
