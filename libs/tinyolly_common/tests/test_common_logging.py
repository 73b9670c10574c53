import io
import json

from tinyolly_common.logging_config import configure_logging, get_logger


def test_logs_are_json_lines_with_service_and_fields():
    stream = io.StringIO()
    configure_logging("receiver", level="info", stream=stream)
    log = get_logger("test").bind(trace_id="abc")
    log.info("spans stored", count=3)
    log.debug("not shown")

    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert len(lines) == 1
    assert lines[0]["event"] == "spans stored"
    assert lines[0]["service"] == "receiver"
    assert lines[0]["level"] == "info"
    assert lines[0]["count"] == 3
    assert lines[0]["trace_id"] == "abc"
    assert "timestamp" in lines[0]


def test_unknown_level_is_rejected():
    import pytest

    with pytest.raises(ValueError):
        configure_logging("ui", level="chatty", stream=io.StringIO())
