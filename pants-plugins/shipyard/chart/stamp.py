"""Stamping built images into a chart's values.yaml, editing only the values that change.

`stamp_values(text, path, stamps)` rewrites the image references `values_images` finds whose name
as written (`tinyolly/ui`, `ghcr.io/acme/tinyolly/receiver`; or the whole reference as written)
is a key of `stamps`, to the stamped reference (`127.0.0.1:5000/tinyolly/ui@sha256:...`). Each
scalar is replaced in place at its YAML node's position, keeping its quoting, so comments, key
order, anchors elsewhere and layout survive.

What is written, for templates of the usual shapes `{{ .repository }}:{{ .tag }}`,
`{{ .registry }}/{{ .repository }}:{{ .tag }}` and, with a `digest` key,
`{{ .repository }}{{ if .digest }}@{{ .digest }}{{ else }}:{{ .tag }}{{ end }}`:

* `image: "tinyolly/webui:latest"` (a whole reference): the stamped reference, as given;
* a mapping with `registry`: `registry` keeps its value when the stamped name is under it, else
  gets the stamp's host (`docker.io` when it names none), and `repository` the rest of the name;
  without `registry`: `repository` gets the whole name;
* a mapping with a `digest` key: `digest` gets the stamp's digest (or `""` when the stamp has
  only a tag, so an old digest cannot win over the new tag) and `tag` the stamp's tag;
* a mapping without a `digest` key, stamped with a digest: the digest goes into `tag` as
  `<tag>@sha256:...`, so `repository:tag` renders `name:tag@sha256:...`, which pulls by digest.
  The tag part is the stamp's tag, else the tag written in values, else `latest`;
* a missing `tag` key is added after `repository` (same indentation, or `, tag: ...` in a flow
  mapping).

`ChartError`s (at `path:line`) for what cannot be stamped in place: block scalars (`|`, `>`),
values that are not single scalars, and values shared through YAML anchors or merge keys
(changing them would change other images too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Iterator, List, Mapping, Optional, Set, Tuple

import yaml
import yaml.resolver
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from shipyard.chart.errors import ChartError
from shipyard.chart.values_images import KeyPath, ValuesImageRef, find_values_image_refs
from shipyard.chart.yaml_nodes import compose_all, line_of, mapping_items, scalar_text
from shipyard.image_ref import ImageRef, InvalidImageReference

DOCKER_HUB = "docker.io"
# Plain scalars we write: reference characters only, not starting with a YAML indicator.
_SAFE_PLAIN = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_./:@+-]*")
_MERGE_TAG = "tag:yaml.org,2002:merge"
_STR_TAG = "tag:yaml.org,2002:str"


@dataclass(frozen=True)
class StampedImage:
    """One image reference rewritten in a values file."""

    path: str
    line: int
    key_path: KeyPath
    written: str
    stamped: str


@dataclass(frozen=True)
class _Edit:
    start: int
    end: int
    text: str
    insert: bool = True


def parse_stamps(image_stamps: Mapping[str, str]) -> Dict[str, ImageRef]:
    """The stamps as parsed references; ValueError for one that is not a reference with a tag or
    a digest (a caller's mistake, not the chart's)."""
    parsed: Dict[str, ImageRef] = {}
    for written, stamp in image_stamps.items():
        try:
            ref = ImageRef.parse(stamp)
        except InvalidImageReference as e:
            raise ValueError(f"image stamp for {written!r}: {e}") from e
        if ref.tag is None and ref.digest is None:
            raise ValueError(
                f"image stamp for {written!r}: {stamp!r} needs a tag or a digest to pin the image"
            )
        parsed[written] = ref
    return parsed


def stamp_values(
    text: str, path: str, image_stamps: Mapping[str, str]
) -> Tuple[str, Tuple[StampedImage, ...]]:
    """`text` (a values file read from `path`) with the references named in `image_stamps`
    rewritten, and what was rewritten, in document order."""
    stamps = parse_stamps(image_stamps)
    if not stamps:
        return text, ()
    refs = find_values_image_refs(text, path)
    documents = compose_all(text, path, "the values file")
    stamper = _Stamper(text, path, _count_uses(documents))
    edits: List[_Edit] = []
    stamped: List[StampedImage] = []
    for ref in refs:
        stamp_text, stamp = _stamp_for(ref, image_stamps, stamps)
        if stamp is None:
            continue
        node, parent = _locate(documents, ref)
        if isinstance(node, MappingNode):
            edits.extend(stamper.mapping(node, stamp))
        else:
            edits.append(stamper.replace(node, stamp_text, _in_flow(parent)))
        stamped.append(StampedImage(path, ref.line, ref.key_path, ref.reference, stamp_text))
    return _apply(text, path, edits), tuple(stamped)


def _stamp_for(
    ref: ValuesImageRef, image_stamps: Mapping[str, str], stamps: Mapping[str, ImageRef]
) -> Tuple[str, Optional[ImageRef]]:
    name = ImageRef.parse(ref.reference).name
    for key in (ref.reference, name):
        if key in stamps:
            return image_stamps[key], stamps[key]
    return "", None


def _locate(documents: List[Node], ref: ValuesImageRef) -> Tuple[Node, Optional[Node]]:
    """The node `ref.key_path` leads to (the mapping holding `repository`, or the string), and
    its parent; the document is the one where the reference sits on `ref.line`."""
    for document in documents:
        found = _follow(document, ref.key_path)
        if found is None:
            continue
        node, parent = found
        if isinstance(node, MappingNode):
            repository = _fields(node).get("repository")
            if repository is not None and line_of(repository[1]) == ref.line:
                return node, parent
        elif isinstance(node, ScalarNode) and line_of(node) == ref.line:
            return node, parent
    raise AssertionError(f"image reference {ref} not found again in the values file")


def _follow(node: Node, key_path: KeyPath) -> Optional[Tuple[Node, Optional[Node]]]:
    parent: Optional[Node] = None
    for step in key_path:
        if isinstance(step, int):
            if not isinstance(node, SequenceNode) or step >= len(node.value):
                return None
            parent, node = node, node.value[step]
        else:
            if not isinstance(node, MappingNode):
                return None
            pair = _fields(node).get(step)
            if pair is None:
                return None
            parent, node = node, pair[1]
    return node, parent


def _fields(node: MappingNode) -> Dict[str, Tuple[Node, Node]]:
    return {
        key.value: (key, value) for key, value in mapping_items(node) if isinstance(key, ScalarNode)
    }


def _in_flow(parent: Optional[Node]) -> bool:
    return bool(parent is not None and getattr(parent, "flow_style", False))


def _count_uses(documents: List[Node]) -> Dict[int, int]:
    """How many places of the documents reach each node (more than one: an anchor or merge)."""
    uses: Dict[int, int] = {}

    def visit(node: Node, active: Set[int]) -> None:
        uses[id(node)] = uses.get(id(node), 0) + 1
        if id(node) in active:
            return
        active.add(id(node))
        for child in _children(node):
            visit(child, active)
        active.discard(id(node))

    for document in documents:
        visit(document, set())
    return uses


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            yield key
            yield value
    elif isinstance(node, SequenceNode):
        yield from node.value


class _Stamper:
    def __init__(self, text: str, path: str, uses: Mapping[int, int]) -> None:
        self.text = text
        self.path = path
        self.uses = uses

    def error(self, node: Node, message: str, hint: str) -> ChartError:
        return ChartError(self.path, line_of(node), message, hint)

    def mapping(self, node: MappingNode, stamp: ImageRef) -> List[_Edit]:
        fields = _fields(node)
        edits: List[_Edit] = []
        if "registry" in fields:
            registry, repository = _split_name(stamp, scalar_text(fields["registry"][1]))
            self.set(node, fields, "registry", registry, edits)
            self.set(node, fields, "repository", repository, edits)
        else:
            self.set(node, fields, "repository", stamp.name, edits)
        tag = stamp.tag
        if stamp.digest is not None and "digest" in fields:
            self.set(node, fields, "digest", stamp.digest, edits)
        elif stamp.digest is not None:
            tag = f"{tag or _written_tag(fields) or 'latest'}@{stamp.digest}"
        elif "digest" in fields and scalar_text(fields["digest"][1]):
            self.set(node, fields, "digest", "", edits)
        if tag is not None:
            self.set(node, fields, "tag", tag, edits)
        return edits

    def set(
        self,
        node: MappingNode,
        fields: Mapping[str, Tuple[Node, Node]],
        key: str,
        value: str,
        edits: List[_Edit],
    ) -> None:
        """Replace `key`'s value when the mapping itself writes it; else add `key: value` to the
        mapping (a key it only gets through a merge is then overridden, not edited)."""
        own = {
            k.value: v
            for k, v in node.value
            if isinstance(k, ScalarNode) and k.tag != _MERGE_TAG
        }
        if key in own:
            edits.append(self.replace(own[key], value, bool(node.flow_style)))
        else:
            edits.append(self.insert(node, fields, key, value))

    def replace(self, node: Node, value: str, flow: bool) -> _Edit:
        self.check_own(node)
        if not isinstance(node, ScalarNode):
            raise self.error(
                node,
                "this image value is not a single value, so it cannot be stamped",
                "write it as `key: value`",
            )
        if node.style in ("|", ">"):
            raise self.error(
                node,
                "this image value is a block scalar (`|` or `>`), which cannot be stamped in place",
                "write the value on one line",
            )
        start, end = node.start_mark.index, node.end_mark.index
        written = _scalar_source(value, node.style, flow)
        if start == end:
            # An empty value (`tag:`): the node sits right after the colon.
            written = " " + written
        return _Edit(start, end, written, insert=False)

    def insert(
        self, node: MappingNode, fields: Mapping[str, Tuple[Node, Node]], key: str, value: str
    ) -> _Edit:
        self.check_own(node)
        after_key, after_value = _anchor_pair(node, fields)
        if node.flow_style:
            position = after_value.end_mark.index
            return _Edit(position, position, f", {key}: {_scalar_source(value, None, True)}")
        position = self.text.find("\n", after_value.end_mark.index)
        if position < 0:
            position = len(self.text)
        indent = " " * after_key.start_mark.column
        return _Edit(position, position, f"\n{indent}{key}: {_scalar_source(value, None, False)}")

    def check_own(self, node: Node) -> None:
        if self.uses.get(id(node), 1) > 1:
            raise self.error(
                node,
                "this image value is shared through a YAML anchor or alias, so stamping it "
                "would change every image that uses it",
                "write the image's values out in full here instead of using an alias",
            )


def _split_name(stamp: ImageRef, written_registry: Optional[str]) -> Tuple[str, str]:
    """(registry, repository) for a mapping with a `registry` key: the written registry is kept
    when the stamped name is under it (`ghcr.io/acme` + `tinyolly/ui`), else the stamp's host
    (`docker.io` when it names none) and path."""
    prefix = (written_registry or "").strip().rstrip("/")
    if prefix and stamp.name.startswith(prefix + "/"):
        return prefix, stamp.name[len(prefix) + 1 :]
    return stamp.registry or DOCKER_HUB, stamp.repository


def _written_tag(fields: Mapping[str, Tuple[Node, Node]]) -> Optional[str]:
    """The tag written in values, when it is a valid tag."""
    pair = fields.get("tag")
    written = scalar_text(pair[1]) if pair is not None else None
    if not written or not written.strip():
        return None
    try:
        ImageRef.parse(f"name:{written.strip()}")
    except InvalidImageReference:
        return None
    return written.strip()


def _anchor_pair(node: MappingNode, fields: Mapping[str, Tuple[Node, Node]]) -> Tuple[Node, Node]:
    """The pair to add a key after: `repository` when this mapping writes it, else the mapping's
    last pair (possibly its merge key)."""
    repository = fields["repository"]
    if any(value is repository[1] for _, value in node.value):
        return repository
    last_key, last_value = node.value[-1]
    return last_key, last_value


def _scalar_source(value: str, style: Optional[str], flow: bool) -> str:
    """`value` as YAML source text, in the old scalar's quoting where it had some."""
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == '"' or not _plain_ok(value, flow):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return value


def _plain_ok(value: str, flow: bool) -> bool:
    if not _SAFE_PLAIN.fullmatch(value) or _reads_as_other_type(value):
        return False
    # In a flow collection, `:` inside a plain scalar is read differently by YAML parsers.
    return not (flow and ":" in value)


def _reads_as_other_type(value: str) -> bool:
    """True when YAML 1.1 (which Helm's go-yaml follows for plain scalars: `yes`, `0o17`,
    `1:30`, dates) would read `value` unquoted as something other than a string."""
    return yaml.resolver.Resolver().resolve(ScalarNode, value, (True, False)) != _STR_TAG


def _apply(text: str, path: str, edits: List[_Edit]) -> str:
    # Stable sort: additions at one position keep their order.
    ordered = sorted(edits, key=lambda edit: (edit.start, edit.end))
    replaced = [edit for edit in ordered if not edit.insert]
    for earlier, later in zip(replaced, replaced[1:]):
        if later.start < earlier.end or later.start == earlier.start:
            raise ChartError(
                path,
                text.count("\n", 0, later.start) + 1,
                "two image references share this value and would be stamped differently",
                "give each image its own values",
            )
    for edit in reversed(ordered):
        text = text[: edit.start] + edit.text + text[edit.end :]
    return text
