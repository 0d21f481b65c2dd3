"""Sends due deliveries: claim (short transaction), send (no transaction), record (short
transaction). Runs as a task in every server worker and as `sentio dispatch`.

At least once: a worker that dies mid-send leaves its claim to expire and the delivery is
sent again after the lease. Receivers drop duplicates by `webhook-id`."""

import asyncio
import json
import logging
import random
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import Settings, get_settings
from app.db import sessionmaker, utcnow
from app.models import WebhookAttempt
from app.observability import metrics
from app.webhooks import outbox, repository, targets
from app.webhooks.repository import Claimed
from app.webhooks.signing import signature_header

log = logging.getLogger("sentio.webhooks")

RETRY_DELAYS = (
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=10),
)
"""Waits after the 1st, 2nd, ... failed attempt (each ±20% jitter): 8 attempts over about
27 hours, then the delivery is marked failed. Redeliver it by hand after that."""

MAX_ERROR_CHARS = 500
PER_ENDPOINT = 5
"""Requests one dispatcher has in flight to one endpoint at a time."""
USER_AGENT = "Sentio-Webhooks/1"


def retry_delay(failed_attempts: int) -> timedelta | None:
    """The wait before the next attempt, or None when the schedule is spent."""
    if failed_attempts > len(RETRY_DELAYS):
        return None
    base = RETRY_DELAYS[failed_attempts - 1]
    return base * random.uniform(0.8, 1.2)


class Dispatcher:
    def __init__(
        self,
        *,
        settings: Settings | None = None,
        sessions: async_sessionmaker[AsyncSession] | None = None,
        clock: Callable[[], datetime] = utcnow,
        batch_size: int = 20,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        settings = settings or get_settings()
        self.timeout = settings.webhook_timeout_seconds
        self.poll_seconds = settings.webhook_poll_seconds
        self.allow_private = settings.webhook_allow_private_targets
        self.disable_after = timedelta(hours=settings.webhook_disable_after_hours)
        self.batch_size = batch_size
        # A claim must outlast the slowest batch: PER_ENDPOINT requests at a time, each
        # within the timeout. Another dispatcher may take the delivery after that.
        rounds = -(-batch_size // PER_ENDPOINT)
        self.lease = timedelta(seconds=self.timeout * rounds + 30)
        self.sessions = sessions
        self.clock = clock
        self.client = httpx.AsyncClient(
            timeout=self.timeout,
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": USER_AGENT},
            trust_env=False,
        )
        self.wake = asyncio.Event()

    async def aclose(self) -> None:
        await self.client.aclose()

    def _sessions(self) -> async_sessionmaker[AsyncSession]:
        return self.sessions or sessionmaker()

    async def run_once(self) -> int:
        """Claim and send one batch of due deliveries; returns how many were attempted."""
        token = uuid.uuid4()
        now = self.clock()
        async with self._sessions()() as session, session.begin():
            claims = await repository.claim_due(
                session, now=now, lease_until=now + self.lease, token=token, limit=self.batch_size
            )
        if claims:
            # Endpoints in parallel, at most PER_ENDPOINT requests to each, oldest first.
            limits: dict[uuid.UUID, asyncio.Semaphore] = {}
            for claim in claims:
                limits.setdefault(claim.endpoint_id, asyncio.Semaphore(PER_ENDPOINT))
            await asyncio.gather(
                *(self._deliver(claim, token, limits[claim.endpoint_id]) for claim in claims)
            )
        return len(claims)

    async def run_forever(self, stop: asyncio.Event | None = None) -> None:
        stop = stop or asyncio.Event()
        outbox.wakers.add(self.wake)
        try:
            while not stop.is_set():
                try:
                    sent = await self.run_once()
                except Exception:
                    # The database may be away for a moment; keep the loop alive.
                    log.exception("webhook dispatch failed; retrying")
                    sent = 0
                if sent:
                    continue
                self.wake.clear()
                waits = [asyncio.ensure_future(e.wait()) for e in (self.wake, stop)]
                try:
                    await asyncio.wait(
                        waits, timeout=self.poll_seconds, return_when="FIRST_COMPLETED"
                    )
                finally:
                    for w in waits:
                        w.cancel()
        finally:
            outbox.wakers.discard(self.wake)

    async def _deliver(self, claim: Claimed, token: uuid.UUID, limit: asyncio.Semaphore) -> None:
        number = claim.attempts + 1
        async with limit:
            attempted_at = utcnow()
            status_code, error, latency_ms = await self._send(claim)
        succeeded = status_code is not None and 200 <= status_code < 300
        if not succeeded and error is None:
            error = f"HTTP {status_code}: only a 2xx status counts as delivered"
        attempt = WebhookAttempt(
            delivery_id=claim.delivery_id,
            number=number,
            attempted_at=attempted_at,
            succeeded=succeeded,
            status_code=status_code,
            latency_ms=latency_ms,
            error=error[:MAX_ERROR_CHARS] if error else None,
        )
        now = self.clock()
        if succeeded:
            status, next_at = "succeeded", None
        else:
            delay = retry_delay(number)
            status, next_at = ("failed", None) if delay is None else ("pending", now + delay)
        metrics.webhook_attempt(succeeded, latency_ms)
        async with self._sessions()() as session, session.begin():
            kept = await repository.finish_attempt(
                session, claim, token, attempt, status=status, next_attempt_at=next_at
            )
            if not kept:
                log.warning("webhook delivery %s: lease lost, result dropped", claim.delivery_id)
                return
            if succeeded:
                await repository.endpoint_succeeded(session, claim.endpoint_id)
                return
            disabled = await repository.endpoint_failed(
                session, claim.endpoint_id, now=now, disable_before=now - self.disable_after
            )
        if status == "failed":
            metrics.webhook_exhausted()
        if disabled:
            metrics.webhook_endpoint_disabled()
            log.warning("webhook endpoint %s disabled after failing for days", claim.endpoint_id)

    async def _send(self, claim: Claimed) -> tuple[int | None, str | None, int | None]:
        """(status code, error, latency in ms) of one POST; never raises for network trouble."""
        body = json.dumps(claim.payload, separators=(",", ":"), ensure_ascii=False).encode()
        msg_id = str(claim.payload["id"])
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "webhook-id": msg_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": signature_header(claim.secrets, msg_id, timestamp, body),
        }
        try:
            target = targets.parse(claim.url)
            address = await targets.resolve(target, allow_private=self.allow_private)
        except targets.TargetRefused as refused:
            return None, f"refused: {refused}", None
        url = httpx.URL(claim.url)
        # Connect to the address that was checked, not whatever a second lookup returns;
        # Host and TLS server name stay those of the URL.
        headers["Host"] = url.netloc.decode("ascii")
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        request = self.client.build_request(
            "POST", url.copy_with(host=address), content=body, headers=headers
        )
        request.extensions.update(extensions)
        started = time.perf_counter()
        try:
            # The whole exchange, not each read, must fit in the timeout. The response body
            # is never read: only the status counts.
            async with asyncio.timeout(self.timeout):
                response = await self.client.send(request, stream=True)
                await response.aclose()
        except (TimeoutError, httpx.TimeoutException):
            return None, f"timed out after {self.timeout:g}s", _ms(started)
        except httpx.HTTPError as failure:
            return None, f"{type(failure).__name__}: {failure}", _ms(started)
        return response.status_code, None, _ms(started)


def _ms(started: float) -> int:
    return round((time.perf_counter() - started) * 1000)


async def run(stop: asyncio.Event | None = None) -> None:
    dispatcher = Dispatcher()
    try:
        await dispatcher.run_forever(stop)
    finally:
        await dispatcher.aclose()
