import socketserver
import threading

import pytest

from tinyolly_common.models import LogRecord, Span
from tinyolly_common.storage import MemoryStore, RedisConnection, RedisStore, open_store

TRACE_A = "a" * 32
TRACE_B = "b" * 32


def span(trace_id, span_id, start, end, parent=None, status="unset", name="op"):
    return Span(trace_id=trace_id, span_id=span_id, name=name, service="svc", start_ns=start,
                end_ns=end, parent_span_id=parent, status=status)


class FakeRedis(socketserver.ThreadingTCPServer):
    """Just enough of Redis (lists, EXPIRE, PING) to exercise RedisStore over a real socket."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.lists = {}
        self.expiries = {}
        super().__init__(("127.0.0.1", 0), _FakeRedisHandler)


class _FakeRedisHandler(socketserver.StreamRequestHandler):
    def read_command(self):
        header = self.rfile.readline()
        if not header:
            return None
        assert header.startswith(b"*")
        args = []
        for _ in range(int(header[1:])):
            size = int(self.rfile.readline()[1:])
            args.append(self.rfile.read(size + 2)[:-2])
        return args

    def handle(self):
        lists, server = self.server.lists, self.server
        while True:
            args = self.read_command()
            if args is None:
                return
            cmd, rest = args[0].upper(), args[1:]
            if cmd == b"PING":
                self.wfile.write(b"+PONG\r\n")
            elif cmd in (b"LPUSH", b"RPUSH"):
                items = lists.setdefault(rest[0], [])
                for value in rest[1:]:
                    items.insert(0, value) if cmd == b"LPUSH" else items.append(value)
                self.wfile.write(b":%d\r\n" % len(items))
            elif cmd == b"LTRIM":
                start, stop = int(rest[1]), int(rest[2])
                lists[rest[0]] = lists.get(rest[0], [])[start:None if stop == -1 else stop + 1]
                self.wfile.write(b"+OK\r\n")
            elif cmd == b"LRANGE":
                start, stop = int(rest[1]), int(rest[2])
                items = lists.get(rest[0], [])[start:None if stop == -1 else stop + 1]
                self.wfile.write(b"*%d\r\n" % len(items))
                for item in items:
                    self.wfile.write(b"$%d\r\n%s\r\n" % (len(item), item))
            elif cmd == b"EXPIRE":
                server.expiries[rest[0]] = int(rest[1])
                self.wfile.write(b":1\r\n")
            else:
                self.wfile.write(b"-ERR unknown command\r\n")


@pytest.fixture
def fake_redis():
    server = FakeRedis()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture(params=["memory", "redis"])
def store(request):
    if request.param == "memory":
        return MemoryStore(max_items=3)
    server = request.getfixturevalue("fake_redis")
    return RedisStore(RedisConnection(*server.server_address), max_items=3)


def test_recent_spans_newest_first_and_bounded(store):
    spans = [span(TRACE_A, "%016x" % i, i, i + 1) for i in range(1, 6)]
    assert store.add_spans(spans) == 5
    assert [s.span_id for s in store.recent_spans()] == ["%016x" % i for i in (5, 4, 3)]
    assert len(store.recent_spans(limit=2)) == 2


def test_trace_groups_and_orders_spans(store):
    store.add_spans([
        span(TRACE_A, "2" * 16, 20, 30, parent="1" * 16),
        span(TRACE_B, "3" * 16, 5, 6),
        span(TRACE_A, "1" * 16, 10, 40),
    ])
    assert [s.span_id for s in store.trace(TRACE_A.upper())] == ["1" * 16, "2" * 16]


def test_recent_traces_summary(store):
    store.add_spans([
        span(TRACE_A, "1" * 16, 1_000_000, 4_000_000, name="GET /order"),
        span(TRACE_A, "2" * 16, 2_000_000, 3_000_000, parent="1" * 16, status="error"),
        span(TRACE_B, "3" * 16, 9_000_000, 10_000_000, name="GET /"),
    ])
    summaries = store.recent_traces()
    assert [s["trace_id"] for s in summaries] == [TRACE_B, TRACE_A]
    assert summaries[1] == {"trace_id": TRACE_A, "root": "GET /order", "service": "svc", "span_count": 2,
                            "start_ns": 1_000_000, "duration_ms": 3.0, "error": True}


def test_logs(store):
    store.add_logs([LogRecord(time_ns=i, severity="info", body=f"line {i}", service="svc") for i in range(4)])
    assert [r.body for r in store.recent_logs()] == ["line 3", "line 2", "line 1"]


def test_redis_trace_keys_expire(fake_redis):
    store = RedisStore(RedisConnection(*fake_redis.server_address), trace_ttl_seconds=60)
    store.add_spans([span(TRACE_A, "1" * 16, 1, 2)])
    assert fake_redis.expiries == {("tinyolly:trace:" + TRACE_A).encode(): 60}


def test_resp_encoding():
    assert RedisConnection.encode("LPUSH", "k", 7) == b"*3\r\n$5\r\nLPUSH\r\n$1\r\nk\r\n$1\r\n7\r\n"


def test_open_store():
    assert isinstance(open_store("memory://"), MemoryStore)
    assert isinstance(open_store("redis://:secret@redis:6380/2"), RedisStore)
    with pytest.raises(ValueError, match="unsupported"):
        open_store("postgres://db")
