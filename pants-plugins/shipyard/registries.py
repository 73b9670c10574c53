"""The registries of `[oci].registries`: alias → address, plain HTTP or TLS, and where credentials
come from.

An entry is either an address (`local = "127.0.0.1:5000/team"`) or a table:

    [oci.registries.local]
    address = "127.0.0.1:5000/team"
    insecure = true                      # plain HTTP (loopback registries)
    username_env = "REGISTRY_USER"       # credentials from these environment variables ...
    password_env = "REGISTRY_PASSWORD"
    # docker_config = "/path/config.json"  ... or from this docker config.json (auths, credHelpers)

Without credentials settings, the usual places are used: `$REGISTRY_AUTH_FILE`, the containers
`auth.json` and `~/.docker/config.json` (with its credential helpers), as skopeo and docker do.
A registry entry never holds a secret itself: only names of variables and paths of files.

Plain Python: nothing here knows about Pants.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from shipyard.image_ref import ImageRef, InvalidImageReference

_KEYS = ("address", "insecure", "username_env", "password_env", "docker_config")


class RegistryConfigError(ValueError):
    """An `[oci].registries` entry that cannot be used; `str()` names the entry and the fix."""


@dataclass(frozen=True)
class Registry:
    """One configured registry. `address` is `host[:port][/path prefix]`."""

    alias: str
    address: str
    insecure: bool = False
    username_env: Optional[str] = None
    password_env: Optional[str] = None
    docker_config: Optional[str] = None

    @property
    def host(self) -> str:
        return self.address.split("/", 1)[0]

    def reference(self, repository: str) -> str:
        """Where `repository` is published in this registry: `<address>/<repository>`."""
        return f"{self.address}/{repository}"


def _where(alias: str) -> str:
    return f"`[oci].registries` entry `{alias}` (pants.toml, `[oci.registries]`)"


def parse_registry(alias: str, value: Any) -> Registry:
    """One entry of `[oci].registries`, as a `Registry`; raises RegistryConfigError naming the fix."""
    if isinstance(value, str):
        value = {"address": value}
    if not isinstance(value, Mapping):
        raise RegistryConfigError(
            f"{_where(alias)} is {value!r}. Give an address, e.g. `{alias} = \"ghcr.io/acme\"`, or a "
            f"table with `address` and optionally `insecure`, `username_env`/`password_env` or "
            "`docker_config`."
        )
    unknown = sorted(set(value) - set(_KEYS))
    if unknown:
        raise RegistryConfigError(
            f"{_where(alias)} has unknown key(s) {', '.join(unknown)}. Known keys: {', '.join(_KEYS)}. "
            "Credentials are never written here: name the environment variables holding them "
            "(`username_env`, `password_env`) or a docker config.json (`docker_config`)."
        )
    address = value.get("address")
    if not isinstance(address, str) or not address.strip():
        raise RegistryConfigError(f"{_where(alias)} has no `address`. Example: `address = \"ghcr.io/acme\"`.")
    address = address.strip().rstrip("/")
    if "://" in address:
        raise RegistryConfigError(
            f"{_where(alias)} has the address {address!r}: write it without a scheme "
            f"(`{address.split('://', 1)[1]}`), and `insecure = true` for plain HTTP."
        )
    try:
        ref = ImageRef.parse(f"{address}/x")
    except InvalidImageReference as e:
        raise RegistryConfigError(f"{_where(alias)} has the address {address!r}, which is not a registry address ({e.reason}).") from e
    if ref.tag or ref.digest or not ref.registry:
        raise RegistryConfigError(
            f"{_where(alias)} has the address {address!r}: it must start with a registry host "
            "(a name with a `.` or `:port`, or `localhost`), e.g. `127.0.0.1:5000/team`."
        )
    insecure = value.get("insecure", False)
    if not isinstance(insecure, bool):
        raise RegistryConfigError(f"{_where(alias)} has `insecure = {insecure!r}`: write `true` or `false`.")
    username_env, password_env = value.get("username_env"), value.get("password_env")
    if (username_env is None) != (password_env is None):
        raise RegistryConfigError(
            f"{_where(alias)} sets only one of `username_env` and `password_env`: set both, naming the "
            "environment variables that hold the user name and the password (or token)."
        )
    if username_env is not None and value.get("docker_config") is not None:
        raise RegistryConfigError(
            f"{_where(alias)} sets both `username_env`/`password_env` and `docker_config`: choose one "
            "source of credentials."
        )
    for key in ("username_env", "password_env", "docker_config"):
        if value.get(key) is not None and (not isinstance(value[key], str) or not value[key]):
            raise RegistryConfigError(f"{_where(alias)} has `{key} = {value[key]!r}`: give a non-empty string.")
    return Registry(
        alias=alias,
        address=address,
        insecure=insecure,
        username_env=username_env,
        password_env=password_env,
        docker_config=value.get("docker_config"),
    )


def parse_registries(option: Mapping[str, Any]) -> dict[str, Registry]:
    """Every entry of `[oci].registries`, by alias."""
    return {alias: parse_registry(alias, value) for alias, value in option.items()}


def registry_addresses(option: Mapping[str, Any]) -> dict[str, str]:
    """alias → address, as dependency inference matches references (entries may be tables)."""
    return {
        alias: (value.get("address", "") if isinstance(value, Mapping) else value)
        for alias, value in option.items()
    }


def select_registries(
    aliases: Optional[tuple[str, ...]], defaults: tuple[str, ...], known: Mapping[str, Registry], owner: str
) -> tuple[Registry, ...]:
    """The registries an artifact is published to: its own `registries` field, else the defaults
    (`[oci].default_registries`; empty means every configured registry)."""
    chosen = aliases if aliases is not None else (defaults or tuple(known))
    unknown = [a for a in chosen if a not in known]
    if unknown:
        where = f"the `registries` field of {owner}" if aliases is not None else "`[oci].default_registries`"
        raise RegistryConfigError(
            f"{where} names {', '.join(repr(a) for a in unknown)}, which is not in `[oci].registries` "
            f"(configured: {', '.join(sorted(known)) or 'none'}). Add it to `[oci.registries]` in "
            "pants.toml or fix the name."
        )
    return tuple(known[a] for a in dict.fromkeys(chosen))
