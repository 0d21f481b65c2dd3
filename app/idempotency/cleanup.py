"""Expired idempotency keys are deleted by each worker in the background, in small batches."""

import asyncio
import logging
from datetime import datetime

from app.db import sessionmaker, utcnow
from app.idempotency import repository

log = logging.getLogger("sentio.idempotency")

BATCH = 1000


async def purge_expired(now: datetime | None = None) -> int:
    now = now or utcnow()
    total = 0
    while True:
        async with sessionmaker()() as session, session.begin():
            deleted = await repository.purge_expired(session, now, BATCH)
        total += deleted
        if deleted < BATCH:
            return total


async def purge_periodically(interval_seconds: float) -> None:
    while True:
        await asyncio.sleep(interval_seconds)
        try:
            deleted = await purge_expired()
        except Exception as error:  # the database may be down; try again next time
            log.warning("purging expired idempotency keys failed: %s", error)
        else:
            if deleted:
                log.info("purged %d expired idempotency keys", deleted)
