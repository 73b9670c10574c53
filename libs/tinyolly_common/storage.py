"""Where the receiver writes telemetry and the UI reads it: in memory, or in Redis.

`open_store("memory://")` gives a process-local store (tests, single-process runs);
`open_store("redis://host:6379/0")` a Redis-backed one shared by the receiver and the UI. The Redis
client is a few lines of RESP over a socket, so the services need no Redis library.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from typing import Deque, Dict, Iterable, List, Optional, Sequence, Union
from urllib.parse import urlparse

from tinyolly_common.models import LogRecord, Span

DEFAULT_MAX_ITEMS = 10_000
DEFAULT_TRACE_TTL_SECONDS = 3600


class Store:
    """Recent spans and logs, newest first, and spans grouped by trace."""

    def add_spans(self, spans: Iterable[Span]) -> int:
        raise NotImplementedError

    def add_logs(self, logs: Iterable[LogRecord]) -> int:
        raise NotImplementedError

    def recent_spans(self, limit: int = 100) -> List[Span]:
        raise NotImplementedError

    def recent_logs(self, limit: int = 100) -> List[LogRecord]:
        raise NotImplementedError

    def trace(self, trace_id: str) -> List[Span]:
        """The spans of one trace, ordered by start time."""
        raise NotImplementedError

    def recent_traces(self, limit: int = 50) -> List[Dict[str, object]]:
        """One summary per trace seen among the recent spans, newest first."""
        by_trace: Dict[str, List[Span]] = {}
        for span in self.recent_spans(limit=DEFAULT_MAX_ITEMS):
            by_trace.setdefault(span.trace_id, []).append(span)
        summaries = []
        for trace_id, spans in by_trace.items():
            root = next((s for s in spans if s.is_root), None)
            start_ns = min(s.start_ns for s in spans)
            end_ns = max(s.end_ns for s in spans)
            summaries.append({
                "trace_id": trace_id,
                "root": root.name if root else None,
                "service": (root or spans[-1]).service,
                "span_count": len(spans),
                "start_ns": start_ns,
                "duration_ms": (end_ns - start_ns) / 1_000_000,
                "error": any(s.status.value == "error" for s in spans),
            })
        summaries.sort(key=lambda s: s["start_ns"], reverse=True)  # type: ignore[arg-type,return-value]
        return summaries[:limit]


class MemoryStore(Store):
    def __init__(self, max_items: int = DEFAULT_MAX_ITEMS) -> None:
        self._lock = threading.Lock()
        self._spans: Deque[Span] = deque(maxlen=max_items)
        self._logs: Deque[LogRecord] = deque(maxlen=max_items)

    def add_spans(self, spans: Iterable[Span]) -> int:
        spans = list(spans)
        with self._lock:
            self._spans.extendleft(spans)
        return len(spans)

    def add_logs(self, logs: Iterable[LogRecord]) -> int:
        logs = list(logs)
        with self._lock:
            self._logs.extendleft(logs)
        return len(logs)

    def recent_spans(self, limit: int = 100) -> List[Span]:
        with self._lock:
            return list(self._spans)[:limit]

    def recent_logs(self, limit: int = 100) -> List[LogRecord]:
        with self._lock:
            return list(self._logs)[:limit]

    def trace(self, trace_id: str) -> List[Span]:
        trace_id = trace_id.lower()
        with self._lock:
            spans = [s for s in self._spans if s.trace_id == trace_id]
        return sorted(spans, key=lambda s: s.start_ns)


class RedisError(RuntimeError):
    pass


Reply = Union[None, int, bytes, str, List["Reply"]]


class RedisConnection:
    """A minimal, thread-safe Redis client speaking RESP2."""

    def __init__(self, host: str, port: int, db: int = 0, password: Optional[str] = None,
                 timeout: float = 5.0) -> None:
        self._address = (host, port)
        self._db = db
        self._password = password
        self._timeout = timeout
        self._lock = threading.Lock()
        self._sock: Optional[socket.socket] = None
        self._reader = None

    @staticmethod
    def encode(*args: Union[str, bytes, int]) -> bytes:
        parts = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = arg if isinstance(arg, bytes) else str(arg).encode()
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        return b"".join(parts)

    def _read_reply(self) -> Reply:
        assert self._reader is not None
        line = self._reader.readline()
        if not line.endswith(b"\r\n"):
            raise ConnectionError("connection to Redis closed")
        kind, payload = line[:1], line[1:-2]
        if kind == b"+":
            return payload.decode()
        if kind == b"-":
            raise RedisError(payload.decode())
        if kind == b":":
            return int(payload)
        if kind == b"$":
            size = int(payload)
            if size < 0:
                return None
            data = self._reader.read(size + 2)
            return data[:-2]
        if kind == b"*":
            count = int(payload)
            return None if count < 0 else [self._read_reply() for _ in range(count)]
        raise RedisError(f"unexpected reply from Redis: {line!r}")

    def _connect(self) -> None:
        self._sock = socket.create_connection(self._address, timeout=self._timeout)
        self._reader = self._sock.makefile("rb")
        if self._password:
            self._send(("AUTH", self._password))
        if self._db:
            self._send(("SELECT", self._db))

    def _send(self, args: Sequence[Union[str, bytes, int]]) -> Reply:
        assert self._sock is not None
        self._sock.sendall(self.encode(*args))
        return self._read_reply()

    def execute(self, *args: Union[str, bytes, int]) -> Reply:
        with self._lock:
            for attempt in (1, 2):
                try:
                    if self._sock is None:
                        self._connect()
                    return self._send(args)
                except (ConnectionError, OSError):
                    self.close_unlocked()
                    if attempt == 2:
                        raise
        raise AssertionError("unreachable")

    def close_unlocked(self) -> None:
        if self._sock is not None:
            self._sock.close()
        self._sock = None
        self._reader = None

    def close(self) -> None:
        with self._lock:
            self.close_unlocked()


class RedisStore(Store):
    SPANS_KEY = "tinyolly:spans"
    LOGS_KEY = "tinyolly:logs"
    TRACE_KEY = "tinyolly:trace:{}"

    def __init__(self, connection: RedisConnection, max_items: int = DEFAULT_MAX_ITEMS,
                 trace_ttl_seconds: int = DEFAULT_TRACE_TTL_SECONDS) -> None:
        self._redis = connection
        self._max_items = max_items
        self._trace_ttl = trace_ttl_seconds

    def add_spans(self, spans: Iterable[Span]) -> int:
        count = 0
        for span in spans:
            payload = json.dumps(span.to_dict(), separators=(",", ":"))
            self._redis.execute("LPUSH", self.SPANS_KEY, payload)
            trace_key = self.TRACE_KEY.format(span.trace_id)
            self._redis.execute("RPUSH", trace_key, payload)
            self._redis.execute("EXPIRE", trace_key, self._trace_ttl)
            count += 1
        if count:
            self._redis.execute("LTRIM", self.SPANS_KEY, 0, self._max_items - 1)
        return count

    def add_logs(self, logs: Iterable[LogRecord]) -> int:
        count = 0
        for record in logs:
            self._redis.execute("LPUSH", self.LOGS_KEY, json.dumps(record.to_dict(), separators=(",", ":")))
            count += 1
        if count:
            self._redis.execute("LTRIM", self.LOGS_KEY, 0, self._max_items - 1)
        return count

    def _range(self, key: str, limit: Optional[int]) -> List[dict]:
        items = self._redis.execute("LRANGE", key, 0, -1 if limit is None else limit - 1) or []
        assert isinstance(items, list)
        return [json.loads(item) for item in items if isinstance(item, bytes)]

    def recent_spans(self, limit: int = 100) -> List[Span]:
        return [Span.from_dict(d) for d in self._range(self.SPANS_KEY, limit)]

    def recent_logs(self, limit: int = 100) -> List[LogRecord]:
        return [LogRecord.from_dict(d) for d in self._range(self.LOGS_KEY, limit)]

    def trace(self, trace_id: str) -> List[Span]:
        spans = [Span.from_dict(d) for d in self._range(self.TRACE_KEY.format(trace_id.lower()), None)]
        return sorted(spans, key=lambda s: s.start_ns)


def open_store(url: str = "memory://", max_items: int = DEFAULT_MAX_ITEMS) -> Store:
    """`memory://` or `redis://[:password@]host[:port][/db]`."""
    parsed = urlparse(url)
    if parsed.scheme == "memory":
        return MemoryStore(max_items=max_items)
    if parsed.scheme == "redis":
        db = int(parsed.path.lstrip("/") or 0)
        connection = RedisConnection(parsed.hostname or "localhost", parsed.port or 6379, db=db,
                                     password=parsed.password)
        return RedisStore(connection, max_items=max_items)
    raise ValueError(f"unsupported store URL {url!r}: use memory:// or redis://host:port/db")
