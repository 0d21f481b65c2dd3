"""Where rate-limit counters live, shared by every worker process and server: the database
(default) or Redis. A store adds hits to a bucket's window and returns the window's total."""

from typing import Protocol

from sqlalchemy import case, delete

from app.db import get_engine, upsert
from app.models import RateLimitCounter


class Store(Protocol):
    async def add(self, bucket: str, window_start: int, reset_at: int, hits: int) -> int: ...

    async def purge(self, now: int) -> None: ...

    async def close(self) -> None: ...


class DatabaseStore:
    """One row per bucket, updated by a single atomic upsert (no read-modify-write race)."""

    async def add(self, bucket: str, window_start: int, reset_at: int, hits: int) -> int:
        engine = get_engine()
        table = RateLimitCounter.__table__
        stmt = upsert(table, engine.dialect.name).values(
            bucket=bucket, window_start=window_start, hits=hits, reset_at=reset_at
        )
        new = stmt.excluded
        same = table.c.window_start == new.window_start
        newer = table.c.window_start > new.window_start
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.bucket],
            set_={
                # A late push for a window that has already rolled over changes nothing.
                "hits": case(
                    (same, table.c.hits + new.hits), (newer, table.c.hits), else_=new.hits
                ),
                "window_start": case((newer, table.c.window_start), else_=new.window_start),
                "reset_at": case((newer, table.c.reset_at), else_=new.reset_at),
            },
        ).returning(table.c.hits, table.c.window_start)
        async with engine.begin() as conn:
            total, stored_window = (await conn.execute(stmt)).one()
        return int(total) if stored_window == window_start else 0

    async def purge(self, now: int) -> None:
        table = RateLimitCounter.__table__
        async with get_engine().begin() as conn:
            await conn.execute(delete(table).where(table.c.reset_at < now))

    async def close(self) -> None:
        return None


class RedisStore:
    """`INCRBY` and `EXPIREAT` of one key per bucket and window, in one round trip."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._client = None

    def client(self):  # type: ignore[no-untyped-def]
        if self._client is None:
            from redis import asyncio as redis

            self._client = redis.from_url(self.url, socket_timeout=0.5, socket_connect_timeout=0.5)
        return self._client

    async def add(self, bucket: str, window_start: int, reset_at: int, hits: int) -> int:
        key = f"sentio:ratelimit:{bucket}:{window_start}"
        async with self.client().pipeline(transaction=True) as pipe:
            pipe.incrby(key, hits)
            pipe.expireat(key, reset_at + 1)
            total, _ = await pipe.execute()
        return int(total)

    async def purge(self, now: int) -> None:
        return None  # keys expire by themselves

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
