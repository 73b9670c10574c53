"""A tiny tracer for the demo services: W3C trace context propagation and OTLP/HTTP JSON export.

It stands in for the OpenTelemetry SDK so the demo image needs nothing but bottle.
"""

from __future__ import annotations

import json
import os
import queue
import random
import re
import threading
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterator, List, Optional

_TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")
_KINDS = {"internal": 1, "server": 2, "client": 3}


def new_trace_id() -> str:
    return "%032x" % random.getrandbits(128)


def new_span_id() -> str:
    return "%016x" % random.getrandbits(64)


@dataclass
class SpanData:
    name: str
    trace_id: str
    span_id: str
    parent_span_id: Optional[str]
    kind: str = "internal"
    start_ns: int = field(default_factory=time.time_ns)
    end_ns: Optional[int] = None
    error: bool = False
    attributes: Dict[str, Any] = field(default_factory=dict)

    @property
    def traceparent(self) -> str:
        return f"00-{self.trace_id}-{self.span_id}-01"

    def set(self, key: str, value: Any) -> None:
        self.attributes[key] = value


def parse_traceparent(header: Optional[str]) -> Optional[tuple]:
    """(trace_id, parent_span_id) from a W3C `traceparent` header, or None if absent or invalid."""
    match = _TRACEPARENT.match((header or "").strip().lower())
    if not match or match.group(1) == "0" * 32 or match.group(2) == "0" * 16:
        return None
    return match.group(1), match.group(2)


def _otlp_value(value: Any) -> Dict[str, Any]:
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    return {"stringValue": str(value)}


def to_otlp(service: str, spans: List[SpanData]) -> Dict[str, Any]:
    """An OTLP ExportTraceServiceRequest (JSON encoding) for one service's finished spans."""
    return {"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": service}}]},
        "scopeSpans": [{
            "scope": {"name": "tinyolly-demo"},
            "spans": [{
                "traceId": s.trace_id,
                "spanId": s.span_id,
                "parentSpanId": s.parent_span_id or "",
                "name": s.name,
                "kind": _KINDS.get(s.kind, 1),
                "startTimeUnixNano": str(s.start_ns),
                "endTimeUnixNano": str(s.end_ns or s.start_ns),
                "status": {"code": 2 if s.error else 1},
                "attributes": [{"key": k, "value": _otlp_value(v)} for k, v in s.attributes.items()],
            } for s in spans],
        }],
    }]}


def http_sender(endpoint: str, timeout: float = 5.0) -> Callable[[Dict[str, Any]], None]:
    url = endpoint.rstrip("/") + "/v1/traces"

    def send(payload: Dict[str, Any]) -> None:
        request = urllib.request.Request(url, data=json.dumps(payload).encode(), method="POST",
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout):
            pass

    return send


class Tracer:
    """Records spans and exports them in batches from a background thread."""

    def __init__(self, service: str, send: Optional[Callable[[Dict[str, Any]], None]] = None,
                 batch_size: int = 50, interval_s: float = 1.0) -> None:
        self.service = service
        self._send = send
        self._queue: "queue.Queue[SpanData]" = queue.Queue(maxsize=10_000)
        self._batch_size = batch_size
        self._interval = interval_s
        self._local = threading.local()
        self.dropped = 0
        if send is not None:
            threading.Thread(target=self._export_loop, name="span-exporter", daemon=True).start()

    @classmethod
    def from_env(cls, service: str) -> "Tracer":
        endpoint = os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT", "")
        return cls(os.environ.get("OTEL_SERVICE_NAME", service), http_sender(endpoint) if endpoint else None)

    @property
    def current(self) -> Optional[SpanData]:
        stack = getattr(self._local, "stack", [])
        return stack[-1] if stack else None

    @contextmanager
    def span(self, name: str, kind: str = "internal", traceparent: Optional[str] = None,
             **attributes: Any) -> Iterator[SpanData]:
        parent = self.current
        remote = parse_traceparent(traceparent)
        if remote:
            trace_id, parent_id = remote
        elif parent:
            trace_id, parent_id = parent.trace_id, parent.span_id
        else:
            trace_id, parent_id = new_trace_id(), None
        span = SpanData(name=name, trace_id=trace_id, span_id=new_span_id(), parent_span_id=parent_id,
                        kind=kind, attributes=dict(attributes))
        stack = self._local.__dict__.setdefault("stack", [])
        stack.append(span)
        try:
            yield span
        except Exception as e:
            span.error = True
            span.set("exception.type", type(e).__name__)
            raise
        finally:
            stack.pop()
            span.end_ns = time.time_ns()
            self._enqueue(span)

    def _enqueue(self, span: SpanData) -> None:
        try:
            self._queue.put_nowait(span)
        except queue.Full:
            self.dropped += 1

    def drain(self) -> List[SpanData]:
        """Take the finished spans not exported yet (used by the exporter and by tests)."""
        spans = []
        while len(spans) < self._batch_size:
            try:
                spans.append(self._queue.get_nowait())
            except queue.Empty:
                break
        return spans

    def flush(self) -> int:
        spans = self.drain()
        if spans and self._send is not None:
            try:
                self._send(to_otlp(self.service, spans))
            except OSError as e:  # the receiver being down must not break the demo
                print(f"tracing: export of {len(spans)} spans failed: {e}", flush=True)
                return 0
        return len(spans)

    def _export_loop(self) -> None:
        while True:
            time.sleep(self._interval)
            while self.flush() == self._batch_size:
                pass
