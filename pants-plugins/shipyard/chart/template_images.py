"""Finding image references written literally in a chart's templates.

Templates are text, not YAML, until rendered, so this is a scan of the text:

1. every `{{ ... }}` action (Go template, including `{{/* comments */}}` and string literals that
   contain braces) is masked, keeping line breaks so line numbers stay right;
2. YAML `#` comments are dropped;
3. the rest is cut into tokens at characters that can never be part of a reference (whitespace,
   quotes, `=`, `,`, brackets, ...). A token touching a masked action is dropped whole: its value is
   only known at render time, and reporting the literal part would split a real reference
   (`{{ .Values.registry }}/tinyolly/ui` is not `tinyolly/ui`);
4. a token is a candidate when it is a valid reference and either is the value of an `image` key
   (`image: busybox`) or looks like one on its own (it has a `/`, a tag or a digest).

Candidates are over-reported on purpose (`app.kubernetes.io/name` is a valid reference): the
caller keeps only those a `RepositoryMatcher` recognises.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator, List, Optional, Set, Tuple

from shipyard.image_ref import ImageRef, InvalidImageReference

_MASK = "\x00"
# Characters that end a token: none of them can appear in a reference.
_DELIMITERS = re.compile(r"[\s\"'`=,()\[\]{}|;<>]+")
_REFERENCE_CHARS = re.compile(r"[A-Za-z0-9._/:@-]+")
# `image:` / `initImage:` / `"image":` as a YAML key, and where its value starts.
_IMAGE_KEY = re.compile(
    r"""(?:^|(?<=[\s{,\-]))["']?(?:image|[A-Za-z0-9_]*Image)["']?[ \t]*:(?:[ \t]+|(?=["']))["']?"""
)


@dataclass(frozen=True)
class TemplateImageRef:
    """A literal image reference in a template, with the 1-based line it is on."""

    reference: str
    line: int


def find_template_image_refs(text: str, path: str) -> List[TemplateImageRef]:
    """Candidate image references written literally in template `text`, in order. `path` is
    accepted for symmetry with the other readers; scanning text cannot fail."""
    del path  # Nothing in a template is malformed from this scanner's point of view.
    found: List[TemplateImageRef] = []
    for line_number, line in enumerate(mask_actions(text).split("\n"), start=1):
        line = _strip_comment(line)
        image_values = _image_value_starts(line)
        for start, token in _tokens(line):
            ref = _candidate(token, is_image_value=start in image_values)
            if ref is not None:
                found.append(TemplateImageRef(reference=ref, line=line_number))
    return found


def mask_actions(text: str) -> str:
    """`text` with every character of every `{{ ... }}` action replaced by a mask character,
    except line breaks. An unterminated action masks the rest of the text."""
    chars = list(text)
    position = 0
    while True:
        start = text.find("{{", position)
        if start == -1:
            break
        end = _action_end(text, start + 2)
        for index in range(start, end):
            if chars[index] != "\n":
                chars[index] = _MASK
        position = end
    return "".join(chars)


def _action_end(text: str, position: int) -> int:
    """The index just after the `}}` closing an action whose body starts at `position`."""
    length = len(text)
    while position < length:
        if text.startswith("}}", position):
            return position + 2
        if text.startswith("/*", position):
            close = text.find("*/", position + 2)
            if close == -1:
                return length
            position = close + 2
        elif text[position] in "\"'":
            position = _string_end(text, position)
        elif text[position] == "`":
            close = text.find("`", position + 1)
            if close == -1:
                return length
            position = close + 1
        else:
            position += 1
    return length


def _string_end(text: str, position: int) -> int:
    """The index after a Go `"..."` or `'...'` literal (escapes honoured; ends at a newline)."""
    quote = text[position]
    position += 1
    while position < len(text):
        char = text[position]
        if char == "\\":
            position += 2
        elif char == quote:
            return position + 1
        elif char == "\n":
            return position
        else:
            position += 1
    return position


def _strip_comment(line: str) -> str:
    """The line without a YAML `#` comment (a `#` at the start or after a space, outside quotes)."""
    quote: Optional[str] = None
    previous = " "
    for index, char in enumerate(line):
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "\"'" and (previous.isspace() or previous in ":[{,=(-"):
            quote = char
        elif char == "#" and previous.isspace():
            return line[:index]
        previous = char
    return line


def _image_value_starts(line: str) -> Set[int]:
    return {match.end() for match in _IMAGE_KEY.finditer(line)}


def _tokens(line: str) -> Iterator[Tuple[int, str]]:
    position = 0
    for delimiter in _DELIMITERS.finditer(line):
        if delimiter.start() > position:
            yield position, line[position : delimiter.start()]
        position = delimiter.end()
    if position < len(line):
        yield position, line[position:]


def _candidate(token: str, is_image_value: bool) -> Optional[str]:
    if _MASK in token or not _REFERENCE_CHARS.fullmatch(token):
        return None
    try:
        ref = ImageRef.parse(token)
    except InvalidImageReference:
        return None
    looks_like_reference = "/" in token or ref.tag is not None or ref.digest is not None
    return token if is_image_value or looks_like_reference else None
