import json
import threading
import urllib.error
import urllib.request

import pytest

from tinyolly_common.models import LogRecord, Span
from tinyolly_common.storage import MemoryStore
from tinyolly_ui.page import render_traces
from tinyolly_ui.server import UiServer

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"


@pytest.fixture
def ui():
    store = MemoryStore()
    store.add_spans([
        Span(trace_id=TRACE, span_id="00f067aa0ba902b7", name="GET /order", service="frontend",
             start_ns=1_700_000_000_000_000_000, end_ns=1_700_000_000_250_000_000),
        Span(trace_id=TRACE, span_id="b7ad6b7169203331", parent_span_id="00f067aa0ba902b7", name="SELECT",
             service="backend", start_ns=1_700_000_000_100_000_000, end_ns=1_700_000_000_200_000_000, status="error"),
    ])
    store.add_logs([LogRecord(time_ns=1, severity="error", body="db timeout", service="backend", trace_id=TRACE),
                    LogRecord(time_ns=2, severity="info", body="unrelated", service="backend")])
    server = UiServer(("127.0.0.1", 0), store)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://%s:%d" % server.server_address
    server.shutdown()
    server.server_close()


def get(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def test_trace_list(ui):
    status, headers, body = get(ui + "/api/traces")
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "*"
    (summary,) = json.loads(body)["traces"]
    assert summary["root"] == "GET /order"
    assert summary["span_count"] == 2
    assert summary["error"] is True
    assert summary["duration_ms"] == 250.0


def test_trace_detail(ui):
    status, _, body = get(ui + "/api/traces/" + TRACE.upper())
    assert status == 200
    assert [s["name"] for s in json.loads(body)["spans"]] == ["GET /order", "SELECT"]
    assert get(ui + "/api/traces/" + "0" * 32)[0] == 404


def test_logs_filtered_by_trace(ui):
    _, _, body = get(ui + "/api/logs?trace_id=" + TRACE)
    assert [r["body"] for r in json.loads(body)["logs"]] == ["db timeout"]


def test_html_page_and_errors(ui):
    status, headers, body = get(ui + "/")
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert b"GET /order" in body and b'class="error"' in body
    assert get(ui + "/api/spans?limit=x")[0] == 400
    assert get(ui + "/nope")[0] == 404


def test_render_escapes_and_handles_empty():
    html = render_traces([{"trace_id": "t", "root": "<script>", "service": "s", "span_count": 1,
                           "start_ns": 0, "duration_ms": 1, "error": False}])
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "No traces yet" in render_traces([])
