#!/usr/bin/env python3
"""Where a Pants run's time went: the processes it ran, from the workunit logger's JSON.

Usage: python3 tools/bench/workunit_timeline.py LOG.json [--min-seconds 0.2]

Make the log by adding to any Pants command (Pants 2.17's own backend, no install needed):

    --backend-packages="+['pants.backend.experimental.tools.workunit_logger']"
    --workunit-logger-enabled --workunit-logger-logdir=DIR

Prints, in start order, each process that ran (a cache hit runs none): when it was asked for,
when it started and ended (seconds from the first workunit), how long it waited for one of
Pants' process slots (`[GLOBAL].process_execution_local_parallelism`, the core count by
default) and how long it ran; then the goal's span and the process time summed. A process that
waited long while the goal's end is near is on the critical path only because of the queue.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional, Sequence

_QUEUED_PREFIX = "Scheduling: "


@dataclass(frozen=True)
class ProcessSpan:
    description: str
    asked: float  # when Pants asked for it (the "Scheduling: ..." workunit began)
    start: float  # when it began to run
    end: float

    @property
    def waited(self) -> float:
        return self.start - self.asked

    @property
    def ran(self) -> float:
        return self.end - self.start


def _seconds(workunit: dict, prefix: str) -> float:
    return (workunit.get(f"{prefix}_secs") or 0) + (workunit.get(f"{prefix}_nanos") or 0) / 1e9


def process_spans(workunits: Sequence[dict]) -> tuple[List[ProcessSpan], float]:
    """The processes that ran, and the span of the whole log (seconds)."""
    if not workunits:
        return [], 0.0
    origin = min(_seconds(w, "start") for w in workunits)
    end = max(_seconds(w, "start") + _seconds(w, "duration") for w in workunits)
    by_id = {w["span_id"]: w for w in workunits}
    spans = []
    for w in workunits:
        if w.get("name") != "run_local_process":
            continue
        start = _seconds(w, "start") - origin
        parent: Optional[dict] = by_id.get(w.get("parent_id"))
        queued = parent is not None and (parent.get("description") or "").startswith(_QUEUED_PREFIX)
        asked = _seconds(parent, "start") - origin if queued else start
        spans.append(ProcessSpan(w.get("description") or "", asked, start, start + _seconds(w, "duration")))
    return sorted(spans, key=lambda s: (s.start, s.description)), end - origin


def report(spans: Sequence[ProcessSpan], span: float, min_seconds: float) -> str:
    lines = [f"{'asked':>7} {'start':>7} {'end':>7} {'waited':>7} {'ran':>7}  process"]
    for s in spans:
        if s.ran >= min_seconds or s.waited >= min_seconds:
            lines.append(f"{s.asked:7.2f} {s.start:7.2f} {s.end:7.2f} {s.waited:7.2f} {s.ran:7.2f}  {s.description}")
    shown = len(lines) - 1
    lines.append(
        f"log span {span:.2f} s; {len(spans)} processes ran ({shown} shown: ran or waited >= {min_seconds} s), "
        f"{sum(s.ran for s in spans):.2f} s of process time, {sum(s.waited for s in spans):.2f} s waiting for a slot"
    )
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("log", type=Path, help="a JSON file written by Pants' workunit logger")
    parser.add_argument("--min-seconds", type=float, default=0.2,
                        help="show processes that ran or waited at least this long (default 0.2)")
    args = parser.parse_args(argv)
    try:
        workunits = json.loads(args.log.read_text())
    except (OSError, ValueError) as e:
        print(f"workunit_timeline: cannot read {args.log}: {e}", file=sys.stderr)
        return 2
    spans, span = process_spans(workunits)
    print(report(spans, span, args.min_seconds))
    return 0


if __name__ == "__main__":
    sys.exit(main())
