"""The files users write, read the way Docker and Helm read them: bytes to text, text to lines.

Lines. BuildKit's Dockerfile parser, `.dockerignore` and Helm's `.helmignore` all read with Go's
`bufio.Scanner`: a line ends at "\\n" only, and a "\\r" just before it belongs to that ending.
Python's `str.splitlines()` also ends lines at "\\r", "\\x0b", "\\x0c", "\\x1c"-"\\x1e", "\\x85",
"\\u2028" and "\\u2029", which those tools treat as ordinary characters, so one of them shifts every
line number after it. Every reader here splits with `split_lines`.

Bytes. BuildKit, moby's `.dockerignore` reader and Helm's `.helmignore` reader never decode:
any byte is accepted, so `decode_lossless` keeps each byte that is not UTF-8 as a lone
surrogate (`surrogateescape`) and `encode_lossless` gives the same bytes back. Helm's YAML
parser does decode: a Chart.yaml or values.yaml with one byte that is not UTF-8 is refused, and
`decode_utf8` says where. Text that may hold such bytes goes through `printable` before it is
shown to the user.
"""

from __future__ import annotations

from typing import List

_LOSSLESS = "surrogateescape"
# Go's unicode.IsSpace, which strings.TrimSpace uses: Python's str.isspace() minus the four
# information separators "\x1c"-"\x1f" that Python also counts as whitespace.
_NOT_GO_SPACE = frozenset("\x1c\x1d\x1e\x1f")


def split_lines(text: str, keep_ends: bool = False) -> List[str]:
    """The lines of `text`, ending at "\\n" only, as Go's `bufio.Scanner` reads them.

    Without `keep_ends`, each line loses its "\\n" and one "\\r" before it (`bufio.ScanLines`);
    with it, each line keeps its ending (BuildKit's scanner, which heredoc bodies need). A final
    line without "\\n" counts; the empty text after a final "\\n" does not.
    """
    parts = text.split("\n")
    lines = [part + "\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    if keep_ends:
        return lines
    return [_drop_ending(line) for line in lines]


def _drop_ending(line: str) -> str:
    if line.endswith("\n"):
        line = line[:-1]
    return line[:-1] if line.endswith("\r") else line


def go_trim_space(text: str) -> str:
    """`text` without leading and trailing whitespace, as Go's `strings.TrimSpace` sees it."""
    start, end = 0, len(text)
    while start < end and _is_go_space(text[start]):
        start += 1
    while end > start and _is_go_space(text[end - 1]):
        end -= 1
    return text[start:end]


def _is_go_space(char: str) -> bool:
    return char.isspace() and char not in _NOT_GO_SPACE


def decode_lossless(data: bytes) -> str:
    """Text for bytes read as bytes (a Dockerfile, .dockerignore, .helmignore): UTF-8, with every
    other byte kept as a lone surrogate, one character per byte, so line numbers stay right."""
    return data.decode("utf-8", _LOSSLESS)


def encode_lossless(text: str) -> bytes:
    """The exact bytes `decode_lossless` read (after any edit of the text around them)."""
    return text.encode("utf-8", _LOSSLESS)


class NotUtf8Error(ValueError):
    """A file that must be UTF-8 (Helm parses it as YAML) holds a byte sequence that is not
    (or, for `decode_yaml` of a file starting with a UTF-16 byte order mark, not UTF-16)."""

    def __init__(self, path: str, line: int, column: int, byte: int, encoding: str = "UTF-8") -> None:
        super().__init__(path, line, column, byte, encoding)
        self.path = path
        self.line = line
        self.column = column
        self.byte = byte
        self.encoding = encoding

    @property
    def description(self) -> str:
        """What is wrong, without the location: `byte 0xe9 at column 14 is not valid UTF-8`."""
        return f"byte 0x{self.byte:02x} at column {self.column} is not valid {self.encoding}"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.description}"


def decode_utf8(data: bytes, path: str) -> str:
    """`data` as UTF-8 text; raises NotUtf8Error naming `path`, the line and the column (in bytes,
    1-based) of the first byte that is not UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line_start = data.rfind(b"\n", 0, e.start) + 1
        line = data.count(b"\n", 0, e.start) + 1
        raise NotUtf8Error(path, line, e.start - line_start + 1, data[e.start]) from None


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def decode_yaml(data: bytes, path: str) -> str:
    """YAML bytes as go-yaml (Helm's YAML parser) reads them: UTF-16 when they start with its byte
    order mark, else UTF-8. Raises NotUtf8Error naming `path`, line and column otherwise."""
    if not data.startswith(_UTF16_BOMS):
        return decode_utf8(data, path)
    try:
        return data.decode("utf-16")
    except UnicodeDecodeError as e:
        before = data[: e.start].decode("utf-16", "replace")  # whole characters before the bad one
        line = before.count("\n") + 1
        column = len(before) - before.rfind("\n")  # in characters here
        raise NotUtf8Error(path, line, column, data[e.start], "UTF-16") from None


def printable(text: str) -> str:
    """`text` with each byte `decode_lossless` kept as a lone surrogate written as `\\xNN`, so a
    message quoting a line of such a file can be printed and logged."""
    if not any("\udc80" <= char <= "\udcff" for char in text):
        return text
    return "".join(
        f"\\x{ord(char) - 0xDC00:02x}" if "\udc80" <= char <= "\udcff" else char for char in text
    )
