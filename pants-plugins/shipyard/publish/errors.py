"""One clear message for each way talking to a registry fails, naming the alias and what to check.

Plain Python: nothing here knows about Pants.
"""

from __future__ import annotations

from shipyard.registries import Registry

# (markers in skopeo's error text, what happened, what to do). First match wins.
_KINDS: tuple[tuple[tuple[str, ...], str, str], ...] = (
    (
        ("server gave HTTP response to HTTPS client",),
        "it speaks plain HTTP, not HTTPS",
        "Set `insecure = true` for it in `[oci.registries]` if it is a loopback or test registry",
    ),
    (
        ("x509:", "tls:", "certificate"),
        "its TLS certificate was not accepted",
        "Check that the address is right and its certificate is trusted by this machine "
        "(or, for a plain-HTTP test registry, set `insecure = true`)",
    ),
    (
        ("401", "unauthorized", "authentication required", "invalid username/password"),
        "it refused the credentials (401 unauthorized)",
        "Check them: {credentials}",
    ),
    (
        ("403", "denied", "forbidden"),
        "it denied access (403 forbidden)",
        "Check that these credentials may push to this repository ({credentials})",
    ),
    (
        ("i/o timeout", "deadline exceeded", "Client.Timeout", "TLS handshake timeout"),
        "it did not answer in time",
        "Check that it is up and reachable from this machine (network, proxy, firewall)",
    ),
    (
        ("connection refused", "no such host", "connection reset", "EOF", "network is unreachable"),
        "it cannot be reached",
        "Check that it is running and that the address in `[oci.registries]` is right",
    ),
)


def credentials_hint(registry: Registry) -> str:
    if registry.username_env:
        return f"they come from the environment variables {registry.username_env} and {registry.password_env}"
    if registry.docker_config:
        return f"they come from {registry.docker_config}; log in again or fix its entry for {registry.host}"
    return (
        f"no credentials are configured for it: log in (`skopeo login {registry.host}` or "
        "`docker login`), or set `username_env`/`password_env` in its `[oci.registries]` entry"
    )


def describe_registry_error(registry: Registry, what: str, text: str) -> str:
    """`what` is the action (`pushing tinyolly/ui`); `text` is skopeo's error output."""
    where = f"registry `{registry.alias}` ({registry.address})"
    lowered = text.lower()
    for markers, happened, check in _KINDS:
        if any(m.lower() in lowered for m in markers):
            hint = check.format(credentials=credentials_hint(registry))
            return f"{what}: {where}: {happened}. {hint}."
    last = text.strip().splitlines()[-1] if text.strip() else "no output"
    return f"{what}: {where} failed: {last}"
