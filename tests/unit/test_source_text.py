"""Reading user files the way Docker and Helm do: lines end at "\\n" only (Go's bufio.Scanner),
whitespace is Go's, bytes that are not UTF-8 are kept (BuildKit) or located (Helm's YAML)."""

from __future__ import annotations

from typing import List, Optional

import pytest

from shipyard.source_text import (
    NotUtf8Error,
    decode_lossless,
    decode_utf8,
    decode_yaml,
    encode_lossless,
    go_trim_space,
    printable,
    split_lines,
)


@pytest.mark.parametrize(
    "text, lines, lines_with_ends",
    [
        pytest.param("a\nb\n", ["a", "b"], ["a\n", "b\n"], id="newline-ends-a-line"),
        pytest.param("a\nb", ["a", "b"], ["a\n", "b"], id="last-line-without-newline-counts"),
        pytest.param("", [], [], id="empty-text-has-no-line"),
        pytest.param("\n", [""], ["\n"], id="one-empty-line"),
        pytest.param("a\n\nb\n", ["a", "", "b"], ["a\n", "\n", "b\n"], id="blank-line-counts"),
        pytest.param("a\r\nb\r\n", ["a", "b"], ["a\r\n", "b\r\n"], id="crlf-is-one-ending"),
        pytest.param("a\rb\n", ["a\rb"], ["a\rb\n"], id="lone-cr-is-text"),
        pytest.param("a\r", ["a"], ["a\r"], id="cr-at-end-of-text-dropped-like-scanlines"),
        pytest.param("a\r\r\n", ["a\r"], ["a\r\r\n"], id="only-one-cr-belongs-to-the-ending"),
        pytest.param("a\x0cb\n", ["a\x0cb"], ["a\x0cb\n"], id="form-feed-is-text"),
        pytest.param("a\x0bb\n", ["a\x0bb"], ["a\x0bb\n"], id="vertical-tab-is-text"),
        pytest.param("a\u2028b\u2029c\n", ["a\u2028b\u2029c"], ["a\u2028b\u2029c\n"], id="unicode-separators-are-text"),
        pytest.param("a\x85b\x1cc\x1dd\x1ee\n", ["a\x85b\x1cc\x1dd\x1ee"], ["a\x85b\x1cc\x1dd\x1ee\n"], id="nel-and-separators-are-text"),
    ],
)
def test_split_lines(text: str, lines: List[str], lines_with_ends: List[str]) -> None:
    assert split_lines(text) == lines
    assert split_lines(text, keep_ends=True) == lines_with_ends
    assert "".join(split_lines(text, keep_ends=True)) == text


@pytest.mark.parametrize(
    "text, trimmed",
    [
        pytest.param("  a b\t\n", "a b", id="spaces-tabs-newlines"),
        pytest.param("\x0b\x0ca\r", "a", id="vertical-tab-form-feed-cr"),
        pytest.param("\x85\xa0a\u2028\u3000", "a", id="unicode-white-space"),
        pytest.param("a\x1c", "a\x1c", id="file-separator-is-not-go-space"),
        pytest.param("\x1fa", "\x1fa", id="unit-separator-is-not-go-space"),
        pytest.param("\ufeffa", "\ufeffa", id="byte-order-mark-is-not-space"),
        pytest.param("   ", "", id="all-space"),
    ],
)
def test_go_trim_space(text: str, trimmed: str) -> None:
    assert go_trim_space(text) == trimmed


@pytest.mark.parametrize(
    "data, line, column, byte",
    [
        pytest.param(b"name: c\ndescription: caf\xe9\n", 2, 17, 0xE9, id="latin1-byte-in-second-line"),
        pytest.param(b"\xff", 1, 1, 0xFF, id="first-byte"),
        pytest.param(b"a: 1\n# \xc3\n", 2, 3, 0xC3, id="truncated-sequence-in-comment"),
        pytest.param(b"a\r\nb\r\n\x80\r\n", 3, 1, 0x80, id="crlf-lines-counted"),
    ],
)
def test_decode_utf8_locates_the_first_bad_byte(data: bytes, line: int, column: int, byte: int) -> None:
    with pytest.raises(NotUtf8Error) as caught:
        decode_utf8(data, "charts/c/Chart.yaml")
    assert (caught.value.path, caught.value.line, caught.value.column, caught.value.byte) == (
        "charts/c/Chart.yaml",
        line,
        column,
        byte,
    )
    assert str(caught.value).startswith(f"charts/c/Chart.yaml:{line}: byte 0x{byte:02x}")


def test_decode_utf8_accepts_utf8() -> None:
    assert decode_utf8("café ✓\n".encode(), "Chart.yaml") == "café ✓\n"


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(b"# caf\xe9\nFROM a\n", id="latin1-comment"),
        pytest.param(b"RUN echo \xff\xfe\n", id="invalid-bytes-in-an-instruction"),
        pytest.param("RUN echo café\n".encode(), id="utf8-unchanged"),
    ],
)
def test_lossless_decoding_round_trips_and_keeps_lines(data: bytes) -> None:
    text = decode_lossless(data)
    assert encode_lossless(text) == data
    assert len(split_lines(text)) == data.count(b"\n")


def test_printable_writes_kept_bytes_as_escapes() -> None:
    assert printable(decode_lossless(b"caf\xe9 ok")) == "caf\\xe9 ok"
    assert printable("café") == "café"


# go-yaml (Helm's YAML parser) reads UTF-16 when the bytes start with its byte order mark.
@pytest.mark.parametrize(
    "data, text",
    [
        pytest.param("a: café\n".encode("utf-16-le"), None, id="utf16-without-bom-is-not-utf16"),
        pytest.param("a: café\n".encode("utf-16"), "a: café\n", id="utf16-with-bom"),
        pytest.param(b"\xfe\xff" + "a: é\n".encode("utf-16-be"), "a: é\n", id="utf16-big-endian-bom"),
        pytest.param("\ufeffa: é\n".encode(), "\ufeffa: é\n", id="utf8-bom-left-to-the-yaml-parser"),
        pytest.param(b"a: caf\xe9\n", None, id="latin1-refused"),
    ],
)
def test_decode_yaml(data: bytes, text: Optional[str]) -> None:
    if text is not None:
        assert decode_yaml(data, "Chart.yaml") == text
        return
    with pytest.raises(NotUtf8Error) as caught:
        decode_yaml(data, "Chart.yaml")
    assert caught.value.path == "Chart.yaml" and caught.value.line == 1


def test_decode_yaml_locates_a_broken_utf16_character() -> None:
    data = "a: 1\nb: x".encode("utf-16") + b"\x00"  # an odd byte at the end
    with pytest.raises(NotUtf8Error) as caught:
        decode_yaml(data, "Chart.yaml")
    assert (caught.value.line, caught.value.column, caught.value.encoding) == (2, 5, "UTF-16")
