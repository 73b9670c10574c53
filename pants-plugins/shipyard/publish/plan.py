"""The release plan: what is published where, under which tags, and whether the registry already
has it; then, filled in as the run goes, the release record.

The plan is data: printed as is, it is the dry run. The goal executes it in `push_order` (repo
base images before the images built on them), pushing each image to `<registry>/<repository>`
under its content-key tag `inputs-<key>` only, and moves the user-facing tags last, when every
push of the run succeeded.

Why a content-key tag: a tag that names the inputs is as immutable in meaning as a digest (the
same key always denotes an image built from the same inputs), so pushing it first moves no
user-facing tag, and a registry that answers for `inputs-<key>` tells, before anything is built,
that this exact image is already published and which index digest it has. It is also what makes a
re-run after a failure finish the job without re-sending: pushed images are found by their key.

Plain Python: nothing here knows about Pants.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Mapping, Optional, Sequence

from shipyard.image_ref import ImageRef, InvalidImageReference

KEY_TAG_PREFIX = "inputs-"


def key_tag(key: str) -> str:
    """The tag naming an image's content key in a registry (71 characters; tags allow 128)."""
    return f"{KEY_TAG_PREFIX}{key}"


@dataclass(frozen=True)
class Destination:
    """One registry an image goes to; `digest` is the index digest it holds under the key tag."""

    alias: str
    name: str  # <registry address>/<repository>
    digest: Optional[str] = None

    @property
    def present(self) -> bool:
        return self.digest is not None


@dataclass(frozen=True)
class ImagePlan:
    address: str
    repository: str
    key: str
    platforms: tuple[str, ...]
    bases: tuple[str, ...]  # addresses of the repo base images it is built on
    tags: tuple[str, ...]
    destinations: tuple[Destination, ...]
    # In the run only because a released chart names it: tagged only if it had to be pushed.
    stamp_only: bool = False

    @property
    def present_everywhere(self) -> bool:
        return all(d.present for d in self.destinations)

    @property
    def published_digest(self) -> Optional[str]:
        """The digest a registry already holds for this key, if any does."""
        return next((d.digest for d in self.destinations if d.present), None)


def image_destination_problems(plans: Sequence[ImagePlan]) -> list[str]:
    """Why a registry would refuse an image's repository (`<registry>/<repository>`, an OCI
    repository name: lower-case words joined by `.`, `_`, `__` or `-`, path parts by `/`), which a
    Pants target name allows (`WebUI`), so that the run can stop before anything is built."""
    problems = []
    for plan in plans:
        for destination in plan.destinations:
            try:
                ImageRef.parse(destination.name)
            except InvalidImageReference as e:
                lower = plan.repository.lower()
                example = f", e.g. `repository=\"{lower}\"`" if _is_repository(lower) else ""
                problems.append(
                    f"{plan.address}: cannot be pushed to {destination.name}: {e.reason}. Set the "
                    f"target's `repository` (its name is the default){example}, or fix the "
                    "registry's address."
                )
    return problems


def _is_repository(name: str) -> bool:
    try:
        ref = ImageRef.parse(name)
    except InvalidImageReference:
        return False
    return ref.registry is None and ref.tag is None and ref.digest is None


def push_order(plans: Sequence[ImagePlan]) -> list[ImagePlan]:
    """Repo base images before the images built on them (stable otherwise: by address)."""
    by_address = {p.address: p for p in plans}
    ordered: list[ImagePlan] = []
    seen: set[str] = set()

    def visit(plan: ImagePlan) -> None:
        if plan.address in seen:
            return
        seen.add(plan.address)
        for base in sorted(plan.bases):
            if base in by_address:
                visit(by_address[base])
        ordered.append(plan)

    for plan in sorted(plans, key=lambda p: p.address):
        visit(plan)
    return ordered


def preview_lines(plans: Sequence[ImagePlan]) -> list[str]:
    """The dry run: per image, per registry, whether it holds the key, what would be pushed and
    which tags would move."""
    lines = []
    for plan in push_order(plans):
        lines.append(f"{plan.address} ({plan.repository}, {', '.join(plan.platforms)}) key {plan.key[:12]}")
        for d in plan.destinations:
            if d.present:
                lines.append(f"  {d.alias}: present as {d.name}@{d.digest}: nothing to push")
            else:
                lines.append(f"  {d.alias}: missing: would build and push {d.name}:{key_tag(plan.key)}")
            lines.append(f"  {d.alias}: would tag {', '.join(f'{d.name}:{t}' for t in plan.tags)}")
    return lines


@dataclass(frozen=True)
class Outcome:
    """What happened to one image in one registry."""

    address: str
    alias: str
    name: str
    action: str  # present | pushed | failed | not-pushed
    digest: Optional[str] = None
    blobs_sent: int = 0
    blobs_total: int = 0
    tags: tuple[str, ...] = ()
    error: Optional[str] = None
    bytes_sent: int = 0


def summary_table(outcomes: Sequence[Outcome]) -> str:
    """One row per artifact (image or chart) and registry."""
    header = ("artifact", "registry", "action", "blobs sent", "bytes sent", "digest", "tags")
    rows = [
        (
            o.name,
            o.alias,
            o.action,
            f"{o.blobs_sent}/{o.blobs_total}" if o.action == "pushed" and o.blobs_total else "-",
            str(o.bytes_sent) if o.action == "pushed" and o.blobs_total else "-",
            (o.digest or "-")[:19],
            ", ".join(o.tags) or "-",
        )
        for o in outcomes
    ]
    widths = [max(len(r[i]) for r in (header, *rows)) for i in range(len(header))]
    fmt = "  ".join(f"{{:<{w}}}" for w in widths)
    return "\n".join(fmt.format(*r).rstrip() for r in (header, *rows))


def release_record(
    plans: Sequence[ImagePlan],
    outcomes: Sequence[Outcome],
    platform_digests: dict[str, dict[str, str]],
    git: dict,
    status: str,
    charts: Sequence[dict] = (),
    why: Optional[Mapping[str, dict]] = None,
) -> str:
    """The release record (JSON): every image of the run with its key, digests, tags and
    registries, and whether it was pushed or already present, so a deploy can pin exactly it;
    and every chart (`charts`, as `goals/release_charts.py` describes them). `why` holds, per
    rebuilt image, why its key differs from the published one (`goals/release_why.py`)."""
    by_image: dict[str, list[Outcome]] = {}
    for o in outcomes:
        by_image.setdefault(o.address, []).append(o)
    images = []
    for plan in push_order(plans):
        mine = by_image.get(plan.address, [])
        digest = next((o.digest for o in mine if o.digest), plan.published_digest)
        images.append(
            {
                "address": plan.address,
                "repository": plan.repository,
                "key": plan.key,
                "index_digest": digest,
                "platforms": platform_digests.get(plan.address, {p: None for p in plan.platforms}),
                "tags": list(plan.tags),
                **({"why": (why or {})[plan.address]} if plan.address in (why or {}) else {}),
                "registries": [
                    {
                        "alias": o.alias,
                        "reference": f"{o.name}@{o.digest}" if o.digest else None,
                        "status": o.action,
                        "tags": list(o.tags),
                        "blobs_sent": o.blobs_sent,
                        "bytes_sent": o.bytes_sent,
                        **({"error": o.error} if o.error else {}),
                    }
                    for o in mine
                ],
            }
        )
    document = {"status": status, "git": git, "images": images, "charts": list(charts)}
    return json.dumps(document, indent=2, sort_keys=True) + "\n"
