"""Why `release` rebuilds an image, answered by the registry (see `publish/key_diff.py`).

Every image `release` pushes carries its key-inputs record (`publish/inputs_artifact.py`). For an
image about to be rebuilt, `explain_rebuilds` asks the image's first registry which digest the
comparison tag (`[release].compare_tag`, default: the branch tag, e.g. `dev`) names, fetches that
digest's record, and diffs it with the inputs of the key being published. No local state is
involved: any machine, any time later, gets the same answer.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

from pants.engine.addresses import Address
from pants.engine.fs import CreateDigest, Digest, DigestContents, FileContent
from pants.engine.rules import Get, MultiGet

from shipyard.publish.inputs_artifact import artifact_layout, artifact_tag, read_artifact
from shipyard.publish.key_diff import key_changes
from shipyard.publish.plan import ImagePlan
from shipyard.registries import Registry
from shipyard.util_rules.key_inputs import ImageKeyInputs, ImageKeyInputsRequest
from shipyard.util_rules.registry_client import Fetch, Inspect, RegistryOperations, RegistryResults


@dataclass(frozen=True)
class Explanation:
    """Why an image's key differs from the one the registry's comparison tag names."""

    compared_with: Optional[str]  # `<name>@<digest>` of the published image compared with
    changes: tuple[str, ...]  # one line per difference
    note: Optional[str] = None  # why there is nothing to compare with


async def key_inputs(plans: Sequence[ImagePlan], addresses: Mapping[str, Address]) -> dict[str, ImageKeyInputs]:
    found = await MultiGet(Get(ImageKeyInputs, ImageKeyInputsRequest(addresses[p.address])) for p in plans)
    return {p.address: f for p, f in zip(plans, found)}


async def inputs_artifact_layout(inputs: ImageKeyInputs) -> Digest:
    """The record of `inputs` as an OCI layout, ready to push next to the image."""
    files = artifact_layout(inputs.document.encode())
    return await Get(Digest, CreateDigest(FileContent(path, data) for path, data in sorted(files.items())))


async def _per_registry(
    requests: Mapping[str, list[tuple[str, Inspect | Fetch]]], registries: Mapping[str, Registry], what: str
) -> dict[str, tuple[dict, Optional[Digest], int]]:
    """Runs each registry's operations (lookups and fetches, side by side); image address → (its
    result, the fetched layouts, the index of its operation)."""
    aliases = [a for a in requests if requests[a]]
    results = await MultiGet(
        Get(
            RegistryResults,
            RegistryOperations(registries[a], tuple(op for _, op in requests[a]), f"{what} in {a}", independent=True),
        )
        for a in aliases
    )
    out = {}
    for alias, result in zip(aliases, results):
        for i, ((address, _), answer) in enumerate(zip(requests[alias], result.results)):
            out[address] = (answer, result.fetched, i)
    return out


async def explain_rebuilds(
    plans: Sequence[ImagePlan],
    inputs: Mapping[str, ImageKeyInputs],
    registries: Mapping[str, Registry],
    compare_tag: str,
) -> dict[str, Explanation]:
    """Image address → why its key differs from the registry's `compare_tag` (module doc)."""
    tagged: dict[str, list[tuple[str, Inspect | Fetch]]] = defaultdict(list)
    for plan in plans:
        if plan.destinations:
            d = plan.destinations[0]
            tagged[d.alias].append((plan.address, Inspect(f"{d.name}:{compare_tag}")))
    published = await _per_registry(tagged, registries, f"Look up the published {compare_tag} images")

    explanations: dict[str, Explanation] = {}
    records: dict[str, list[tuple[str, Inspect | Fetch]]] = defaultdict(list)
    compared: dict[str, str] = {}
    for plan in plans:
        answer = published.get(plan.address, ({"error": "not looked up"}, None, 0))[0]
        d = plan.destinations[0] if plan.destinations else None
        if d is None or "error" in answer:
            explanations[plan.address] = Explanation(None, (), f"the registry could not be asked for {compare_tag}")
        elif not answer.get("present"):
            explanations[plan.address] = Explanation(None, (), f"no {d.name}:{compare_tag} published yet: a first release")
        else:
            compared[plan.address] = f"{d.name}@{answer['digest']}"
            records[d.alias].append((plan.address, Fetch(f"{d.name}:{artifact_tag(answer['digest'])}")))
    fetched = await _per_registry(records, registries, "Fetch key-inputs records")

    layouts = {address: (layout, i) for address, (answer, layout, i) in fetched.items() if answer.get("ok") and layout}
    contents = await MultiGet(Get(DigestContents, Digest, layout) for layout, _ in layouts.values())
    documents = {}
    for (address, (_, i)), files in zip(layouts.items(), contents):
        prefix = f"{i}/"
        document = read_artifact({f.path[len(prefix) :]: f.content for f in files if f.path.startswith(prefix)})
        if document is not None:
            documents[address] = document
    for address, reference in compared.items():
        if address not in documents:
            explanations[address] = Explanation(reference, (), f"{reference} has no key-inputs record (published before records were kept, or by another tool)")
            continue
        try:
            old = json.loads(documents[address])
        except ValueError:
            explanations[address] = Explanation(reference, (), f"{reference} has an unreadable key-inputs record")
            continue
        new = json.loads(inputs[address].document)
        explanations[address] = Explanation(reference, tuple(key_changes(old, new)))
    return explanations


def explanation_lines(explanation: Explanation) -> list[str]:
    """How the dry run and the progress show an explanation."""
    if explanation.note is not None:
        return [f"why: {explanation.note}"]
    if not explanation.changes:
        return [f"why: same inputs as {explanation.compared_with}"]
    return [f"why: its inputs differ from {explanation.compared_with}'s:", *(f"  {line}" for line in explanation.changes)]
