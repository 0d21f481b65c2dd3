"""Opaque keyset cursors: base64url JSON of the last row's sort key."""

import base64
import binascii
import json
import uuid
from datetime import datetime
from typing import Any

from app.errors import BadRequest
from app.timeparams import within_calendar


class InvalidCursor(BadRequest):
    slug = "invalid-cursor"
    title = "Invalid cursor"


def encode_cursor(**fields: Any) -> str:
    raw = json.dumps(fields, default=str, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, *, with_time: bool) -> tuple[datetime | None, uuid.UUID]:
    """Return (time, id) of a cursor made by `encode_cursor(t=..., id=...)`."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        row_id = uuid.UUID(data["id"])
        when = datetime.fromisoformat(data["t"]) if with_time else None
        if when is not None and (when.tzinfo is None or not within_calendar(when)):
            raise ValueError("naive time, or one no row can have")
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeError):
        raise InvalidCursor(
            "The cursor is not one this API returned; start again without a cursor."
        ) from None
    return when, row_id
