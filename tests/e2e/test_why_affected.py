"""`pants why-affected` and `pants delivery-graph` on the example: the exact chain from each
changed file to each affected image and chart, and why an expected artifact is not affected.

One repository copy and one pantsd for every case (each Pants start costs ~20 s here).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest

from tests.e2e.change_corpus import DEMO, PYTHON_BASE, RECEIVER, TINYOLLY, UI, append, replace
from tests.e2e.conftest import REPO_ROOT, PantsRepo, copy_repo, init_git

pytestmark = pytest.mark.slow

COPY_LIB = "copied by dockerfiles/Dockerfile.python-base:19 (COPY libs/tinyolly_common/*.py /opt/tinyolly/lib/tinyolly_common/)"
UI_FROM = "FROM in dockerfiles/Dockerfile.ui:4 (FROM tinyolly/python-base:latest)"
RECEIVER_FROM = "FROM in dockerfiles/Dockerfile.receiver:4 (FROM tinyolly/python-base:latest)"
RECEIVER_NAMED = "named by charts/tinyolly/values.yaml:31 (repository: tinyolly/receiver)"
UI_NAMED = "named by charts/tinyolly/values.yaml:17 (repository: tinyolly/ui)"


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PantsRepo]:
    root = tmp_path_factory.mktemp("why") / "repo"
    copy_repo(root)
    init_git(root)
    repo = PantsRepo(root, dict(os.environ))
    try:
        yield repo
    finally:
        repo.stop_pantsd()


def why(repo: PantsRepo, change: Callable[[Path], None], *args: str) -> dict[str, Any]:
    """Applies `change` to a clean work tree and runs why-affected on it (JSON)."""
    repo.git("checkout", "-q", "--", ".")
    repo.git("clean", "-fdq")
    change(repo.root)
    try:
        result = repo.run("--changed-since=HEAD", "why-affected", "--why-affected-format=json", *args)
        return json.loads(result.stdout)
    finally:
        repo.git("checkout", "-q", "--", ".")
        repo.git("clean", "-fdq")


def chains(report: dict[str, Any]) -> dict[str, str]:
    return {c["artifact"]: c["text"] for c in report["affected"]}


def test_a_shared_library_file(repo: PantsRepo) -> None:
    lib = "libs/tinyolly_common/models.py"
    report = why(repo, append(lib, "\n# edited\n"))
    assert chains(report) == {
        PYTHON_BASE: f"{lib} → {COPY_LIB} → oci_image {PYTHON_BASE}",
        UI: f"{lib} → {COPY_LIB} → oci_image {PYTHON_BASE} → {UI_FROM} → oci_image {UI}",
        RECEIVER: f"{lib} → {COPY_LIB} → oci_image {PYTHON_BASE} → {RECEIVER_FROM} → oci_image {RECEIVER}",
        TINYOLLY: (
            f"{lib} → {COPY_LIB} → oci_image {PYTHON_BASE} → {RECEIVER_FROM} → oci_image {RECEIVER} "
            f"→ {RECEIVER_NAMED} → helm_chart {TINYOLLY}"
        ),
    }


def test_an_import_edge_names_the_importing_line(repo: PantsRepo) -> None:
    report = why(repo, append("libs/tinyolly_common/storage.py", "\n# edited\n"))
    # storage.py is copied by python-base too; the receiver's __main__ imports it: the shortest
    # chain to the receiver is the FROM one, so ask with explicit files for the import alone.
    assert chains(report)[UI].startswith("libs/tinyolly_common/storage.py → " + COPY_LIB)
    result = repo.run("why-affected", "--why-affected-format=json", "apps/ui/tinyolly_ui/page.py")
    assert chains(json.loads(result.stdout))[UI] == (
        "apps/ui/tinyolly_ui/page.py → copied by dockerfiles/Dockerfile.ui:10 "
        "(COPY apps/${APP_DIR}/tinyolly_ui/ /app/tinyolly_ui/) → oci_image dockerfiles:ui"
    )


def test_the_python_base_dockerfile(repo: PantsRepo) -> None:
    path = "dockerfiles/Dockerfile.python-base"
    report = why(repo, append(path, "\nLABEL edited=1\n"))
    start = f"{path} → is the Dockerfile of → oci_image {PYTHON_BASE}"
    assert chains(report) == {
        PYTHON_BASE: start,
        UI: f"{start} → {UI_FROM} → oci_image {UI}",
        RECEIVER: f"{start} → {RECEIVER_FROM} → oci_image {RECEIVER}",
        TINYOLLY: f"{start} → {RECEIVER_FROM} → oci_image {RECEIVER} → {RECEIVER_NAMED} → helm_chart {TINYOLLY}",
    }


def test_a_values_tag(repo: PantsRepo) -> None:
    report = why(repo, replace("charts/tinyolly/values.yaml", "tag: latest", "tag: v2.1.9"))
    assert chains(report) == {
        TINYOLLY: f"charts/tinyolly/values.yaml → packaged by → helm_chart {TINYOLLY}",
    }


def test_a_readme_the_dockerfile_does_not_copy(repo: PantsRepo) -> None:
    report = why(repo, append("apps/ui/README.md", "\nedited\n"), f"--explain-not={UI}")
    assert report["affected"] == []
    assert report["affecting_nothing"] == ["apps/ui/README.md"]
    (explained,) = report["explain_not"]
    assert explained["affected"] is False
    assert explained["files"] == [
        {
            "path": "apps/ui/README.md",
            "reason": "in the build context, but no COPY/ADD source in dockerfiles/Dockerfile.ui matches it",
        }
    ]
    assert explained["reads"] == [PYTHON_BASE]


def test_a_dockerignored_file(repo: PantsRepo) -> None:
    report = why(
        repo,
        append("apps/demo/README.md", "\nedited\n"),
        f"--explain-not={DEMO}",
        "--explain-not=charts/tinyolly-demos:tinyolly-demos",
        f"--explain-not={UI}",
    )
    assert report["affected"] == []
    by_address = {e["address"]: e["files"] for e in report["explain_not"]}
    assert by_address == {
        DEMO: [
            {"path": "apps/demo/README.md", "reason": "excluded from the build context by apps/demo/.dockerignore:4 (*.md)"}
        ],
        "charts/tinyolly-demos:tinyolly-demos": [
            {
                "path": "apps/demo/README.md",
                "reason": "not in the chart directory charts/tinyolly-demos/, and no image or chart the chart names is affected by it",
            }
        ],
        UI: [
            {
                "path": "apps/demo/README.md",
                "reason": "in the build context, but no COPY/ADD source in dockerfiles/Dockerfile.ui matches it",
            }
        ],
    }


def test_a_deleted_copied_file(repo: PantsRepo) -> None:
    def delete(root: Path) -> None:
        (root / "apps/ui/tinyolly_ui/page.py").unlink()

    report = why(repo, delete)
    copied = (
        "apps/ui/tinyolly_ui/page.py → deleted; was copied by dockerfiles/Dockerfile.ui:10 "
        "(COPY apps/${APP_DIR}/tinyolly_ui/ /app/tinyolly_ui/) → oci_image dockerfiles:ui"
    )
    assert report["deleted"] == ["apps/ui/tinyolly_ui/page.py"]
    assert chains(report) == {UI: copied, TINYOLLY: f"{copied} → {UI_NAMED} → helm_chart {TINYOLLY}"}


def test_a_deleted_chart_template(repo: PantsRepo) -> None:
    def delete(root: Path) -> None:
        (root / "charts/common/templates/_service.tpl").unlink()
        (root / "charts/tinyolly/ci/ci-values.yaml").unlink()  # .helmignore lists ci/

    report = why(repo, delete)
    deleted = "charts/common/templates/_service.tpl → deleted; was packaged by → helm_chart charts/common:common"
    assert chains(report) == {
        "charts/common:common": deleted,
        TINYOLLY: f"{deleted} → a dependency in charts/tinyolly/Chart.yaml:11 (- name: common) → helm_chart {TINYOLLY}",
        "charts/tinyolly-demos:tinyolly-demos": (
            f"{deleted} → a dependency in charts/tinyolly-demos/Chart.yaml:8 (- name: common) "
            "→ helm_chart charts/tinyolly-demos:tinyolly-demos"
        ),
    }
    assert report["affecting_nothing"] == ["charts/tinyolly/ci/ci-values.yaml"]


def test_an_affected_artifact_asked_about_shows_its_chain(repo: PantsRepo) -> None:
    report = why(repo, append("apps/demo/frontend.py", "\n# edited\n"), f"--explain-not={DEMO}")
    (explained,) = report["explain_not"]
    assert explained["affected"] is True
    assert explained["chain"]["text"] == (
        "apps/demo/frontend.py → copied by apps/demo/Dockerfile:17 (COPY . .) → oci_image apps/demo:demo"
    )


def test_text_output_and_the_delivery_graph(repo: PantsRepo) -> None:
    repo.git("checkout", "-q", "--", ".")
    repo.git("clean", "-fdq")
    append("libs/tinyolly_common/models.py", "\n# edited\n")(repo.root)
    try:
        text = repo.run("--changed-since=HEAD", "why-affected", f"--explain-not={DEMO}").stdout
        assert text.splitlines()[:6] == [
            "1 changed file affects 3 images and 1 chart.",
            "",
            f"oci_image {PYTHON_BASE}",
            "    libs/tinyolly_common/models.py",
            f"  → {COPY_LIB}",
            f"    oci_image {PYTHON_BASE}",
        ]
        assert f"oci_image {DEMO} is not affected:" in text
        assert "  libs/tinyolly_common/models.py: not under the build context apps/demo/ of apps/demo/Dockerfile" in text

        out = repo.run("--changed-since=HEAD", "delivery-graph").stdout
        assert "dist/delivery-graph/delivery.dot" in out and "5 affected" in out
        dot = (repo.root / "dist/delivery-graph/delivery.dot").read_text()
        for affected in (PYTHON_BASE, UI, RECEIVER, TINYOLLY, "libs/tinyolly_common/"):
            assert f'"{affected}" [' in dot and dot.split(f'"{affected}" [', 1)[1].split("\n")[0].count("#ffcf99") == 1
        for unaffected in (DEMO, "apps/webui:webui", "python:3.11-slim-bookworm", "apps/receiver/"):
            assert dot.split(f'"{unaffected}" [', 1)[1].split("\n")[0].count("#ffcf99") == 0
        mermaid = (repo.root / "dist/delivery-graph/delivery.mmd").read_text()
        assert mermaid.startswith("flowchart LR\n") and "class " in mermaid
        if shutil.which("dot"):
            svg = (repo.root / "dist/delivery-graph/delivery.svg").read_text()
            assert "<svg" in svg and svg.count('class="node"') > 10

        focused = repo.run("delivery-graph", f"--delivery-graph-focus={UI}", "--delivery-graph-sources=none").stdout
        assert "3 nodes (2 images, 1 chart)," in focused  # ui, its base python-base, the chart naming it
        # The picture in docs/ is the whole example, sources by directory, no change highlighted.
        repo.run("delivery-graph", "--delivery-graph-output-dir=dist/docs-graph")
        if os.environ.get("SHIPYARD_WRITE_DOCS") and shutil.which("dot"):
            for name in ("delivery.svg", "delivery.mmd"):
                shutil.copy(repo.root / "dist/docs-graph" / name, REPO_ROOT / "docs" / f"delivery-graph.{name.split('.')[1]}")
            (REPO_ROOT / "docs/why-affected.txt").write_text(text)
    finally:
        repo.git("checkout", "-q", "--", ".")
        repo.git("clean", "-fdq")


def test_oci_peek_carries_the_facts(repo: PantsRepo) -> None:
    entries = {
        e["address"]: e
        for e in json.loads(repo.run("oci-peek", UI, "apps/webui:webui", TINYOLLY).stdout)
    }
    ui = entries[UI]
    assert ui["stages"] == [
        {"index": 0, "name": None, "line": 4, "base": "tinyolly/python-base:latest", "base_stage": None, "built": True}
    ]
    assert ui["build_args"] == {"APP_DIR": "ui"}
    assert ui["bases"] == [
        {
            "reference": "tinyolly/python-base:latest",
            "kind": "from",
            "line": 4,
            "stage": "stage-0",
            "in_repo": True,
            "image": PYTHON_BASE,
            "digests": {"linux/amd64": None, "linux/arm64": None},  # known only with --oci-peek-resolve
        }
    ]
    assert ui["content_key"] is None

    webui = entries["apps/webui:webui"]
    assert [(s["name"], s["line"], s["built"]) for s in webui["stages"]] == [("build", 4, True), (None, 14, True)]
    assert {(b["reference"], b["in_repo"]) for b in webui["bases"]} == {
        ("node:18-bookworm-slim", False),
        ("busybox:1.35", False),
    }

    chart = entries[TINYOLLY]
    assert chart["dependencies"] == [
        {
            "name": "common",
            "version": "0.1.0",
            "repository": "file://../common",
            "alias": None,
            "line": 11,
            "local_directory": "charts/common",
        }
    ]
    assert "charts/tinyolly/values.yaml:17" in chart["image_locations"]


def test_a_file_only_a_skipped_stage_copies(repo: PantsRepo) -> None:
    repo.write(
        "apps/staged/Dockerfile",
        "FROM busybox:1.35 AS debug\nCOPY debug.sh /debug.sh\n\nFROM busybox:1.35 AS runtime\nCOPY app.txt /app.txt\n",
    )
    repo.write("apps/staged/debug.sh", "echo debug\n")
    repo.write("apps/staged/app.txt", "app\n")
    repo.write(
        "apps/staged/BUILD",
        'oci_image(name="staged", repository="tinyolly/staged")\n'
        'files(name="files", sources=["*", "!BUILD", "!Dockerfile"])\n',
    )
    repo.git("add", "apps/staged")
    repo.git("commit", "-q", "-m", "an image with a stage its build skips")
    report = why(repo, append("apps/staged/debug.sh", "echo more\n"), "--explain-not=apps/staged:staged")
    assert report["affected"] == []
    (explained,) = report["explain_not"]
    assert explained["files"] == [
        {
            "path": "apps/staged/debug.sh",
            "reason": "copied only by stage debug (apps/staged/Dockerfile:1), which the build of stage runtime does not use",
        }
    ]
    report = why(repo, append("apps/staged/app.txt", "more\n"))
    assert chains(report) == {
        "apps/staged:staged": "apps/staged/app.txt → copied by apps/staged/Dockerfile:5 (COPY app.txt /app.txt) → oci_image apps/staged:staged"
    }


def test_a_helmignored_chart_file(repo: PantsRepo) -> None:
    report = why(repo, append("charts/tinyolly/ci/ci-values.yaml", "\n# edited\n"), f"--explain-not={TINYOLLY}")
    assert report["affected"] == []
    (explained,) = report["explain_not"]
    assert explained["files"] == [
        {
            "path": "charts/tinyolly/ci/ci-values.yaml",
            "reason": "left out of the chart by charts/tinyolly/.helmignore:11 (ci/) matching ci/",
        }
    ]
