"""The pusher's operation order: dependent operations stop at the first error; independent ones
all run, side by side, and answer in the order asked. skopeo is a stand-in script here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from shipyard.publish import pusher

# A stand-in for `skopeo inspect --raw ... docker://<ref>`: refs containing "broken" fail as a
# registry refusing the credentials would; refs containing "wait" wait (up to 5 s) until a second
# "wait" lookup has started, and fail if none does, so they succeed only when run side by side.
FAKE_SKOPEO = """#!/usr/bin/env python3
import os, sys, time, uuid
ref = sys.argv[-1]
if "broken" in ref:
    sys.stderr.write('time="x" level=fatal msg="unauthorized: authentication required"\\n')
    sys.exit(1)
if "wait" in ref:
    marks = os.environ["MARKS"]
    open(os.path.join(marks, uuid.uuid4().hex), "w").close()
    deadline = time.monotonic() + 5
    while len(os.listdir(marks)) < 2:
        if time.monotonic() > deadline:
            sys.stderr.write('time="x" level=fatal msg="alone: no other lookup ran beside this one"\\n')
            sys.exit(1)
        time.sleep(0.01)
sys.stdout.write('{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}')
"""


def run_pusher(tmp_path: Path, refs: list[str], independent: bool) -> list[dict]:
    skopeo = tmp_path / "skopeo"
    skopeo.write_text(FAKE_SKOPEO)
    skopeo.chmod(0o755)
    marks = tmp_path / "marks"
    marks.mkdir(exist_ok=True)
    request = {
        "skopeo": str(skopeo),
        "host": "registry.example:5000",
        "insecure": True,
        "operations": [{"op": "inspect", "ref": r} for r in refs],
        "independent": independent,
    }
    (tmp_path / "request.json").write_text(json.dumps(request))
    result = subprocess.run(
        [sys.executable, pusher.__file__, str(tmp_path / "request.json")],
        capture_output=True, text=True, env={"MARKS": str(marks), "PATH": "/usr/bin:/bin"}, check=True,
    )
    return json.loads(result.stdout)


def test_dependent_operations_stop_at_the_first_error(tmp_path: Path) -> None:
    results = run_pusher(tmp_path, ["r/a:1", "r/broken:1", "r/c:1"], independent=False)
    assert len(results) == 2
    assert results[0]["present"] is True
    assert "unauthorized" in results[1]["error"]


def test_independent_operations_all_answer_in_the_order_asked(tmp_path: Path) -> None:
    results = run_pusher(tmp_path, ["r/a:1", "r/broken:1", "r/c:1", "r/d:1", "r/e:1"], independent=True)
    assert len(results) == 5
    assert "unauthorized" in results[1]["error"]
    assert [r.get("present") for i, r in enumerate(results) if i != 1] == [True, True, True, True]


def test_independent_operations_run_side_by_side(tmp_path: Path) -> None:
    results = run_pusher(tmp_path, ["r/wait-a:1", "r/wait-b:1"], independent=True)
    assert [r.get("present") for r in results] == [True, True], results


def test_dependent_operations_run_one_at_a_time(tmp_path: Path) -> None:
    results = run_pusher(tmp_path, ["r/wait-a:1", "r/wait-b:1"], independent=False)
    assert len(results) == 1 and "alone" in results[0]["error"]
