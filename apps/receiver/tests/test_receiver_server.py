import json
import threading
import urllib.error
import urllib.request

import pytest

from tinyolly_common.storage import MemoryStore
from tinyolly_receiver.server import ReceiverServer

TRACE = "0af7651916cd43dd8448eb211c80319c"


def traces_payload():
    span = {"traceId": TRACE, "spanId": "b7ad6b7169203331", "name": "GET /",
            "startTimeUnixNano": "1000", "endTimeUnixNano": "2000"}
    return {"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"spans": [span]}]}]}


@pytest.fixture
def receiver():
    server = ReceiverServer(("127.0.0.1", 0), MemoryStore())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, "http://%s:%d" % server.server_address
    server.shutdown()
    server.server_close()


def post(url, body, content_type="application/json"):
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": content_type})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_traces_are_stored(receiver):
    server, base = receiver
    status, body = post(base + "/v1/traces", json.dumps(traces_payload()).encode())
    assert (status, body) == (200, {"partialSuccess": {}})
    assert [s.trace_id for s in server.store.recent_spans()] == [TRACE]


def test_bad_payloads_are_rejected(receiver):
    _, base = receiver
    assert post(base + "/v1/traces", b"{not json")[0] == 400
    assert post(base + "/v1/traces", b"{}", content_type="application/x-protobuf")[0] == 415
    assert post(base + "/v1/metrics", b"{}")[0] == 404


def test_healthz(receiver):
    _, base = receiver
    with urllib.request.urlopen(base + "/healthz", timeout=5) as response:
        assert json.loads(response.read()) == {"status": "ok"}


def test_store_outage_is_a_retryable_503():
    from tinyolly_common.storage import RedisConnection, RedisStore

    # Nothing listens on port 9 (discard) locally: every store write fails.
    server = ReceiverServer(("127.0.0.1", 0), RedisStore(RedisConnection("127.0.0.1", 9, timeout=1)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        status, body = post("http://%s:%d/v1/traces" % server.server_address, json.dumps(traces_payload()).encode())
    finally:
        server.shutdown()
        server.server_close()
    assert status == 503 and "unavailable" in body["error"]
