"""The HTTP server: `POST /v1/traces` and `POST /v1/logs` (OTLP/HTTP JSON), `GET /healthz`."""

from __future__ import annotations

import json
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterable, Tuple

from tinyolly_common.logging_config import get_logger
from tinyolly_common.storage import RedisError, Store
from tinyolly_receiver.otlp import OtlpError, decode_logs, decode_traces

MAX_BODY_BYTES = 8 * 1024 * 1024
log = get_logger("tinyolly_receiver")


class ReceiverServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: Tuple[str, int], store: Store) -> None:
        self.store = store
        super().__init__(address, ReceiverHandler)


class ReceiverHandler(BaseHTTPRequestHandler):
    server: ReceiverServer
    server_version = "tinyolly-receiver/0.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("http request", client=self.client_address[0], line=format % args)

    def _reply(self, status: HTTPStatus, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        if self.path == "/healthz":
            self._reply(HTTPStatus.OK, {"status": "ok"})
        else:
            self._reply(HTTPStatus.NOT_FOUND, {"error": f"no route {self.path}"})

    def do_POST(self) -> None:
        routes = {
            "/v1/traces": (decode_traces, self.server.store.add_spans, "spans"),
            "/v1/logs": (decode_logs, self.server.store.add_logs, "logs"),
        }
        route = routes.get(self.path.split("?", 1)[0])
        if route is None:
            self._reply(HTTPStatus.NOT_FOUND, {"error": f"no route {self.path}"})
            return
        if self.headers.get("Content-Type", "").split(";")[0].strip() != "application/json":
            self._reply(HTTPStatus.UNSUPPORTED_MEDIA_TYPE, {"error": "only application/json (OTLP/JSON) is accepted"})
            return
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._reply(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "payload too large"})
            return
        self._ingest(self.rfile.read(length), *route)

    def _ingest(self, body: bytes, decode: Callable[[Any], Iterable[Any]], add: Callable[[Iterable[Any]], int],
                what: str) -> None:
        try:
            items = list(decode(json.loads(body or b"{}")))
        except (ValueError, OtlpError) as e:  # json.JSONDecodeError is a ValueError
            self._reply(HTTPStatus.BAD_REQUEST, {"error": str(e)})
            return
        try:
            stored = add(items)
        except (OSError, RedisError) as e:
            # OTLP/HTTP: 503 tells exporters to retry later.
            log.error("store unavailable", kind=what, count=len(items), error=str(e))
            self._reply(HTTPStatus.SERVICE_UNAVAILABLE, {"error": "telemetry store unavailable"})
            return
        log.info("telemetry received", kind=what, count=stored)
        # OTLP/HTTP: an empty ExportServiceResponse means full success.
        self._reply(HTTPStatus.OK, {"partialSuccess": {}})
