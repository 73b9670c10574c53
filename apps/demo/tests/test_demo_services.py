import json
import threading
import urllib.error
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import pytest

bottle = pytest.importorskip("bottle")  # apps/demo/requirements.txt

import backend  # noqa: E402
import frontend  # noqa: E402


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


def serve(app):
    server = make_server("127.0.0.1", 0, app, server_class=WSGIServer, handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, "http://127.0.0.1:%d" % server.server_port


@pytest.fixture
def services(monkeypatch):
    backend_server, backend_url = serve(backend.app)
    frontend_server, frontend_url = serve(frontend.app)
    monkeypatch.setattr(frontend, "BACKEND_URL", backend_url)
    monkeypatch.setattr(backend, "FAILURE_RATE", 0.0)
    frontend.tracer.drain()
    backend.tracer.drain()
    yield frontend_url
    for server in (frontend_server, backend_server):
        server.shutdown()
        server.server_close()


def request(url, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_order_is_one_trace_across_both_services(services):
    status, body = request(services + "/order", {"items": ["latte", "espresso"]})
    assert status == 200
    assert body["total"] == 6.3

    frontend_spans = frontend.tracer.drain()
    backend_spans = backend.tracer.drain()
    assert {s.trace_id for s in frontend_spans + backend_spans} == {body["trace_id"]}
    client_ids = {s.span_id for s in frontend_spans if s.kind == "client"}
    servers = [s for s in backend_spans if s.kind == "server"]
    assert len(servers) == 2 and all(s.parent_span_id in client_ids for s in servers)


def test_menu_and_errors(services):
    assert request(services + "/") == (200, {"menu": ["croissant", "espresso", "latte"]})
    status, body = request(services + "/order", {"items": ["unicorn-frappe"]})
    assert status == 400 and body["item"] == "unicorn-frappe"
    assert request(services + "/order", {})[0] == 400


def test_backend_down_is_a_502(services, monkeypatch):
    monkeypatch.setattr(frontend, "BACKEND_URL", "http://127.0.0.1:9")
    status, body = request(services + "/order", {"items": ["latte"]})
    assert status == 502 and "unreachable" in body["error"]
    assert any(s.error for s in frontend.tracer.drain())
