"""Idempotency-Key rules, after the IETF httpapi Idempotency-Key draft.

The first request with a key runs; its status and body are stored in the same transaction as
the change it made, so a committed change always has its stored outcome and a rolled-back one
never does. A retry with the same key and the same request gets the stored outcome again; the
same key with a different request is refused (422); the same key while the first request is
still running is refused (409) and may be retried.

Only successful outcomes are stored: a request that fails changes nothing, so its retry simply
runs again."""

import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.db import try_transaction_lock, utcnow
from app.errors import Conflict, InvalidInput
from app.idempotency import repository
from app.models import IdempotencyRecord
from app.models.base import uuid7

KEY_PATTERN = re.compile(r"[!-~]{1,255}")
"""Visible ASCII; a structured-header string (`"…"`) is unquoted first."""


class IdempotencyKeyInUse(Conflict):
    slug = "idempotency-key-in-use"
    title = "A request with this Idempotency-Key is still being processed"

    def __init__(self) -> None:
        super().__init__(
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            headers={"Retry-After": "1"},
        )


class IdempotencyKeyReused(InvalidInput):
    slug = "idempotency-key-reused"
    title = "Idempotency-Key reused for a different request"

    def __init__(self) -> None:
        super().__init__(
            "This Idempotency-Key was already used for a different request body or URL; "
            "use a new key for a new request."
        )


class InvalidIdempotencyKey(InvalidInput):
    slug = "invalid-idempotency-key"
    title = "Invalid Idempotency-Key"

    def __init__(self) -> None:
        super().__init__(
            "Idempotency-Key must be 1 to 255 visible ASCII characters, e.g. a UUID.",
            errors=[{"parameter": "Idempotency-Key", "in": "header", "detail": "invalid"}],
        )


@dataclass(frozen=True)
class Claim:
    """Who sent which key to which route, and a fingerprint of the request."""

    scope: str
    route: str
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Outcome:
    status_code: int
    body: Any
    replayed: bool


def parse_key(header: str) -> str:
    key = header.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not KEY_PATTERN.fullmatch(key):
        raise InvalidIdempotencyKey()
    return key


def fingerprint(method: str, path: str, body: bytes) -> str:
    """The same request gives the same fingerprint, however its JSON is spaced or ordered."""
    try:
        canonical = json.dumps(
            json.loads(body), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )
    except ValueError:
        canonical = body.hex()
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def ttl() -> timedelta:
    """How long a stored outcome is replayed (SENTIO_IDEMPOTENCY_TTL_HOURS)."""
    return timedelta(hours=get_settings().idempotency_ttl_hours)


def lock_id(scope: str, route: str, key: str) -> int:
    digest = hashlib.sha256(f"{scope}\n{route}\n{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def _same(body: Any) -> Any:
    return body


async def run(
    session: AsyncSession,
    claim: Claim,
    *,
    ttl: timedelta,
    default_status: int,
    create: Callable[[], Awaitable[Any]],
    serialize: Callable[[Any], tuple[int | None, Any]],
    now: datetime | None = None,
    stored_form: Callable[[Any], Any] = _same,
    replayed_form: Callable[[Any], Any] = _same,
) -> Outcome:
    """`stored_form` is what is kept of a body and `replayed_form` what a replay makes of
    it again: a reply that repeats a value of its request keeps that value out of the store
    and takes it back from the (identical) request of the replay."""
    if not await try_transaction_lock(session, lock_id(claim.scope, claim.route, claim.key)):
        raise IdempotencyKeyInUse()
    now = now or utcnow()
    stored = await repository.get(session, claim.scope, claim.route, claim.key)
    if stored is not None and stored.expires_at <= now:
        await repository.remove(session, stored)
        stored = None
    if stored is not None:
        if stored.fingerprint != claim.fingerprint:
            raise IdempotencyKeyReused()
        return Outcome(stored.status_code, replayed_form(stored.body), replayed=True)

    status, body = serialize(await create())
    status_code = status or default_status
    record = _record(claim, status_code, stored_form(body), now, ttl)
    await repository.add(session, IdempotencyRecord(**record))
    await repository.add_customers(session, _customers_of([record]))
    return Outcome(status_code, body, replayed=False)


async def store_first(
    session: AsyncSession, outcomes: list[tuple[Claim, Outcome]], *, ttl: timedelta
) -> set[Claim]:
    """Store the outcomes of keys seen for the first time, in the caller's transaction, and
    return their claims. A key already stored, or held by a request still running, is left
    alone: its request must go through `run`, which replays it, refuses it, or answers 409
    while the other request runs."""
    if not outcomes:
        return set()
    now = utcnow()
    rows = [_record(claim, o.status_code, o.body, now, ttl) for claim, o in outcomes]
    locks = [lock_id(claim.scope, claim.route, claim.key) for claim, _ in outcomes]
    stored = await repository.add_new(session, rows, locks)
    new = [row for row in rows if (row["scope"], row["route"], row["key"]) in stored]
    await repository.add_customers(session, _customers_of(new))
    return {claim for claim, _ in outcomes if (claim.scope, claim.route, claim.key) in stored}


async def scrub_customer(
    session: AsyncSession, customer_id: str, scopes: list[str], redact: Callable[[Any], Any]
) -> int:
    """Privacy erasure, in the caller's transaction: the stored replies to callers `scopes`
    (one project's keys) that show the customer get `redact(body)` as their body, so a
    replay shows what is left after the erasure. Returns how many."""
    records = await repository.customer_records(session, customer_id, scopes)
    for record in records:
        record.body = redact(record.body)
    await repository.forget_customer(session, customer_id, [r.id for r in records])
    return len(records)


async def drop_scopes(session: AsyncSession, scopes: list[str]) -> int:
    """Forget every stored reply to these callers (the links an erasure closed): their
    retries then run again, and are refused as the closed link is."""
    return await repository.remove_scopes(session, scopes)


def customers_in(body: Any) -> set[str]:
    """Every `customer_id` a JSON reply shows, at any depth (one answer, a batch)."""
    found: set[str] = set()
    stack = [body]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            customer_id = value.get("customer_id")
            if isinstance(customer_id, str):
                found.add(customer_id)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return found


def _customers_of(records: list[dict]) -> list[dict]:
    return [
        {"customer_id": customer_id, "record_id": record["id"]}
        for record in records
        for customer_id in customers_in(record["body"])
    ]


def _record(claim: Claim, status_code: int, body: Any, now: datetime, ttl: timedelta) -> dict:
    return {
        "id": uuid7(),
        "scope": claim.scope,
        "route": claim.route,
        "key": claim.key,
        "fingerprint": claim.fingerprint,
        "status_code": status_code,
        "body": body,
        "created_at": now,
        "expires_at": now + ttl,
    }
