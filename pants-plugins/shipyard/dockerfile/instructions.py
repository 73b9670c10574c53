"""The data a parsed Dockerfile is made of, and the error every layer raises.

Nothing here knows how to parse or resolve; these are plain values that flow
from the parser to the resolver and on to the Pants rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Tuple

from shipyard.source_text import printable, split_lines


@dataclass(frozen=True)
class Flag:
    """One `--name[=value]` builder flag, as written before an instruction's arguments.

    `value` is None for a bare boolean flag such as `--link`.
    """

    name: str
    value: Optional[str]

    def text(self) -> str:
        """The flag as it would be written in a Dockerfile."""
        return f"--{self.name}" if self.value is None else f"--{self.name}={self.value}"


@dataclass(frozen=True)
class Heredoc:
    """An inline document (`<<EOF ... EOF`) attached to a RUN, COPY or ADD.

    `content` is the body exactly as written (line endings kept, leading tabs kept even for
    `<<-`; use `chomped_content` for what Docker feeds the command). `expand` is False when the
    delimiter was quoted, in which case Docker does not substitute variables in the body.
    """

    name: str
    content: str
    chomp: bool
    expand: bool
    file_descriptor: int = 0

    @property
    def chomped_content(self) -> str:
        """The body with leading tabs removed from every line when the heredoc used `<<-`."""
        if not self.chomp:
            return self.content
        return "".join(line.lstrip("\t") for line in split_lines(self.content, keep_ends=True))


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction with its location.

    - `keyword`: upper-cased (`COPY`), whatever case it was written in.
    - `args_text`: the raw text after the keyword and its flags, trimmed.
    - `flags`: builder flags in the order written (`--mount` may repeat).
    - `arguments`: for JSON form, the array elements; for shell form, depending on the keyword,
      the whitespace-separated words (FROM, COPY, ADD, EXPOSE, VOLUME), the quote-aware words
      with quotes kept (ARG, ENV and LABEL in `k=v` form) or the whole text as a single element
      (RUN, CMD, ENTRYPOINT, WORKDIR, USER, ...). Quotes and variables are not processed here.
    - `key_values`: for ARG, ENV and LABEL, the (name, raw value) pairs; an ARG without a default
      has value None.
    - `line`/`end_line`: 1-based first and last line, including continuation lines and heredoc bodies.
    - `original`: the logical line after joining continuations and dropping comment lines.
    """

    keyword: str
    args_text: str
    flags: Tuple[Flag, ...]
    arguments: Tuple[str, ...]
    json_form: bool
    line: int
    end_line: int
    original: str
    heredocs: Tuple[Heredoc, ...] = ()
    key_values: Tuple[Tuple[str, Optional[str]], ...] = ()

    def flag(self, name: str) -> Optional[str]:
        """The value of the last `--name` flag: its text, "true" for a bare flag, None if absent."""
        found: Optional[str] = None
        for flag in self.flags:
            if flag.name == name:
                found = "true" if flag.value is None else flag.value
        return found

    def flag_values(self, name: str) -> Tuple[str, ...]:
        """Every value of a repeatable flag such as `--mount`, in order."""
        return tuple("true" if f.value is None else f.value for f in self.flags if f.name == name)

    def heredoc(self, name: str) -> Optional[Heredoc]:
        """The heredoc with this delimiter name, if the instruction has one."""
        for doc in self.heredocs:
            if doc.name == name:
                return doc
        return None


@dataclass(frozen=True)
class ParsedDockerfile:
    """A Dockerfile as a sequence of instructions, plus its parser directives."""

    path: str
    instructions: Tuple[Instruction, ...]
    escape: str = "\\"
    syntax: Optional[str] = None
    directives: Tuple[Tuple[str, str], ...] = ()


class DockerfileError(Exception):
    """A problem in a Dockerfile (or .dockerignore) that we can point at.

    `str()` gives one readable message: `path:line: message`, the instruction quoted on the next
    line, and a hint saying what to change.
    """

    def __init__(
        self,
        path: str,
        line: int,
        message: str,
        hint: str = "",
        instruction: Optional[str] = None,
    ) -> None:
        self.path = path
        self.line = line
        self.message = message
        self.hint = hint
        self.instruction = instruction
        super().__init__(self._render())

    def _render(self) -> str:
        location = f"{self.path}:{self.line}" if self.line > 0 else self.path
        parts = [f"{location}: {printable(self.message)}"]
        if self.instruction:
            gutter = f"{self.line} | " if self.line > 0 else "| "
            for i, text in enumerate(split_lines(printable(self.instruction.strip("\n"))) or [""]):
                parts.append("    " + (gutter if i == 0 else " " * (len(gutter) - 2) + "| ") + text)
        if self.hint:
            parts.append(f"  hint: {printable(self.hint)}")
        return "\n".join(parts)

    def __str__(self) -> str:
        return self._render()

    def __reduce__(self):  # keep the fields when pickled (the Pants engine may copy exceptions)
        return (type(self), (self.path, self.line, self.message, self.hint, self.instruction))
