import pytest

from tinyolly_common.models import LogRecord, Span, SpanStatus

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
SPAN = "00f067aa0ba902b7"


def make_span(**overrides):
    fields = dict(trace_id=TRACE, span_id=SPAN, name="GET /", service="frontend",
                  start_ns=1_000_000, end_ns=3_500_000)
    fields.update(overrides)
    return Span(**fields)


def test_span_round_trips_through_dict():
    span = make_span(parent_span_id="b7ad6b7169203331", status="error", attributes={"http.status_code": 500})
    data = span.to_dict()
    assert data["status"] == "error"
    assert data["duration_ms"] == 2.5
    assert Span.from_dict(data) == span


def test_span_ids_are_normalised_and_validated():
    assert make_span(trace_id=TRACE.upper()).trace_id == TRACE
    assert make_span(parent_span_id="").parent_span_id is None
    with pytest.raises(ValueError, match="trace id"):
        make_span(trace_id="abc")
    with pytest.raises(ValueError, match="ends before"):
        make_span(start_ns=5, end_ns=4)


def test_root_span():
    assert make_span().is_root
    assert not make_span(parent_span_id="b7ad6b7169203331").is_root


@pytest.mark.parametrize("code,expected", [(0, SpanStatus.UNSET), (1, SpanStatus.OK), (2, SpanStatus.ERROR),
                                           ("STATUS_CODE_ERROR", SpanStatus.ERROR), (None, SpanStatus.UNSET)])
def test_status_from_otlp(code, expected):
    assert SpanStatus.from_otlp(code) is expected


def test_log_record_defaults_and_round_trip():
    record = LogRecord(time_ns=1, severity="warn", body="slow query", service="backend", trace_id=TRACE)
    assert record.severity == "WARN"
    assert record.span_id is None
    assert LogRecord.from_dict(record.to_dict()) == record
