"""`[oci].registries` entries: an address or a table, and one clear error per mistake."""

from __future__ import annotations

import pytest

from shipyard.registries import (
    Registry,
    RegistryConfigError,
    parse_registry,
    registry_addresses,
    select_registries,
)


@pytest.mark.parametrize(
    "value, expected",
    [
        ("ghcr.io/acme", Registry("r", "ghcr.io/acme")),
        ("127.0.0.1:5000/team/", Registry("r", "127.0.0.1:5000/team")),
        ("localhost:5000", Registry("r", "localhost:5000")),
        ({"address": "127.0.0.1:5000", "insecure": True}, Registry("r", "127.0.0.1:5000", insecure=True)),
        (
            {"address": "ghcr.io/acme", "username_env": "U", "password_env": "P"},
            Registry("r", "ghcr.io/acme", username_env="U", password_env="P"),
        ),
        ({"address": "ghcr.io/acme", "docker_config": "/c.json"}, Registry("r", "ghcr.io/acme", docker_config="/c.json")),
    ],
)
def test_valid_entries(value, expected: Registry) -> None:
    assert parse_registry("r", value) == expected


@pytest.mark.parametrize(
    "value, message",
    [
        ({"insecure": True}, "has no `address`"),
        ("https://ghcr.io/acme", "without a scheme"),
        ("acme", "must start with a registry host"),
        ("ghcr.io/acme:latest", "not a registry address"),
        ({"address": "ghcr.io", "password": "hunter2"}, "unknown key(s) password"),
        ({"address": "ghcr.io", "username_env": "U"}, "only one of `username_env` and `password_env`"),
        ({"address": "ghcr.io", "insecure": "yes"}, "write `true` or `false`"),
        ({"address": "ghcr.io", "username_env": "U", "password_env": "P", "docker_config": "/c"}, "choose one"),
        (5000, "Give an address"),
    ],
)
def test_invalid_entries_name_the_entry_and_the_fix(value, message: str) -> None:
    with pytest.raises(RegistryConfigError) as e:
        parse_registry("local", value)
    assert "`[oci].registries` entry `local`" in str(e.value)
    assert message in str(e.value)


def test_addresses_for_inference_accept_both_forms() -> None:
    assert registry_addresses({"a": "ghcr.io/x", "b": {"address": "127.0.0.1:5000", "insecure": True}}) == {
        "a": "ghcr.io/x",
        "b": "127.0.0.1:5000",
    }


KNOWN = {"a": Registry("a", "ghcr.io/x"), "b": Registry("b", "127.0.0.1:5000")}


@pytest.mark.parametrize(
    "field, defaults, expected",
    [
        (None, (), ("a", "b")),
        (None, ("b",), ("b",)),
        (("a",), ("b",), ("a",)),
        ((), ("b",), ()),
        (("b", "a", "b"), (), ("b", "a")),
    ],
)
def test_selection(field, defaults, expected) -> None:
    assert tuple(r.alias for r in select_registries(field, defaults, KNOWN, "x:y")) == expected


def test_unknown_alias_names_field_and_known_ones() -> None:
    with pytest.raises(RegistryConfigError, match=r"the `registries` field of apps/ui:ui names 'ghcr'.*configured: a, b"):
        select_registries(("ghcr",), (), KNOWN, "apps/ui:ui")
