"""Span and log record models, with the JSON shape TinyOlly stores and serves."""

from __future__ import annotations

import enum
import re
from dataclasses import asdict, dataclass, field
from typing import Any, Dict, Mapping, Optional

_TRACE_ID = re.compile(r"^[0-9a-f]{32}$")
_SPAN_ID = re.compile(r"^[0-9a-f]{16}$")

Attributes = Dict[str, Any]


class SpanStatus(str, enum.Enum):
    """OTLP status codes (0 = unset, 1 = ok, 2 = error), stored by name."""

    UNSET = "unset"
    OK = "ok"
    ERROR = "error"

    @classmethod
    def from_otlp(cls, code: Any) -> "SpanStatus":
        names = {0: cls.UNSET, 1: cls.OK, 2: cls.ERROR, "STATUS_CODE_UNSET": cls.UNSET,
                 "STATUS_CODE_OK": cls.OK, "STATUS_CODE_ERROR": cls.ERROR}
        return names.get(code, cls.UNSET)


def _check_id(value: str, pattern: "re.Pattern[str]", what: str) -> str:
    value = value.lower()
    if not pattern.match(value):
        raise ValueError(f"invalid {what} {value!r}: expected lowercase hex of the OTLP length")
    return value


@dataclass(frozen=True)
class Span:
    trace_id: str
    span_id: str
    name: str
    service: str
    start_ns: int
    end_ns: int
    parent_span_id: Optional[str] = None
    kind: str = "internal"
    status: SpanStatus = SpanStatus.UNSET
    attributes: Attributes = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "trace_id", _check_id(self.trace_id, _TRACE_ID, "trace id"))
        object.__setattr__(self, "span_id", _check_id(self.span_id, _SPAN_ID, "span id"))
        if self.parent_span_id:
            object.__setattr__(
                self, "parent_span_id", _check_id(self.parent_span_id, _SPAN_ID, "parent span id")
            )
        else:
            object.__setattr__(self, "parent_span_id", None)
        if self.end_ns < self.start_ns:
            raise ValueError(f"span {self.span_id} ends before it starts")
        object.__setattr__(self, "status", SpanStatus(self.status))

    @property
    def duration_ms(self) -> float:
        return (self.end_ns - self.start_ns) / 1_000_000

    @property
    def is_root(self) -> bool:
        return self.parent_span_id is None

    def to_dict(self) -> Dict[str, Any]:
        data = asdict(self)
        data["status"] = self.status.value
        data["duration_ms"] = self.duration_ms
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "Span":
        return cls(
            trace_id=data["trace_id"],
            span_id=data["span_id"],
            name=data["name"],
            service=data["service"],
            start_ns=int(data["start_ns"]),
            end_ns=int(data["end_ns"]),
            parent_span_id=data.get("parent_span_id"),
            kind=data.get("kind", "internal"),
            status=SpanStatus(data.get("status", "unset")),
            attributes=dict(data.get("attributes") or {}),
        )


@dataclass(frozen=True)
class LogRecord:
    time_ns: int
    severity: str
    body: str
    service: str
    trace_id: Optional[str] = None
    span_id: Optional[str] = None
    attributes: Attributes = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "severity", (self.severity or "INFO").upper())
        if self.trace_id:
            object.__setattr__(self, "trace_id", _check_id(self.trace_id, _TRACE_ID, "trace id"))
        else:
            object.__setattr__(self, "trace_id", None)
        if self.span_id:
            object.__setattr__(self, "span_id", _check_id(self.span_id, _SPAN_ID, "span id"))
        else:
            object.__setattr__(self, "span_id", None)

    def to_dict(self) -> Dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> "LogRecord":
        return cls(
            time_ns=int(data["time_ns"]),
            severity=data.get("severity", "INFO"),
            body=data.get("body", ""),
            service=data.get("service", "unknown"),
            trace_id=data.get("trace_id"),
            span_id=data.get("span_id"),
            attributes=dict(data.get("attributes") or {}),
        )
