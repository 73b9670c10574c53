"""Decoding of OTLP/HTTP JSON payloads (ExportTraceServiceRequest, ExportLogsServiceRequest)."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Dict, Iterator, List, Mapping

from tinyolly_common.models import LogRecord, Span, SpanStatus

# OTLP span kinds: SPAN_KIND_UNSPECIFIED=0, INTERNAL=1, SERVER=2, CLIENT=3, PRODUCER=4, CONSUMER=5.
_KINDS = {0: "internal", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


class OtlpError(ValueError):
    """The payload is not valid OTLP JSON."""


def any_value(value: Mapping[str, Any]) -> Any:
    """The Python value of an OTLP AnyValue (`{"stringValue": "x"}`, `{"intValue": "3"}`, ...)."""
    if "stringValue" in value:
        return value["stringValue"]
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "intValue" in value:
        return int(value["intValue"])  # int64 values are JSON strings in OTLP
    if "doubleValue" in value:
        return float(value["doubleValue"])
    if "arrayValue" in value:
        return [any_value(v) for v in value["arrayValue"].get("values", [])]
    if "kvlistValue" in value:
        return attributes(value["kvlistValue"].get("values", []))
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def attributes(items: List[Mapping[str, Any]]) -> Dict[str, Any]:
    return {item["key"]: any_value(item.get("value", {})) for item in items or []}


def hex_id(value: str, size: int) -> str:
    """OTLP JSON ids are hex; some SDKs send base64 (the protobuf JSON mapping). Accept both."""
    if not value:
        return ""
    if len(value) == size * 2:
        return value.lower()
    try:
        raw = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as e:
        raise OtlpError(f"invalid id {value!r}") from e
    if len(raw) != size:
        raise OtlpError(f"invalid id {value!r}: {len(raw)} bytes, expected {size}")
    return raw.hex()


def _kind(value: Any) -> str:
    if isinstance(value, str):
        return value.replace("SPAN_KIND_", "").lower() if value.startswith("SPAN_KIND_") else value.lower()
    return _KINDS.get(value or 0, "internal")


def _resource_service(resource: Mapping[str, Any]) -> str:
    return str(attributes(resource.get("attributes", [])).get("service.name", "unknown_service"))


def decode_traces(payload: Mapping[str, Any]) -> Iterator[Span]:
    if not isinstance(payload, Mapping) or not isinstance(payload.get("resourceSpans", []), list):
        raise OtlpError("expected an object with a `resourceSpans` list")
    try:
        for resource_spans in payload.get("resourceSpans", []):
            service = _resource_service(resource_spans.get("resource", {}))
            for scope_spans in resource_spans.get("scopeSpans", []):
                for span in scope_spans.get("spans", []):
                    yield Span(
                        trace_id=hex_id(span["traceId"], 16),
                        span_id=hex_id(span["spanId"], 8),
                        parent_span_id=hex_id(span.get("parentSpanId", ""), 8) or None,
                        name=span.get("name", ""),
                        service=service,
                        kind=_kind(span.get("kind", 0)),
                        start_ns=int(span["startTimeUnixNano"]),
                        end_ns=int(span.get("endTimeUnixNano") or span["startTimeUnixNano"]),
                        status=SpanStatus.from_otlp(span.get("status", {}).get("code", 0)),
                        attributes=attributes(span.get("attributes", [])),
                    )
    except (KeyError, TypeError, AttributeError) as e:
        raise OtlpError(f"malformed span: {e!r}") from e


def decode_logs(payload: Mapping[str, Any]) -> Iterator[LogRecord]:
    if not isinstance(payload, Mapping) or not isinstance(payload.get("resourceLogs", []), list):
        raise OtlpError("expected an object with a `resourceLogs` list")
    try:
        for resource_logs in payload.get("resourceLogs", []):
            service = _resource_service(resource_logs.get("resource", {}))
            for scope_logs in resource_logs.get("scopeLogs", []):
                for record in scope_logs.get("logRecords", []):
                    body = any_value(record.get("body", {}))
                    yield LogRecord(
                        time_ns=int(record.get("timeUnixNano") or record.get("observedTimeUnixNano") or 0),
                        severity=record.get("severityText") or "INFO",
                        body=body if isinstance(body, str) else str(body),
                        service=service,
                        trace_id=hex_id(record.get("traceId", ""), 16) or None,
                        span_id=hex_id(record.get("spanId", ""), 8) or None,
                        attributes=attributes(record.get("attributes", [])),
                    )
    except (KeyError, TypeError, AttributeError) as e:
        raise OtlpError(f"malformed log record: {e!r}") from e
