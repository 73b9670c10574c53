"""Shared code of the TinyOlly Python services: telemetry models, storage and logging setup."""

from tinyolly_common.logging_config import configure_logging, get_logger
from tinyolly_common.models import LogRecord, Span, SpanStatus
from tinyolly_common.storage import MemoryStore, RedisStore, Store, open_store

__version__ = "0.1.0"

__all__ = [
    "LogRecord",
    "MemoryStore",
    "RedisStore",
    "Span",
    "SpanStatus",
    "Store",
    "configure_logging",
    "get_logger",
    "open_store",
]
