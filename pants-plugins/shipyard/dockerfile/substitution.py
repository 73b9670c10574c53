"""Docker's variable substitution and word splitting (its small shell lexer), in plain Python.

Docker does not run a shell for FROM, COPY, ADD, ENV, ARG, WORKDIR, USER, EXPOSE, LABEL, VOLUME
and STOPSIGNAL: it processes each word itself. Behaviour follows BuildKit's
`frontend/dockerfile/shell/lex.go`:

- `$VAR`, `${VAR}`; unknown variables expand to "" (they are reported in `unset`).
- `${VAR:-word}` / `${VAR-word}`: `word` when VAR is unset-or-empty / unset.
- `${VAR:+word}` / `${VAR+word}`: `word` when VAR is set-and-non-empty / set, else "".
- `${VAR:?msg}` / `${VAR?msg}`: an error when VAR is unset-or-empty / unset.
- `${VAR#pat}`, `${VAR##pat}`, `${VAR%pat}`, `${VAR%%pat}`: remove the shortest/longest
  matching prefix/suffix (`*` and `?` wildcards); `${VAR/pat/repl}`, `${VAR//pat/repl}`.
- `word` may itself contain substitutions, so defaults nest: `${A:-${B:-c}}`.
- Single quotes keep everything literal; double quotes keep everything but `$` substitutions,
  and the escape character only escapes `"`, `$` and itself inside them.
- Outside quotes the escape character (backslash, or backtick under `# escape=``) makes the
  next character literal and is removed; `\\$HOME` stays `$HOME`.
- `$` followed by something that is not a name is a literal `$`; `$1`, `$@`, ... are looked up
  like any variable (and are never set, so they expand to "").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import FrozenSet, List, Mapping, Set, Tuple

# Instructions whose arguments Docker runs through variable substitution. ONBUILD is not one of
# them (its trigger is substituted when a child image runs it); RUN/CMD/ENTRYPOINT are left to
# the shell at build or run time.
SUBSTITUTED_KEYWORDS: FrozenSet[str] = frozenset(
    {"ADD", "ARG", "COPY", "ENV", "EXPOSE", "FROM", "LABEL", "STOPSIGNAL", "USER", "VOLUME", "WORKDIR"}
)

_SPECIAL_PARAMS = frozenset("@*#?-$!0")
_EOF = ""


class ShellLexError(ValueError):
    """A word Docker's lexer rejects: an unterminated quote, `${` without `}`, a bad modifier."""


@dataclass(frozen=True)
class Expansion:
    """The result of processing one word.

    `value` is the word after quote removal and substitution. `words` is the same text split on
    unquoted whitespace (what Docker uses for EXPOSE and heredoc detection). `referenced` holds
    every variable name looked up, `unset` the subset that was not defined.
    """

    value: str
    words: Tuple[str, ...]
    referenced: FrozenSet[str]
    unset: FrozenSet[str]


class _Words:
    """Builds the whitespace-split word list alongside the processed string."""

    def __init__(self) -> None:
        self.words: List[str] = []
        self.buf: List[str] = []
        self.in_word = False

    def add_char(self, ch: str) -> None:
        if ch.isspace():
            if self.in_word and self.buf:
                self.words.append("".join(self.buf))
                self.buf = []
                self.in_word = False
        else:
            self.add_raw_char(ch)

    def add_raw_char(self, ch: str) -> None:
        self.buf.append(ch)
        self.in_word = True

    def add_string(self, text: str) -> None:
        for ch in text:
            self.add_char(ch)

    def add_raw_string(self, text: str) -> None:
        self.buf.append(text)
        self.in_word = True

    def result(self) -> Tuple[str, ...]:
        if self.buf and "".join(self.buf):
            self.words.append("".join(self.buf))
            self.buf = []
            self.in_word = False
        return tuple(self.words)


class ShellLexer:
    """Docker's word processor for one escape character.

    The flags mirror BuildKit's lexer options: `raw_quotes` keeps quote characters in the
    output, `raw_escapes` keeps escape characters, `skip_unset` leaves references to unset
    variables as written (used to find heredoc delimiters).
    """

    def __init__(
        self,
        escape: str = "\\",
        *,
        raw_quotes: bool = False,
        raw_escapes: bool = False,
        skip_unset: bool = False,
    ) -> None:
        if escape not in ("\\", "`"):
            raise ValueError(f"escape character must be a backslash or a backtick, not {escape!r}")
        self.escape = escape
        self.raw_quotes = raw_quotes
        self.raw_escapes = raw_escapes
        self.skip_unset = skip_unset

    def process(self, word: str, env: Mapping[str, str]) -> Expansion:
        """Process `word` against `env` (a variable is set when its name is a key)."""
        run = _Run(self, word, env)
        value, words = run.stop_on(_EOF, self.raw_escapes)
        return Expansion(value, words, frozenset(run.referenced), frozenset(run.unset))


class _Run:
    """The state of processing one word (a cursor over its characters)."""

    def __init__(self, lexer: ShellLexer, text: str, env: Mapping[str, str]) -> None:
        self.lx = lexer
        self.text = text
        self.pos = 0
        self.env = env
        self.raw_escapes = lexer.raw_escapes
        self.referenced: Set[str] = set()
        self.unset: Set[str] = set()

    # -- cursor -----------------------------------------------------------------------------
    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else _EOF

    def next(self) -> str:
        if self.pos >= len(self.text):
            return _EOF
        ch = self.text[self.pos]
        self.pos += 1
        return ch

    # -- lookups ----------------------------------------------------------------------------
    def lookup(self, name: str) -> Tuple[str, bool]:
        self.referenced.add(name)
        if name in self.env:
            return self.env[name], True
        self.unset.add(name)
        return "", False

    # -- grammar ----------------------------------------------------------------------------
    def stop_on(self, stop: str, raw_escapes: bool) -> Tuple[str, Tuple[str, ...]]:
        saved_raw = self.raw_escapes
        self.raw_escapes = raw_escapes
        try:
            return self._stop_on(stop)
        finally:
            self.raw_escapes = saved_raw

    def _stop_on(self, stop: str) -> Tuple[str, Tuple[str, ...]]:
        out: List[str] = []
        words = _Words()
        esc = self.lx.escape
        while self.peek() != _EOF:
            ch = self.peek()
            if stop != _EOF and ch == stop:
                self.next()
                return "".join(out), words.result()
            if ch == "$":
                piece = self.dollar()
                out.append(piece)
                words.add_string(piece)
            elif ch in ("'", '"'):
                piece = self.single_quote() if ch == "'" else self.double_quote()
                out.append(piece)
                words.add_raw_string(piece)
            else:
                ch = self.next()
                if ch == esc:
                    if self.raw_escapes:
                        words.add_raw_char(ch)
                        out.append(ch)
                    ch = self.next()
                    if ch == _EOF:
                        break
                    words.add_raw_char(ch)
                else:
                    words.add_char(ch)
                out.append(ch)
        if stop != _EOF:
            raise ShellLexError(f"unexpected end of statement while looking for matching {stop}")
        return "".join(out), words.result()

    def single_quote(self) -> str:
        out: List[str] = []
        quote = self.next()
        if self.lx.raw_quotes:
            out.append(quote)
        while True:
            ch = self.next()
            if ch == _EOF:
                raise ShellLexError("unexpected end of statement while looking for matching single-quote")
            if ch == "'":
                if self.lx.raw_quotes:
                    out.append(ch)
                return "".join(out)
            out.append(ch)

    def double_quote(self) -> str:
        out: List[str] = []
        esc = self.lx.escape
        quote = self.next()
        if self.lx.raw_quotes:
            out.append(quote)
        while True:
            ch = self.peek()
            if ch == _EOF:
                raise ShellLexError("unexpected end of statement while looking for matching double-quote")
            if ch == '"':
                self.next()
                if self.lx.raw_quotes:
                    out.append(ch)
                return "".join(out)
            if ch == "$":
                out.append(self.dollar())
                continue
            ch = self.next()
            if ch == esc:
                if self.raw_escapes:
                    out.append(ch)
                following = self.peek()
                if following == _EOF:
                    continue
                if following in ('"', "$", esc):
                    ch = self.next()
            out.append(ch)

    def name(self) -> str:
        first = self.peek()
        if first == _EOF:
            return ""
        if first.isdigit():
            digits: List[str] = []
            while self.peek() != _EOF and self.peek().isdigit():
                digits.append(self.next())
            return "".join(digits)
        if first in _SPECIAL_PARAMS:
            return self.next()
        chars: List[str] = []
        while self.peek() != _EOF:
            ch = self.peek()
            if not (ch.isalpha() or ch.isdigit() or ch == "_"):
                break
            chars.append(self.next())
        return "".join(chars)

    def dollar(self) -> str:
        self.next()  # the "$"
        if self.peek() != "{":
            name = self.name()
            if not name:
                return "$"
            value, found = self.lookup(name)
            if not found and self.lx.skip_unset:
                return "$" + name
            return value

        self.next()  # the "{"
        first = self.peek()
        if first == _EOF:
            raise ShellLexError("syntax error: missing '}'")
        if first in ("{", "}", ":"):
            raise ShellLexError("syntax error: bad substitution")
        name = self.name()
        ch = self.next()
        if ch == "}":
            value, found = self.lookup(name)
            if not found and self.lx.skip_unset:
                return "${" + name + "}"
            return value
        if ch == _EOF:
            raise ShellLexError("syntax error: missing '}'")
        if ch == "/":
            return self._replace(name)
        if ch not in (":", "+", "-", "?", "#", "%"):
            raise ShellLexError(f"unsupported modifier ({ch}) in substitution")

        modifier = ch
        null_is_unset = False
        if ch == ":":
            null_is_unset = True
            ch = self.next()
            modifier = ":" + ch
        trims = ch in ("#", "%")
        if null_is_unset and trims:
            raise ShellLexError(f"unsupported modifier ({modifier}) in substitution")
        try:
            word, _ = self.stop_on("}", trims)
        except ShellLexError:
            if self.peek() == _EOF:
                raise ShellLexError("syntax error: missing '}'") from None
            raise
        value, is_set = self.lookup(name)
        if self.lx.skip_unset and not is_set:
            return "${" + name + modifier + word + "}"
        empty = not is_set or (null_is_unset and value == "")
        if ch == "-":
            return word if empty else value
        if ch == "+":
            return "" if empty else word
        if ch == "?":
            if not is_set:
                raise ShellLexError(f"{name}: {word or 'is not allowed to be unset'}")
            if null_is_unset and value == "":
                raise ShellLexError(f"{name}: {word or 'is not allowed to be empty'}")
            return value
        if ch in ("#", "%"):
            greedy = word.startswith(ch)
            if greedy:
                word = word[1:]
            if ch == "%":
                return _trim_suffix(word, value, greedy)
            return _trim_prefix(word, value, greedy)
        raise ShellLexError(f"unsupported modifier ({modifier}) in substitution")

    def _replace(self, name: str) -> str:
        replace_all = self.peek() == "/"
        if replace_all:
            self.next()
        try:
            pattern, _ = self.stop_on("/", True)
        except ShellLexError:
            if self.peek() == _EOF:
                raise ShellLexError("syntax error: missing '/' in ${}") from None
            raise
        try:
            replacement, _ = self.stop_on("}", True)
        except ShellLexError:
            if self.peek() == _EOF:
                raise ShellLexError("syntax error: missing '}'") from None
            raise
        value, is_set = self.lookup(name)
        if self.lx.skip_unset and not is_set:
            return "${" + name + "/" + pattern + "/" + replacement + "}"
        regex = _shell_pattern_regex(pattern, greedy=True, anchored=False)
        if replace_all:
            return regex.sub(lambda _m: replacement, value)
        found = regex.search(value)
        if found is None:
            return value
        return value[: found.start()] + replacement + value[found.end() :]


def _shell_pattern_regex(pattern: str, *, greedy: bool, anchored: bool) -> "re.Pattern[str]":
    """A regex for a `${VAR#pattern}`-style pattern: `*` any run, `?` one character."""
    out: List[str] = ["^"] if anchored else []
    star = ".*" if greedy else ".*?"
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        i += 1
        if ch == "*":
            out.append(star)
        elif ch == "?":
            out.append(".")
        elif ch == "\\":
            if i < len(pattern) and pattern[i] in ("}", "/"):
                continue  # the escape only protected the ${} syntax
            nxt = pattern[i] if i < len(pattern) else ""
            i += 1
            if nxt not in ("*", "?", "\\"):
                raise ShellLexError(f"invalid pattern ({pattern}) in substitution: invalid escape '\\{nxt}'")
            out.append(re.escape(nxt))
        else:
            out.append(re.escape(ch))
    return re.compile("".join(out), re.DOTALL)


def _reverse_pattern(pattern: str) -> str:
    """Reverse a pattern but keep each `\\x` escape pair in order."""
    tokens: List[str] = []
    i = 0
    while i < len(pattern):
        if pattern[i] == "\\" and i + 1 < len(pattern):
            tokens.append(pattern[i : i + 2])
            i += 2
        else:
            tokens.append(pattern[i])
            i += 1
    return "".join(reversed(tokens))


def _trim_prefix(pattern: str, value: str, greedy: bool) -> str:
    found = _shell_pattern_regex(pattern, greedy=greedy, anchored=True).search(value)
    return value[found.end() :] if found else value


def _trim_suffix(pattern: str, value: str, greedy: bool) -> str:
    # Regexes find the leftmost match, so reverse both sides to find the shortest suffix.
    return _trim_prefix(_reverse_pattern(pattern), value[::-1], greedy)[::-1]


_PLAIN_LEXERS = {"\\": ShellLexer("\\"), "`": ShellLexer("`")}


def expand_word(word: str, env: Mapping[str, str], escape: str = "\\") -> Expansion:
    """Substitute variables in one word and remove its quotes, as Docker does for COPY sources.

    Raises ShellLexError for input Docker rejects (unterminated quotes, `${` without `}`, ...).
    """
    lexer = _PLAIN_LEXERS.get(escape) or ShellLexer(escape)
    return lexer.process(word, env)


def has_substitution(word: str, escape: str = "\\") -> bool:
    """True when processing `word` would change it even with no variables set.

    BuildKit uses this test to refuse variables in `COPY --from` and `--mount from=`.
    """
    try:
        return expand_word(word, {}, escape).value != word
    except ShellLexError:
        return True
