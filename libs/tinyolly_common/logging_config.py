"""Structured (JSON) logging for the TinyOlly services, built on structlog.

Without structlog installed (e.g. a bare test interpreter) the same JSON lines are produced by a
small stdlib formatter, so services and tests behave the same.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from typing import Any, Optional, TextIO

try:
    import structlog
except ImportError:  # pragma: no cover - exercised only where structlog is missing
    structlog = None  # type: ignore[assignment]

_service = "tinyolly"


class _JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event = {
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(record.created)),
            "level": record.levelname.lower(),
            "logger": record.name,
            "service": _service,
            "event": record.getMessage(),
        }
        event.update(getattr(record, "fields", {}))
        return json.dumps(event, default=str)


class _StdlibLogger:
    """The subset of structlog's bound-logger API the services use."""

    def __init__(self, logger: logging.Logger, fields: Optional[dict] = None) -> None:
        self._logger = logger
        self._fields = fields or {}

    def bind(self, **fields: Any) -> "_StdlibLogger":
        return _StdlibLogger(self._logger, {**self._fields, **fields})

    def _log(self, level: int, event: str, **fields: Any) -> None:
        self._logger.log(level, event, extra={"fields": {**self._fields, **fields}})

    def debug(self, event: str, **fields: Any) -> None:
        self._log(logging.DEBUG, event, **fields)

    def info(self, event: str, **fields: Any) -> None:
        self._log(logging.INFO, event, **fields)

    def warning(self, event: str, **fields: Any) -> None:
        self._log(logging.WARNING, event, **fields)

    def error(self, event: str, **fields: Any) -> None:
        self._log(logging.ERROR, event, **fields)


def configure_logging(service: str, level: str = "INFO", stream: Optional[TextIO] = None) -> None:
    """Send one JSON object per line to `stream` (default stdout), tagged with `service`."""
    global _service
    _service = service
    numeric_level = logging.getLevelName(level.upper())
    if not isinstance(numeric_level, int):
        raise ValueError(f"unknown log level {level!r}")
    stream = stream or sys.stdout

    handler = logging.StreamHandler(stream)
    handler.setFormatter(_JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(numeric_level)

    if structlog is not None:
        structlog.configure(
            processors=[
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                lambda _logger, _name, event: {"service": service, **event},
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(default=str),
            ],
            wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
            logger_factory=structlog.PrintLoggerFactory(file=stream),
            cache_logger_on_first_use=False,
        )


def get_logger(name: str = "tinyolly") -> Any:
    """A logger with `.bind(**fields)` and `.info(event, **fields)` (structlog's API)."""
    if structlog is not None:
        return structlog.get_logger(name)
    return _StdlibLogger(logging.getLogger(name))
