"""Reading skopeo 1.9's `--debug copy` output: which blobs were uploaded, which the registry had."""

from __future__ import annotations

from pathlib import Path

from shipyard.publish.pusher import count_blobs, error_lines, index_platforms

A, B, C = "a" * 64, "b" * 64, "c" * 64
OUTPUT = f"""Copying blob sha256:{A}
time="x" level=debug msg="HEAD http://127.0.0.1:5000/v2/t/blobs/sha256:{A}"
time="x" level=debug msg="... already exists"
time="x" level=debug msg="Skipping blob sha256:{A} (already present):"
Copying blob sha256:{B}
time="x" level=debug msg="POST http://127.0.0.1:5000/v2/t/blobs/uploads/"
time="x" level=debug msg="PUT http://127.0.0.1:5000/v2/t/blobs/uploads/u1?_state=s&digest=sha256%3A{B}"
Copying config sha256:{C}
time="x" level=debug msg="PUT http://127.0.0.1:5000/v2/t/blobs/uploads/u2?_state=s&digest=sha256%3A{C}"
"""


def test_uploaded_and_present_blobs_are_told_apart() -> None:
    assert count_blobs(OUTPUT) == {"blobs_sent": 2, "blobs_skipped": 1}


def test_bytes_sent_are_the_sizes_of_the_uploaded_layout_blobs(tmp_path: Path) -> None:
    blobs = tmp_path / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    for digest, size in ((A, 1000), (B, 70), (C, 5)):
        (blobs / digest).write_bytes(b"x" * size)
    assert count_blobs(OUTPUT, str(tmp_path))["bytes_sent"] == 75


def test_error_lines_drop_debug_chatter() -> None:
    text = 'time="x" level=debug msg="HEAD ..."\ntime="x" level=fatal msg="unauthorized: authentication required"\n'
    assert error_lines(text) == 'time="x" level=fatal msg="unauthorized: authentication required"'


def test_index_platforms() -> None:
    raw = b'{"manifests": [{"digest": "sha256:1", "platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}}]}'
    assert index_platforms(raw) == {"linux/arm64/v8": "sha256:1"}
    assert index_platforms(b'{"layers": []}') == {}
