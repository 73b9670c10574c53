"""The HTTP server of the UI: `/` (HTML), `/api/traces[/<id>]`, `/api/spans`, `/api/logs`, `/healthz`."""

from __future__ import annotations

import json
import re
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Tuple
from urllib.parse import parse_qs, urlsplit

from tinyolly_common.logging_config import get_logger
from tinyolly_common.storage import Store
from tinyolly_ui.page import render_traces

MAX_LIMIT = 1000
_TRACE_PATH = re.compile(r"^/api/traces/([0-9a-fA-F]{32})$")
log = get_logger("tinyolly_ui")


class UiServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: Tuple[str, int], store: Store, cors_origin: str = "*") -> None:
        self.store = store
        self.cors_origin = cors_origin
        super().__init__(address, UiHandler)


class UiHandler(BaseHTTPRequestHandler):
    server: UiServer
    server_version = "tinyolly-ui/0.1"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
        log.debug("http request", client=self.client_address[0], line=format % args)

    def _send(self, status: HTTPStatus, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if self.server.cors_origin:
            self.send_header("Access-Control-Allow-Origin", self.server.cors_origin)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, body: Any, status: HTTPStatus = HTTPStatus.OK) -> None:
        self._send(status, json.dumps(body).encode(), "application/json")

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        try:
            limit = max(1, min(MAX_LIMIT, int(query.get("limit", ["100"])[0])))
        except ValueError:
            self._json({"error": "limit must be an integer"}, HTTPStatus.BAD_REQUEST)
            return
        store = self.server.store
        match = _TRACE_PATH.match(url.path)
        if url.path == "/":
            self._send(HTTPStatus.OK, render_traces(store.recent_traces(limit=limit)).encode(), "text/html; charset=utf-8")
        elif url.path == "/healthz":
            self._json({"status": "ok"})
        elif url.path == "/api/traces":
            self._json({"traces": store.recent_traces(limit=limit)})
        elif match:
            spans = store.trace(match.group(1))
            if not spans:
                self._json({"error": "trace not found"}, HTTPStatus.NOT_FOUND)
            else:
                self._json({"trace_id": match.group(1).lower(), "spans": [s.to_dict() for s in spans]})
        elif url.path == "/api/spans":
            self._json({"spans": [s.to_dict() for s in store.recent_spans(limit=limit)]})
        elif url.path == "/api/logs":
            logs = store.recent_logs(limit=limit)
            trace_id = query.get("trace_id", [None])[0]
            if trace_id:
                logs = [r for r in logs if r.trace_id == trace_id.lower()]
            self._json({"logs": [r.to_dict() for r in logs]})
        else:
            self._json({"error": f"no route {url.path}"}, HTTPStatus.NOT_FOUND)
