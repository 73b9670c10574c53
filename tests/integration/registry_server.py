"""Throwaway `docker-registry` instances on 127.0.0.1 for publishing tests.

Each finds a free port at run time, keeps its storage and log in a directory of the test, and can
require htpasswd (bcrypt) authentication. `KillingProxy` sits in front of one and kills it at the
first blob upload, so a test can fail a run in the middle of its pushes deterministically.
"""

from __future__ import annotations

import base64
import json
import os
import re
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Optional

_NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RegistryServer:
    def __init__(self, root: Path, credentials: Optional[tuple[str, str]] = None) -> None:
        self.root = root
        self.credentials = credentials
        self.port = free_port()
        self.process: Optional[subprocess.Popen] = None
        root.mkdir(parents=True, exist_ok=True)
        (root / "data").mkdir(exist_ok=True)
        auth = ""
        if credentials:
            user, password = credentials
            # The password goes to htpasswd on stdin, never in its argv.
            line = subprocess.run(
                ["htpasswd", "-niB", user], input=password + "\n", capture_output=True, text=True, check=True
            ).stdout.strip()
            (root / "htpasswd").write_text(line + "\n")
            auth = f"auth:\n  htpasswd:\n    realm: test\n    path: {root / 'htpasswd'}\n"
        (root / "config.yml").write_text(
            "version: 0.1\nlog:\n  level: info\n  accesslog:\n    disabled: false\n"
            f"storage:\n  filesystem:\n    rootdirectory: {root / 'data'}\n  delete:\n    enabled: true\n"
            f"http:\n  addr: 127.0.0.1:{self.port}\n  secret: test-secret\n{auth}"
        )

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.root / "registry.log"

    def start(self) -> None:
        # The registry reads REGISTRY_* variables as configuration (env.sh exports REGISTRY_AUTH_FILE
        # for skopeo, which it would take as `auth.file`).
        env = {k: v for k, v in os.environ.items() if not k.startswith("REGISTRY_")}
        with open(self.log, "a") as log:
            self.process = subprocess.Popen(
                ["docker-registry", "serve", str(self.root / "config.yml")], stdout=log, stderr=subprocess.STDOUT, env=env
            )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                _NO_PROXY.open(f"http://{self.address}/v2/", timeout=2).close()
                return
            except urllib.error.HTTPError:
                return  # 401: up, and asking for credentials
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"docker-registry on {self.address} did not start; see {self.log}")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def blob_uploads(self) -> int:
        """Blob uploads the registry completed so far (PUTs closing an upload session)."""
        return len(self.blob_upload_repositories())

    def blob_upload_repositories(self) -> list[str]:
        """The repository of each blob upload the registry completed so far."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return re.findall(
            r'msg="response completed".*http\.request\.method=PUT http\.request\.remoteaddr=\S+ '
            r'http\.request\.uri="/v2/(\S+)/blobs/uploads/.*http\.response\.status=201',
            text,
        )

    def manifest_order(self) -> list[str]:
        """Repositories in the order the registry first stored a manifest under them."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        repos = re.findall(r'"PUT /v2/(\S+)/manifests/\S+ HTTP/1\.1" 201', text)
        return list(dict.fromkeys(repos))

    def _read(self, path: str, accept: str = "application/json") -> bytes:
        request = urllib.request.Request(f"http://{self.address}{path}", headers={"Accept": accept})
        if self.credentials:
            token = base64.b64encode(":".join(self.credentials).encode()).decode()
            request.add_header("Authorization", f"Basic {token}")
        with _NO_PROXY.open(request, timeout=10) as response:
            return response.read()

    def _get(self, path: str) -> dict:
        return json.loads(self._read(path))

    def manifest(self, repository: str, reference: str) -> bytes:
        """The raw manifest or index under a tag or digest."""
        return self._read(
            f"/v2/{repository}/manifests/{reference}",
            "application/vnd.oci.image.index.v1+json,application/vnd.oci.image.manifest.v1+json,"
            "application/vnd.docker.distribution.manifest.list.v2+json,"
            "application/vnd.docker.distribution.manifest.v2+json",
        )

    def repositories(self) -> list[str]:
        return sorted(self._get("/v2/_catalog?n=1000").get("repositories") or [])

    def tags(self, repository: str) -> set[str]:
        try:
            return set(self._get(f"/v2/{repository}/tags/list").get("tags") or [])
        except urllib.error.HTTPError as e:
            if e.code == 404:
                return set()
            raise


class KillingProxy:
    """A TCP proxy to a registry that SIGKILLs it when the first blob upload starts (`armed`), and
    answers 403 for every request about the repository `refused`, as a registry whose policy
    denies one repository does. With `latency` (seconds), each connection and each answer to a
    request arrive that much later, as from a registry across a network."""

    def __init__(self, target: RegistryServer, latency: float = 0.0) -> None:
        self.target = target
        self.latency = latency
        self.port = free_port()
        self.armed = False
        self.refused: Optional[str] = None
        self.killed = threading.Event()
        self._server = socket.socket()
        self._server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._server.bind(("127.0.0.1", self.port))
        self._server.listen(64)
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        time.sleep(self.latency)
        try:
            upstream = socket.create_connection(("127.0.0.1", self.target.port))
        except OSError:
            client.close()
            return
        asked = threading.Event()  # set by a request, cleared by the first piece of its answer
        threading.Thread(target=self._pipe, args=(upstream, client, False, asked), daemon=True).start()
        self._pipe(client, upstream, True, asked)

    def _pipe(self, source: socket.socket, sink: socket.socket, inspect: bool, asked: threading.Event) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if inspect:
                    asked.set()
                elif self.latency and asked.is_set():
                    asked.clear()
                    time.sleep(self.latency)
                if inspect and self.armed and re.search(rb"POST /v2/\S+/blobs/uploads/", data):
                    self.target.kill()
                    self.killed.set()
                    break
                if inspect and self.refused and re.search(
                    rb"^[A-Z]+ /v2/" + re.escape(self.refused.encode()) + rb"/", data, re.M
                ):
                    body = b'{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}'
                    source.sendall(
                        b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
                        b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body)
                    )
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            # shutdown, not only close: the other direction's thread may be blocked in `recv` on
            # one of these sockets, and closing the descriptor neither wakes it nor sends the peer
            # a FIN, so a client whose upstream died would wait for an answer until it times out.
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                try:
                    s.close()
                except OSError:
                    pass

    def close(self) -> None:
        self._server.close()
