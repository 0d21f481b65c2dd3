"""The session of read routes (`ReadSessionDep`) without a replica: on the primary, read
only, and never in the writers' way."""

import uuid

import pytest
from conftest import DATABASE_URL, Api
from sqlalchemy import func, select, text

import app.db as db
from app.models import Response


async def test_an_open_read_does_not_hold_back_answers(api: Api):
    """A long read (a year of scores, an export) is a transaction that stays open; answers
    sent meanwhile are written at once. On SQLite the read starts deferred: BEGIN IMMEDIATE
    would hold the database's one write lock for the whole read."""
    survey = await api.survey()
    await api.answer(survey["id"], 7)
    session = await db.open_read_session()
    async with session:
        live = select(func.count()).where(Response.survey_id == uuid.UUID(survey["id"]))
        assert await session.scalar(live) == 1  # the read transaction is open
        answer = await api.answer(survey["id"], 10)  # 201, not a wait for the lock and 503
        assert answer["score"] == 10
    async with db.sessionmaker()() as fresh:
        assert await fresh.scalar(live) == 2


@pytest.mark.skipif(db.is_sqlite(DATABASE_URL), reason="READ ONLY transactions: PostgreSQL")
async def test_the_read_session_refuses_writes_on_postgresql(api: Api):
    survey = await api.survey()
    session = await db.open_read_session()
    async with session:
        assert await session.scalar(text("SHOW transaction_read_only")) == "on"
        with pytest.raises(Exception, match="read-only transaction"):
            await session.execute(
                text("UPDATE surveys SET name = 'changed' WHERE id = :id"), {"id": survey["id"]}
            )
    assert (await api.get(f"/v1/surveys/{survey['id']}")).json()["name"] == survey["name"]
