"""Bad input, as a hostile-but-realistic user writes it: one clear error naming the file (and line)
and the fix, or acceptance where Docker/Helm accept the input too. Never a traceback, a hang or a
silent exit 0 with a wrong result (issue 9).

One repo copy and one pantsd serve the whole table: every case lives in its own directory under
`bad/<case id>/` and is queried by address, so one Pants start (~20 s) is paid once. Cases whose
BUILD file would break every other target (a BUILD syntax error, a field refused when targets are
built, two images claiming one repository) are `isolated`: written just before their run and
removed after it.

Cases from issue 9 carry `item=<n>`; those another branch fixes say so in `fixed_by` (they fail
until that branch is merged). Set SHIPYARD_BAD_INPUT_REPORT=<file> to write each case's observed
outcome (clear error with location / error without location / accepted / crash / hang) as JSON.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, Iterator, List, Optional, Tuple, Union

import pytest

from tests.e2e.conftest import PantsRepo
from tests.e2e.repo_copy import copy_repo, init_git, stop_pantsd

pytestmark = pytest.mark.slow


@dataclass(frozen=True)
class Link:
    """A symlink to create, pointing at `target` as written."""

    target: str


FileSpec = Union[str, bytes, Link]

ACCEPTED = "accepted"
ERROR = "error"


@dataclass(frozen=True)
class Case:
    """One bad (or merely unusual) input.

    `files` are written under `bad/<id>/` (a key starting with `/` is relative to the repo root);
    `args` are Pants' arguments (`{d}` is the case directory); `outcome` is what Docker/Helm do
    with the input (`accepted` or `error`); `expect` are texts the output must contain: the file
    and line where there is one, and the words that say what is wrong.
    """

    id: str
    files: Dict[str, FileSpec]
    args: Tuple[str, ...]
    outcome: str
    expect: Tuple[str, ...] = ()
    why: str = ""
    item: Optional[int] = None
    fixed_by: Optional[str] = None
    isolated: bool = False
    timeout: float = 120


def image_build(case_id: str, fields: str = "") -> str:
    """A BUILD file with an `oci_image` named `img` (a repository unique to the case) and a
    `files` target owning its context, so copied files are owned."""
    return (
        f'oci_image(name="img", repository="bad/{case_id}"{fields})\n'
        'files(name="ctx", sources=["**/*", "!BUILD"])\n'
    )


CHART_BUILD = 'helm_chart(name="chart")\nfiles(name="files", sources=["**/*", "!BUILD", "!Chart.yaml"])\n'


def chart_yaml(name: str, extra: str = "") -> str:
    return f"apiVersion: v2\nname: {name}\nversion: 0.1.0\n{extra}"


def image(case_id: str, dockerfile: FileSpec, *, why: str, outcome: str = ERROR, expect: Tuple[str, ...] = (),
          fields: str = "", extra: Optional[Dict[str, FileSpec]] = None, **kwargs: object) -> Case:
    """A case whose image is resolved by `dependencies bad/<id>:img` (Dockerfile inference)."""
    files: Dict[str, FileSpec] = {"BUILD": image_build(case_id, fields), "Dockerfile": dockerfile, **(extra or {})}
    return Case(case_id, files, ("dependencies", "{d}:img"), outcome, expect, why, **kwargs)  # type: ignore[arg-type]


def chart(case_id: str, files: Dict[str, FileSpec], *, why: str, outcome: str = ERROR,
          expect: Tuple[str, ...] = (), **kwargs: object) -> Case:
    """A case whose chart is resolved by `dependencies bad/<id>:chart`."""
    all_files: Dict[str, FileSpec] = {"BUILD": CHART_BUILD, **files}
    all_files.setdefault("Chart.yaml", chart_yaml(case_id))
    return Case(case_id, all_files, ("dependencies", "{d}:chart"), outcome, expect, why, **kwargs)  # type: ignore[arg-type]


def billion_laughs(levels: int, first: str = "") -> str:
    lines = [first + 'l0: &l0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * 9) + "]")
    return "\n".join(lines) + "\n"


D = "bad/{id}"  # documentation only: every case's files live under bad/<id>/

CASES: List[Case] = [
    # ---------------------------------------------------------------- issue 9, items 1-16
    Case("i01-help-oci-image", {}, ("help", "oci_image"), ACCEPTED, ("`oci_image` target", "target_stage"),
         "the README tells users to run it", item=1),
    image("i02a-non-utf8-dockerfile-comment", b"FROM busybox:1.35\n# caf\xe9 menu\nCOPY a.txt /a\n",
          extra={"a.txt": "a"}, outcome=ACCEPTED, expect=("bad/i02a-non-utf8-dockerfile-comment/a.txt",),
          why="BuildKit skips comments byte-wise; Docker accepts", item=2, fixed_by="parser"),
    chart("i02b-non-utf8-chart-description",
          {"Chart.yaml": b"apiVersion: v2\nname: x\nversion: 0.1.0\ndescription: caf\xe9\n"},
          expect=("Chart.yaml:4",), why="Helm's YAML reader refuses invalid UTF-8", item=2, fixed_by="parser"),
    image("i03-from-platform-double-slash", "FROM --platform=linux//amd64 busybox:1.35\n",
          expect=("Dockerfile:1", "linux//amd64"), why="BuildKit: invalid platform", item=3, fixed_by="resolver"),
    Case("i04-helm-chart-names-missing-chart-yml",
         {"BUILD": 'helm_chart(name="chart", chart="Chart.yml")\n', "Chart.yaml": chart_yaml("x")},
         ("dependencies", "{d}:chart"), ERROR, ("/BUILD", "`chart`", "Chart.yml", "does not exist"),
         "Helm reads Chart.yaml; the field names a missing file", item=4),
    image("i05-copy-from-stage-typo", "FROM busybox:1.35 AS build\nRUN true\nFROM busybox:1.35\nCOPY --from=biuld /x /x\n",
          expect=("Dockerfile:4", "build"), why="a typo of a stage is no image anyone means", item=5, fixed_by="names"),
    image("i06-from-typo-of-repo-image", "FROM tinyolly/pyhton-base:latest\n", outcome=ACCEPTED,
          expect=("Dockerfile:1", "tinyolly/python-base"),
          why="Docker would pull it; we warn that it looks like the repo's python-base", item=6, fixed_by="names"),
    Case("i07-empty-platform-list", {"BUILD": image_build("i07-empty-platform-list"), "Dockerfile": "FROM scratch\nCOPY a /a\n", "a": "a"},
         ("--oci-platforms=[]", "package", "{d}:img"), ERROR, ("[oci].platforms",),
         "an index of zero manifests is no image", item=7, fixed_by="resolver"),
    image("i08-symlink-out-of-context", "FROM busybox:1.35\nCOPY public/notes.md /notes.md\n",
          extra={"public/notes.md": Link("../../../README.md")},
          expect=("Dockerfile:2", "public/notes.md", "symlink", "outside the build context"),
          why="Docker resolves links inside the context: it would not copy the repo's README", item=8),
    chart("i09-values-top-level-list", {"values.yaml": "- image: busybox\n- image: redis\n"},
          expect=("values.yaml:1", "mapping"), why="Helm reads values into a map", item=9),
    Case("i10-empty-repository", {"BUILD": 'oci_image(name="img", repository="")\n', "Dockerfile": "FROM scratch\n"},
         ("dependencies", "{d}:img"), ERROR, ("/BUILD", "repository"),
         "an empty repository silently became the target name", item=10, fixed_by="names", isolated=True),
    chart("i11-values-alias-bomb", {"values.yaml": billion_laughs(9)}, expect=("values.yaml:4", "excessive aliasing"),
          why="Helm: excessive aliasing", item=11, timeout=60),
    Case("i12-chart-dependency-cycle", {
        "a/BUILD": CHART_BUILD, "b/BUILD": CHART_BUILD,
        "a/Chart.yaml": chart_yaml("a", "dependencies:\n  - name: b\n    version: 0.1.0\n    repository: file://../b\n"),
        "b/Chart.yaml": chart_yaml("b", "dependencies:\n  - name: a\n    version: 0.1.0\n    repository: file://../a\n"),
    }, ("dependencies", "--transitive", "{d}/a:chart"), ERROR,
        ("a/Chart.yaml:5", "b/Chart.yaml:5", "cycle"), "Helm cannot vendor charts that depend on each other", item=12),
    Case("i13-platform-option-too-many-parts", {"BUILD": image_build("i13-platform-option-too-many-parts"), "Dockerfile": "FROM busybox:1.35\n"},
         ('--oci-platforms=["linux/amd64/v2/x"]', "dependencies", "{d}:img"), ERROR, ("[oci].platforms", "linux/amd64/v2/x"),
         "the option is wrong, not the Dockerfile", item=13, fixed_by="resolver"),
    image("i14-duplicate-stage-name", "FROM busybox:1.35 AS build\nFROM busybox:1.35 AS build\nFROM busybox:1.35\nCOPY --from=build /x /x\n",
          expect=("Dockerfile", "twice", "1", "2"), why="BuildKit: duplicate stage name", item=14, fixed_by="resolver"),
    image("i15a-target-stage-unknown", "FROM busybox:1.35 AS build\nFROM busybox:1.35\n", fields=', target_stage="biuld"',
          expect=("/BUILD", "`target_stage`", "biuld", "build"), why="docker build --target: stage not found", item=15),
    Case("i15b-dockerfile-field-missing", {"BUILD": image_build("i15b-dockerfile-field-missing", ', dockerfile="Dockerfile.app"')},
         ("dependencies", "{d}:img"), ERROR, ("/BUILD", "`dockerfile`", "Dockerfile.app", "does not exist"),
         "docker build -f: no such file", item=15),
    Case("i15c-build-file-without-dockerfile", {"BUILD": image_build("i15c-build-file-without-dockerfile")},
         ("dependencies", "{d}:img"), ERROR, ("/BUILD", "`dockerfile`", "Dockerfile", "does not exist"),
         "docker build: no Dockerfile", item=15),
    Case("i16-failed-run-step", {"BUILD": image_build("i16-failed-run-step"), "Dockerfile": "FROM busybox:1.35\nRUN false\n"},
         ('--oci-platforms=["linux/amd64"]', "package", "{d}:img"), ERROR, ("Dockerfile:2", "RUN false"),
         "the build fails; what it created is removed (tests/integration/test_builder_cleanup.py)", item=16,
         timeout=300),

    # ---------------------------------------------------------------- Dockerfile syntax
    image("d-empty-dockerfile", "", expect=("Dockerfile",), why="Docker: the Dockerfile cannot be empty"),
    image("d-only-comments", "# nothing here\n\n", expect=("Dockerfile",), why="Docker: no instructions"),
    image("d-unknown-instruction", "FROM busybox:1.35\nCOPPY a /a\n", expect=("Dockerfile:2", "COPPY"),
          why="Docker: unknown instruction"),
    image("d-instruction-before-from", "RUN true\nFROM busybox:1.35\n", expect=("Dockerfile:1",),
          why="Docker: no build stage in current context"),
    image("d-from-without-image", "FROM\n", expect=("Dockerfile:1", "FROM"), why="Docker: FROM requires an argument"),
    image("d-copy-one-argument", "FROM busybox:1.35\nCOPY a.txt\n", extra={"a.txt": "a"}, expect=("Dockerfile:2", "COPY"),
          why="Docker: COPY requires at least two arguments"),
    image("d-arg-without-name", "FROM busybox:1.35\nARG\n", expect=("Dockerfile:2", "ARG"),
          why="Docker: ARG requires exactly one argument"),
    image("d-from-uppercase-reference", "FROM BusyBox:1.35\n", expect=("Dockerfile:1", "BusyBox", "lower"),
          why="Docker: repository name must be lowercase"),
    image("d-lowercase-keywords", "from busybox:1.35\ncopy a.txt /a\n", extra={"a.txt": "a"}, outcome=ACCEPTED,
          expect=("{d}/a.txt",), why="instructions are case-insensitive"),
    image("d-crlf-line-endings", "FROM busybox:1.35\r\nCOPY a.txt /a\r\n", extra={"a.txt": "a"}, outcome=ACCEPTED,
          expect=("{d}/a.txt",), why="Docker accepts CRLF"),
    image("d-utf8-bom", "\ufeffFROM busybox:1.35\nCOPY a.txt /a\n", extra={"a.txt": "a"}, outcome=ACCEPTED,
          expect=("{d}/a.txt",), why="BuildKit strips a leading BOM"),
    image("d-escape-directive-backtick", "# escape=`\nFROM busybox:1.35\nCOPY a.txt `\n  /a\n", extra={"a.txt": "a"},
          outcome=ACCEPTED, expect=("{d}/a.txt",), why="the escape parser directive"),
    image("d-comment-inside-continuation", "FROM busybox:1.35\nCOPY a.txt \\\n# a comment\n  /a\n", extra={"a.txt": "a"},
          outcome=ACCEPTED, expect=("{d}/a.txt",), why="Docker drops comment lines inside a continuation"),
    image("d-cmd-unclosed-json-is-shell-form", 'FROM busybox:1.35\nCMD ["sh", "-c"\n', outcome=ACCEPTED,
          why="Docker falls back to the shell form for invalid JSON"),
    image("d-heredoc-copy", "# syntax=docker/dockerfile:1\nFROM busybox:1.35\nCOPY <<EOF /hello\nhi\nEOF\n",
          outcome=ACCEPTED, why="BuildKit heredocs"),
    image("d-add-remote-url", "FROM busybox:1.35\nADD https://example.com/x.tgz /x.tgz\n", outcome=ACCEPTED,
          why="a remote ADD reads no context file"),

    # ---------------------------------------------------------------- Dockerfile semantics
    image("d-copy-missing-file", "FROM busybox:1.35\nCOPY nothere.txt /x\n", expect=("Dockerfile:2", "nothere.txt"),
          why="Docker: not found"),
    image("d-copy-glob-matches-nothing", "FROM busybox:1.35\nCOPY *.nothing /x/\n", outcome=ACCEPTED,
          expect=("Dockerfile:2", "*.nothing", "matched no files"),
          why="BuildKit copies nothing for an empty wildcard; we accept and warn with the line"),
    image("d-copy-dockerignored-file", "FROM busybox:1.35\nCOPY secret.txt /x\n",
          extra={"secret.txt": "s", ".dockerignore": "secret.txt\n"}, expect=("Dockerfile:2", "secret.txt"),
          why="Docker: an excluded file is not in the context"),
    image("d-copy-from-earlier-stage-index", "FROM busybox:1.35\nRUN true\nFROM busybox:1.35\nCOPY --from=0 /x /x\n",
          outcome=ACCEPTED, why="--from may name a stage by index"),
    image("d-arg-before-from", "ARG BASE=busybox:1.35\nFROM ${BASE}\nCOPY a.txt /a\n", extra={"a.txt": "a"},
          outcome=ACCEPTED, expect=("{d}/a.txt",), why="a global ARG may name the base"),
    image("d-unused-build-arg", "FROM busybox:1.35\nCOPY a.txt /a\n", extra={"a.txt": "a"},
          fields=', build_args={"NOT_USED": "1"}', outcome=ACCEPTED, expect=("{d}/a.txt",),
          why="Docker only warns about unconsumed build args"),
    image("d-build-arg-selects-file", "FROM busybox:1.35\nARG APP=one\nCOPY ${APP}.txt /a\n",
          extra={"one.txt": "1", "two.txt": "2"}, fields=', build_args={"APP": "two"}', outcome=ACCEPTED,
          expect=("{d}/two.txt",), why="build args override ARG defaults"),
    image("d-scratch-base", "FROM scratch\nCOPY a.txt /a\n", extra={"a.txt": "a"}, outcome=ACCEPTED,
          expect=("{d}/a.txt",), why="scratch is no image to pull"),
    image("d-dockerfile-outside-context", "FROM busybox:1.35\nCOPY a.txt /a\n", fields=', context="ctx"',
          extra={"ctx/a.txt": "a"}, outcome=ACCEPTED, expect=("{d}/ctx/a.txt",),
          why="docker build -f may name a Dockerfile outside the context"),

    # ---------------------------------------------------------------- .dockerignore
    image("di-excludes-the-dockerfile", "FROM busybox:1.35\nCOPY a.txt /a\n",
          extra={"a.txt": "a", ".dockerignore": "Dockerfile\n.dockerignore\n"}, outcome=ACCEPTED,
          expect=("{d}/a.txt",), why="Docker always sends the Dockerfile and .dockerignore"),
    image("di-reinclude-with-bang", "FROM busybox:1.35\nCOPY keep.log /k\n",
          extra={"keep.log": "k", ".dockerignore": "*.log\n!keep.log\n"}, outcome=ACCEPTED,
          expect=("{d}/keep.log",), why="a later ! pattern re-includes"),
    image("di-invalid-pattern", "FROM busybox:1.35\nCOPY a.txt /a\n",
          extra={"a.txt": "a", ".dockerignore": "# ok\n[\n"}, expect=(".dockerignore:2",),
          why="Docker: syntax error in pattern"),
    image("di-comments-and-blank-lines", "FROM busybox:1.35\nCOPY a.txt /a\n",
          extra={"a.txt": "a", ".dockerignore": "# comment\n\n   \nb.txt\n"}, outcome=ACCEPTED,
          expect=("{d}/a.txt",), why="comments and blank lines are ignored"),

    # ---------------------------------------------------------------- BUILD fields
    Case("b-context-absolute", {"BUILD": image_build("b-context-absolute", ', context="/etc"'), "Dockerfile": "FROM scratch\n"},
         ("dependencies", "{d}:img"), ERROR, ("{d}:img", "`context`", "/etc"), "a context must be inside the repo",
         isolated=True),
    Case("b-context-outside-repo", {"BUILD": image_build("b-context-outside-repo", ', context="../../.."'), "Dockerfile": "FROM scratch\n"},
         ("dependencies", "{d}:img"), ERROR, ("{d}:img", "`context`", "outside the repository"),
         "a context must be inside the repo", isolated=True),
    Case("b-platform-field-not-a-platform", {"BUILD": image_build("b-platform-field-not-a-platform", ', platforms=["linuxx"]'), "Dockerfile": "FROM scratch\n"},
         ("dependencies", "{d}:img"), ERROR, ("{d}:img", "`platforms`", "'linuxx'"),
         "docker build --platform: os/arch, or one known OS or architecture (containerd's platforms.Parse)",
         isolated=True),
    Case("b-build-args-not-strings", {"BUILD": image_build("b-build-args-not-strings", ', build_args={"A": 1}'), "Dockerfile": "FROM scratch\n"},
         ("dependencies", "{d}:img"), ERROR, ("{d}:img", "build_args"), "build args are strings", isolated=True),
    Case("b-misspelt-field", {"BUILD": 'oci_image(name="img", dockerfil="Dockerfile")\n', "Dockerfile": "FROM scratch\n"},
         ("dependencies", "{d}:img"), ERROR, ("{d}/BUILD", "dockerfil"), "no such field", isolated=True),
    Case("b-build-syntax-error", {"BUILD": 'oci_image(name="img"\n', "Dockerfile": "FROM scratch\n"},
         ("dependencies", "{d}:img"), ERROR, ("BUILD, line 1", "SyntaxError"),
         "not Python (Pants' own BUILD parser names the file only as `BUILD`; the address names the directory)",
         isolated=True),
    Case("b-two-images-one-repository", {
        "BUILD": 'oci_image(name="one", repository="bad/same")\noci_image(name="two", repository="bad/same", dockerfile="Dockerfile.two")\n',
        "Dockerfile": "FROM scratch\n", "Dockerfile.two": "FROM scratch\n"},
        ("dependencies", "{d}:one"), ACCEPTED, (),
        "two Dockerfiles may build one repository (issue 8): only a reference naming both is an error "
        "(tests/e2e/test_image_names.py)", isolated=True),
    Case("b-repository-uppercase", {"BUILD": 'oci_image(name="img", repository="Bad/Upper")\n', "Dockerfile": "FROM scratch\n"},
         ("dependencies", "{d}:img"), ERROR, ("Bad/Upper",), "Docker: repository names are lowercase", isolated=True),
    Case("b-unknown-dependency", {"BUILD": image_build("b-unknown-dependency", ', dependencies=[":nope"]'), "Dockerfile": "FROM scratch\n"},
         ("dependencies", "{d}:img"), ERROR, ("{d}:img", "`dependencies` field", ":nope"),
         "no such target (Pants' own message: target and field)"),
    Case("b-chart-field-not-chart-yaml", {"BUILD": 'helm_chart(name="chart", chart="values.yaml")\n', "values.yaml": "a: 1\n"},
         ("dependencies", "{d}:chart"), ERROR, ("{d}/BUILD", "`chart`", "Chart.yaml"),
         "Helm reads chart metadata only from Chart.yaml"),
    Case("b-helm-chart-without-chart-yaml", {"BUILD": 'helm_chart(name="chart")\n'},
         ("dependencies", "{d}:chart"), ERROR, ("{d}/BUILD", "`chart`", "does not exist"), "helm: Chart.yaml file is missing"),

    # ---------------------------------------------------------------- chart files
    chart("c-chart-yaml-not-yaml", {"Chart.yaml": "apiVersion: v2\nname: [x\nversion: 0.1.0\n"},
          expect=("Chart.yaml:",), why="Helm: YAML parse error"),
    chart("c-chart-yaml-no-version", {"Chart.yaml": "apiVersion: v2\nname: x\n"}, expect=("Chart.yaml:", "version"),
          why="Helm: chart.metadata.version is required"),
    chart("c-chart-yaml-version-not-semver", {"Chart.yaml": "apiVersion: v2\nname: x\nversion: one\n"},
          expect=("Chart.yaml:3", "version"), why="Helm: version must be SemVer"),
    chart("c-chart-yaml-is-a-list", {"Chart.yaml": "- apiVersion: v2\n"}, expect=("Chart.yaml:1", "mapping"),
          why="Helm: Chart.yaml is a mapping"),
    chart("c-chart-name-with-slash", {"Chart.yaml": "apiVersion: v2\nname: a/b\nversion: 0.1.0\n"},
          expect=("Chart.yaml:2", "a/b"), why="Helm: chart.metadata.name must not contain path separators"),
    chart("c-chart-yaml-alias-bomb", {"Chart.yaml": chart_yaml("x") + billion_laughs(9)},
          expect=("Chart.yaml:7", "excessive aliasing"), why="Helm: excessive aliasing", item=11),
    chart("c-dependency-not-a-mapping", {"Chart.yaml": chart_yaml("x", "dependencies:\n  - common\n")},
          expect=("Chart.yaml:5", "dependency"), why="Helm: a dependency is a mapping"),
    chart("c-file-dependency-without-chart", {"Chart.yaml": chart_yaml("x", "dependencies:\n  - name: nothere\n    version: 0.1.0\n    repository: file://../nothere\n")},
          expect=("Chart.yaml:5", "nothere"), why="helm dependency update: directory not found"),
    chart("c-file-dependency-outside-repo", {"Chart.yaml": chart_yaml("x", "dependencies:\n  - name: far\n    version: 0.1.0\n    repository: file://../../../../far\n")},
          expect=("Chart.yaml:5", "outside the repository"), why="the chart is not in this repo"),
    chart("c-values-bad-indentation", {"values.yaml": "image:\n  repository: busybox\n   tag: 1\n"},
          expect=("values.yaml:3",), why="Helm: YAML parse error"),
    chart("c-values-scalar", {"values.yaml": "just some text\n"}, expect=("values.yaml:1", "mapping"),
          why="Helm reads values into a map"),
    chart("c-values-recursive-alias", {"values.yaml": "loop: &l\n  - *l\n"}, expect=("values.yaml:2", "itself"),
          why="go-yaml: anchor value contains itself"),
    chart("c-values-empty", {"values.yaml": ""}, outcome=ACCEPTED, why="Helm accepts empty values"),
    chart("c-values-comments-only", {"values.yaml": "# nothing set\n"}, outcome=ACCEPTED, why="Helm accepts it"),
    chart("c-values-moderate-anchors", {"values.yaml": "base: &b {repository: busybox, tag: '1.35'}\na: *b\nb: *b\n"},
          outcome=ACCEPTED, why="aliases within go-yaml's ratio are fine"),
    chart("c-template-alias-bomb-text", {"templates/cm.yaml": billion_laughs(9)}, outcome=ACCEPTED,
          why="templates are text until rendered; helm package accepts them", timeout=60),
    chart("c-unowned-chart-file", {"BUILD": 'helm_chart(name="chart")\n', "values.yaml": "a: 1\n"},
          expect=("{d}/values.yaml",), why="a packaged file no target owns"),

    # ---------------------------------------------------------------- pants.toml options
    Case("o-builder-unknown", {"BUILD": image_build("o-builder-unknown"), "Dockerfile": "FROM scratch\n"},
         ("--oci-builder=podman", "dependencies", "{d}:img"), ERROR, ("podman", "builder"),
         "no such builder"),
    Case("o-registry-not-a-host", {"BUILD": image_build("o-registry-not-a-host"), "Dockerfile": "FROM scratch\n"},
         ('--oci-registries={"bad": "Not A Host"}', "dependencies", "{d}:img"), ERROR, ("Not A Host", "[oci].registries"),
         "a registry is a host name"),
    Case("o-registries-not-a-dict", {"BUILD": image_build("o-registries-not-a-dict"), "Dockerfile": "FROM scratch\n"},
         ("--oci-registries=[1]", "dependencies", "{d}:img"), ERROR, ("registries",), "the option is a dict"),
    Case("o-platforms-neither-os-nor-arch", {"BUILD": image_build("o-platforms-neither-os-nor-arch"), "Dockerfile": "FROM busybox:1.35\n"},
         ('--oci-platforms=["linuxx"]', "dependencies", "{d}:img"), ERROR, ("[oci].platforms", "linuxx"),
         "docker build --platform: os/arch, or one known OS or architecture", fixed_by="resolver"),

    # ---------------------------------------------------------------- file system oddities
    image("f-symlink-inside-context", "FROM busybox:1.35\nCOPY link.txt /a\n",
          extra={"real.txt": "r", "link.txt": Link("real.txt")}, outcome=ACCEPTED, expect=("{d}/link.txt",),
          why="Docker follows a link that stays in the context"),
    image("f-directory-symlink-out-of-context", "FROM busybox:1.35\nCOPY lib/ /lib/\n",
          extra={"lib": Link("../../libs/tinyolly_common")}, expect=("Dockerfile:2", "lib", "outside the build context"),
          why="Docker resolves the link inside the context"),
    image("f-dangling-symlink-not-copied", "FROM busybox:1.35\nCOPY a.txt /a\n",
          extra={"a.txt": "a", "gone.txt": Link("nothere.txt")}, outcome=ACCEPTED, expect=("{d}/a.txt",),
          why="Docker sends the dangling link and never reads it"),
    image("f-name-with-spaces", 'FROM busybox:1.35\nCOPY ["my file.txt", "/a"]\n', extra={"my file.txt": "a"},
          outcome=ACCEPTED, expect=("my file.txt",), why="the JSON form allows spaces"),
    image("f-unicode-file-name", "FROM busybox:1.35\nCOPY café.txt /a\n", extra={"café.txt": "a"},
          outcome=ACCEPTED, expect=("café.txt",), why="file names are bytes to Docker"),
    image("f-empty-copied-file", "FROM busybox:1.35\nCOPY empty.txt /a\n", extra={"empty.txt": ""},
          outcome=ACCEPTED, expect=("{d}/empty.txt",), why="an empty file is a file"),
    image("f-copy-a-directory", "FROM busybox:1.35\nCOPY src/ /src/\n", extra={"src/a/b.txt": "b", "src/c.txt": "c"},
          outcome=ACCEPTED, expect=("{d}/src/a/b.txt", "{d}/src/c.txt"), why="COPY of a directory copies its contents"),
]


def case_dir(case: Case) -> str:
    return f"bad/{case.id}"


def write_case(root: Path, case: Case) -> None:
    for rel, spec in case.files.items():
        path = root / rel[1:] if rel.startswith("/") else root / case_dir(case) / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(spec, Link):
            os.symlink(spec.target, path)
        elif isinstance(spec, bytes):
            path.write_bytes(spec)
        else:
            path.write_text(spec)


def remove_case(root: Path, case: Case) -> None:
    shutil.rmtree(root / case_dir(case), ignore_errors=True)


@pytest.fixture(scope="module")
def bad_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PantsRepo]:
    root = tmp_path_factory.mktemp("bad-input") / "repo"
    copy_repo(root)
    init_git(root)
    for case in CASES:
        if not case.isolated:
            write_case(root, case)
    repo = PantsRepo(root, dict(os.environ))
    try:
        yield repo
    finally:
        stop_pantsd(root)


OBSERVED: Dict[str, dict] = {}

# What inference prints for an image it cannot resolve (dependency_inference/image_dependencies.py).
UNRESOLVABLE = "cannot be resolved: until this is fixed it counts as changed"

# Pants prints "Engine traceback: in `<goal>` goal" above every error: that is its format, not a
# crash. A Python traceback, or a bare exception with no message of ours, is.
TRACEBACK_MARKERS = ("Traceback (most recent call last)",)


def classify(result: Optional[subprocess.CompletedProcess], case: Case, expected: Tuple[str, ...]) -> str:
    """The outcome as the issue counts it."""
    if result is None:
        return "hang"
    output = result.stdout + result.stderr
    if any(marker in output for marker in TRACEBACK_MARKERS):
        return "crash"
    if result.returncode == 0:
        return "accepted"
    return "error with location" if all(e in output for e in expected) else "error without location"


def run_case(repo: PantsRepo, case: Case) -> Tuple[Optional[subprocess.CompletedProcess], float]:
    args = [a.replace("{d}", case_dir(case)) for a in case.args]
    started = time.monotonic()
    try:
        result = repo.run(*args, check=False, timeout=case.timeout)
    except subprocess.TimeoutExpired:
        return None, time.monotonic() - started
    return result, time.monotonic() - started


def batchable(case: Case) -> bool:
    """Accepted cases that only query targets can share one Pants run (each costs seconds).
    Cases another branch fixes run alone, so the batch does not fail before that branch is in."""
    return (
        case.outcome == ACCEPTED
        and not case.isolated
        and case.fixed_by is None
        and case.args[0] == "dependencies"
    )


@pytest.fixture(scope="module")
def accepted_batch(bad_repo: PantsRepo) -> Optional[subprocess.CompletedProcess]:
    """One `dependencies` run over every batchable case; None when it fails (then each case
    runs alone, so a failure is pinned on its case)."""
    addresses = [a.replace("{d}", case_dir(c)) for c in CASES if batchable(c) for a in c.args[1:]]
    try:
        result = bad_repo.run("dependencies", *addresses, check=False, timeout=300)
    except subprocess.TimeoutExpired:
        return None
    return result if result.returncode == 0 else None


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(bad_repo: PantsRepo, accepted_batch: Optional[subprocess.CompletedProcess], case: Case) -> None:
    if case.isolated:
        write_case(bad_repo.root, case)
    try:
        if batchable(case) and accepted_batch is not None:
            result, elapsed = accepted_batch, 0.0
        else:
            result, elapsed = run_case(bad_repo, case)
    finally:
        if case.isolated:
            remove_case(bad_repo.root, case)
    expected = tuple(e.replace("{d}", case_dir(case)) for e in case.expect)
    outcome = classify(result, case, expected)
    OBSERVED[case.id] = {"outcome": outcome, "item": case.item, "fixed_by": case.fixed_by,
                         "expected": case.outcome, "seconds": round(elapsed, 1),
                         "exit": None if result is None else result.returncode,
                         "stderr": "" if result is None else result.stderr[-1500:]}
    assert result is not None, f"{case.id}: ./pants {' '.join(case.args)} did not finish in {case.timeout}s"
    if case.outcome == ERROR and result.returncode == 0 and UNRESOLVABLE in result.stderr:
        # Issue 8: inference reports an image it cannot resolve as a warning (with the same
        # file:line) and counts it as affected, so other images go on; building it must fail.
        warning = result.stderr
        missing = [e for e in expected if e not in warning]
        assert not missing, f"the inference warning does not name {missing} ({case.why})\n{warning[-3000:]}"
        result, _ = run_case(bad_repo, dataclasses.replace(case, args=("package", *case.args[1:])))
        assert result is not None, f"{case.id}: package did not finish in {case.timeout}s"
        OBSERVED[case.id].update(outcome=classify(result, case, expected), exit=result.returncode)
    output = result.stdout + result.stderr
    shown = f"\n--- exit {result.returncode}\n--- stdout\n{result.stdout[-3000:]}\n--- stderr\n{result.stderr[-3000:]}"
    assert not any(m in output for m in TRACEBACK_MARKERS), f"a traceback was printed ({case.why}){shown}"
    if case.outcome == ACCEPTED:
        assert result.returncode == 0, f"Docker/Helm accept this ({case.why}); so must we{shown}"
    else:
        assert result.returncode != 0, f"Docker/Helm refuse this ({case.why}); we exited 0{shown}"
    missing = [e for e in expected if e not in output]
    assert not missing, f"the output does not name {missing} ({case.why}){shown}"


def test_alias_bomb_refused_at_once_and_pantsd_idle_after(bad_repo: PantsRepo) -> None:
    """A 9-level billion-laughs values.yaml is refused (not expanded) and leaves pantsd idle."""
    bad_repo.write("bad/bomb-timing/BUILD", CHART_BUILD)
    bad_repo.write("bad/bomb-timing/Chart.yaml", chart_yaml("bomb"))
    bad_repo.write("bad/bomb-timing/values.yaml", billion_laughs(9))
    bad_repo.run("list", "bad/bomb-timing:chart")  # pantsd warm, the BUILD file parsed
    started = time.monotonic()
    result = bad_repo.run("dependencies", "bad/bomb-timing:chart", check=False, timeout=60)
    elapsed = time.monotonic() - started
    assert result.returncode != 0 and "excessive aliasing" in result.stderr
    # The client's own start-up is ~1-3 s here; the refusal itself is bounded (the unit test in
    # tests/unit/chart/test_values_images.py holds it under a second). Expanding would take minutes.
    assert elapsed < 15, f"took {elapsed:.1f}s"
    pids = [int(p.read_text()) for p in bad_repo.root.glob(".pids/*/pantsd/pid")]
    assert pids, "pantsd is not running"
    assert cpu_seconds_over(pids[0], 3.0) < 0.5, "pantsd is still busy after the refusal"


def cpu_seconds_over(pid: int, seconds: float) -> float:
    """CPU time (user + system, all threads) `pid` used during the next `seconds`."""

    def total() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    before = total()
    time.sleep(seconds)
    return total() - before


def pytest_sessionfinish_report() -> None:  # pragma: no cover - called by the fixture below
    target = os.environ.get("SHIPYARD_BAD_INPUT_REPORT")
    if target and OBSERVED:
        Path(target).write_text(json.dumps(OBSERVED, indent=2, sort_keys=True))


@pytest.fixture(scope="module", autouse=True)
def _write_report() -> Iterator[None]:
    yield
    pytest_sessionfinish_report()


def test_the_table_covers_the_issue() -> None:
    """One case per kind of the issue (items 1-16) and at least 40 more."""
    assert {c.item for c in CASES if c.item} == set(range(1, 17))
    assert len([c for c in CASES if c.item is None]) >= 40
    assert len({c.id for c in CASES}) == len(CASES)
