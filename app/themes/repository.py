"""Themes and their tags. Tags are written by Python (app/themes/matching.py decides), so the
SQL here only stores, deletes and joins them: the same on SQLite and PostgreSQL."""

import contextlib
import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import Select, delete, func, insert, or_, select, text, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import json_text
from app.models import Response, ResponseTheme, Theme

tags = ResponseTheme.__table__
responses = Response.__table__.c


def has_comment() -> list:
    """Answered, live responses with a non-empty comment: what themes are about."""
    return [
        responses.deleted_at.is_(None),
        responses.score.is_not(None),
        responses.comment.is_not(None),
        responses.comment != "",
    ]


def mentioning(values: list[str], project_id: uuid.UUID | None = None) -> Select:
    """Ids of the responses that mention any of these themes, named by id or by name (a
    value that names no theme matches nothing, like any other filter value)."""
    return select(tags.c.response_id).where(
        tags.c.theme_id.in_(mentioning_themes(values, project_id))
    )


async def theme_ids(session: AsyncSession, project_id: uuid.UUID, values: list[str]) -> list:
    """The ids of the project's themes named (by id or name) in `values`."""
    return list(await session.scalars(mentioning_themes(values, project_id)))


def mentioning_themes(values: list[str], project_id: uuid.UUID | None = None) -> Select:
    ids = []
    for value in values:
        with contextlib.suppress(ValueError):
            ids.append(uuid.UUID(value))
    named = select(Theme.id).where(or_(Theme.name.in_(values), Theme.id.in_(ids)))
    if project_id is not None:
        named = named.where(Theme.project_id == project_id)
    return named


def mentions_any(theme_ids: list) -> Any:
    """Responses that mention any of these themes (given as ids: the planner then knows
    how many tags each has, and reads a time range of answers before probing tags)."""
    return (
        select(tags.c.response_id)
        .where(tags.c.response_id == responses.id, tags.c.theme_id.in_(theme_ids))
        .exists()
    )


async def list_all(session: AsyncSession, project_id: uuid.UUID) -> list[Theme]:
    query = select(Theme).where(Theme.project_id == project_id).order_by(Theme.name, Theme.id)
    return list(await session.scalars(query))


async def get(
    session: AsyncSession, project_id: uuid.UUID, theme_id: uuid.UUID, *, lock: bool = False
) -> Theme | None:
    query = select(Theme).where(Theme.id == theme_id, Theme.project_id == project_id)
    if lock:
        query = query.with_for_update()
    return await session.scalar(query)


async def by_name(session: AsyncSession, project_id: uuid.UUID, name: str) -> Theme | None:
    query = select(Theme).where(Theme.project_id == project_id, Theme.name == name)
    return await session.scalar(query)


async def count(session: AsyncSession, project_id: uuid.UUID) -> int:
    query = select(func.count()).select_from(Theme).where(Theme.project_id == project_id)
    return int(await session.scalar(query) or 0)


async def add(session: AsyncSession, theme: Theme) -> None:
    session.add(theme)
    await session.flush()


async def remove(session: AsyncSession, theme: Theme) -> None:
    # Its tags go with it (ON DELETE CASCADE), in this transaction.
    await session.execute(delete(tags).where(tags.c.theme_id == theme.id))
    await session.delete(theme)
    await session.flush()


async def phrases_of(session: AsyncSession, project_id: uuid.UUID) -> list[tuple]:
    """(id, name, phrases) of every theme of the project: what a matcher is built from."""
    query = select(Theme.id, Theme.name, Theme.phrases).where(Theme.project_id == project_id)
    return [tuple(row) for row in (await session.execute(query)).all()]


_INSERT_ARRAYS = text(
    "INSERT INTO response_themes (response_id, theme_id) "
    "SELECT * FROM unnest(CAST(:response_ids AS uuid[]), CAST(:theme_ids AS uuid[]))"
)


async def add_tags(session: AsyncSession, pairs: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """Insert (response_id, theme_id) tags in one statement: on PostgreSQL as two arrays
    (one prepared statement whatever the count, as new answers are inserted), elsewhere as
    an executemany."""
    if not pairs:
        return
    if session.get_bind().dialect.name == "postgresql":
        response_ids, theme_ids = zip(*pairs, strict=True)
        params = {"response_ids": list(response_ids), "theme_ids": list(theme_ids)}
        await session.execute(_INSERT_ARRAYS, params)
        return
    await session.execute(insert(tags), [{"response_id": r, "theme_id": t} for r, t in pairs])


async def remove_tags(session: AsyncSession, response_ids: Iterable[uuid.UUID]) -> None:
    ids = list(response_ids)
    if ids:
        await session.execute(delete(tags).where(tags.c.response_id.in_(ids)))


async def names_by_response(
    session: AsyncSession, response_ids: list[uuid.UUID]
) -> dict[uuid.UUID, list[str]]:
    """The names of the themes each response mentions, in byte order of the names."""
    if not response_ids:
        return {}
    query = (
        select(tags.c.response_id, Theme.name)
        .join(Theme, Theme.id == tags.c.theme_id)
        .where(tags.c.response_id.in_(response_ids))
    )
    found: dict[uuid.UUID, list[str]] = {}
    for response_id, name in (await session.execute(query)).all():
        found.setdefault(response_id, []).append(name)
    for names in found.values():
        names.sort(key=str.encode)
    return found


# --- re-tagging the history ----------------------------------------------------------


async def next_pending(session: AsyncSession, settled_before: datetime) -> Theme | None:
    """The theme whose re-tag has waited longest and can go on now (its final pass only
    once its phrases changed before `settled_before`), locked (other workers skip it)."""
    query = (
        select(Theme)
        .where(
            Theme.tagging_pending.is_(True),
            or_(
                Theme.tagging_final_pass.is_(False),
                Theme.phrases_changed_at < settled_before,
            ),
        )
        .order_by(Theme.phrases_changed_at, Theme.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    return await session.scalar(query)


async def count_comments(session: AsyncSession, project_id: uuid.UUID) -> int:
    query = select(func.count()).where(responses.project_id == project_id, *has_comment())
    return int(await session.scalar(query) or 0)


async def comments_after(
    session: AsyncSession,
    project_id: uuid.UUID,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[tuple[uuid.UUID, datetime, str]]:
    """The next comments in order of last change (the (project, updated_at, id) index), with
    a share lock on PostgreSQL: an edit of one of them waits for this short transaction,
    so a comment changed meanwhile is never tagged from its old text."""
    key = tuple_(responses.updated_at, responses.id)
    query = select(responses.id, responses.updated_at, responses.comment).where(
        responses.project_id == project_id, *has_comment()
    )
    if after is not None:
        query = query.where(key > tuple(after))
    query = query.order_by(responses.updated_at, responses.id).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    return [tuple(row) for row in (await session.execute(query)).all()]


async def replace_theme_tags(
    session: AsyncSession,
    theme_id: uuid.UUID,
    response_ids: list[uuid.UUID],
    mentioned: list[uuid.UUID],
) -> None:
    """Among `response_ids`, exactly `mentioned` carry this theme afterwards."""
    if not response_ids:
        return
    await session.execute(
        delete(tags).where(tags.c.theme_id == theme_id, tags.c.response_id.in_(response_ids))
    )
    await add_tags(session, [(r, theme_id) for r in mentioned])


async def save_progress(session: AsyncSession, theme_id: uuid.UUID, **values) -> None:
    await session.execute(update(Theme).where(Theme.id == theme_id).values(**values))


# --- impact and suggestions --------------------------------------------------------------

DIMENSION_COLUMNS = {
    "segment": responses.segment,
    "touchpoint": responses.touchpoint,
    "channel": responses.channel,
    "locale": responses.locale,
    "survey": responses.survey_id,
}


def dimension(name: str, dialect: str):
    if name.startswith("attributes."):
        return json_text(responses.attributes, name.removeprefix("attributes."), dialect)
    return DIMENSION_COLUMNS[name]


def _in_range(project_id, survey_ids, start, end) -> list:
    where = [
        responses.project_id == project_id,
        responses.survey_id.in_(survey_ids),
        *has_comment(),
    ]
    if start is not None:
        where.append(responses.submitted_at >= start)
    if end is not None:
        where.append(responses.submitted_at < end)
    return where


async def impact_counts(
    session: AsyncSession,
    project_id: uuid.UUID,
    survey_ids: list[uuid.UUID],
    dimensions: list[str],
    start: datetime | None,
    end: datetime | None,
) -> tuple[list[tuple], list[tuple]]:
    """Answers with a comment counted per group and score: (*group, score, n) over all
    of them, and (*group, theme_id, score, n) over those that mention each theme."""
    dialect = session.get_bind().dialect.name
    dims = [dimension(name, dialect) for name in dimensions]
    where = _in_range(project_id, survey_ids, start, end)
    n = func.count()
    totals = select(*dims, responses.score, n).where(*where).group_by(*dims, responses.score)
    mentions = (
        select(*dims, tags.c.theme_id, responses.score, n)
        .select_from(Response.__table__.join(tags, tags.c.response_id == responses.id))
        .where(*where)
        .group_by(*dims, tags.c.theme_id, responses.score)
    )
    return (
        [tuple(r) for r in (await session.execute(totals)).all()],
        [tuple(r) for r in (await session.execute(mentions)).all()],
    )


async def unmatched_sample(
    session: AsyncSession,
    project_id: uuid.UUID,
    survey_ids: list[uuid.UUID],
    start: datetime | None,
    end: datetime | None,
    limit: int,
) -> list[tuple[uuid.UUID, str, int]]:
    """(id, comment, score) of the most recent comments that mention no theme, at most
    `limit`, newest first (then by id, so that the same data gives the same sample)."""
    tagged = select(tags.c.response_id).where(tags.c.response_id == responses.id).exists()
    query = (
        select(responses.id, responses.comment, responses.score)
        .where(*_in_range(project_id, survey_ids, start, end), ~tagged)
        .order_by(responses.submitted_at.desc(), responses.id.desc())
        .limit(limit)
    )
    return [tuple(r) for r in (await session.execute(query)).all()]
