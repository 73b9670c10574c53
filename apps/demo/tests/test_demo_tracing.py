import pytest

from tracing import Tracer, parse_traceparent, to_otlp


def test_parse_traceparent():
    trace_id, span_id = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
    assert parse_traceparent(f"00-{trace_id}-{span_id}-01") == (trace_id, span_id)
    assert parse_traceparent(f"00-{trace_id.upper()}-{span_id}-00") == (trace_id, span_id)
    assert parse_traceparent(None) is None
    assert parse_traceparent("00-" + "0" * 32 + f"-{span_id}-01") is None
    assert parse_traceparent("garbage") is None


def test_nested_spans_share_the_trace():
    tracer = Tracer("svc")
    with tracer.span("outer", kind="server") as outer:
        with tracer.span("inner", answer=42) as inner:
            pass
    finished = tracer.drain()
    assert [s.name for s in finished] == ["inner", "outer"]
    assert inner.trace_id == outer.trace_id
    assert inner.parent_span_id == outer.span_id
    assert outer.parent_span_id is None
    assert inner.end_ns >= inner.start_ns


def test_remote_parent_and_errors():
    tracer = Tracer("svc")
    header = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
    with pytest.raises(KeyError):
        with tracer.span("handler", traceparent=header):
            raise KeyError("boom")
    (span,) = tracer.drain()
    assert (span.trace_id, span.parent_span_id) == ("4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7")
    assert span.error and span.attributes["exception.type"] == "KeyError"


def test_otlp_payload_and_flush():
    sent = []
    tracer = Tracer("checkout", send=sent.append, interval_s=3600)
    with tracer.span("GET /", kind="server", retries=2, ratio=0.5, cached=True, user="ann"):
        pass
    assert tracer.flush() == 1
    (payload,) = sent
    resource_spans = payload["resourceSpans"][0]
    assert resource_spans["resource"]["attributes"] == [{"key": "service.name", "value": {"stringValue": "checkout"}}]
    span = resource_spans["scopeSpans"][0]["spans"][0]
    assert span["kind"] == 2 and span["status"] == {"code": 1} and span["parentSpanId"] == ""
    assert {a["key"]: a["value"] for a in span["attributes"]} == {
        "retries": {"intValue": "2"}, "ratio": {"doubleValue": 0.5}, "cached": {"boolValue": True},
        "user": {"stringValue": "ann"}}
    assert to_otlp("x", [])["resourceSpans"][0]["scopeSpans"][0]["spans"] == []
