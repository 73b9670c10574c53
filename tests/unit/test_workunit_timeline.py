"""tools/bench/workunit_timeline.py: processes' queue wait and run time, from workunits shaped as
Pants 2.17's workunit logger writes them (a `process` workunit "Scheduling: <description>" that
is the parent of the `run_local_process` workunit of the same process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.bench.workunit_timeline import main, process_spans, report

T0 = 1_000


def workunit(span_id: str, name: str, start: float, duration: float, description: str = "", parent: str | None = None) -> dict:
    whole = int(start)
    return {
        "name": name,
        "span_id": span_id,
        "parent_id": parent,
        "level": "INFO",
        "start_secs": T0 + whole,
        "start_nanos": round((start - whole) * 1e9),
        "duration_secs": int(duration),
        "duration_nanos": round((duration - int(duration)) * 1e9),
        "description": description,
        "metadata": {},
    }


LOG = [
    workunit("goal", "pants.core.goals.package.package_asset", 0.0, 10.0, "`package` goal"),
    # Asked for at 1.0, waited for a slot until 4.0, ran 3.5 s.
    workunit("q1", "process", 1.0, 6.5, "Scheduling: Building a for linux/amd64", parent="goal"),
    workunit("r1", "run_local_process", 4.0, 3.5, "Building a for linux/amd64", parent="q1"),
    # Ran at once.
    workunit("q2", "process", 1.0, 2.0, "Scheduling: Building b", parent="goal"),
    workunit("r2", "run_local_process", 1.0, 2.0, "Building b", parent="q2"),
    # A cache hit: asked for, never run.
    workunit("q3", "process", 2.0, 0.01, "Scheduling: Building c", parent="goal"),
    # A run without a scheduling parent counts no wait.
    workunit("r4", "run_local_process", 8.0, 0.1, "Test binary /bin/sh.", parent="goal"),
]


def test_wait_and_run_times_come_from_the_scheduling_parent() -> None:
    spans, span = process_spans(LOG)
    assert span == pytest.approx(10.0)
    by_name = {s.description: s for s in spans}
    assert set(by_name) == {"Building a for linux/amd64", "Building b", "Test binary /bin/sh."}
    a = by_name["Building a for linux/amd64"]
    assert (a.asked, a.start, a.end) == pytest.approx((1.0, 4.0, 7.5))
    assert (a.waited, a.ran) == pytest.approx((3.0, 3.5))
    assert by_name["Building b"].waited == pytest.approx(0.0)
    assert by_name["Test binary /bin/sh."].waited == 0


def test_spans_are_in_start_order_and_the_report_sums_them() -> None:
    spans, span = process_spans(LOG)
    assert [s.description for s in spans] == ["Building b", "Building a for linux/amd64", "Test binary /bin/sh."]
    text = report(spans, span, min_seconds=0.5)
    assert "Test binary" not in text  # ran 0.1 s, waited 0
    assert "3 processes ran (2 shown" in text
    assert "5.60 s of process time, 3.00 s waiting for a slot" in text


def test_an_empty_log_reports_nothing() -> None:
    assert process_spans([]) == ([], 0.0)


def test_an_unreadable_log_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    bad = tmp_path / "run.json"
    bad.write_text("{not json")
    assert main([str(bad)]) == 2
    assert capsys.readouterr().err.startswith(f"workunit_timeline: cannot read {bad}")


def test_the_command_prints_the_table(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    log = tmp_path / "run.json"
    log.write_text(json.dumps(LOG))
    assert main([str(log), "--min-seconds", "0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split() == ["asked", "start", "end", "waited", "ran", "process"]
    assert out[2].split()[:5] == ["1.00", "4.00", "7.50", "3.00", "3.50"]
