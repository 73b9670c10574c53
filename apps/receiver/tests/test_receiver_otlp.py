import base64

import pytest

from tinyolly_receiver.otlp import OtlpError, any_value, decode_logs, decode_traces, hex_id

TRACE = "5b8efff798038103d269b633813fc60c"


def traces_payload():
    return {
        "resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "checkout"}}]},
            "scopeSpans": [{"spans": [{
                "traceId": TRACE,
                "spanId": "EEE19B7EC3C1B174",
                "parentSpanId": "",
                "name": "POST /checkout",
                "kind": 2,
                "startTimeUnixNano": "1544712660000000000",
                "endTimeUnixNano": "1544712661000000000",
                "status": {"code": 2},
                "attributes": [
                    {"key": "http.status_code", "value": {"intValue": "500"}},
                    {"key": "retry", "value": {"boolValue": True}},
                ],
            }]}],
        }]
    }


def test_decode_traces():
    (span,) = decode_traces(traces_payload())
    assert span.trace_id == TRACE
    assert span.span_id == "eee19b7ec3c1b174"
    assert span.parent_span_id is None
    assert span.service == "checkout"
    assert span.kind == "server"
    assert span.status.value == "error"
    assert span.duration_ms == 1000.0
    assert span.attributes == {"http.status_code": 500, "retry": True}


def test_base64_ids_are_accepted():
    raw = bytes.fromhex(TRACE)
    assert hex_id(base64.b64encode(raw).decode(), 16) == TRACE
    with pytest.raises(OtlpError):
        hex_id("not-an-id", 16)


def test_any_value_nested():
    value = {"kvlistValue": {"values": [{"key": "a", "value": {"arrayValue": {"values": [{"doubleValue": 1.5}]}}}]}}
    assert any_value(value) == {"a": [1.5]}


def test_decode_logs():
    payload = {"resourceLogs": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "backend"}}]},
        "scopeLogs": [{"logRecords": [{
            "timeUnixNano": "1544712660300000000", "severityText": "Error",
            "body": {"stringValue": "payment declined"}, "traceId": TRACE, "spanId": "eee19b7ec3c1b174",
        }]}],
    }]}
    (record,) = decode_logs(payload)
    assert (record.service, record.severity, record.body, record.trace_id) == ("backend", "ERROR", "payment declined", TRACE)


@pytest.mark.parametrize("payload", [[], {"resourceSpans": {}}, {"resourceSpans": [{"scopeSpans": [{"spans": [{}]}]}]}])
def test_malformed_traces(payload):
    with pytest.raises(OtlpError):
        list(decode_traces(payload))
