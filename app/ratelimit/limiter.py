"""Fixed-window rate limiting shared by every worker and server, without a round trip to
the store on most requests.

Workers take *leases*: a worker reserves a chunk of a bucket's window in the shared store
(database or Redis) with one atomic add, and admits requests locally until the chunk is
used up. The store's total is the sum of all reservations, so the workers together never
admit more than the limit, however many there are. Chunks are a share of what the last
reservation left (`(limit - reserved) // share`): large far from the limit, so a busy
key costs one write per many requests, and down to one request close to it, so little of
the budget can sit unused in an idle worker's lease (a client may be refused a few
requests early, never let through late). A bucket known to be exhausted is refused locally
until its window ends: a client hammering past its limit costs no writes."""

import logging
import math
import time
from dataclasses import dataclass

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
    reserved: int = 0  # the store's total after our last reservation
    lease: int = 0  # requests this worker may still admit without asking the store


class Limiter:
    def __init__(self, store: Store, *, share: int = 8) -> None:
        self.store = store
        self.share = share
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

        if bucket.lease == 0 and bucket.reserved < policy.limit:
            chunk = max(1, (policy.limit - bucket.reserved) // self.share)
            try:
                total = await self.store.add(name, window_start, reset_at, chunk)
            except Exception as exc:  # the limiter must never turn into an outage
                self._store_down(exc)
                return Decision(True, policy, max(0, policy.limit - bucket.reserved), reset_in)
            granted = max(0, min(chunk, policy.limit - (total - chunk)))
            bucket.reserved = max(bucket.reserved, total)
            bucket.lease += granted
        if bucket.lease == 0:
            return Decision(False, policy, 0, reset_in)
        bucket.lease -= 1
        remaining = max(0, policy.limit - bucket.reserved) + bucket.lease
        return Decision(True, policy, remaining, reset_in)

    def exhausted(self, policy: Policy, who: str) -> Decision | None:
        """A refusal if this worker already knows the bucket is spent; no store access."""
        now = time.time()
        bucket = self._buckets.get(f"{policy.name}:{who}")
        window_start = int(now // policy.window) * policy.window
        if (
            bucket is None
            or bucket.window_start != window_start
            or bucket.lease > 0
            or bucket.reserved < policy.limit
        ):
            return None
        return Decision(False, policy, 0, max(1, math.ceil(bucket.reset_at - now)))

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
