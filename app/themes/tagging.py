"""Re-tagging the history when a theme is created or its phrases change, in the background.

Each step is one short transaction: take the theme that has waited longest (locked, so
that two workers never work on the same one), read the next batch of its project's
comments in order of last change (keyset on the (project, updated_at, id) index), match
them against this theme's phrases, replace this theme's tags among them, and save the
position. Writers are never blocked for longer than one batch (on PostgreSQL an edit of a
comment in the batch waits for it; new answers never do), and a worker that stops resumes
from the saved position.

New answers are tagged as they are written, by a matcher each worker caches for
SENTIO_THEME_CACHE_SECONDS. A worker whose cache still held the old phrases may have
tagged a few answers with them, and a batch that was being written when the phrases
changed may commit after the scan passed it. So when the scan reaches the end, it goes
once more over everything changed since shortly before the phrases changed, once that
cache time (plus a margin for slow commits) has gone by. Only then is the theme done.
"""

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from app.config import get_settings
from app.db import is_unavailable, sessionmaker, utcnow
from app.themes import repository
from app.themes.matching import Matcher

log = logging.getLogger("sentio.themes")

COMMIT_MARGIN = timedelta(seconds=30)
"""How late a write may commit after it read the time it stores as `updated_at`."""
IDLE_SECONDS = 1.0


def hold() -> timedelta:
    """How long after a change of phrases a worker may still write tags from the old ones."""
    return timedelta(seconds=get_settings().theme_cache_seconds) + COMMIT_MARGIN


async def step(
    session: AsyncSession, *, batch: int | None = None, clock: Callable[[], datetime] = utcnow
) -> uuid.UUID | None:
    """One batch of the oldest pending re-tag that can go on now, in the caller's
    transaction. Returns the id of the theme worked on, or None when there is none."""
    theme = await repository.next_pending(session, settled_before=clock() - hold())
    if theme is None:
        return None
    batch = batch or get_settings().theme_tagging_batch
    if theme.tagging_after_id is None:
        theme.tagging_total = await repository.count_comments(session, theme.project_id)
    after = None
    if theme.tagging_after_at is not None and theme.tagging_after_id is not None:
        after = (theme.tagging_after_at, theme.tagging_after_id)
    rows = await repository.comments_after(session, theme.project_id, after, batch)
    matcher = Matcher.build([(theme.id, theme.name, theme.phrases)])
    ids = [row[0] for row in rows]
    mentioned = [rid for rid, _at, comment in rows if matcher.match(comment)]
    await repository.replace_theme_tags(session, theme.id, ids, mentioned)
    if rows:
        last = rows[-1]
        values = {"tagging_after_at": last[1], "tagging_after_id": last[0]}
        if not theme.tagging_final_pass:
            values["tagging_done"] = theme.tagging_done + len(rows)
            values["tagging_total"] = max(theme.tagging_total, values["tagging_done"])
        else:
            values["tagging_total"] = theme.tagging_total
        await repository.save_progress(session, theme.id, **values)
    elif theme.tagging_final_pass:
        await repository.save_progress(session, theme.id, tagging_pending=False)
    else:
        # The end of the comments: the final pass (once the hold is over) goes again over
        # everything changed since shortly before the phrases changed.
        await repository.save_progress(
            session,
            theme.id,
            tagging_final_pass=True,
            tagging_after_at=theme.phrases_changed_at - hold(),
            tagging_after_id=uuid.UUID(int=0),
            tagging_done=theme.tagging_done,
            tagging_total=theme.tagging_done,
        )
    return theme.id


async def run_until_idle(
    sessions: async_sessionmaker[AsyncSession] | None = None,
    *,
    batch: int | None = None,
    clock: Callable[[], datetime] = utcnow,
    max_steps: int | None = None,
) -> int:
    """Run steps, each in its own transaction, until none has work; returns the count."""
    sessions = sessions or sessionmaker()
    steps = 0
    while max_steps is None or steps < max_steps:
        async with sessions() as session, session.begin():
            worked = await step(session, batch=batch, clock=clock)
        if worked is None:
            return steps
        steps += 1
    return steps


async def run(stop: asyncio.Event) -> None:
    """The background re-tagger of a server worker, until `stop` is set."""
    while not stop.is_set():
        try:
            if await run_until_idle(max_steps=100) == 100:
                continue  # more to do: no pause
        except Exception as error:  # the database away: try again after a pause
            level = logging.WARNING if is_unavailable(error) else logging.ERROR
            log.log(level, "theme re-tagging failed: %s", error, exc_info=not is_unavailable(error))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), IDLE_SECONDS)
