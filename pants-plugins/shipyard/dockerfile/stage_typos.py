"""Telling a misspelt stage name from an image name in `COPY --from=` and `RUN --mount=from=`.

BuildKit takes a `--from` value that names no stage as an image, so `COPY --from=biuld` (for the
stage `build`) builds on the image `docker.io/library/biuld`: the `build` stage drops out, and with
it every file it copies. A value is taken for a misspelt stage only when it could hardly be an
image the user means: no registry, path, tag or digest (`node:20`, `acme/tools`, `ghcr.io/x` are
images), and within one edit (two for names longer than six characters) of a stage name, counting
a swap of neighbours as one edit.

Plain Python: nothing here knows about Pants.
"""

from __future__ import annotations

from typing import Iterable, Optional

_MIN_LENGTH = 3  # `a` vs `b` says nothing about intent


def misspelt_stage(value: str, stage_names: Iterable[str]) -> Optional[str]:
    """The stage name `value` (which names no stage) is most likely a typo of, or None when
    `value` may well be an image."""
    if any(ch in value for ch in "/:@") or len(value) < _MIN_LENGTH:
        return None
    wanted = value.lower()
    best: Optional[tuple[int, str]] = None
    for name in sorted(set(stage_names)):
        limit = 1 if len(name) <= 6 else 2
        distance = edit_distance(wanted, name.lower())
        if 0 < distance <= limit and (best is None or distance < best[0]):
            best = (distance, name)
    return best[1] if best else None


def edit_distance(a: str, b: str) -> int:
    """Insertions, deletions, substitutions and swaps of neighbouring characters turning `a` into
    `b` (the optimal string alignment distance)."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i in range(1, len(a) + 1):
        current = [i] + [0] * len(b)
        for j in range(1, len(b) + 1):
            cost = 0 if a[i - 1] == b[j - 1] else 1
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
            if i > 1 and j > 1 and a[i - 1] == b[j - 2] and a[i - 2] == b[j - 1]:
                current[j] = min(current[j], previous2[j - 2] + 1)
        previous2, previous = previous, current
    return previous[len(b)]
