"""The pusher's operation order: dependent operations stop at the first error; independent ones
all run, side by side except writes to one repository, and answer in the order asked. skopeo is
a stand-in script here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from shipyard.publish import pusher
from shipyard.publish.pusher import independent_batches, written_repository

# A stand-in for `skopeo inspect --raw ... docker://<ref>` and `skopeo copy ... <src> <dest>`
# (the last argument is the ref): refs containing "broken" fail as a registry refusing the
# credentials would; refs containing "wait" wait (up to 3 s) until a second "wait" operation has
# started (`MEET` of them, if set), and fail if none does, so they succeed only when run side by side.
FAKE_SKOPEO = """#!/usr/bin/env python3
import json, os, sys, time, uuid
if os.environ.get("ARGV_LOG"):
    with open(os.environ["ARGV_LOG"], "a") as log:
        log.write(json.dumps(sys.argv[1:]) + "\\n")
ref = sys.argv[-1]
if "broken" in ref:
    sys.stderr.write('time="x" level=fatal msg="unauthorized: authentication required"\\n')
    sys.exit(1)
if "wait" in ref:
    mark = os.path.join(os.environ["MARKS"], uuid.uuid4().hex)
    open(mark, "w").close()
    deadline = time.monotonic() + float(os.environ.get("WAIT_S", "3"))
    while len(os.listdir(os.environ["MARKS"])) < int(os.environ.get("MEET", "2")):
        if time.monotonic() > deadline:
            os.unlink(mark)  # gone, so that one coming after this one is alone too
            sys.stderr.write('time="x" level=fatal msg="alone: no other operation ran beside this one"\\n')
            sys.exit(1)
        time.sleep(0.01)
sys.stdout.write('{"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json"}')
"""


def run_pusher(
    tmp_path: Path, refs: list[str], independent: bool, op: str = "inspect", meet: int = 2, wait_s: float = 3, src: str = "docker://r/src@sha256:0"
) -> list[dict]:
    skopeo = tmp_path / "skopeo"
    skopeo.write_text(FAKE_SKOPEO)
    skopeo.chmod(0o755)
    marks = tmp_path / "marks"
    marks.mkdir(exist_ok=True)
    request = {
        "skopeo": str(skopeo),
        "host": "registry.example:5000",
        "insecure": True,
        "operations": [
            {"op": "inspect", "ref": r} if op == "inspect" else {"op": "copy", "src": src, "dest": f"docker://{r}"}
            for r in refs
        ],
        "independent": independent,
    }
    (tmp_path / "request.json").write_text(json.dumps(request))
    result = subprocess.run(
        [sys.executable, pusher.__file__, str(tmp_path / "request.json")],
        capture_output=True, text=True, env={"MARKS": str(marks), "MEET": str(meet), "WAIT_S": str(wait_s), "ARGV_LOG": str(tmp_path / "argv.log"), "PATH": "/usr/bin:/bin"}, check=True,
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


def test_tag_moves_in_different_repositories_run_side_by_side(tmp_path: Path) -> None:
    results = run_pusher(tmp_path, ["reg:5000/wait-a:dev", "reg:5000/wait-b:dev"], independent=True, op="copy")
    assert [r.get("ok") for r in results] == [True, True], results


def test_tag_moves_in_one_repository_run_one_after_another(tmp_path: Path) -> None:
    results = run_pusher(tmp_path, ["reg:5000/wait:dev", "reg:5000/wait:sha-1234567"], independent=True, op="copy")
    assert len(results) == 2 and all("alone" in r["error"] for r in results), results


def test_sixteen_lookups_run_at_once(tmp_path: Path) -> None:
    refs = [f"r/wait-{i}:1" for i in range(16)]
    results = run_pusher(tmp_path, refs, independent=True, meet=16)
    assert [r.get("present") for r in results] == [True] * 16, results


def test_tag_moves_run_four_at_a_time_at_most(tmp_path: Path) -> None:
    four = run_pusher(tmp_path, [f"reg:5000/wait-{i}:dev" for i in range(4)], independent=True, op="copy", meet=4)
    assert [r.get("ok") for r in four] == [True] * 4, four
    (tmp_path / "five").mkdir()
    five = run_pusher(tmp_path / "five", [f"reg:5000/wait-{i}:dev" for i in range(5)], independent=True, op="copy", meet=5, wait_s=1)
    assert not any(r.get("ok") for r in five), five


@pytest.mark.parametrize(
    "src, dest, multi_arch",
    [
        # A tag move: the index's manifests are in the repository already.
        ("docker://reg:5000/team/app@sha256:0", "reg:5000/team/app:dev", "index-only"),
        # A push from a layout, a copy from another registry or repository: everything.
        ("oci:layouts/0", "reg:5000/team/app:inputs-1", "all"),
        ("docker://other:5000/team/app@sha256:0", "reg:5000/team/app:inputs-1", "all"),
        ("docker://reg:5000/team/base@sha256:0", "reg:5000/team/app:dev", "all"),
    ],
)
def test_only_a_tag_move_within_a_repository_copies_the_index_alone(tmp_path: Path, src: str, dest: str, multi_arch: str) -> None:
    [result] = run_pusher(tmp_path, [dest], independent=True, op="copy", src=src)
    assert result.get("ok") is True, result
    [argv] = [json.loads(line) for line in (tmp_path / "argv.log").read_text().splitlines()]
    assert argv[argv.index("--multi-arch") + 1] == multi_arch


# Docker's reference grammar: a tag follows the last `:` that has no `/` after it (a registry
# port has one); a digest follows `@`.
@pytest.mark.parametrize(
    "operation, repository",
    [
        ({"op": "copy", "src": "docker://r/a@sha256:0", "dest": "docker://127.0.0.1:5000/team/app:dev"}, "127.0.0.1:5000/team/app"),
        ({"op": "copy", "src": "docker://r/a@sha256:0", "dest": "docker://127.0.0.1:5000/team/app"}, "127.0.0.1:5000/team/app"),
        ({"op": "copy", "src": "docker://r/a@sha256:0", "dest": "docker://registry.example/app@sha256:abc"}, "registry.example/app"),
        ({"op": "copy", "src": "oci:layouts/0", "dest": "docker://registry.example/team/app:inputs-1"}, "registry.example/team/app"),
        ({"op": "copy", "src": "docker://registry.example/app:dev", "dest": "oci:fetched/0"}, None),
        ({"op": "fetch", "src": "docker://registry.example/app:dev", "dest": "oci:fetched/0"}, None),
        ({"op": "inspect", "ref": "registry.example/app:dev"}, None),
    ],
)
def test_written_repository(operation: dict, repository: str | None) -> None:
    assert written_repository(operation) == repository


def test_writes_to_one_repository_share_a_batch_in_order() -> None:
    def move(dest: str) -> dict:
        return {"op": "copy", "src": "docker://reg/app@sha256:0", "dest": f"docker://{dest}"}

    operations = [move("reg/app:dev"), move("reg/app:sha-1"), move("reg/web:dev"), {"op": "inspect", "ref": "reg/x:1"}, move("reg/app:v1")]
    assert independent_batches(operations) == [[0, 1, 4], [2], [3]]
