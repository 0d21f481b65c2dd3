"""The benchmark still works and its scores are right: a small history made by the
benchmark's generator, then weekly scores by segment and touchpoint through the API equal
the benchmark's raw GROUP BY, in UTC and in a zone with daylight saving. No timings.

PostgreSQL only (the generator and the raw query are PostgreSQL SQL). The whole benchmark
with servers and wrk, tiny and quick: `python -m bench --smoke`."""

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest
from conftest import DATABASE_URL, new_key, new_project
from sqlalchemy import select
from sqlalchemy.engine import make_url

from app.db import is_sqlite, sessionmaker
from app.models import Survey
from bench import data, scores

pytestmark = pytest.mark.skipif(is_sqlite(DATABASE_URL), reason="PostgreSQL only")

END = datetime(2026, 1, 1, tzinfo=UTC)
START = END - timedelta(days=70)


async def test_generated_history_scores_equal_the_raw_group_by(client):
    project_id = await new_project("bench smoke")
    key = await new_key(project_id, "admin")
    async with sessionmaker()() as session, session.begin():
        for i in range(2):
            session.add(Survey(project_id=project_id, name=f"P{i}", kind="nps", scale_max=10,
                               question="Recommend us?", texts={}))  # fmt: skip
    async with sessionmaker()() as session:
        survey_ids = list(await session.scalars(select(Survey.id).where(
            Survey.project_id == project_id)))  # fmt: skip

    dsn = make_url(DATABASE_URL).set(drivername="postgresql").render_as_string(False)
    conn = await asyncpg.connect(dsn)
    try:
        await data.generate(conn, project_id, survey_ids, 3000, START, END, progress=print)
        assert (
            await conn.fetchval("SELECT count(*) FROM responses WHERE project_id = $1", project_id)
            == 3000
        )
        for tz, start in (("UTC", START), ("Europe/Berlin", START + timedelta(hours=5))):
            _t, api = await scores.api(client, key, survey_ids, start, END, "week", tz)
            _t, raw = await scores.raw(conn, project_id, survey_ids, start, END, "week", tz)
            assert raw, "the generator made no answers in range"
            assert scores.differences(api, raw) == []
            # and the comparison itself can tell a difference
            wrong = {k: {**v, 10: v.get(10, 0) + 1} for k, v in raw.items()}
            assert scores.differences(api, wrong)
    finally:
        await conn.close()
