"""Group commit: the writes of concurrent requests share one transaction.

A request hands its item to `GroupCommit.submit` and waits. Items that arrive while a batch
is being written go together into the next one: `write(session, items)` runs in a single
transaction, and each caller gets its own result (or its own error) only after that
transaction commits, so a 2xx still means the write is durable. There is no timer: under
light load a batch holds one item and is written at once; under heavy load the batches grow
by themselves, and the statements, round trips and commits (each one an fsync) are shared.

`write` returns one entry per item: a result, or an exception for an item it refused (the
item must then have written nothing). If the transaction itself fails, a batch of several
items is written again one item per transaction, so that an item that breaks a transaction
fails alone; if the database is unreachable every item fails with that error at once."""

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from app.db import get_engine, is_unavailable

Item = TypeVar("Item")
Write = Callable[[AsyncSession, list[Item]], Awaitable[list[Any]]]


@dataclass
class _Pending(Generic[Item]):
    item: Item
    future: asyncio.Future = field(repr=False)


class GroupCommit(Generic[Item]):
    def __init__(self, write: Write[Item], *, writers: int = 2, max_batch: int = 500) -> None:
        self.write = write
        self.writers = writers
        self.max_batch = max_batch
        self._queue: deque[_Pending[Item]] = deque()
        self._tasks: set[asyncio.Task] = set()

    async def submit(self, item: Item) -> Any:
        """The item's result once its batch has committed; raises the item's error."""
        future = asyncio.get_running_loop().create_future()
        self._queue.append(_Pending(item, future))
        # A writer that has finished may not have run its done callbacks yet: count only
        # the live ones, or an item queued in that moment would wait for ever.
        self._tasks = {task for task in self._tasks if not task.done()}
        if len(self._tasks) < self.writers:
            self._tasks.add(asyncio.create_task(self._drain()))
        return await future

    async def _drain(self) -> None:
        # One connection for as long as work keeps coming (checked when taken from the
        # pool), a fresh one after a failed transaction.
        while self._queue:
            try:
                async with get_engine().connect() as connection:
                    while self._queue:
                        size = min(len(self._queue), self.max_batch)
                        batch = [self._queue.popleft() for _ in range(size)]
                        if not await self._write(connection, batch):
                            break
            except Exception as error:  # no connection to be had: fail what is waiting
                while self._queue:
                    _settle(self._queue.popleft(), error)

    async def _write(self, connection: AsyncConnection, batch: list[_Pending[Item]]) -> bool:
        """Write one batch in one transaction; False if the transaction failed."""
        try:
            async with (
                AsyncSession(bind=connection, expire_on_commit=False) as session,
                session.begin(),
            ):
                outcomes = await self.write(session, [p.item for p in batch])
        except Exception as error:
            if len(batch) > 1 and not is_unavailable(error):
                written = [await self._write(connection, [pending]) for pending in batch]
                return all(written)
            for pending in batch:
                _settle(pending, error)
            return False
        for pending, outcome in zip(batch, outcomes, strict=True):
            _settle(pending, outcome)
        return True


def _settle(pending: _Pending, outcome: Any) -> None:
    if pending.future.done():  # the caller went away; its write stands
        return
    if isinstance(outcome, BaseException):
        pending.future.set_exception(outcome)
    else:
        pending.future.set_result(outcome)
