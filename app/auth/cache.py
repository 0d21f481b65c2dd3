"""Verified API keys, remembered for a few seconds (`SENTIO_AUTH_CACHE_SECONDS`).

Without it every request starts with a database read of its key: under load that read is a
large share of a request's cost (BENCHMARKS.md). A key revoked through this worker is
forgotten as soon as the revocation commits; other workers and servers stop accepting it
within the cache time. Expiry is checked on every use, so an expired key is never let
through. Only keys that verified are remembered: unknown keys always reach the database
(and the rate limit on failed authentications)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.auth.service import Principal

MAX_ENTRIES = 10_000


class VerifiedKeys:
    def __init__(self) -> None:
        self._entries: dict[str, tuple[float, Principal]] = {}

    def get(self, digest: str, ttl: float) -> Principal | None:
        entry = self._entries.get(digest)
        if entry is None:
            return None
        if time.monotonic() - entry[0] >= ttl:
            del self._entries[digest]
            return None
        return entry[1]

    def put(self, digest: str, principal: Principal) -> None:
        if len(self._entries) >= MAX_ENTRIES:
            self._entries.clear()  # rare: simpler than LRU, and a miss is only a read
        self._entries[digest] = (time.monotonic(), principal)

    def forget(self, digest: str) -> None:
        self._entries.pop(digest, None)

    def clear(self) -> None:
        self._entries.clear()


verified_keys = VerifiedKeys()
"""This worker's cache; keyed by the SHA-256 of the secret, as stored."""
