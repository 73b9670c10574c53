"""Why an image's key moved: the diff of two key-inputs documents, and the record's OCI layout."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from shipyard.publish.inputs_artifact import artifact_layout, artifact_tag, read_artifact
from shipyard.publish.key_diff import PlatformInputs, inputs_document, key_changes

DOCKERFILE = "FROM python:3.11-slim\nARG PORT=5005\nCOPY app/ /app/\nCMD [\"python\", \"/app/main.py\"]\n"
PY_A = "sha256:" + "a" * 64
PY_B = "sha256:" + "b" * 64


def platform(name: str = "linux/amd64", *, files=None, dockerfile: str = DOCKERFILE, build_args=None, base: str = PY_A, repo_bases=None, stage=None, key: str = "k1") -> PlatformInputs:
    request = {
        "builder": "buildah",
        "build_platform": "linux/amd64",
        "build_args": build_args or {},
        "target_stage": stage,
        "bases": [{"placeholder": "__base_0", "reference": f"docker.io/library/python@{base}", "platform": name}],
    }
    document = {"request": request, "dockerfile": "d", "context": "c", "driver": "drv", "repo_bases": []}
    return PlatformInputs(
        platform=name,
        key=key,
        key_document=json.dumps(document),
        dockerfile_path="dockerfiles/Dockerfile.ui",
        dockerfile_text=dockerfile,
        files=files if files is not None else {"app/main.py": "1", "app/util.py": "2"},
        repo_bases=repo_bases or {},
    )


def doc(key: str, *platforms: PlatformInputs) -> dict:
    return inputs_document("dockerfiles:ui", key, platforms or (platform(),))


def test_equal_keys_have_no_changes() -> None:
    assert key_changes(doc("k"), doc("k")) == []


@pytest.mark.parametrize(
    "changed, expected",
    [
        (dict(files={"app/main.py": "1", "app/util.py": "9"}), ["file changed: app/util.py"]),
        (dict(files={"app/main.py": "1"}), ["file removed: app/util.py"]),
        (dict(files={"app/main.py": "1", "app/util.py": "2", "app/new.py": "3"}), ["file added: app/new.py"]),
        (dict(build_args={"VERSION": "2"}), ["build arg VERSION added: 2"]),
        (dict(base=PY_B), [f"base docker.io/library/python moved: {PY_A[:19]}… → {PY_B[:19]}…"]),
        (dict(stage="prod"), ["target stage: None → prod"]),
        (dict(repo_bases={"dockerfiles:python-base": "x"}), ["repo base dockerfiles:python-base added"]),
        # An ARG default edited in place is that line, as it reads now.
        (dict(dockerfile=DOCKERFILE.replace("PORT=5005", "PORT=5006")), ["dockerfiles/Dockerfile.ui:2: `ARG PORT=5005` → `ARG PORT=5006`"]),
        (dict(dockerfile=DOCKERFILE.replace("ARG PORT=5005\n", "ARG PORT=5005\nENV X=1\n")), ["dockerfiles/Dockerfile.ui:3: added `ENV X=1`"]),
        (dict(dockerfile=DOCKERFILE.replace("ARG PORT=5005\n", "")), ["dockerfiles/Dockerfile.ui:2: removed `ARG PORT=5005` (line of the published Dockerfile)"]),
    ],
)
def test_each_kind_of_change_is_one_line(changed: dict, expected: list[str]) -> None:
    assert key_changes(doc("old"), doc("new", platform(**changed))) == expected


def test_a_build_arg_whose_value_changed() -> None:
    old = doc("old", platform(build_args={"VERSION": "1"}))
    new = doc("new", platform(build_args={"VERSION": "2"}))
    assert key_changes(old, new) == ["build arg VERSION: 1 → 2"]


def test_a_change_on_some_platforms_names_them() -> None:
    old = doc("old", platform("linux/amd64"), platform("linux/arm64"))
    new = doc("new", platform("linux/amd64"), platform("linux/arm64", base=PY_B))
    assert key_changes(old, new) == [f"base docker.io/library/python moved: {PY_A[:19]}… → {PY_B[:19]}… [linux/arm64]"]


def test_a_change_on_every_platform_is_said_once() -> None:
    files = {"app/main.py": "1", "app/util.py": "9"}
    old = doc("old", platform("linux/amd64"), platform("linux/arm64"))
    new = doc("new", platform("linux/amd64", files=files), platform("linux/arm64", files=files))
    assert key_changes(old, new) == ["file changed: app/util.py"]


def test_platforms_added_and_removed() -> None:
    old = doc("old", platform("linux/amd64"))
    new = doc("new", platform("linux/arm64"))
    assert key_changes(old, new) == ["platform linux/arm64 added", "platform linux/amd64 removed"]


def test_keys_that_differ_for_no_recorded_reason_still_say_so() -> None:
    lines = key_changes(doc("old"), doc("new"))
    assert len(lines) == 1 and "does not cover" in lines[0]


def test_the_record_round_trips_through_its_layout() -> None:
    document = json.dumps(doc("k")).encode()
    files = artifact_layout(document)
    assert read_artifact(files) == document
    # Every blob is stored under its own digest, as an OCI layout requires.
    for path, data in files.items():
        if path.startswith("blobs/sha256/"):
            assert path.rsplit("/", 1)[1] == hashlib.sha256(data).hexdigest()


def test_a_layout_of_something_else_has_no_record() -> None:
    files = artifact_layout(b"{}")
    index = json.loads(files["index.json"])
    manifest_path = "blobs/sha256/" + index["manifests"][0]["digest"].split(":")[1]
    manifest = json.loads(files[manifest_path])
    manifest["layers"][0]["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip"
    other = copy.deepcopy(files)
    other[manifest_path] = json.dumps(manifest).encode()
    assert read_artifact(other) is None
    assert read_artifact({}) is None


def test_the_record_tag_names_the_image_digest() -> None:
    tag = artifact_tag("sha256:" + "c" * 64)
    assert tag == "sha256-" + "c" * 64 + ".inputs" and len(tag) <= 128
