"""The plain-Python chart packager: archive bytes, Chart.yaml as Helm writes it, dependency
vendoring, version overrides and image stamping. Expected Chart.yaml texts were taken from
`helm package` (Helm v4.2) on the same input; tests/integration/test_chart_package_oracle.py
compares whole archives with Helm's."""

from __future__ import annotations

import gzip
import io
import tarfile
from typing import Dict, List

import pytest

from shipyard.chart.archive import read_chart_archive, write_tar
from shipyard.chart.errors import ChartError
from shipyard.chart.helm_yaml import format_go_float, marshal, resolve_plain, sorted_keys
from shipyard.chart.package import LOCK_GENERATED, PackagedChart, package_chart
from shipyard.chart.semver import satisfies
from shipyard.chart.stamp import stamp_values

DIGEST = "sha256:" + "ab" * 32
OLD_DIGEST = "sha256:" + "00" * 32

COMMON: Dict[str, bytes] = {
    "Chart.yaml": b"apiVersion: v2\nname: common\ndescription: Shared helpers\ntype: library\n"
    b"version: 0.1.0\n",
    "templates/_helpers.tpl": b'{{- define "common.image" -}}\n'
    b"{{ .repository }}:{{ .tag }}\n{{- end -}}\n",
}
TINYOLLY_CHART_YAML = b"""\
# TinyOlly: the observability demo
apiVersion: v2
name: tinyolly
version: 0.2.0
appVersion: "1.0"
description: TinyOlly
dependencies:
  - name: common
    version: 0.1.0
    repository: file://../common
"""
TINYOLLY_VALUES = b"""\
# Default values for tinyolly.
ui:
  replicas: 2
  image:
    repository: tinyolly/ui   # built from apps/ui
    tag: latest
    pullPolicy: IfNotPresent
webui:
  image: "tinyolly/webui:latest"  # pinned by CI
"""
UI_DEPLOYMENT = b"""\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: ui
spec:
  template:
    spec:
      containers:
        - name: ui
          image: {{ include "common.image" .Values.ui.image }}
"""
TINYOLLY: Dict[str, bytes] = {
    "Chart.yaml": TINYOLLY_CHART_YAML,
    "values.yaml": TINYOLLY_VALUES,
    "templates/ui.yaml": UI_DEPLOYMENT,
    "templates/NOTES.txt": b"TinyOlly is up.\n",
    ".helmignore": b"*.bak\n",
    "README.md": b"# TinyOlly\n",
}
TINYOLLY_LOCK = f"""\
dependencies:
- name: common
  repository: file://../common
  version: 0.1.0
digest: sha256:636a65e9846bdff17cc4e65b0849061f783759a37aa51fb85ff6fd8ba5e68467
generated: "{LOCK_GENERATED}"
""".encode()


def simple_chart(chart_yaml: bytes) -> Dict[str, bytes]:
    return {"Chart.yaml": chart_yaml}


def package_tinyolly(**kwargs: object) -> PackagedChart:
    return package_chart(TINYOLLY, {"common": COMMON}, **kwargs)  # type: ignore[arg-type]


def members(packaged: PackagedChart) -> List[tarfile.TarInfo]:
    with tarfile.open(fileobj=io.BytesIO(packaged.tar_bytes), mode="r:") as tar:
        return tar.getmembers()


# --- the archive -------------------------------------------------------------------------------


def test_packaging_twice_gives_the_same_bytes() -> None:
    first, second = package_tinyolly(), package_tinyolly()
    assert first.tar_bytes == second.tar_bytes
    assert first.tgz_bytes == second.tgz_bytes


def test_input_order_does_not_matter() -> None:
    reversed_files = dict(reversed(list(TINYOLLY.items())))
    assert (
        package_chart(reversed_files, {"common": COMMON}).tar_bytes == package_tinyolly().tar_bytes
    )


def test_members_in_helms_order() -> None:
    packaged = package_tinyolly()
    assert packaged.filename == "tinyolly-0.2.0.tgz"
    assert (packaged.name, packaged.version, packaged.app_version) == ("tinyolly", "0.2.0", "1.0")
    assert [m.name for m in members(packaged)] == [
        "tinyolly/Chart.yaml",
        "tinyolly/Chart.lock",
        "tinyolly/values.yaml",
        "tinyolly/templates/NOTES.txt",
        "tinyolly/templates/ui.yaml",
        "tinyolly/.helmignore",
        "tinyolly/README.md",
        "tinyolly/charts/common/Chart.yaml",
        "tinyolly/charts/common/templates/_helpers.tpl",
    ]
    assert list(packaged.files) == [m.name for m in members(packaged)]


def test_member_headers_are_plain_ustar_files() -> None:
    for member in members(package_tinyolly()):
        assert member.isreg(), member.name
        assert (member.mode, member.uid, member.gid, member.mtime) == (0o644, 0, 0, 0)
        assert (member.uname, member.gname) == ("", "")
        assert member.pax_headers == {}


def test_tar_ends_with_two_zero_blocks_and_no_record_padding() -> None:
    packaged = package_tinyolly()
    data_blocks = sum(512 + -(-len(data) // 512) * 512 for data in packaged.files.values())
    assert len(packaged.tar_bytes) == data_blocks + 1024
    assert packaged.tar_bytes[-1024:] == b"\0" * 1024
    assert packaged.tar_bytes[257:265] == b"ustar\x0000"


def test_gzip_is_reproducible_and_says_helm() -> None:
    tgz = package_tinyolly().tgz_bytes
    assert tgz[:3] == b"\x1f\x8b\x08"
    assert tgz[4:8] == b"\0\0\0\0"  # mtime 0
    assert b"Helm\0" in tgz[:20]
    assert gzip.decompress(tgz) == package_tinyolly().tar_bytes


def test_values_templates_and_files_are_copied_byte_for_byte() -> None:
    files = package_tinyolly().files
    for name in ("values.yaml", "templates/ui.yaml", "templates/NOTES.txt", "README.md"):
        assert files[f"tinyolly/{name}"] == TINYOLLY[name]


@pytest.mark.parametrize(
    "name, expected",
    [
        pytest.param("a" * 100, ("", "a" * 100), id="100-chars-in-name-field"),
        pytest.param("d" * 60 + "/" + "f" * 60, ("d" * 60, "f" * 60), id="split-at-slash"),
        pytest.param(
            # Python's tarfile would take the shortest prefix that fits; Go takes the longest.
            "a/" * 60 + "x",
            ("a/" * 59 + "a", "x"),
            id="longest-prefix-like-go",
        ),
    ],
)
def test_long_names_split_into_the_ustar_prefix_as_go_does(name: str, expected: tuple) -> None:
    header = write_tar([(name, b"x")])[:512]
    assert header[345:500].rstrip(b"\0").decode() == expected[0]
    assert header[0:100].rstrip(b"\0").decode() == expected[1]


def test_names_ustar_cannot_hold_use_pax() -> None:
    name = "chart/" + "é" * 10
    tar = write_tar([(name, b"data")])
    with tarfile.open(fileobj=io.BytesIO(tar)) as archive:
        assert archive.getnames() == [name]


def test_a_utf8_bom_is_dropped_like_helms_loader_does() -> None:
    packaged = package_chart({**TINYOLLY, "README.md": b"\xef\xbb\xbf# hi\n"}, {"common": COMMON})
    assert packaged.files["tinyolly/README.md"] == b"# hi\n"


# --- Chart.yaml as Helm writes it ---------------------------------------------------------------


@pytest.mark.parametrize(
    "chart_yaml, expected",
    [
        pytest.param(
            "# comment\nversion: 0.1.0\nname: c\napiVersion: v2\ntype: application\n",
            "apiVersion: v2\nname: c\ntype: application\nversion: 0.1.0\n",
            id="sorted-keys-comments-dropped",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\nx-team: core\nAppVersion: 1.10\n",
            'apiVersion: v2\nappVersion: "1.1"\nname: c\nversion: 0.1.0\n',
            id="unknown-fields-dropped-keys-case-insensitive-float-as-go-text",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\ndescription: |\n  line one\n  line\ttwo\n",
            "apiVersion: v2\ndescription: 'line one line two '\nname: c\nversion: 0.1.0\n",
            id="text-fields-sanitized",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\n"
            "keywords: [true, 12, 1.5e10, 0.000001, 1234567, 'yes', '1.0', '', y, =]\n",
            "apiVersion: v2\nkeywords:\n"
            '- "true"\n- "12"\n- "1.5e+10"\n- "1e-06"\n- "1234567"\n- "yes"\n- "1.0"\n- ""\n'
            '- "true"\n- =\nname: c\nversion: 0.1.0\n',
            id="go-yaml-quoting-and-number-text",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\nsources: ['- dash', 'a: b', '#x', 'x #y',"
            " '2024-01-02', '0o17', ' lead', \"'q'\", '@at', 'a,b', '?q', '?', 'a\\b', ünï]\n",
            "apiVersion: v2\nname: c\nsources:\n- '- dash'\n- 'a: b'\n- '#x'\n- 'x #y'\n"
            "- \"2024-01-02\"\n- \"0o17\"\n- ' lead'\n- '''q'''\n- '@at'\n- a,b\n- ?q\n"
            "- '?'\n- a\\b\n- ünï\nversion: 0.1.0\n",
            id="special-characters-single-quoted",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\nannotations:\n  b10: x\n  b2: 'y'\n"
            '  _x: 1\n  A: 2.50\n  Z-z: ""\n  "2": two\n  "10": ten\n  a.b/c: v\n  ab: w\n'
            "  a-b: v\n  a: |\n    multi\n    line\n",
            'annotations:\n  _x: "1"\n  "2": two\n  "10": ten\n  A: "2.5"\n  Z-z: ""\n'
            '  a: |\n    multi\n    line\n  a-b: v\n  a.b/c: v\n  ab: w\n  b2: "y"\n  b10: x\n'
            "apiVersion: v2\nname: c\nversion: 0.1.0\n",
            id="annotations-natural-key-order-literal-blocks",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\ndeprecated: true\n"
            "kubeVersion: '>=1.20.0-0'\nmaintainers:\n  - url: https://x\n    name: Me\n"
            "  - email: e@x\nhome: http://example.com/a?b=c#frag\n",
            "apiVersion: v2\ndeprecated: true\nhome: http://example.com/a?b=c#frag\n"
            "kubeVersion: '>=1.20.0-0'\nmaintainers:\n- name: Me\n  url: https://x\n"
            "- email: e@x\nname: c\nversion: 0.1.0\n",
            id="maintainers-bools-urls",
        ),
        pytest.param(
            "apiVersion: v2\nname: c\nversion: 0.1.0\ndescription: "
            + " ".join(f"word{i}" for i in range(30))
            + "\n",
            "apiVersion: v2\ndescription: word0 word1 word2 word3 word4 word5 word6 word7 word8 "
            "word9 word10 word11\n  word12 word13 word14 word15 word16 word17 word18 word19 "
            "word20 word21 word22 word23\n  word24 word25 word26 word27 word28 word29\n"
            "name: c\nversion: 0.1.0\n",
            id="long-lines-folded-at-80-columns",
        ),
    ],
)
def test_chart_yaml_is_rewritten_as_helm_does(chart_yaml: str, expected: str) -> None:
    packaged = package_chart(simple_chart(chart_yaml.encode()))
    assert packaged.files[f"{packaged.name}/Chart.yaml"].decode() == expected


def test_dependencies_in_chart_yaml_keep_helms_field_set() -> None:
    chart_yaml = (
        b"apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n"
        b"  - name: sub\n    repository: ''\n    version: '>=0.1.0'\n    alias: s1\n"
        b"    condition: s1.enabled\n    tags: [t1, 'yes']\n    enabled: true\n"
        b"    import-values:\n      - data\n      - child: a.b\n        parent: c\n"
    )
    sub_chart_yaml = b"apiVersion: v2\nname: sub\nversion: 0.1.0\n"
    packaged = package_chart({"Chart.yaml": chart_yaml, "charts/sub/Chart.yaml": sub_chart_yaml})
    assert packaged.files["c/Chart.yaml"].decode() == (
        "apiVersion: v2\ndependencies:\n- alias: s1\n  condition: s1.enabled\n  enabled: true\n"
        "  import-values:\n  - data\n  - child: a.b\n    parent: c\n  name: sub\n"
        '  repository: ""\n  tags:\n  - t1\n  - "yes"\n  version: \'>=0.1.0\'\n'
        "name: c\nversion: 0.1.0\n"
    )


def test_version_written_as_a_number_names_the_archive_like_helm() -> None:
    packaged = package_chart(simple_chart(b"apiVersion: v2\nname: c\nversion: 1.0\n"))
    assert (packaged.version, packaged.filename) == ("1", "c-1.tgz")


@pytest.mark.parametrize(
    "text, tag",
    [
        ("yes", "bool"),
        ("y", "bool"),
        ("Off", "bool"),
        ("~", "null"),
        ("0o17", "int"),
        ("0x1F", "int"),
        ("1_000", "int"),
        ("1e5", "float"),
        (".5", "float"),
        ("2024-01-02", "timestamp"),
        ("=", "str"),
        ("1.2.3", "str"),
        ("v1", "str"),
    ],
)
def test_plain_scalars_resolve_like_go_yaml(text: str, tag: str) -> None:
    assert resolve_plain(text)[0] == f"tag:yaml.org,2002:{tag}"


@pytest.mark.parametrize(
    "value, bits, expected",
    [
        (1.10, 32, "1.1"),
        (1.0, 32, "1"),
        (0.1, 32, "0.1"),
        (1.5e10, 32, "1.5e+10"),
        (1e-06, 32, "1e-06"),
        (123456.0, 64, "123456"),
        (1234567.0, 64, "1.234567e+06"),
        (0.0001, 64, "0.0001"),
        (0.00001, 64, "1e-05"),
    ],
)
def test_floats_become_text_like_go(value: float, bits: int, expected: str) -> None:
    assert format_go_float(value, bits) == expected


def test_map_keys_sort_in_go_yaml_natural_order() -> None:
    keys = ["b10", "b2", "_x", "A", "a", "Z-z", "2", "10", "a.b/c", "ab", "a-b"]
    assert sorted_keys(keys) == [
        "_x",
        "2",
        "10",
        "A",
        "Z-z",
        "a",
        "a-b",
        "a.b/c",
        "ab",
        "b2",
        "b10",
    ]


def test_marshal_writes_empty_collections_in_flow_style() -> None:
    assert marshal({"b": [], "a": {}, "c": None}) == "a: {}\nb: []\nc: null\n"


# --- dependencies --------------------------------------------------------------------------------


def test_file_dependency_is_vendored_unpacked_with_a_lock() -> None:
    files = package_tinyolly().files
    assert files["tinyolly/Chart.lock"] == TINYOLLY_LOCK
    assert files["tinyolly/charts/common/Chart.yaml"] == (
        b"apiVersion: v2\ndescription: Shared helpers\nname: common\ntype: library\n"
        b"version: 0.1.0\n"
    )
    assert (
        files["tinyolly/charts/common/templates/_helpers.tpl"] == COMMON["templates/_helpers.tpl"]
    )


def test_a_packaged_dependency_gives_the_same_archive_as_its_files() -> None:
    common = package_chart(COMMON)
    assert package_chart(TINYOLLY, {"common": common}).tar_bytes == package_tinyolly().tar_bytes


def test_a_current_chart_lock_is_kept_as_helm_keeps_it() -> None:
    old_lock = TINYOLLY_LOCK.replace(LOCK_GENERATED.encode(), b"2025-01-02T03:04:05.600Z")
    packaged = package_chart({**TINYOLLY, "Chart.lock": old_lock}, {"common": COMMON})
    assert packaged.files["tinyolly/Chart.lock"] == TINYOLLY_LOCK.replace(
        LOCK_GENERATED.encode(), b"2025-01-02T03:04:05.6Z"
    )


def test_an_outdated_chart_lock_is_replaced() -> None:
    old_lock = TINYOLLY_LOCK.replace(b"version: 0.1.0", b"version: 0.0.9").replace(
        b"sha256:636a", b"sha256:0000"
    )
    packaged = package_chart({**TINYOLLY, "Chart.lock": old_lock}, {"common": COMMON})
    assert packaged.files["tinyolly/Chart.lock"] == TINYOLLY_LOCK


def test_stale_archives_in_charts_are_dropped_and_other_entries_kept() -> None:
    old_chart_yaml = COMMON["Chart.yaml"].replace(b"0.1.0", b"0.0.9")
    stale = package_chart({**COMMON, "Chart.yaml": old_chart_yaml})
    files = {**TINYOLLY, "charts/common-0.0.9.tgz": stale.tgz_bytes, "charts/.gitkeep": b""}
    names = list(package_chart(files, {"common": COMMON}).files)
    assert [n for n in names if "/charts/" in n] == [
        "tinyolly/charts/common/Chart.yaml",
        "tinyolly/charts/common/templates/_helpers.tpl",
    ]


def test_dependency_without_repository_is_read_from_its_directory() -> None:
    chart_yaml = (
        b"apiVersion: v2\nname: c\nversion: 0.1.0\n"
        b"dependencies:\n  - name: common\n    version: ~0.1.0\n"
    )
    files = {"Chart.yaml": chart_yaml, **{f"charts/common/{k}": v for k, v in COMMON.items()}}
    packaged = package_chart(files)
    assert b'repository: ""\n  version: ~0.1.0\n' in packaged.files["c/Chart.lock"]
    assert "c/charts/common/templates/_helpers.tpl" in packaged.files


def test_vendored_repository_dependency_is_used() -> None:
    chart_yaml = (
        b"apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n  - name: common\n"
        b"    version: ^0.1.0\n    repository: oci://ghcr.io/acme/charts\n"
    )
    files = {"Chart.yaml": chart_yaml, "charts/common-0.1.0.tgz": package_chart(COMMON).tgz_bytes}
    packaged = package_chart(files)
    assert (
        b"repository: oci://ghcr.io/acme/charts\n  version: 0.1.0\n"
        in packaged.files["c/Chart.lock"]
    )


@pytest.mark.parametrize(
    "chart_yaml_dependency, provided, message",
    [
        pytest.param(
            b"  - name: common\n    version: ^0.2.0\n    repository: file://../common\n",
            {"common": COMMON},
            "wants version '^0.2.0', but file://../common is version '0.1.0'",
            id="version-constraint-not-met",
        ),
        pytest.param(
            b"  - name: common\n    repository: file://../common\n",
            {"common": COMMON},
            "invalid version/constraint format",
            id="no-version",
        ),
        pytest.param(
            b"  - name: common\n    version: 0.1.0\n    repository: file://../common\n",
            {},
            "was not found: no chart at charts/common",
            id="not-provided",
        ),
        pytest.param(
            b"  - name: shared\n    version: 0.1.0\n    repository: file://../common\n",
            {"shared": COMMON},
            "is a chart named 'common'",
            id="name-mismatch",
        ),
        pytest.param(
            b"  - name: redis\n    version: 17.x\n    repository: https://charts.example.com\n",
            {},
            "not downloaded here",
            id="repository-dependency-not-vendored",
        ),
    ],
)
def test_dependency_problems_are_chart_errors_at_the_dependency(
    chart_yaml_dependency: bytes, provided: Dict[str, Dict[str, bytes]], message: str
) -> None:
    chart_yaml = b"apiVersion: v2\nname: c\nversion: 0.1.0\ndependencies:\n" + chart_yaml_dependency
    with pytest.raises(ChartError) as error:
        package_chart({"Chart.yaml": chart_yaml}, provided, source_dir="charts/c")
    assert message in error.value.message
    assert error.value.location == "charts/c/Chart.yaml:5"


def test_a_stray_file_in_charts_is_an_error_as_in_helm() -> None:
    with pytest.raises(ChartError, match="not one") as error:
        package_chart({**TINYOLLY, "charts/README.txt": b"hi"}, {"common": COMMON})
    assert error.value.path == "charts/README.txt"


def test_two_copies_of_a_dependency_in_charts_are_an_error() -> None:
    unpacked = {f"charts/common/{name}": data for name, data in COMMON.items()}
    with pytest.raises(ChartError, match="two charts named 'common'"):
        package_chart({**TINYOLLY, **unpacked}, {"common": COMMON})


@pytest.mark.parametrize(
    "version, constraint, expected",
    [
        ("0.1.0", "0.1.0", True),
        ("0.1.0", "^0.1.0", True),
        ("0.2.0", "^0.1.0", False),
        ("1.4.0", "^1.2", True),
        ("1.2.9", "~1.2.3", True),
        ("1.3.0", "~1.2.3", False),
        ("1.2.7", "1.2.x", True),
        ("2.0.0", ">=1.0, <2.0", False),
        ("3.1.0", ">=1.0 <2.0 || 3.x", True),
        ("1.3.0", "1.2 - 1.4.5", True),
        ("0.1.0", "*", True),
        ("0.1.0-rc.1", "*", False),
        ("0.1.0-rc.1", ">=0.1.0-0", True),
    ],
)
def test_version_constraints_follow_helms_semver(
    version: str, constraint: str, expected: bool
) -> None:
    assert satisfies(version, constraint) is expected


# --- version overrides ---------------------------------------------------------------------------


def test_version_and_app_version_overrides_replace_chart_yamls() -> None:
    packaged = package_tinyolly(version="1.2.3-rc.1", app_version="v1.2.3")
    assert packaged.filename == "tinyolly-1.2.3-rc.1.tgz"
    assert (packaged.version, packaged.app_version) == ("1.2.3-rc.1", "v1.2.3")
    chart_yaml = packaged.files["tinyolly/Chart.yaml"].decode()
    assert "\nversion: 1.2.3-rc.1\n" in chart_yaml and "\nappVersion: v1.2.3\n" in chart_yaml
    # The lock still records what was resolved, not the override.
    assert packaged.files["tinyolly/Chart.lock"] == TINYOLLY_LOCK


def test_an_app_version_override_that_reads_as_a_bool_is_quoted() -> None:
    packaged = package_tinyolly(app_version="yes")
    assert '\nappVersion: "yes"\n' in packaged.files["tinyolly/Chart.yaml"].decode()


def test_an_invalid_version_override_is_an_error() -> None:
    with pytest.raises(ChartError, match="not a semantic version"):
        package_tinyolly(version="abc")


# --- image stamping ------------------------------------------------------------------------------


STAMP_CASES = [
    pytest.param(
        "ui:\n  image:\n    repository: tinyolly/ui   # built here\n    tag: latest\n"
        "    pullPolicy: IfNotPresent\n",
        {"tinyolly/ui": "127.0.0.1:5000/tinyolly/ui:v1.2.3"},
        "ui:\n  image:\n    repository: 127.0.0.1:5000/tinyolly/ui   # built here\n"
        "    tag: v1.2.3\n    pullPolicy: IfNotPresent\n",
        id="repository-tag-with-tag",
    ),
    pytest.param(
        "ui:\n  image:\n    repository: tinyolly/ui\n    tag: latest\n",
        {"tinyolly/ui": f"127.0.0.1:5000/tinyolly/ui@{DIGEST}"},
        f"ui:\n  image:\n    repository: 127.0.0.1:5000/tinyolly/ui\n    tag: latest@{DIGEST}\n",
        id="repository-tag-with-digest-goes-into-tag",
    ),
    pytest.param(
        "ui:\n  image:\n    repository: tinyolly/ui\n    tag: latest\n",
        {"tinyolly/ui": f"127.0.0.1:5000/tinyolly/ui:v2@{DIGEST}"},
        f"ui:\n  image:\n    repository: 127.0.0.1:5000/tinyolly/ui\n    tag: v2@{DIGEST}\n",
        id="repository-tag-with-tag-and-digest",
    ),
    pytest.param(
        "ui:\n  image:\n    # no tag: the chart's appVersion is the default\n"
        "    repository: tinyolly/ui\n    pullPolicy: Always\n",
        {"tinyolly/ui": "127.0.0.1:5000/tinyolly/ui:v1"},
        "ui:\n  image:\n    # no tag: the chart's appVersion is the default\n"
        "    repository: 127.0.0.1:5000/tinyolly/ui\n    tag: v1\n    pullPolicy: Always\n",
        id="missing-tag-added-after-repository",
    ),
    pytest.param(
        # (under a key: Helm refuses a values file whose top level is a list)
        "apps:\n- name: ui\n  image:\n  - repository: tinyolly/ui # x\n",
        {"tinyolly/ui": "r.example/tinyolly/ui:v1"},
        "apps:\n- name: ui\n  image:\n  - repository: r.example/tinyolly/ui # x\n    tag: v1\n",
        id="missing-tag-added-in-a-list-item",
    ),
    pytest.param(
        "receiver:\n  image:\n    registry: ghcr.io/acme\n    repository: tinyolly/receiver\n"
        f"    tag: 1.0.0\n    digest: {OLD_DIGEST}\n",
        {"ghcr.io/acme/tinyolly/receiver": "ghcr.io/acme/tinyolly/receiver:v2"},
        "receiver:\n  image:\n    registry: ghcr.io/acme\n    repository: tinyolly/receiver\n"
        '    tag: v2\n    digest: ""\n',
        id="registry-style-keeps-registry-clears-old-digest",
    ),
    pytest.param(
        "receiver:\n  image:\n    registry: ghcr.io/acme\n    repository: tinyolly/receiver\n"
        "    tag: 1.0.0\n    digest: ''\n",
        {"ghcr.io/acme/tinyolly/receiver": f"127.0.0.1:5000/tinyolly/receiver:v2@{DIGEST}"},
        "receiver:\n  image:\n    registry: 127.0.0.1:5000\n    repository: tinyolly/receiver\n"
        f"    tag: v2\n    digest: '{DIGEST}'\n",
        id="registry-style-new-registry-and-digest-keeps-quotes",
    ),
    pytest.param(
        "api: {image: {repository: tinyolly/api, tag: old}}  # flow\n",
        {"tinyolly/api": "127.0.0.1:5000/tinyolly/api:1.10"},
        'api: {image: {repository: "127.0.0.1:5000/tinyolly/api", tag: "1.10"}}  # flow\n',
        id="flow-mapping-quotes-what-must-be",
    ),
    pytest.param(
        "api: {image: {repository: tinyolly/api}}\n",
        {"tinyolly/api": "tinyolly/api:v1"},
        "api: {image: {repository: tinyolly/api, tag: v1}}\n",
        id="flow-mapping-tag-added",
    ),
    pytest.param(
        'webui:\n  image: "tinyolly/webui:latest"  # pinned by CI\n',
        {"tinyolly/webui": f"127.0.0.1:5000/tinyolly/webui@{DIGEST}"},
        f'webui:\n  image: "127.0.0.1:5000/tinyolly/webui@{DIGEST}"  # pinned by CI\n',
        id="string-double-quoted",
    ),
    pytest.param(
        "initImage: tinyolly/init:1\nsidecarImage: 'tinyolly/side'\n",
        {"tinyolly/init": "tinyolly/init:2", "tinyolly/side": "tinyolly/side:3"},
        "initImage: tinyolly/init:2\nsidecarImage: 'tinyolly/side:3'\n",
        id="string-plain-and-single-quoted",
    ),
    pytest.param(
        "ui:\n  image:\n    repository: tinyolly/ui\n    tag:\n",
        {"tinyolly/ui": "tinyolly/ui:v1"},
        "ui:\n  image:\n    repository: tinyolly/ui\n    tag: v1\n",
        id="empty-tag-filled",
    ),
    pytest.param(
        "base: &base\n  pullPolicy: Always\n  tag: old\nui:\n  image:\n    <<: *base\n"
        "    repository: tinyolly/ui\n",
        {"tinyolly/ui": "tinyolly/ui:v1"},
        "base: &base\n  pullPolicy: Always\n  tag: old\nui:\n  image:\n    <<: *base\n"
        "    repository: tinyolly/ui\n    tag: v1\n",
        id="merged-tag-overridden-not-edited",
    ),
    pytest.param(
        "other:\n  image: nginx:1.25\nui:\n  image:\n    repository: tinyolly/ui\n",
        {"tinyolly/worker": "tinyolly/worker:v1"},
        "other:\n  image: nginx:1.25\nui:\n  image:\n    repository: tinyolly/ui\n",
        id="unmatched-references-untouched",
    ),
]


@pytest.mark.parametrize("values, stamps, expected", STAMP_CASES)
def test_stamping_edits_only_the_image_values(
    values: str, stamps: Dict[str, str], expected: str
) -> None:
    assert stamp_values(values, "values.yaml", stamps)[0] == expected


def test_stamping_packages_the_stamped_values_and_reports_them() -> None:
    stamps = {
        "tinyolly/ui": f"127.0.0.1:5000/tinyolly/ui@{DIGEST}",
        "tinyolly/webui": "127.0.0.1:5000/tinyolly/webui:v1.2.3",
    }
    packaged = package_tinyolly(image_stamps=stamps, source_dir="charts/tinyolly")
    assert packaged.files["tinyolly/values.yaml"] == TINYOLLY_VALUES.replace(
        b"repository: tinyolly/ui", b"repository: 127.0.0.1:5000/tinyolly/ui"
    ).replace(b"tag: latest", f"tag: latest@{DIGEST}".encode()).replace(
        b'"tinyolly/webui:latest"', b'"127.0.0.1:5000/tinyolly/webui:v1.2.3"'
    )
    assert [
        (s.path, s.line, s.key_path, s.written, s.stamped) for s in packaged.stamped_images
    ] == [
        (
            "charts/tinyolly/values.yaml",
            5,
            ("ui", "image"),
            "tinyolly/ui:latest",
            stamps["tinyolly/ui"],
        ),
        (
            "charts/tinyolly/values.yaml",
            9,
            ("webui", "image"),
            "tinyolly/webui:latest",
            stamps["tinyolly/webui"],
        ),
    ]
    # Only values.yaml changes.
    unstamped = package_tinyolly().files
    assert [n for n in packaged.files if packaged.files[n] != unstamped[n]] == [
        "tinyolly/values.yaml"
    ]


@pytest.mark.parametrize(
    "values, message, line",
    [
        pytest.param(
            "ui:\n  image:\n    repository: tinyolly/ui\n    tag: |\n      latest\n",
            "block scalar",
            4,
            id="block-scalar",
        ),
        pytest.param(
            "ui:\n  image:\n    repository: tinyolly/ui\n    tag: [latest]\n",
            "not a single value",
            4,
            id="tag-not-a-scalar",
        ),
        pytest.param(
            "a:\n  image: &img\n    repository: tinyolly/ui\n    tag: v0\nb:\n  image: *img\n",
            "shared through a YAML anchor",
            3,
            id="shared-anchor",
        ),
    ],
)
def test_what_cannot_be_stamped_is_a_chart_error(values: str, message: str, line: int) -> None:
    with pytest.raises(ChartError, match=message) as error:
        stamp_values(values, "charts/c/values.yaml", {"tinyolly/ui": "tinyolly/ui:v1"})
    assert error.value.location == f"charts/c/values.yaml:{line}"


@pytest.mark.parametrize("stamp", ["not a reference", "tinyolly/ui"])
def test_a_stamp_without_tag_or_digest_is_rejected(stamp: str) -> None:
    with pytest.raises(ValueError, match="image stamp for 'tinyolly/ui'"):
        stamp_values("image: tinyolly/ui:1\n", "values.yaml", {"tinyolly/ui": stamp})


def test_read_chart_archive_strips_the_chart_directory() -> None:
    assert read_chart_archive(package_chart(COMMON).tgz_bytes) == [
        ("Chart.yaml", package_chart(COMMON).files["common/Chart.yaml"]),
        ("templates/_helpers.tpl", COMMON["templates/_helpers.tpl"]),
    ]
