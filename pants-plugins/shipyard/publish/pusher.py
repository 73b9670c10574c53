"""Talks to one registry with skopeo: look up references, copy images to it. Standard library only.

Runs in a Pants sandbox as `python3 pusher.py request.json` (a never-cached process), and prints
one JSON result per operation on stdout. The request names skopeo, the registry host, whether it
is plain HTTP, and the operations:

* `{"op": "inspect", "ref": "host/repo:tag"}` → `{"present": true, "digest": "sha256:...",
  "platforms": {"linux/amd64": "sha256:..."}}` (the digest of the raw manifest, and its index's
  per-platform manifests), or `{"present": false}` when the registry does not know it;
* `{"op": "copy", "src": "oci:layout" | "docker://...", "dest": "docker://host/repo:tag" | "oci:dir"}` →
  `{"ok": true, "blobs_sent": N, "blobs_skipped": M, "bytes_sent": B}`; skopeo asks the registry for each blob
  first and sends only the missing ones;
* `{"op": "fetch", "src": "docker://host/repo:tag", "dest": "oci:dir"}` → like copy, but a source
  the registry does not know gives `{"present": false}` instead of an error.

A failure gives `{"error": "<skopeo's last lines>"}` and stops the remaining operations, unless
the request says the operations are `independent` (no one needs another's result): then they run
side by side, lookups and fetches sixteen at a time, writes four at a time and those to one
repository one after another, and each gives its own result, in the order asked.

Credentials never appear in the request, in argv, in the environment or in the output. They come
from the login file named by `SHIPYARD_REGISTRY_LOGIN_FILE` (JSON `{"username", "password"}`,
written by the Pants side for the duration of this process; turned into a private authfile
outside the sandbox for skopeo, deleted at the end), or `--authfile` with the docker config.json
the request names, or skopeo's own defaults (`$REGISTRY_AUTH_FILE`,
`$XDG_RUNTIME_DIR/containers/auth.json`, `~/.docker/config.json`).
"""

from __future__ import annotations

import base64
import concurrent.futures
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
from typing import Dict, List, Optional, Sequence

# With --debug, skopeo copy prints "Copying blob|config sha256:<hex>" for every blob of the image,
# HEADs each in the registry, and ends each upload it makes with a logged
# `PUT .../blobs/uploads/<id>?...&digest=sha256%3A<hex>`.
_BLOB = re.compile(r"^Copying (?:blob|config) sha256:([0-9a-f]{64})")
_UPLOADED = re.compile(r"PUT \S+/blobs/uploads/\S*digest=sha256%3A([0-9a-f]{64})")
_ABSENT = ("manifest unknown", "name unknown", "not found", "MANIFEST_UNKNOWN", "NAME_UNKNOWN")


def count_blobs(output: str, layout: Optional[str] = None) -> Dict[str, int]:
    """Blobs sent and not sent (the registry had them), from skopeo --debug copy's output, and
    the bytes sent when the source is a local OCI layout (whose blob files give the sizes)."""
    blobs = {m.group(1) for m in map(_BLOB.match, output.splitlines()) if m}
    sent = {m.group(1) for m in _UPLOADED.finditer(output)}
    counts = {"blobs_sent": len(sent), "blobs_skipped": len(blobs - sent)}
    if layout is not None:
        paths = (os.path.join(layout, "blobs", "sha256", h) for h in sent)
        counts["bytes_sent"] = sum(os.path.getsize(p) for p in paths if os.path.exists(p))
    return counts


def index_platforms(raw: bytes) -> Dict[str, str]:
    """`os/arch[/variant]` → manifest digest, from a raw index (empty for a single manifest)."""
    try:
        document = json.loads(raw)
    except ValueError:
        return {}
    platforms = {}
    for descriptor in document.get("manifests") or []:
        p = descriptor.get("platform") or {}
        name = "/".join(filter(None, (p.get("os"), p.get("architecture"), p.get("variant"))))
        platforms[name] = descriptor.get("digest")
    return platforms


def error_lines(stderr: str) -> str:
    """skopeo's own error lines, without --debug's chatter."""
    lines = [l for l in stderr.splitlines() if "level=debug" not in l and l.strip()]
    return "\n".join(lines)[-1500:]


class Registry:
    def __init__(self, request: dict) -> None:
        self.skopeo = request["skopeo"]
        self.host = request["host"]
        self.insecure = bool(request.get("insecure"))
        self.docker_config: Optional[str] = request.get("docker_config")
        self.authfile: Optional[str] = None

    def __enter__(self) -> "Registry":
        login_path = os.environ.get("SHIPYARD_REGISTRY_LOGIN_FILE")
        if login_path:
            with open(login_path) as f:
                login = json.load(f)
            fd, self.authfile = tempfile.mkstemp(prefix="shipyard-auth-", suffix=".json")
            token = base64.b64encode(f"{login['username']}:{login['password']}".encode()).decode()
            with os.fdopen(fd, "w") as f:
                json.dump({"auths": {self.host: {"auth": token}}}, f)
        elif self.docker_config:
            self.authfile = self.docker_config
        return self

    def __exit__(self, *exc: object) -> None:
        if self.authfile and self.authfile != self.docker_config:
            os.unlink(self.authfile)

    def auth_args(self, *sides: str) -> List[str]:
        args: List[str] = []
        for side in sides:
            prefix = f"--{side}-" if side else "--"
            if self.authfile:
                args += [f"{prefix}authfile", self.authfile]
            args += [f"{prefix}tls-verify={'false' if self.insecure else 'true'}"]
        return args

    def run(self, argv: Sequence[str]) -> subprocess.CompletedProcess:
        return subprocess.run(list(argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=1800)

    def inspect(self, ref: str) -> dict:
        result = self.run(
            [self.skopeo, "--command-timeout", "120s", "inspect", "--raw", "--retry-times", "2", *self.auth_args(""), f"docker://{ref}"]
        )
        if result.returncode == 0:
            return {
                "present": True,
                "digest": "sha256:" + hashlib.sha256(result.stdout).hexdigest(),
                "platforms": index_platforms(result.stdout),
            }
        stderr = result.stderr.decode(errors="replace")
        if any(marker in stderr for marker in _ABSENT):
            return {"present": False}
        return {"error": error_lines(stderr)}

    def copy(self, src: str, dest: str) -> dict:
        sides = [side for side, ref in (("src", src), ("dest", dest)) if ref.startswith("docker://")]
        # A tag moved within one repository: the index's per-platform manifests and blobs are there
        # already, so only the index is written (not every manifest again, with a HEAD per blob).
        within = docker_repository(src) is not None and docker_repository(src) == docker_repository(dest)
        argv = [
            self.skopeo, "--debug", "--command-timeout", "30m", "copy", "--multi-arch", "index-only" if within else "all",
            "--preserve-digests", "--retry-times", "2", *self.auth_args(*sides), src, dest,
        ]
        result = self.run(argv)
        output = result.stdout.decode(errors="replace") + result.stderr.decode(errors="replace")
        counts = count_blobs(output, src[len("oci:"):] if src.startswith("oci:") else None)
        if result.returncode != 0:
            return {"error": error_lines(result.stderr.decode(errors="replace")), **counts}
        return {"ok": True, **counts}


    def fetch(self, src: str, dest: str) -> dict:
        result = self.copy(src, dest)
        if "error" in result and any(marker in result["error"] for marker in _ABSENT):
            return {"present": False}
        return result


# How many independent operations run at once: each is a skopeo process mostly waiting on the
# registry. Reads (lookups, fetches) are cheap for a registry; writes (tag moves) are fewer.
_PARALLEL_READS = 16
_PARALLEL_WRITES = 4


def perform(registry: Registry, operation: dict) -> dict:
    if operation["op"] == "inspect":
        return registry.inspect(operation["ref"])
    if operation["op"] == "fetch":
        return registry.fetch(operation["src"], operation["dest"])
    return registry.copy(operation["src"], operation["dest"])


def docker_repository(ref: str) -> Optional[str]:
    """The registry repository of a skopeo reference (`docker://host/repo:tag` or
    `docker://host/repo@sha256:...` → `host/repo`), or None for another transport (`oci:dir`)."""
    if not ref.startswith("docker://"):
        return None
    name = ref[len("docker://") :].split("@", 1)[0]
    head, _, tail = name.rpartition(":")
    return head if head and "/" not in tail else name


def written_repository(operation: dict) -> Optional[str]:
    """The registry repository an operation writes to (`docker://host/repo:tag` → `host/repo`),
    or None for a lookup or a fetch into a local directory."""
    if operation["op"] != "copy":
        return None
    return docker_repository(operation.get("dest", ""))


def independent_batches(operations: Sequence[dict]) -> List[List[int]]:
    """Indexes of the operations in batches that may run side by side, each batch in order: the
    writes to one repository share a batch (docker-registry 2.x fails two manifest writes to one
    repository at once), every other operation is a batch of its own."""
    batches: List[List[int]] = []
    by_repository: Dict[str, List[int]] = {}
    for i, operation in enumerate(operations):
        repository = written_repository(operation)
        if repository is None:
            batches.append([i])
        elif repository in by_repository:
            by_repository[repository].append(i)
        else:
            by_repository[repository] = [i]
            batches.append(by_repository[repository])
    return batches


def main(argv: Sequence[str]) -> int:
    with open(argv[1]) as f:
        request = json.load(f)
    operations = request["operations"]
    results: List[dict] = []
    with Registry(request) as registry:
        if request.get("independent"):
            answers: Dict[int, dict] = {}
            writes = threading.BoundedSemaphore(_PARALLEL_WRITES)

            def run_batch(batch: List[int]) -> None:
                if written_repository(operations[batch[0]]) is None:
                    answers[batch[0]] = perform(registry, operations[batch[0]])
                    return
                with writes:
                    for i in batch:
                        answers[i] = perform(registry, operations[i])

            with concurrent.futures.ThreadPoolExecutor(_PARALLEL_READS) as pool:
                list(pool.map(run_batch, independent_batches(operations)))
            results = [answers[i] for i in range(len(operations))]
        else:
            for operation in operations:
                results.append(perform(registry, operation))
                if "error" in results[-1]:
                    break
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
