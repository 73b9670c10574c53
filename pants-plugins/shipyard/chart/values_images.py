"""Finding image references in a chart's values files.

Two shapes are recognised, at any depth of mappings and lists:

* a mapping with a string `repository` and optional sibling `registry`, `tag` and `digest`
  (the usual `image: {repository: tinyolly/ui, tag: latest}`);
* a key named `image`, or ending in `Image` (`initImage`), whose value is a whole reference
  string such as `tinyolly/webui:v2.1.8`.

This over-reports on purpose (any `repository` key is a candidate): the caller keeps only the
references a `RepositoryMatcher` recognises, so an extra candidate costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Set, Tuple, Union

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from shipyard.chart.errors import ChartError
from shipyard.chart.yaml_nodes import NULL_TAG, STR_TAG, compose_all, line_of, mapping_items, scalar_text
from shipyard.image_ref import ImageRef, InvalidImageReference, has_template_syntax

KeyPath = Tuple[Union[str, int], ...]


@dataclass(frozen=True)
class ValuesImageRef:
    """An image reference found in a values file.

    `key_path` leads to the mapping holding `repository`, or to the `image`-like key itself.
    `reference` is `[registry/]repository[:tag][@digest]` assembled from the parts. `registry`
    and `repository` are as written for the mapping shape, and split by the reference grammar for
    the string shape. `line` is the line of the `repository` value or of the string.
    """

    key_path: KeyPath
    reference: str
    registry: Optional[str]
    repository: str
    tag: Optional[str]
    digest: Optional[str]
    line: int


def is_image_key(key: str) -> bool:
    """True for keys whose string value is taken as a whole image reference."""
    return key == "image" or key.endswith("Image")


def find_values_image_refs(text: str, path: str) -> List[ValuesImageRef]:
    """Every image reference in values YAML `text` (from `path`, used in errors), in document
    order. Values containing template syntax are skipped: their value is only known at render
    time. Raises `ChartError` for malformed YAML and for a document that is not a mapping (Helm
    reads the first document into a map and refuses a list or a scalar at its top level)."""
    found: List[ValuesImageRef] = []
    for number, document in enumerate(compose_all(text, path, "the values file")):
        # Helm reads only the first document of a values file.
        if number == 0 and not isinstance(document, MappingNode) and not _is_null(document):
            kind = "a list" if isinstance(document, SequenceNode) else f"the value {scalar_text(document)!r}"
            raise ChartError(
                path,
                line_of(document),
                f"the values file must be a mapping of keys to values, but its top level is {kind}",
                "write `key: value` pairs at the top level, e.g. `image:` with `repository:` under it "
                "(Helm refuses this file)",
            )
        _walk(document, (), found, set())
    return found


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == NULL_TAG


def _walk(node: Node, key_path: KeyPath, found: List[ValuesImageRef], active: Set[int]) -> None:
    # `active` holds the nodes on the current path, so recursive YAML aliases do not loop.
    if id(node) in active:
        return
    active.add(id(node))
    try:
        if isinstance(node, MappingNode):
            items = mapping_items(node)
            fields: Dict[str, Node] = {
                key.value: value for key, value in items if isinstance(key, ScalarNode)
            }
            mapping_ref = _from_mapping(fields, key_path)
            if mapping_ref is not None:
                found.append(mapping_ref)
            for key, value in items:
                if not isinstance(key, ScalarNode):
                    continue
                child_path = key_path + (key.value,)
                if is_image_key(key.value):
                    string_ref = _from_string(value, child_path)
                    if string_ref is not None:
                        found.append(string_ref)
                _walk(value, child_path, found, active)
        elif isinstance(node, SequenceNode):
            for index, item in enumerate(node.value):
                _walk(item, key_path + (index,), found, active)
    finally:
        active.discard(id(node))


def _literal(node: Optional[Node], strings_only: bool = True) -> Optional[str]:
    """A scalar's text when it is set and has no template syntax, else None."""
    if node is None or not isinstance(node, ScalarNode):
        return None
    if strings_only and node.tag != STR_TAG:
        return None
    text = scalar_text(node)
    if not text or has_template_syntax(text):
        return None
    return text.strip() or None


def _is_templated(node: Optional[Node]) -> bool:
    text = scalar_text(node) if node is not None else None
    return text is not None and has_template_syntax(text)


def _from_mapping(fields: Dict[str, Node], key_path: KeyPath) -> Optional[ValuesImageRef]:
    repository_node = fields.get("repository")
    repository = _literal(repository_node)
    if repository is None or repository_node is None:
        return None
    registry_node = fields.get("registry")
    registry = _literal(registry_node)
    if registry is None and _is_templated(registry_node):
        # The registry is only known at render time, so the image's name is unknown.
        return None
    name = f"{registry.rstrip('/')}/{repository}" if registry else repository
    try:
        ImageRef.parse(name)
    except InvalidImageReference:
        return None
    # Tags are often numbers (`tag: 1.10`); the text is kept exactly as written.
    tag = _valid_part(name, ":", _literal(fields.get("tag"), strings_only=False))
    digest = _valid_part(name, "@", _literal(fields.get("digest")))
    reference = name + (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
    return ValuesImageRef(
        key_path=key_path,
        reference=reference,
        registry=registry,
        repository=repository,
        tag=tag,
        digest=digest,
        line=line_of(repository_node),
    )


def _valid_part(name: str, separator: str, part: Optional[str]) -> Optional[str]:
    """`part` when `name<separator><part>` is a valid reference; an invalid tag or digest is
    dropped so the repository is still reported."""
    if part is None:
        return None
    try:
        ImageRef.parse(f"{name}{separator}{part}")
    except InvalidImageReference:
        return None
    return part


def _from_string(node: Node, key_path: KeyPath) -> Optional[ValuesImageRef]:
    text = _literal(node)
    if text is None:
        return None
    try:
        ref = ImageRef.parse(text)
    except InvalidImageReference:
        return None
    return ValuesImageRef(
        key_path=key_path,
        reference=str(ref),
        registry=ref.registry,
        repository=ref.repository,
        tag=ref.tag,
        digest=ref.digest,
        line=line_of(node),
    )
