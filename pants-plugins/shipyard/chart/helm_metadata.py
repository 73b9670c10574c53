"""Chart.yaml and Chart.lock as Helm loads and re-writes them when it packages a chart.

`helm package` does not copy Chart.yaml: it reads it into Helm's `Metadata` struct and writes
that back. So in the archive:

* fields Helm does not know (`x-team: core`) are gone, and keys match case-insensitively
  (`AppVersion:` is `appVersion`);
* numbers and booleans in text fields become text the Go way (`appVersion: 1.10` is `"1.1"`,
  `version: 1.0` is `"1"`, and the archive is then named `<name>-1.tgz`);
* most text fields are "sanitized": every whitespace character (newlines of a `|` block too)
  becomes a space and unprintable characters are dropped. `version`, `apiVersion`, `type`,
  annotations and dependency aliases are left alone;
* everything is written with sorted keys by `helm_yaml.marshal`, comments dropped.

Chart.lock is read and written the same way; its `digest` is the sha256 of the JSON of
`[dependencies as written in Chart.yaml, dependencies as locked]`, which is how Helm decides
whether a lock is still current.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from typing import Any, Dict, List, Optional, Sequence, Tuple

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from shipyard.chart import helm_yaml
from shipyard.chart.errors import ChartError
from shipyard.chart.semver import InvalidVersion, Version
from shipyard.chart.yaml_nodes import compose_one, line_of, mapping_items

_ALIAS = re.compile(r"[a-zA-Z0-9_-]+")
_RFC3339 = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]+)?([Zz]|[-+][0-9]{2}:[0-9]{2})"
)


class _Struct(dict):  # type: ignore[type-arg]
    """A Go struct: JSON writes its fields in declaration order (a Go map's keys are sorted)."""


# (JSON name, kind, omitempty, sanitized) in the Go struct's declaration order.
_Field = Tuple[str, str, bool, bool]
_MAINTAINER: Sequence[_Field] = (
    ("name", "str", True, True),
    ("email", "str", True, True),
    ("url", "str", True, True),
)
_DEPENDENCY: Sequence[_Field] = (
    ("name", "str", False, True),
    ("version", "str", True, True),
    ("repository", "str", False, True),
    ("condition", "str", True, True),
    ("tags", "[str]", True, True),
    ("enabled", "bool", True, False),
    ("import-values", "[any]", True, False),
    ("alias", "str", True, False),
)
_METADATA: Sequence[_Field] = (
    ("name", "str", True, True),
    ("home", "str", True, True),
    ("sources", "[str]", True, True),
    ("version", "str", True, False),
    ("description", "str", True, True),
    ("keywords", "[str]", True, True),
    ("maintainers", "[maintainer]", True, False),
    ("icon", "str", True, True),
    ("apiVersion", "str", True, False),
    ("condition", "str", True, True),
    ("tags", "str", True, True),
    ("appVersion", "str", True, True),
    ("deprecated", "bool", True, False),
    ("annotations", "{str}", True, False),
    ("kubeVersion", "str", True, True),
    ("dependencies", "[dependency]", True, False),
    ("type", "str", True, False),
)
_LOCK: Sequence[_Field] = (
    ("generated", "time", False, False),
    ("digest", "str", False, False),
    ("dependencies", "[dependency]", False, False),
)
_STRUCTS: Dict[str, Sequence[_Field]] = {"maintainer": _MAINTAINER, "dependency": _DEPENDENCY}
_ZERO: Dict[str, Any] = {"str": "", "bool": False, "time": "0001-01-01T00:00:00Z"}


def sanitize(text: str) -> str:
    """Helm's `sanitizeString`: whitespace becomes a space, unprintable characters go."""
    kept = (ch for ch in text if _is_go_space(ch) or ch.isprintable())
    return "".join(" " if _is_go_space(ch) else ch for ch in kept)


def _is_go_space(ch: str) -> bool:
    if ch in "\t\n\v\f\r \x85\xa0":
        return True
    return ord(ch) > 0xFF and unicodedata.category(ch) in ("Zs", "Zl", "Zp")


class _Decoder:
    """Turns a composed YAML tree into Go-struct-shaped dicts the way Helm's loader does."""

    def __init__(self, path: str, what: str) -> None:
        self.path = path
        self.what = what

    def error(self, node: Node, message: str, hint: str) -> ChartError:
        return ChartError(self.path, line_of(node), message, hint)

    def struct(self, node: Node, fields: Sequence[_Field], name: str) -> Optional[_Struct]:
        if _is_null(node):
            return None
        if not isinstance(node, MappingNode):
            raise self.error(
                node, f"{name} must be a mapping of fields", "write `key: value` lines"
            )
        by_name = {field[0]: field for field in fields}
        values: Dict[str, Any] = {}
        keyed = [(self.key(key), key, value) for key, value in mapping_items(node)]
        # sigs.k8s.io/yaml hands Go's JSON decoder an object with sorted keys; a later key that
        # matches the same field (case-insensitively) wins.
        for key, _, value in sorted(keyed, key=lambda item: item[0].encode("utf-8")):
            field = by_name.get(key) or next(
                (f for f in fields if f[0].casefold() == key.casefold()), None
            )
            if field is None:
                continue
            decoded = self.value(value, field[1], f"{name}.{field[0]}" if name else field[0])
            if decoded is not None:
                values[field[0]] = decoded
        result = _Struct()
        for field_name, kind, omitempty, sanitized in fields:
            field_value = values.get(field_name, _ZERO.get(kind))
            if sanitized and isinstance(field_value, str):
                field_value = sanitize(field_value)
            elif sanitized and isinstance(field_value, list):
                field_value = [sanitize(item) for item in field_value]
            if omitempty and _is_empty(field_value):
                continue
            result[field_name] = field_value
        return result

    def key(self, node: Node) -> str:
        if not isinstance(node, ScalarNode):
            raise self.error(node, "a mapping key must be a single value", "quote the key")
        tag, value = helm_yaml.compose_scalar(node)
        if tag == helm_yaml.NULL:
            raise self.error(node, "a mapping key is empty (null)", "give the key a name")
        if tag == helm_yaml.FLOAT:
            return _yaml_float_key(value)
        text = helm_yaml.scalar_as_go_string(tag, value, node.value)
        assert text is not None
        return text

    def value(self, node: Node, kind: str, name: str) -> Any:
        if _is_null(node):
            return None
        if kind == "str":
            if not isinstance(node, ScalarNode):
                raise self.error(
                    node, f"`{name}` must be a single value", f"write it as `{name}: <text>`"
                )
            tag, value = helm_yaml.compose_scalar(node)
            return helm_yaml.scalar_as_go_string(tag, value, node.value)
        if kind == "bool":
            tag, value = (
                helm_yaml.compose_scalar(node) if isinstance(node, ScalarNode) else ("", None)
            )
            if tag != helm_yaml.BOOL:
                raise self.error(
                    node, f"`{name}` must be true or false", f"write `{name}: true` (unquoted)"
                )
            return value
        if kind == "time":
            return self.time(node, name)
        if kind == "{str}":
            if not isinstance(node, MappingNode):
                raise self.error(node, f"`{name}` must be a mapping", "write `key: value` lines")
            return {
                self.key(key): self.value(value, "str", name) or ""
                for key, value in mapping_items(node)
            }
        if kind == "[any]":
            self.sequence(node, name)
            return [self.loose(item) for item in node.value]
        if kind == "[str]":
            self.sequence(node, name)
            return [self.value(item, "str", name) or "" for item in node.value]
        struct_name = kind[1:-1]
        self.sequence(node, name)
        items = [self.struct(item, _STRUCTS[struct_name], name) for item in node.value]
        for item, item_node in zip(items, node.value):
            if item is None:
                raise self.error(
                    item_node,
                    f"`{name}` must not contain empty entries",
                    "remove the empty `-` line",
                )
        return items

    def sequence(self, node: Node, name: str) -> None:
        if not isinstance(node, SequenceNode):
            raise self.error(node, f"`{name}` must be a list", f"write `{name}:` then `- ` items")

    def time(self, node: Node, name: str) -> str:
        text = node.value if isinstance(node, ScalarNode) else ""
        match = _RFC3339.fullmatch(text)
        if match is None:
            raise self.error(
                node,
                f"`{name}` is not an RFC 3339 time",
                "regenerate Chart.lock with `helm dependency update`",
            )
        date, clock, fraction, offset = match.groups()
        fraction = (fraction or "").rstrip("0")
        if fraction == ".":
            fraction = ""
        if offset in ("Z", "z", "+00:00", "-00:00"):
            offset = "Z"
        return f"{date}T{clock}{fraction}{offset}"

    def loose(self, node: Node) -> Any:
        """A value of an `interface{}` field, after Helm's YAML -> JSON -> YAML round trip."""
        if isinstance(node, MappingNode):
            return {self.key(key): self.loose(value) for key, value in mapping_items(node)}
        if isinstance(node, SequenceNode):
            return [self.loose(item) for item in node.value]
        assert isinstance(node, ScalarNode)
        tag, value = helm_yaml.compose_scalar(node)
        if tag == helm_yaml.FLOAT:
            if math.isnan(value) or math.isinf(value):
                raise self.error(node, "JSON has no NaN or infinity", "use a finite number")
            if value == int(value) and abs(value) < 1e21:
                return int(value)
        if tag == helm_yaml.TIMESTAMP:
            return node.value
        return value


def _yaml_float_key(value: float) -> str:
    text = helm_yaml.format_go_float(value, 32)
    return {"+Inf": ".inf", "-Inf": "-.inf", "NaN": ".nan"}.get(text, text)


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and helm_yaml.compose_scalar(node)[0] == helm_yaml.NULL


def _is_empty(value: Any) -> bool:
    return value is None or value is False or value == "" or value == [] or value == {}


def load_metadata(text: str, path: str) -> Dict[str, Any]:
    """Chart.yaml `text` (from `path`) as Helm holds it after loading: a dict in the Go struct's
    field order without empty fields, text fields sanitized. Raises `ChartError` where Helm
    refuses the file."""
    root = compose_one(text, path, "Chart.yaml")
    decoder = _Decoder(path, "Chart.yaml")
    if root is None:
        raise ChartError(path, 1, "Chart.yaml is empty", "write apiVersion, name and version")
    metadata = decoder.struct(root, _METADATA, "")
    assert metadata is not None
    _validate(metadata, root, path)
    return metadata


def _validate(metadata: Dict[str, Any], root: Node, path: str) -> None:
    line = line_of(root)
    # Helm 2 charts could leave apiVersion out; Helm loads them as v1.
    metadata.setdefault("apiVersion", "v1")
    for field in ("apiVersion", "name", "version"):
        if not metadata.get(field):
            raise ChartError(path, line, f"`{field}` is missing or empty", f"add `{field}:`")
    name = metadata["name"]
    if "/" in name or "\\" in name:
        raise ChartError(path, line, f"chart name {name!r} is invalid", "use the directory name")
    try:
        Version.parse(metadata["version"])
    except InvalidVersion as e:
        raise ChartError(path, line, f"version: {e}", "use MAJOR.MINOR.PATCH") from e
    if metadata.get("type", "") not in ("", "application", "library"):
        raise ChartError(path, line, "chart type must be application or library", "fix `type`")
    seen: Dict[str, str] = {}
    for dependency in metadata.get("dependencies", ()):
        alias = dependency.get("alias", "")
        if alias and not _ALIAS.fullmatch(alias):
            raise ChartError(
                path,
                line,
                f"dependency {dependency['name']!r} has disallowed characters in the alias",
                "use only letters, digits, '_' and '-'",
            )
        key = alias or dependency["name"]
        if key in seen:
            raise ChartError(
                path,
                line,
                f"more than one dependency with name or alias {key!r}",
                "give dependencies on the same chart distinct aliases",
            )
        seen[key] = key


def load_lock(text: str, path: str) -> Dict[str, Any]:
    """Chart.lock `text` as Helm holds it after loading (`generated` normalized the way Go writes
    times back)."""
    root = compose_one(text, path, "Chart.lock")
    if root is None:
        raise ChartError(path, 1, "Chart.lock is empty", "run `helm dependency update`")
    lock = _Decoder(path, "Chart.lock").struct(root, _LOCK, "")
    assert lock is not None
    return lock


def metadata_yaml(metadata: Dict[str, Any]) -> bytes:
    """Chart.yaml as `helm package` writes it. A `v1` chart's dependencies are left out (Helm 2
    kept them in requirements.yaml)."""
    data = dict(metadata)
    if data.get("apiVersion") == "v1":
        data.pop("dependencies", None)
    return helm_yaml.marshal(data).encode("utf-8")


def lock_yaml(lock: Dict[str, Any]) -> bytes:
    """Chart.lock as Helm writes it."""
    return helm_yaml.marshal(lock).encode("utf-8")


def new_lock(
    requested: List[Dict[str, Any]], locked: List[Dict[str, Any]], generated: str
) -> Dict[str, Any]:
    """The Chart.lock `helm dependency update` writes for `requested` (Chart.yaml's dependencies)
    resolved to `locked` (each `{name, repository, version}`)."""
    lock = _Struct()
    lock["generated"] = generated
    lock["digest"] = lock_digest(requested, locked)
    lock["dependencies"] = [_locked_dependency(d) for d in locked]
    return lock


def _locked_dependency(dependency: Dict[str, Any]) -> _Struct:
    result = _Struct()
    result["name"] = dependency["name"]
    if dependency.get("version"):
        result["version"] = dependency["version"]
    result["repository"] = dependency.get("repository", "")
    return result


def lock_digest(requested: List[Dict[str, Any]], locked: List[Dict[str, Any]]) -> str:
    """`sha256:<hex>` of Go's JSON for `[requested, locked]`, as Helm's resolver computes it."""
    payload = go_json([requested, [_locked_dependency(d) for d in locked]])
    return "sha256:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()


_JSON_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def go_json(value: Any) -> str:
    """`value` as Go's `json.Marshal` writes it: no spaces, `<>&` escaped, struct fields in
    declaration order, map keys sorted."""
    if isinstance(value, dict):
        keys = (
            list(value) if isinstance(value, _Struct) else sorted(value, key=lambda k: k.encode())
        )
        return "{" + ",".join(f"{go_json(key)}:{go_json(value[key])}" for key in keys) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ",".join(go_json(item) for item in value) + "]"
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_json_float(value)
    if isinstance(value, str):
        return '"' + "".join(_escape(ch) for ch in value) + '"'
    raise TypeError(f"cannot write {type(value).__name__} as JSON")


def _escape(ch: str) -> str:
    if ch in _JSON_ESCAPES:
        return _JSON_ESCAPES[ch]
    if ord(ch) < 0x20:
        return f"\\u{ord(ch):04x}"
    return ch


def _go_json_float(value: float) -> str:
    magnitude = abs(value)
    if magnitude == 0 or 1e-6 <= magnitude < 1e21:
        digits, point = helm_yaml.shortest_digits(value, 64) if magnitude else ("0", 1)
        sign = "-" if value < 0 else ""
        if point <= 0:
            return f"{sign}0.{'0' * -point}{digits}"
        if point >= len(digits):
            return sign + digits + "0" * (point - len(digits))
        return f"{sign}{digits[:point]}.{digits[point:]}"
    text = helm_yaml.format_go_float(value, 64)
    return re.sub(r"e-0([0-9])$", r"e-\1", text)
