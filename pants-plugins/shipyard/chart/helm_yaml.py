"""YAML the way Helm reads and writes Chart.yaml and Chart.lock, so our archives match its bytes.

Helm goes through `sigs.k8s.io/yaml`, which wraps go-yaml v2 (YAML 1.1 rules) and JSON:

* reading, a plain scalar's type follows go-yaml's resolver, which is not PyYAML's: `y`, `n`,
  `0o17`, `1e5` are a bool, a bool, an int and a float; `=` and dates are strings. A number or
  bool read into a string field becomes text the Go way (`1.10` -> `"1.1"`, float32 precision);
* writing, every mapping's keys are sorted with go-yaml's "natural" order (letters by code point,
  non-letters first, digit runs by numeric value: `b2` < `b10`); a string that would read back as
  another type is double-quoted, one with a newline is a literal block, and long lines are folded
  at 80 columns. PyYAML's emitter (a port of the same libyaml code go-yaml's is) does the layout.

Plain Python: PyYAML only.
"""

from __future__ import annotations

import calendar
import functools
import math
import re
import struct
from decimal import Decimal
from typing import Any, List, Optional, Tuple

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

STR = "tag:yaml.org,2002:str"
BOOL = "tag:yaml.org,2002:bool"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
NULL = "tag:yaml.org,2002:null"
TIMESTAMP = "tag:yaml.org,2002:timestamp"
MERGE = "tag:yaml.org,2002:merge"

_KEYWORDS = {
    **dict.fromkeys(("y", "Y", "yes", "Yes", "YES", "true", "True", "TRUE"), (BOOL, True)),
    **dict.fromkeys(("on", "On", "ON"), (BOOL, True)),
    **dict.fromkeys(("n", "N", "no", "No", "NO", "false", "False", "FALSE"), (BOOL, False)),
    **dict.fromkeys(("off", "Off", "OFF"), (BOOL, False)),
    **dict.fromkeys(("", "~", "null", "Null", "NULL"), (NULL, None)),
    **dict.fromkeys((".nan", ".NaN", ".NAN"), (FLOAT, math.nan)),
    **dict.fromkeys((".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"), (FLOAT, math.inf)),
    **dict.fromkeys(("-.inf", "-.Inf", "-.INF"), (FLOAT, -math.inf)),
    "<<": (MERGE, "<<"),
}
# The first character decides which rules can apply at all.
_NUMBER_START = frozenset("+-0123456789")
_KEYWORD_START = frozenset("yYnNtTfFoO~")
# Go's strconv.ParseInt(s, 0, 64) syntax, after go-yaml drops every `_`.
_GO_INT = re.compile(
    r"([-+]?)(?:0[xX]([0-9a-fA-F]+)|0[oO]([0-7]+)|0[bB]([01]+)|0([0-7]*)|([1-9][0-9]*))"
)
_YAML_FLOAT = re.compile(r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?")
_DOT_FLOAT = re.compile(r"\.[0-9]+(?:[eE][-+]?[0-9]+)?")
_BASE60 = re.compile(r"[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?")
_DATE = r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
_CLOCK = r"([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.[0-9]+)?"
_TIMESTAMPS = (
    re.compile(_DATE + r"[Tt]" + _CLOCK + r"(?:Z|[-+][0-9]{2}:[0-9]{2})"),
    re.compile(_DATE + r" " + _CLOCK),
    re.compile(_DATE),
)


def resolve_plain(text: str) -> Tuple[str, Any]:
    """The tag and value go-yaml v2 gives the plain (unquoted) scalar `text`.

    Timestamps keep their text as value: read into a loose type, go-yaml hands them out as
    strings."""
    if text in _KEYWORDS:
        return _KEYWORDS[text]
    first = text[0]
    if first == "." and _DOT_FLOAT.fullmatch(text):
        return FLOAT, float(text)
    if first in _NUMBER_START:
        if _is_timestamp(text):
            return TIMESTAMP, text
        plain = text.replace("_", "")
        number = _go_int(plain)
        if number is not None:
            return INT, number
        if _YAML_FLOAT.fullmatch(plain):
            return FLOAT, float(plain)
        if plain.startswith("-0b") and re.fullmatch(r"[01]+", plain[3:]):
            return INT, -int(plain[3:], 2)
    return STR, text


def _go_int(text: str) -> Optional[int]:
    match = _GO_INT.fullmatch(text)
    if match is None:
        return None
    sign, hexa, octal, binary, legacy_octal, decimal = match.groups()
    if hexa is not None:
        value = int(hexa, 16)
    elif octal is not None:
        value = int(octal, 8)
    elif binary is not None:
        value = int(binary, 2)
    elif legacy_octal is not None:
        value = int(legacy_octal or "0", 8)
    else:
        value = int(decimal)
    return -value if sign == "-" else value


def _is_timestamp(text: str) -> bool:
    for pattern in _TIMESTAMPS:
        match = pattern.fullmatch(text)
        if match is None:
            continue
        parts = [int(part) for part in match.groups()]
        year, month, day = parts[:3]
        if not 1 <= month <= 12 or not 1 <= day <= calendar.monthrange(year, month)[1]:
            return False
        if len(parts) > 3:
            hour, minute, second = parts[3:]
            return hour < 24 and minute < 60 and second < 60
        return True
    return False


def needs_quotes(text: str) -> bool:
    """True when go-yaml would not write `text` as a plain string (it reads back as another type,
    or looks like a YAML 1.1 base-60 number)."""
    return resolve_plain(text)[0] != STR or _BASE60.fullmatch(text) is not None


def format_go_float(value: float, bits: int = 64) -> str:
    """`strconv.FormatFloat(value, 'g', -1, bits)`: the shortest digits that read back as the
    same float32/float64, in exponent form below 1e-4 and from 1e+06 up."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    digits, point = shortest_digits(value, bits)
    sign = "-" if value < 0 else ""
    exponent = point - 1
    if exponent < -4 or exponent >= 6:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{mantissa}e{'-' if exponent < 0 else '+'}{abs(exponent):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def shortest_digits(value: float, bits: int) -> Tuple[str, int]:
    """(significant digits, decimal point position) with value == 0.DIGITS x 10**point."""
    if bits == 32:
        single = _to_float32(abs(value))
        for precision in range(1, 10):
            text = f"{single:.{precision - 1}e}"
            if _to_float32(float(text)) == single:
                break
    else:
        text = repr(abs(value))
    sign, digit_tuple, exponent = Decimal(text).normalize().as_tuple()
    digits = "".join(str(d) for d in digit_tuple)
    return digits, len(digits) + int(exponent)


def _to_float32(value: float) -> float:
    return float(struct.unpack("<f", struct.pack("<f", value))[0])


def scalar_as_go_string(tag: str, value: Any, text: str) -> Optional[str]:
    """The text sigs.k8s.io/yaml puts into a Go string field for a scalar read as (`tag`, `value`)
    from `text`; None for null (the field keeps its zero value)."""
    if tag == NULL:
        return None
    if tag == BOOL:
        return "true" if value else "false"
    if tag == INT:
        return str(value)
    if tag == FLOAT:
        return format_go_float(value, 32)
    return text


def compose_scalar(node: ScalarNode) -> Tuple[str, Any]:
    """A composed scalar as go-yaml reads it: plain ones through its resolver, quoted and block
    ones as strings. (Explicit tags such as `!!str` are not seen: PyYAML's node does not say
    whether its tag was written or resolved.)"""
    if node.style is None:
        return resolve_plain(node.value)
    return STR, node.value


def go_key_less(a: str, b: str) -> bool:
    """go-yaml v2's order of string map keys: runs of digits compare by value, letters by code
    point, and a non-letter sorts before a letter."""
    for i in range(min(len(a), len(b))):
        ca, cb = a[i], b[i]
        if ca == cb:
            continue
        letter_a, letter_b = ca.isalpha(), cb.isalpha()
        if letter_a and letter_b:
            return ca < cb
        if letter_a or letter_b:
            return letter_b
        number_a = number_b = 0
        if ca == "0" or cb == "0":
            # A zero continuing a number with a non-zero digit before it counts as part of it.
            j = i - 1
            while j >= 0 and a[j].isdecimal():
                if a[j] != "0":
                    number_a = number_b = 1
                    break
                j -= 1
        end_a = _digit_run(a, i)
        end_b = _digit_run(b, i)
        for ch in a[i:end_a]:
            number_a = number_a * 10 + (ord(ch) - ord("0"))
        for ch in b[i:end_b]:
            number_b = number_b * 10 + (ord(ch) - ord("0"))
        if number_a != number_b:
            return number_a < number_b
        if end_a != end_b:
            return end_a < end_b
        return ca < cb
    return len(a) < len(b)


def _digit_run(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end].isdecimal():
        end += 1
    return end


def sorted_keys(keys: List[str]) -> List[str]:
    """`keys` in go-yaml's map key order."""

    def compare(a: str, b: str) -> int:
        if go_key_less(a, b):
            return -1
        if go_key_less(b, a):
            return 1
        return 0

    return sorted(keys, key=functools.cmp_to_key(compare))


class _GoDumper(yaml.SafeDumper):
    """Decides plain-ness with go-yaml's resolver instead of PyYAML's."""

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode and implicit[0]:
            tag = resolve_plain(value)[0]
            return STR if tag == TIMESTAMP else tag
        return str(super().resolve(kind, value, implicit))  # type: ignore[no-untyped-call]


def _node(value: Any) -> Node:
    if isinstance(value, dict):
        pairs = [(_node(key), _node(value[key])) for key in sorted_keys(list(value))]
        return MappingNode("tag:yaml.org,2002:map", pairs, flow_style=not pairs)
    if isinstance(value, (list, tuple)):
        return SequenceNode(
            "tag:yaml.org,2002:seq", [_node(v) for v in value], flow_style=not value
        )
    if value is None:
        return ScalarNode(NULL, "null")
    if isinstance(value, bool):
        return ScalarNode(BOOL, "true" if value else "false")
    if isinstance(value, int):
        return ScalarNode(INT, str(value))
    if isinstance(value, float):
        if math.isnan(value):
            return ScalarNode(FLOAT, ".nan")
        if math.isinf(value):
            return ScalarNode(FLOAT, ".inf" if value > 0 else "-.inf")
        return ScalarNode(FLOAT, format_go_float(value, 64))
    if isinstance(value, str):
        if "\n" in value:
            style: Optional[str] = "|"
        elif needs_quotes(value):
            style = '"'
        else:
            style = None
        return ScalarNode(STR, value, style=style)
    raise TypeError(f"cannot write {type(value).__name__} values as YAML: {value!r}")


def marshal(value: Any) -> str:
    """`value` (dicts with string keys, lists, strings, bools, ints, floats, None) as
    sigs.k8s.io/yaml's `Marshal` writes it."""
    return yaml.serialize(
        _node(value),
        Dumper=_GoDumper,
        allow_unicode=True,
        width=80,
    )
