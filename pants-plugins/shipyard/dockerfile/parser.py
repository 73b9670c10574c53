"""Dockerfile text -> instructions with line numbers.

The rules follow BuildKit's parser (`frontend/dockerfile/parser`) and its instruction checks
(`frontend/dockerfile/instructions/parse.go`), so that what we accept and reject matches
`docker build`:

- Parser directives (`# syntax=`, `# escape=`, `# check=`) count only at the very top: the first
  line that is not a directive (a comment, a blank line, an instruction, an unknown directive)
  ends them. A directive may appear once.
- A line ending in the escape character (plus optional spaces/tabs) continues on the next line,
  unless that escape character is itself escaped. Comment lines and blank lines inside a
  continuation are dropped. Continuation lines keep their leading whitespace.
- Whole-line comments (`#` after optional whitespace) are ignored; `#` elsewhere is text.
- JSON form (`["a", "b"]`) is used when the arguments are exactly one JSON array of strings;
  when they do not decode (or text follows the array), the text is shell form, like Docker. An
  array with non-string items is an error.
- Builder flags (`--from=x`, `--mount=...`) are read from the start of the arguments; quotes in
  them are removed. Unknown flags and flags the instruction does not take are errors.
- Heredocs (`<<EOF`, `<< EOF`, `<<-EOF`, `<<"EOF"`) are read for RUN, COPY and ADD in shell
  form; their bodies are skipped as instructions and kept as inline content.
- Unknown instructions, instructions before the first FROM other than ARG, and instructions
  missing required arguments are errors carrying the line.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Dict, List, Optional, Sequence, Tuple

from shipyard.dockerfile.instructions import (
    DockerfileError,
    Flag,
    Heredoc,
    Instruction,
    ParsedDockerfile,
)
from shipyard.dockerfile.substitution import ShellLexer, ShellLexError
from shipyard.source_text import split_lines

KNOWN_KEYWORDS: Tuple[str, ...] = (
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
)

_BOOL, _STRING, _LIST = "bool", "string", "list"

# The flags each instruction takes (BuildKit's BFlags definitions). Anything else is an error,
# as it is in `docker build`.
_FLAG_SPECS: Dict[str, Dict[str, str]] = {
    "FROM": {"platform": _STRING},
    "COPY": {
        "from": _STRING,
        "chown": _STRING,
        "chmod": _STRING,
        "link": _BOOL,
        "parents": _BOOL,
        "exclude": _LIST,
    },
    "ADD": {
        "chown": _STRING,
        "chmod": _STRING,
        "link": _BOOL,
        "keep-git-dir": _BOOL,
        "checksum": _STRING,
        "exclude": _LIST,
        "unpack": _BOOL,
        "parents": _BOOL,
    },
    "RUN": {"mount": _LIST, "network": _STRING, "security": _STRING, "device": _LIST},
    "HEALTHCHECK": {
        "interval": _STRING,
        "timeout": _STRING,
        "start-period": _STRING,
        "start-interval": _STRING,
        "retries": _STRING,
    },
}

_KNOWN_DIRECTIVES = ("syntax", "escape", "check")
_WS = "[ \t\n\f\r]"
_DIRECTIVE_RE = re.compile(rf"#{_WS}*([a-zA-Z][a-zA-Z0-9]*){_WS}*={_WS}*(.+?){_WS}*")
_SPLIT_WS_RE = re.compile(r"[\t\v\f\r ]+")
_HEREDOC_RE = re.compile(r"(\d*)<<(-?)[\t\n\f\r ]*([^<]*)", re.DOTALL)
# BuildKit's lexer keeps the blanks after an unquoted `<<` in the same word (moby/buildkit#5817,
# dockerfile 1.16), so `RUN <<  EOF` opens heredoc EOF; `<<-  EOF` stays two words, no heredoc.
_HEREDOC_BLANKS_RE = re.compile(r"(?<=<<)[ \t]+")
_STAGE_NAME_RE = re.compile(r"[a-z][a-z0-9\-_.]*")
_HEREDOC_KEYWORDS = frozenset({"RUN", "COPY", "ADD"})
_BOM = "\ufeff"


class _NotStringArray(Exception):
    """JSON array syntax with items that are not strings (an error in Docker, not a fallback)."""


def parse_dockerfile(text: str, path: str) -> ParsedDockerfile:
    """Parse Dockerfile `text` (read from `path`, used in messages) into instructions.

    Raises DockerfileError for anything `docker build` would reject at parse time.
    """
    return _Parser(text, path).run()


class _Parser:
    def __init__(self, text: str, path: str) -> None:
        self.path = path
        # Endings are kept: heredoc bodies preserve them.
        self.lines = split_lines(text, keep_ends=True)
        self.pos = 0
        self.line_no = 0
        self.escape = "\\"
        self._set_continuation_regex()
        self.directives_done = False
        self.directives: Dict[str, str] = {}

    # -- errors -------------------------------------------------------------------------------
    def error(self, line: int, message: str, hint: str, instruction: Optional[str] = None) -> DockerfileError:
        return DockerfileError(self.path, line, message, hint, instruction)

    # -- directives -----------------------------------------------------------------------------
    def _set_continuation_regex(self) -> None:
        e = re.escape(self.escape)
        self.continuation_re = re.compile(rf"([^{e}]){e}[ \t]*\Z|\A{e}[ \t]*\Z")

    def _maybe_directive(self, token: str, line: int) -> None:
        if self.directives_done:
            return
        match = _DIRECTIVE_RE.fullmatch(token)
        if not match:
            self.directives_done = True
            return
        name, value = match.group(1).lower(), match.group(2)
        if name not in _KNOWN_DIRECTIVES:
            self.directives_done = True
            return
        if name in self.directives:
            raise self.error(
                line,
                f"only one {name} parser directive can be used",
                f"remove the second '# {name}=' line",
                token,
            )
        self.directives[name] = value
        if name == "escape":
            if value not in ("\\", "`"):
                raise self.error(
                    line,
                    f"invalid escape token '{value}' does not match ` or \\",
                    "use '# escape=\\' (the default) or '# escape=`'",
                    token,
                )
            self.escape = value
            self._set_continuation_regex()

    # -- line helpers -----------------------------------------------------------------------------
    @staticmethod
    def _trim_newline(text: str) -> str:
        return text.rstrip("\r\n")

    @staticmethod
    def _is_comment(text: str) -> bool:
        return _Parser._trim_newline(text).lstrip().startswith("#")

    def _trim_continuation(self, text: str) -> Tuple[str, bool]:
        """(text without a trailing continuation escape, whether the logical line ended)."""
        match = self.continuation_re.search(text)
        if not match:
            return text, True
        return text[: match.start()] + (match.group(1) or ""), False

    def _next_raw(self) -> Optional[str]:
        if self.pos >= len(self.lines):
            return None
        raw = self.lines[self.pos]
        self.pos += 1
        self.line_no += 1
        if self.line_no == 1 and raw.startswith(_BOM):
            raw = raw[len(_BOM) :]
        return raw

    # -- main loop -------------------------------------------------------------------------------
    def run(self) -> ParsedDockerfile:
        instructions: List[Instruction] = []
        while True:
            raw = self._next_raw()
            if raw is None:
                break
            token = self._trim_newline(raw).lstrip()
            self._maybe_directive(token, self.line_no)
            content = "" if token.startswith("#") else token
            start = self.line_no
            logical, ended = self._trim_continuation(content)
            if ended and logical == "":
                continue
            while not ended:
                raw = self._next_raw()
                if raw is None:
                    break
                token = self._trim_newline(raw)
                self._maybe_directive(token, self.line_no)
                if self._is_comment(raw) or token.strip() == "":
                    continue  # Docker drops comment and blank lines inside a continuation
                piece, ended = self._trim_continuation(token)
                logical += piece
            instructions.append(self._instruction(logical, start))

        if not instructions:
            raise self.error(
                max(self.line_no, 1),
                "the Dockerfile has no instructions",
                "add at least a FROM instruction, e.g. 'FROM alpine:3.19'",
            )
        self._check_structure(instructions)
        return ParsedDockerfile(
            path=self.path,
            instructions=tuple(instructions),
            escape=self.escape,
            syntax=self.directives.get("syntax"),
            directives=tuple(sorted(self.directives.items())),
        )

    def _check_structure(self, instructions: Sequence[Instruction]) -> None:
        for ins in instructions:
            if ins.keyword == "FROM":
                return
            if ins.keyword != "ARG":
                raise self.error(
                    ins.line,
                    f"{ins.keyword} comes before the first FROM (no build stage in current context)",
                    "start the stage with FROM; only ARG instructions may come before the first FROM",
                    ins.original,
                )
        last = instructions[-1]
        raise self.error(
            last.line,
            "the Dockerfile has no FROM instruction",
            "add a FROM instruction after the global ARGs, e.g. 'FROM alpine:3.19'",
            last.original,
        )

    # -- one instruction ----------------------------------------------------------------------------
    def _instruction(self, logical: str, start: int) -> Instruction:
        stripped = logical.strip()
        parts = _SPLIT_WS_RE.split(stripped, maxsplit=1)
        word = parts[0]
        keyword = word.upper()
        rest = parts[1] if len(parts) == 2 else ""
        args_text, flag_words = _extract_flags(rest)
        args_text = args_text.strip()

        if keyword not in KNOWN_KEYWORDS:
            close = difflib.get_close_matches(keyword, KNOWN_KEYWORDS, n=1, cutoff=0.6)
            hint = (
                f"did you mean {close[0]}? Fix the spelling of the instruction"
                if close
                else f"use one of the Dockerfile instructions: {', '.join(KNOWN_KEYWORDS)}"
            )
            raise self.error(start, f"unknown instruction: {word}", hint, logical)

        try:
            arguments, json_form, key_values = self._arguments(keyword, args_text, start, logical)
        except _NotStringArray:
            raise self.error(
                start,
                "when using JSON array syntax, arrays must be comprised of strings only",
                'quote every item, e.g. ["/bin/sh", "-c", "echo hi"]',
                logical,
            ) from None

        heredocs: Tuple[Heredoc, ...] = ()
        if keyword in _HEREDOC_KEYWORDS and not json_form:
            heredocs = self._read_heredocs(logical, start)
        elif keyword == "ONBUILD" and args_text:
            sub_parts = _SPLIT_WS_RE.split(args_text, maxsplit=1)
            sub_rest = _extract_flags(sub_parts[1] if len(sub_parts) == 2 else "")[0]
            try:
                sub_is_json = _maybe_json(sub_rest) is not None
            except _NotStringArray:
                sub_is_json = True
            if sub_parts[0].upper() in _HEREDOC_KEYWORDS and not sub_is_json:
                heredocs = self._read_heredocs(logical, start)

        flags = self._flags(keyword, flag_words, args_text, start, logical)
        ins = Instruction(
            keyword=keyword,
            args_text=args_text,
            flags=flags,
            arguments=arguments,
            json_form=json_form,
            line=start,
            end_line=self.line_no,
            original=logical,
            heredocs=heredocs,
            key_values=key_values,
        )
        self._check_arguments(ins)
        return ins

    def _read_heredocs(self, logical: str, start: int) -> Tuple[Heredoc, ...]:
        try:
            found = _heredocs_in(logical)
        except ShellLexError as e:
            raise self.error(start, f"cannot read the heredoc marker: {e}", "check the quoting of the <<WORD marker", logical)
        docs: List[Heredoc] = []
        for name, chomp, expand, fd in found:
            body: List[str] = []
            while True:
                raw = self._next_raw()
                if raw is None:
                    raise self.error(
                        start,
                        f"unterminated heredoc: no line '{name}' closes the <<{name} started here",
                        f"end the inline document with a line containing only {name}",
                        logical,
                    )
                candidate = self._trim_newline(raw)
                if chomp:
                    candidate = candidate.lstrip("\t")
                if candidate == name:
                    break
                body.append(raw)
            docs.append(Heredoc(name=name, content="".join(body), chomp=chomp, expand=expand, file_descriptor=fd))
        return tuple(docs)

    def _flags(self, keyword: str, words: Sequence[str], args_text: str, line: int, logical: str) -> Tuple[Flag, ...]:
        specs = _FLAG_SPECS.get(keyword, {})
        if keyword == "HEALTHCHECK" and args_text.split()[:1] and args_text.split()[0].upper() == "NONE":
            specs = {}
        flags: List[Flag] = []
        seen = set()
        for raw in words:
            if not raw.startswith("--"):
                raise self.error(line, f"flag should start with -- : {raw}", "write flags as --name=value", logical)
            name, eq, value = raw[2:].partition("=")
            kind = specs.get(name)
            if kind is None:
                allowed = ", ".join(f"--{n}" for n in specs) or "no flags"
                raise self.error(
                    line,
                    f"unknown flag: --{name} for {keyword}",
                    f"{keyword} takes {allowed}; remove or correct the flag",
                    logical,
                )
            if kind != _LIST and name in seen:
                raise self.error(line, f"duplicate flag specified: --{name}", f"give --{name} only once", logical)
            seen.add(name)
            if kind == _BOOL:
                if eq and value.lower() not in ("true", "false"):
                    raise self.error(
                        line,
                        f"expecting boolean value for flag --{name}, not: {value}",
                        f"write --{name}, --{name}=true or --{name}=false",
                        logical,
                    )
                flags.append(Flag(name, value if eq else None))
            else:
                if not eq:
                    raise self.error(
                        line, f"missing a value on flag: --{name}", f"write --{name}=<value>", logical
                    )
                flags.append(Flag(name, value))
        return tuple(flags)

    # -- arguments per instruction -------------------------------------------------------------------
    def _arguments(
        self, keyword: str, rest: str, line: int, logical: str
    ) -> Tuple[Tuple[str, ...], bool, Tuple[Tuple[str, Optional[str]], ...]]:
        if keyword in ("RUN", "CMD", "ENTRYPOINT", "SHELL"):
            if not rest:
                return (), False, ()
            parsed = _maybe_json(rest)
            if parsed is not None:
                return parsed, True, ()
            return (rest,), False, ()
        if keyword in ("COPY", "ADD", "VOLUME"):
            parsed = _maybe_json(rest)
            if parsed is not None:
                return parsed, True, ()
            return _split_whitespace(rest), False, ()
        if keyword in ("FROM", "EXPOSE"):
            return _split_whitespace(rest), False, ()
        if keyword in ("ENV", "LABEL"):
            words = _parse_words(rest, self.escape)
            pairs = self._name_values(keyword, rest, words, line, logical)
            if words and "=" in words[0]:
                return tuple(words), False, pairs
            return (tuple(pairs[0]) if pairs else ()), False, pairs  # legacy "ENV name value"
        if keyword == "ARG":
            words = _parse_words(rest, self.escape)
            pairs: List[Tuple[str, Optional[str]]] = []
            for word in words:
                if "=" in word:
                    name, _, value = word.partition("=")
                    if not name:
                        raise self.error(line, "ARG names can not be blank", "write ARG NAME or ARG NAME=default", logical)
                    pairs.append((name, value))
                else:
                    pairs.append((word, None))
            return tuple(words), False, tuple(pairs)
        if keyword == "HEALTHCHECK":
            if not rest:
                return (), False, ()
            kind = re.split(r"\s", rest, maxsplit=1)[0]
            cmd = rest[len(kind) :].lstrip()
            if not cmd:
                return (kind,), False, ()
            parsed = _maybe_json(cmd)
            if parsed is not None:
                return (kind,) + parsed, True, ()
            return (kind, cmd), False, ()
        # MAINTAINER, ONBUILD, STOPSIGNAL, USER, WORKDIR: the whole text is one argument.
        return ((rest,) if rest else ()), False, ()

    def _name_values(
        self, keyword: str, rest: str, words: Sequence[str], line: int, logical: str
    ) -> Tuple[Tuple[str, Optional[str]], ...]:
        if not words:
            return ()
        if "=" not in words[0]:
            parts = _SPLIT_WS_RE.split(rest, maxsplit=1)
            if len(parts) < 2:
                raise self.error(
                    line,
                    f"{keyword} must have two arguments",
                    f"write {keyword} name=value (or the legacy form {keyword} name value)",
                    logical,
                )
            return ((parts[0], parts[1]),)
        pairs = []
        for word in words:
            if "=" not in word:
                raise self.error(
                    line,
                    f"syntax error - can't find = in {word!r}. Must be of the form: name=value",
                    f"write every {keyword} item as name=value; quote values containing spaces",
                    logical,
                )
            name, _, value = word.partition("=")
            if not name:
                raise self.error(line, f"{keyword} names can not be blank", f"write {keyword} name=value", logical)
            pairs.append((name, value))
        return tuple(pairs)

    def _check_arguments(self, ins: Instruction) -> None:
        k, args, line, text = ins.keyword, ins.arguments, ins.line, ins.original

        def fail(message: str, hint: str) -> DockerfileError:
            return self.error(line, message, hint, text)

        if k == "FROM":
            if len(args) == 3 and args[1].lower() == "as":
                if not _STAGE_NAME_RE.fullmatch(args[2].lower()):
                    raise fail(
                        f"invalid name for build stage: {args[2]!r}, name can't start with a number or contain symbols",
                        "stage names start with a letter and contain only letters, digits, '-', '_' and '.'",
                    )
            elif len(args) != 1:
                raise fail(
                    "FROM requires either one or three arguments" if args else "FROM requires an image reference",
                    "write FROM <image>[:tag] [AS <name>], e.g. 'FROM python:3.12-slim AS build'",
                )
        elif k in ("COPY", "ADD"):
            if len(args) < 2:
                raise fail(
                    f"{k} requires at least two arguments, but only {len(args)} provided"
                    if args
                    else f"{k} requires at least two arguments",
                    f"write {k} <source>... <destination>, e.g. '{k} app.py /app/'",
                )
            if _parse_heredoc_word(args[-1]) is not None:
                raise fail(f"{k} cannot accept a heredoc as a destination", f"put the heredoc before the destination: {k} <<EOF /path/file")
        elif k in ("ENV", "LABEL", "ARG", "EXPOSE", "VOLUME", "ONBUILD", "HEALTHCHECK"):
            if not args:
                raise fail(f"{k} requires at least one argument", f"add the missing argument after {k}")
            if k == "ONBUILD":
                trigger = _SPLIT_WS_RE.split(args[0].strip(), maxsplit=1)[0].upper()
                if trigger == "ONBUILD":
                    raise fail("chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed", "remove the nested ONBUILD")
                if trigger in ("FROM", "MAINTAINER"):
                    raise fail(f"{trigger} isn't allowed as an ONBUILD trigger", "use another instruction as the trigger")
            if k == "HEALTHCHECK":
                kind = args[0].upper()
                if kind == "NONE" and len(args) > 1:
                    raise fail("HEALTHCHECK NONE takes no arguments", "write just HEALTHCHECK NONE")
                if kind not in ("NONE", "CMD"):
                    raise fail(f"unknown type {args[0]!r} in HEALTHCHECK (try CMD)", "write HEALTHCHECK [flags] CMD <command>")
                if kind == "CMD" and len(args) == 1:
                    raise fail("missing command after HEALTHCHECK CMD", "add the command to run after CMD")
        elif k in ("WORKDIR", "USER", "STOPSIGNAL", "MAINTAINER"):
            if len(args) != 1:
                raise fail(f"{k} requires exactly one argument", f"add the missing argument after {k}")
        elif k == "SHELL":
            if not ins.json_form:
                raise fail("SHELL requires the arguments to be in JSON form", 'write SHELL ["/bin/bash", "-c"]')
            if not args:
                raise fail("SHELL requires at least one argument", 'write SHELL ["/bin/bash", "-c"]')


# ---------------------------------------------------------------------------------------------
# Helpers shared with nothing else: word splitting the way each instruction does it.


def _split_whitespace(rest: str) -> Tuple[str, ...]:
    if not rest:
        return ()
    return tuple(w for w in _SPLIT_WS_RE.split(rest) if w != "")


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not valid JSON")


_JSON_DECODER = json.JSONDecoder(parse_constant=_reject_constant)


def _maybe_json(rest: str) -> Optional[Tuple[str, ...]]:
    """The JSON-form arguments, or None when the text is shell form (does not decode)."""
    text = rest.lstrip()
    if not text.startswith("["):
        return None
    try:
        # Like Go's json.Unmarshal, which BuildKit uses since moby/buildkit#5107: text after the
        # array, other than JSON whitespace, makes the arguments shell form.
        value = _JSON_DECODER.decode(text)
    except ValueError:
        return None
    if not isinstance(value, list):
        return None
    if not all(isinstance(item, str) for item in value):
        raise _NotStringArray()
    return tuple(value)


def _parse_words(rest: str, escape: str) -> List[str]:
    """Split on unquoted whitespace, keeping quotes and escapes (ENV, LABEL and ARG)."""
    words: List[str] = []
    word: List[str] = []
    blank_ok = False
    quote = ""
    phase = "spaces"
    i, n = 0, len(rest)
    while i < n:
        ch = rest[i]
        if phase == "spaces":
            if ch.isspace():
                i += 1
                continue
            phase = "word"
        if phase == "word":
            if ch.isspace():
                if blank_ok or word:
                    words.append("".join(word))
                word, blank_ok, phase = [], False, "spaces"
                i += 1
                continue
            if ch in ("'", '"'):
                quote, blank_ok, phase = ch, True, "quote"
            elif ch == escape:
                if i + 1 == n:
                    i += 1
                    continue  # an escape at the very end is dropped
                word.append(ch)
                i += 1
                ch = rest[i]
            word.append(ch)
            i += 1
            continue
        # inside quotes
        if ch == quote:
            phase = "word"
        elif ch == escape and quote != "'":
            if i + 1 == n:
                phase = "word"
                i += 1
                continue
            word.append(ch)
            i += 1
            ch = rest[i]
        word.append(ch)
        i += 1
    if phase != "spaces" and (blank_ok or word):
        words.append("".join(word))
    return words


def _extract_flags(text: str) -> Tuple[str, List[str]]:
    """Split leading `--flag[=value]` words off `text`; quotes and backslashes are processed."""
    flags: List[str] = []
    i, n = 0, len(text)
    while True:
        while i < n and text[i].isspace():
            i += 1
        if i >= n:
            return "", flags
        if not text.startswith("--", i):
            return text[i:], flags
        word: List[str] = []
        blank_ok = False
        quote = ""
        while i < n:
            ch = text[i]
            if not quote:
                if ch.isspace():
                    break
                if ch in ("'", '"'):
                    quote, blank_ok = ch, True
                    i += 1
                    continue
            elif ch == quote:
                quote = ""
                i += 1
                continue
            if ch == "\\":
                if i + 1 == n:
                    i += 1
                    quote = ""
                    continue
                i += 1
                ch = text[i]
            word.append(ch)
            i += 1
        flag = "".join(word)
        if flag == "--":
            return text[i:], flags
        if blank_ok or flag:
            flags.append(flag)


_HEREDOC_WORDS = ShellLexer("\\", raw_quotes=True, raw_escapes=True, skip_unset=True)
_HEREDOC_NAME = ShellLexer("\\", skip_unset=True)
_HEREDOC_NAME_RAW = ShellLexer("\\", raw_quotes=True, skip_unset=True)


def _parse_heredoc_word(word: str) -> Optional[Tuple[str, bool, bool, int]]:
    """(name, chomp, expand, fd) when `word` is a heredoc marker like `<<EOF` or `<<-'EOF'`."""
    match = _HEREDOC_RE.fullmatch(word)
    if not match or not match.group(3):
        return None
    rest = match.group(3)
    words = _HEREDOC_NAME.process(rest, {}).words
    if len(words) != 1:
        return None
    raw_words = _HEREDOC_NAME_RAW.process(rest, {}).words
    quotes = words[0].count("'") + words[0].count('"')
    raw_quotes = raw_words[0].count("'") + raw_words[0].count('"') if raw_words else quotes
    return words[0], match.group(2) == "-", quotes == raw_quotes, int(match.group(1) or 0)


def _heredocs_in(logical: str) -> List[Tuple[str, bool, bool, int]]:
    # Dropping blanks after every `<<` (quoted or escaped ones too) changes no word that can open
    # a heredoc: such a word starts with `<<` and holds no other `<`.
    try:
        words = _HEREDOC_WORDS.process(_HEREDOC_BLANKS_RE.sub("", logical), {}).words
    except ShellLexError:
        return []
    found = []
    for word in words:
        doc = _parse_heredoc_word(word)
        if doc is not None:
            found.append(doc)
    return found


def is_heredoc_marker(word: str) -> Optional[str]:
    """The heredoc name when `word` (a COPY/ADD source as written) is a `<<NAME` marker."""
    doc = _parse_heredoc_word(word)
    return doc[0] if doc else None
