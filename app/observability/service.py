"""What a scrape does: check the optional token, refresh the database gauges, render."""

import hmac
import logging

from app.config import get_settings
from app.db import get_engine, sessionmaker, utcnow
from app.errors import Unauthorized
from app.observability import metrics
from app.observability import repository as figures
from app.webhooks import repository as webhooks

log = logging.getLogger("sentio.metrics")


def check_token(authorization: str | None) -> None:
    token = get_settings().metrics_token
    if not token:
        return
    sent = (authorization or "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(sent.encode(), token.encode()):
        raise Unauthorized("Send the metrics token as 'Authorization: Bearer <token>'.")


async def scrape() -> bytes:
    metrics.observe_pool(get_engine().pool)
    try:
        async with sessionmaker()() as session:
            pending, oldest = await webhooks.backlog(session)
            statuses = await figures.invitations_by_status(session)
    except Exception as error:
        # A scrape still answers (request counts, process figures) while the database is
        # away; the database gauges keep their last values.
        log.warning("metrics: database figures unavailable: %s", type(error).__name__)
    else:
        metrics.outbox_backlog.set(pending)
        metrics.outbox_oldest_age.set((utcnow() - oldest).total_seconds() if oldest else 0)
        for status, count in (statuses or {}).items():
            metrics.invitations.labels(status).set(count)
    return metrics.render()
