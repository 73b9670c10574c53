"""The content key release looks up in registries, computed without building: it changes exactly
when what a build reads changes (BuildKit's inputs: the Dockerfile as resolved, the copied files,
build args, target stage, platforms, the bases), and not for edits a build does not read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest
from pants.core.target_types import FilesGeneratorTarget, FileTarget
from pants.engine.addresses import Address
from pants.engine.fs import Digest, DigestEntries, Directory, FileEntry
from pants.testutil.rule_runner import QueryRule, RuleRunner

from shipyard import register
from shipyard.publish.key_diff import key_changes
from shipyard.util_rules.image_build import (
    OciImageContentKey,
    OciImageContentKeyRequest,
    PlatformBuildInputs,
    PlatformInputsRequest,
)
from shipyard.util_rules.key_inputs import ImageKeyInputs, ImageKeyInputsRequest

DOCKERFILE = "FROM scratch\nARG DIR=app\nCOPY ${DIR}/ /srv/\n"
BASE_DOCKERFILE = "FROM scratch\nCOPY base.txt /base.txt\n"
FILES = {
    "BUILD": 'oci_image(name="img", repository="acme/img")\nfiles(name="f", sources=["app/**", "other/**"])\n',
    "Dockerfile": DOCKERFILE,
    "app/a.txt": "a",
    "app/b.txt": "b",
    "other/c.txt": "c",
    "README.md": "readme",
    "base/BUILD": 'oci_image(name="base", repository="acme/base")\nfiles(name="f", sources=["base.txt"])\n',
    "base/Dockerfile": BASE_DOCKERFILE,
    "base/base.txt": "base",
    "child/BUILD": 'oci_image(name="child", repository="acme/child")\n',
    "child/Dockerfile": "FROM acme/base\n",
}


@pytest.fixture
def rule_runner() -> RuleRunner:
    return RuleRunner(
        rules=[
            *register.rules(),
            QueryRule(OciImageContentKey, [OciImageContentKeyRequest]),
            QueryRule(ImageKeyInputs, [ImageKeyInputsRequest]),
            QueryRule(PlatformBuildInputs, [PlatformInputsRequest]),
            QueryRule(DigestEntries, [Digest]),
        ],
        target_types=[*register.target_types(), FilesGeneratorTarget, FileTarget],
    )


def key(rule_runner: RuleRunner, files: dict, address: Address, options: tuple = ()) -> str:
    rule_runner.write_files(files)
    rule_runner.set_options(["--oci-platforms=['linux/amd64', 'linux/arm64']", *options], env_inherit={"PATH"})
    return rule_runner.request(OciImageContentKey, [OciImageContentKeyRequest(address)]).key


def apply(rule_runner: RuleRunner, change: Callable[[dict], dict]) -> dict:
    """The files after `change`, with the ones it drops deleted from the build root."""
    files = change(dict(FILES))
    for name in set(FILES) - set(files):
        Path(rule_runner.build_root, name).unlink()
    return files


IMG = Address("", target_name="img")
CHILD = Address("child", target_name="child")


def without(name: str) -> Callable[[dict], dict]:
    return lambda files: {k: v for k, v in files.items() if k != name}


def edit(name: str, text: str) -> Callable[[dict], dict]:
    return lambda files: {**files, name: text}


@pytest.mark.parametrize(
    "change, address, options, changes_key",
    [
        pytest.param(edit("app/a.txt", "a2"), IMG, (), True, id="copied-file-edited"),
        pytest.param(edit("app/new.txt", "n"), IMG, (), True, id="copied-dir-gains-file"),
        pytest.param(without("app/b.txt"), IMG, (), True, id="copied-file-deleted"),
        pytest.param(edit("other/c.txt", "c2"), IMG, (), False, id="uncopied-file-edited"),
        pytest.param(edit("README.md", "x"), IMG, (), False, id="readme-edited"),
        pytest.param(edit("Dockerfile", DOCKERFILE.replace("DIR=app", "DIR=other")), IMG, (), True, id="arg-default-changed"),
        pytest.param(edit("Dockerfile", DOCKERFILE + "# comment\n"), IMG, (), True, id="dockerfile-text-changed"),
        pytest.param(
            edit("BUILD", FILES["BUILD"].replace('repository="acme/img"', 'repository="acme/img", build_args={"DIR": "other"}')),
            IMG, (), True, id="build-arg-set",
        ),
        pytest.param(lambda f: f, IMG, ("--oci-platforms=['linux/amd64']",), True, id="platforms-changed"),
        pytest.param(lambda f: f, IMG, ("--oci-registries={'x': 'ghcr.io/acme'}",), False, id="registries-option-changed"),
        pytest.param(edit("base/base.txt", "base2"), CHILD, (), True, id="repo-base-content-changed"),
        pytest.param(edit("app/a.txt", "a2"), CHILD, (), False, id="unrelated-image-changed"),
    ],
)
def test_key_changes_exactly_when_the_build_inputs_do(
    rule_runner: RuleRunner, change, address: Address, options: tuple, changes_key: bool
) -> None:
    before = key(rule_runner, FILES, address)
    files = apply(rule_runner, change)
    after = key(rule_runner, files, address, options)
    assert (before != after) == changes_key


def inputs(rule_runner: RuleRunner, files: dict, address: Address, options: tuple = ()) -> dict:
    rule_runner.write_files(files)
    rule_runner.set_options(["--oci-platforms=['linux/amd64', 'linux/arm64']", *options], env_inherit={"PATH"})
    return json.loads(rule_runner.request(ImageKeyInputs, [ImageKeyInputsRequest(address)]).document)


@pytest.mark.parametrize(
    "change, address, options, expected",
    [
        pytest.param(edit("app/a.txt", "a2"), IMG, (), ["file changed: app/a.txt"], id="copied-file-edited"),
        pytest.param(edit("app/new.txt", "n"), IMG, (), ["file added: app/new.txt"], id="copied-dir-gains-file"),
        pytest.param(without("app/b.txt"), IMG, (), ["file removed: app/b.txt"], id="copied-file-deleted"),
        pytest.param(
            edit("Dockerfile", DOCKERFILE.replace("DIR=app", "DIR=other")),
            IMG,
            (),
            ["file removed: app/a.txt", "file removed: app/b.txt", "file added: other/c.txt", "Dockerfile:2: `ARG DIR=app` → `ARG DIR=other`"],
            id="arg-default-changed",
        ),
        pytest.param(
            edit("BUILD", FILES["BUILD"].replace('repository="acme/img"', 'repository="acme/img", build_args={"DIR": "app"}')),
            IMG, (), ["build arg DIR added: app"], id="build-arg-set",
        ),
        pytest.param(lambda f: f, IMG, ("--oci-platforms=['linux/amd64']",), ["platform linux/arm64 removed"], id="platforms-changed"),
        pytest.param(edit("base/base.txt", "base2"), CHILD, (), ["repo base base:base changed (its own inputs did)"], id="repo-base-content-changed"),
    ],
)
def test_the_key_inputs_diff_names_exactly_the_change(
    rule_runner: RuleRunner, change, address: Address, options: tuple, expected: list[str]
) -> None:
    before = inputs(rule_runner, FILES, address)
    files = apply(rule_runner, change)
    after = inputs(rule_runner, files, address, options)
    assert after["key"] == key(rule_runner, files, address, options)  # the record of that very key
    assert key_changes(before, after) == expected


def test_a_copied_directory_whose_files_are_all_ignored_is_in_the_build_context_empty(
    rule_runner: RuleRunner,
) -> None:
    # BuildKit copies such a directory (and its subdirectories) empty, so the context must hold
    # them, or `COPY app/` would fail in the sandbox.
    files = {
        **FILES,
        ".dockerignore": "**/*.txt\n",
        "app/sub/c.txt": "c",
    }
    rule_runner.write_files(files)
    rule_runner.set_options(["--oci-platforms=['linux/amd64']"], env_inherit={"PATH"})
    inputs = rule_runner.request(PlatformBuildInputs, [PlatformInputsRequest(IMG, "linux/amd64")])
    entries = rule_runner.request(DigestEntries, [inputs.files])
    # DigestEntries lists empty directories only: app/sub stands for app too.
    directories = {e.path for e in entries if isinstance(e, Directory)}
    assert "context/app/sub" in directories
    assert not [e.path for e in entries if isinstance(e, FileEntry) and e.path.startswith("context/app/")]
