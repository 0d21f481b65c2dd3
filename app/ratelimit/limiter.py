"""Fixed-window rate limiting shared by every worker and server, without a round trip to
the store on most requests.

Each worker counts hits locally and pushes them to the shared store (database or Redis),
reading back the window's total, when (a) a bucket is first seen in a window, (b) its
local hits exceed a share of what the last known total left (`(limit - known) // share`),
or (c) the last push is older than `sync_seconds`. Far from the limit a worker therefore
writes once per many requests; close to it the share is zero and every request is decided
on the store's exact, atomically updated total. A bucket known to be exhausted is refused
locally until its window ends, so a client hammering past its limit costs no writes.

The overshoot this allows is bounded by the shares spent between pushes; with the default
share (8) and a few workers it is a few percent of the limit at most, and none for limits
small enough that the share is already zero or one."""

import logging
import math
import time
from dataclasses import dataclass, field

from app.ratelimit.policy import Policy
from app.ratelimit.stores import Store

log = logging.getLogger("sentio.ratelimit")

PRUNE_EVERY_SECONDS = 30.0


@dataclass
class Decision:
    allowed: bool
    policy: Policy
    remaining: int
    reset_in: int  # seconds until the window ends

    def headers(self) -> list[tuple[bytes, bytes]]:
        return [
            (b"ratelimit-policy", self.policy.header.encode()),
            (
                b"ratelimit",
                f'"{self.policy.name}";r={self.remaining};t={self.reset_in}'.encode(),
            ),
        ]


@dataclass
class _Bucket:
    window_start: int
    reset_at: int
    known: int = 0  # the store's total at the last push (includes our pushed hits)
    pending: int = 0  # hits counted here, not yet pushed
    synced_at: float = field(default=-math.inf)


class Limiter:
    def __init__(self, store: Store, *, share: int = 8, sync_seconds: float = 2.0) -> None:
        self.store = store
        self.share = share
        self.sync_seconds = sync_seconds
        self._buckets: dict[str, _Bucket] = {}
        self._pruned_at = time.monotonic()
        self._store_down_logged_at = -math.inf

    async def hit(self, policy: Policy, who: str) -> Decision:
        now = time.time()
        window_start = int(now // policy.window) * policy.window
        reset_at = window_start + policy.window
        reset_in = max(1, math.ceil(reset_at - now))
        name = f"{policy.name}:{who}"
        bucket = self._buckets.get(name)
        if bucket is None or bucket.window_start != window_start:
            bucket = self._buckets[name] = _Bucket(window_start, reset_at)
            await self._prune(now)
        if bucket.known >= policy.limit:
            return Decision(False, policy, 0, reset_in)

        bucket.pending += 1
        share = (policy.limit - bucket.known) // self.share
        must_push = (
            bucket.synced_at == -math.inf
            or bucket.pending > share
            or time.monotonic() - bucket.synced_at >= self.sync_seconds
        )
        used = bucket.known + bucket.pending
        if must_push:
            pushed = bucket.pending
            bucket.pending = 0
            bucket.synced_at = time.monotonic()
            try:
                total = await self.store.add(name, window_start, reset_at, pushed)
            except Exception as exc:  # the limiter must never turn into an outage
                bucket.pending += pushed
                self._store_down(exc)
                return Decision(True, policy, max(0, policy.limit - used), reset_in)
            bucket.known = max(bucket.known, total)
            # Hits counted here while the push was in flight are still pending.
            used = max(total, bucket.known) + bucket.pending
        return Decision(used <= policy.limit, policy, max(0, policy.limit - used), reset_in)

    async def _prune(self, now: float) -> None:
        if time.monotonic() - self._pruned_at < PRUNE_EVERY_SECONDS:
            return
        self._pruned_at = time.monotonic()
        self._buckets = {name: b for name, b in self._buckets.items() if b.reset_at > now}
        try:
            await self.store.purge(int(now) - 1)
        except Exception as exc:
            self._store_down(exc)

    def _store_down(self, exc: Exception) -> None:
        if time.monotonic() - self._store_down_logged_at > 60:
            self._store_down_logged_at = time.monotonic()
            log.warning("rate-limit store unavailable, requests pass unlimited: %s", type(exc))
