"""Logging: JSON lines in production, readable text in development, a request id on every
line logged while a request is handled.

What is logged is chosen, not dumped: route templates instead of raw paths (paths can hold
link tokens), never headers, bodies, comments, secrets or keys. Values under names that
look secret are masked even if a caller passes them as `extra`."""

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

request_id: ContextVar[str | None] = ContextVar("request_id", default=None)

# Attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {
    "message",
    "asctime",
    "request_id",
    "color_message",
}
_SECRET_WORDS = ("secret", "token", "authorization", "password", "api_key", "comment", "cookie")
MASK = "[redacted]"


def _safe(key: str, value: Any) -> Any:
    return MASK if any(word in key.lower() for word in _SECRET_WORDS) else value


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = getattr(record, "request_id", None)
        if rid:
            line["request_id"] = rid
        for key, value in record.__dict__.items():
            if key not in _STANDARD and not key.startswith("_"):
                line[key] = _safe(key, value)
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        extras = [
            f"{key}={_safe(key, value)}"
            for key, value in record.__dict__.items()
            if key not in _STANDARD and not key.startswith("_") and key != "message"
        ]
        rid = getattr(record, "request_id", None)
        if rid:
            extras.append(f"request_id={rid}")
        return f"{text} {' '.join(extras)}" if extras else text


def configure(level: str, fmt: str) -> None:
    """Install one handler on the root logger; uvicorn's loggers propagate to it."""
    if fmt == "auto":
        fmt = "text" if sys.stderr.isatty() else "json"
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "_sentio", False)]:
        root.removeHandler(old)
    handler._sentio = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers.clear()
        logging.getLogger(name).propagate = True
    # SQL parameters (comments, key hashes, webhook secrets) and webhook URLs (which may
    # embed a receiver's token) are never logged, whatever the service's level.
    for name in ("sqlalchemy.engine", "aiosqlite", "asyncpg", "httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    # The access line comes from Sentio's own middleware (route templates, request ids);
    # uvicorn's would log raw paths, which may hold one-click link tokens.
    logging.getLogger("uvicorn.access").disabled = True
