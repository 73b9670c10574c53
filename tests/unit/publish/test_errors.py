"""Registry failures as one message naming the alias and what to check (texts as skopeo 1.9 prints them)."""

from __future__ import annotations

import pytest

from shipyard.publish.errors import describe_registry_error
from shipyard.registries import Registry

ENV = Registry("auth", "127.0.0.1:5001/team", insecure=True, username_env="REG_USER", password_env="REG_PASS")
PLAIN = Registry("ghcr", "ghcr.io/acme")


@pytest.mark.parametrize(
    "registry, text, expected",
    [
        (ENV, 'trying to reuse blob ... unauthorized: authentication required', ["401", "REG_USER and REG_PASS"]),
        (ENV, "reading manifest x: invalid username/password: unauthorized", ["401"]),
        (PLAIN, "requested access to the resource is denied", ["403", "no credentials are configured", "skopeo login ghcr.io"]),
        (PLAIN, 'Get "https://127.0.0.1:5000/v2/": http: server gave HTTP response to HTTPS client', ["insecure = true"]),
        (PLAIN, "x509: certificate signed by unknown authority", ["TLS certificate"]),
        (PLAIN, "dial tcp 127.0.0.1:1: connect: connection refused", ["cannot be reached"]),
        (PLAIN, "dial tcp: lookup nope.invalid: no such host", ["cannot be reached"]),
        (PLAIN, "net/http: request canceled (Client.Timeout exceeded while awaiting headers)", ["did not answer in time"]),
        (PLAIN, "something new", ["failed: something new"]),
    ],
)
def test_each_failure_names_the_alias_and_what_to_check(registry: Registry, text: str, expected: list) -> None:
    message = describe_registry_error(registry, "pushing tinyolly/ui", text)
    assert message.startswith(f"pushing tinyolly/ui: registry `{registry.alias}` ({registry.address})")
    for part in expected:
        assert part in message
    assert "\n" not in message
