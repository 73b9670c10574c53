"""`git diff --name-status -z` output, as git documents it (git-diff(1), "Raw output format"):
a status letter, for copies and renames followed by a similarity score, then one path, or two
(old, new) for copies and renames; with `-z` every field ends with NUL and paths are unquoted."""

from __future__ import annotations

import subprocess
from pathlib import Path

from shipyard.util_rules.deleted_files import parse_name_status


def test_a_deletion_lists_its_path() -> None:
    assert parse_name_status("D\0apps/ui/main.py\0") == (["apps/ui/main.py"], {})


def test_a_rename_maps_the_old_path_to_the_new_one() -> None:
    assert parse_name_status("R100\0src/a.py\0other/a.py\0") == ([], {"src/a.py": "other/a.py"})


def test_a_rename_with_edits_has_a_lower_score() -> None:
    assert parse_name_status("R087\0src/a.py\0src/b.py\0") == ([], {"src/a.py": "src/b.py"})


def test_a_copy_keeps_the_old_path() -> None:
    assert parse_name_status("C075\0src/a.py\0src/b.py\0D\0gone.txt\0") == (["gone.txt"], {})


def test_additions_modifications_and_type_changes_remove_nothing() -> None:
    output = "A\0new.txt\0M\0edited.txt\0T\0now-a-link\0U\0unmerged.txt\0"
    assert parse_name_status(output) == ([], {})


def test_paths_with_spaces_tabs_and_non_ascii_are_taken_as_they_are() -> None:
    output = "M\0README.md\0D\0docs/old notes.md\0R100\0a\tb/c.txt\0d é/c.txt\0D\0x/y.py\0"
    assert parse_name_status(output) == (["docs/old notes.md", "x/y.py"], {"a\tb/c.txt": "d é/c.txt"})


def test_no_output_no_changes() -> None:
    assert parse_name_status("") == ([], {})


def test_real_git_output(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
            cwd=tmp_path, check=True, capture_output=True, text=True,
        ).stdout

    git("init", "-q")
    for name in ("keep.txt", "gone.txt", "moved.txt", "café.txt"):
        (tmp_path / name).write_text(f"{name}\n" * 20)
    git("add", "-A")
    git("commit", "-qm", "base")
    (tmp_path / "sub").mkdir()
    git("mv", "moved.txt", "sub/moved.txt")
    git("rm", "-q", "gone.txt", "café.txt")
    (tmp_path / "keep.txt").write_text("edited\n")
    output = git("diff", "--name-status", "-z", "-M", "HEAD")
    assert parse_name_status(output) == (["café.txt", "gone.txt"], {"moved.txt": "sub/moved.txt"})
