"""The pants.toml the benchmarks give Pants' built-in docker/helm backends
(tools/bench/compare_builtin_backends.py): Pants without shipyard refuses any section of a scope
it does not know, so every shipyard section must go and everything else must stay."""

from __future__ import annotations

import re
from pathlib import Path

from tools.bench.compare_builtin_backends import BUILTIN_BACKENDS, convert_pants_toml, shipyard_scopes

REPO_ROOT = Path(__file__).resolve().parents[2]


def sections(text: str) -> list[str]:
    return re.findall(r"^\[([^\]]+)\]\s*$", text, re.M)


def test_every_scope_the_backend_registers_is_found() -> None:
    # Subsystems (options_scope) and goals (name) alike: each can have a section in pants.toml.
    assert {"oci", "helm-lint", "helm-sdk", "release", "oci-peek", "why-affected", "delivery-graph"} <= shipyard_scopes()


def test_the_example_pants_toml_keeps_no_shipyard_section() -> None:
    original = (REPO_ROOT / "pants.toml").read_text()
    converted = convert_pants_toml(original)
    scopes = shipyard_scopes()
    assert [s for s in sections(converted) if s.split(".")[0] in scopes] == []
    # Everything else is kept, in order.
    assert sections(converted) == [s for s in sections(original) if s.split(".")[0] not in scopes]
    (backends,) = re.findall(r"^backend_packages = \[([^\]]*)\]", converted, re.M)
    assert re.findall(r'"([^"]+)"', backends) == list(BUILTIN_BACKENDS)
    assert not re.search(r"^pythonpath", converted, re.M)


def test_a_subscope_and_its_keys_go_with_it() -> None:
    text = (
        '[GLOBAL]\npythonpath = ["%(buildroot)s/pants-plugins"]\nbackend_packages = ["shipyard"]\n\n'
        '[oci.registries.local]\naddress = "x"\n\n[helm-lint]\nstrict = true\n\n[changed]\ndependents = "transitive"\n'
    )
    converted = convert_pants_toml(text)
    assert sections(converted) == ["GLOBAL", "changed"]
    assert 'address = "x"' not in converted and "strict" not in converted
    assert 'dependents = "transitive"' in converted
