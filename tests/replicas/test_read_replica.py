"""Reads that may lag go to a streaming replica (`SENTIO_READ_DATABASE_URL`); writes, and
reads that must see a write just made, stay on the primary; a replica that goes down sends
reads back to the primary (or answers 503 with `SENTIO_READ_FALLBACK=fail`), and writes
never notice.

The replica is real: a copy of the test server made by `pg_basebackup -R`, following it by
streaming replication on a free port, stopped and deleted at the end of the module."""

import asyncio
import contextlib
import csv
import io
import os
from collections.abc import AsyncIterator

import asyncpg
import pytest
from conftest import DATABASE_URL, Api, assert_problem
from sqlalchemy import text
from sqlalchemy.engine import make_url

import app.db as db
from app.config import get_settings
from tests.replicas.standby import CannotReplicate, Standby

pytestmark = pytest.mark.skipif(
    db.is_sqlite(DATABASE_URL), reason="read replicas are PostgreSQL streaming replicas"
)
DATABASE = make_url(DATABASE_URL).database or "postgres"


@pytest.fixture(scope="module")
async def standby() -> AsyncIterator[Standby]:
    primary = make_url(DATABASE_URL).set(drivername="postgresql").render_as_string(False)
    replica = Standby(primary)
    try:
        try:
            await replica.create()
        except CannotReplicate as why:
            pytest.skip(f"no replica of this server can be made here: {why}")
        yield replica
    finally:
        replica.remove()


@contextlib.asynccontextmanager
async def reads_on(standby: Standby, **settings: str) -> AsyncIterator[None]:
    """The running app with its reads on the standby (and these settings) for a while."""
    env = {
        "SENTIO_READ_DATABASE_URL": f"postgresql+asyncpg://postgres@127.0.0.1:{standby.port}/"
        f"{DATABASE}",
        "SENTIO_READ_RETRY_SECONDS": "0",
        **{f"SENTIO_{name.upper()}": value for name, value in settings.items()},
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    get_settings.cache_clear()
    try:
        yield
    finally:
        await db.dispose_read_engine()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        get_settings.cache_clear()


async def read_session_on_standby() -> bool:
    """Whether a read session opened now runs on a standby (a query only a standby says yes
    to)."""
    session = await db.open_read_session()
    async with session:
        return bool(await session.scalar(text("SELECT pg_is_in_recovery()")))


@contextlib.asynccontextmanager
async def standby_conn(standby: Standby) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(standby.dsn(DATABASE))
    try:
        yield conn
    finally:
        await conn.close()


async def caught_up(standby: Standby) -> None:
    """Wait until the standby has replayed everything the primary has committed so far."""
    async with db.sessionmaker()() as session:
        target = await session.scalar(text("SELECT pg_current_wal_lsn()::text"))
    async with standby_conn(standby) as conn:
        for _ in range(600):
            if await conn.fetchval("SELECT pg_last_wal_replay_lsn() >= $1::text::pg_lsn", target):
                return
            await asyncio.sleep(0.05)
    raise AssertionError("the standby did not replay the primary's changes within 30 s")


@contextlib.asynccontextmanager
async def replay_paused(standby: Standby) -> AsyncIterator[None]:
    """The standby keeps receiving the primary's changes but applies none of them."""
    async with standby_conn(standby) as conn:
        await conn.execute("SELECT pg_wal_replay_pause()")
        try:
            yield
        finally:
            await conn.execute("SELECT pg_wal_replay_resume()")


async def answers_in_scores(api: Api, survey_id: str) -> int:
    r = await api.get("/v1/scores", params={"survey_id": survey_id, "min_n": 1})
    assert r.status_code == 200, r.text
    return sum(row["n"] for row in r.json()["rows"])


async def test_reads_go_to_the_replica_and_see_answers_once_replayed(api: Api, standby: Standby):
    async with reads_on(standby):
        assert await read_session_on_standby()
        async with db.sessionmaker()() as session:  # what writes use
            assert not await session.scalar(text("SELECT pg_is_in_recovery()"))

        survey = await api.survey()
        first = await api.answer(survey["id"], 10)
        await caught_up(standby)
        assert await answers_in_scores(api, survey["id"]) == 1

        async with replay_paused(standby):
            # Writes go to the primary: the standby could not take them, and need not be
            # current for them.
            second = await api.answer(survey["id"], 3)
            later_survey = await api.survey(name="Made while the replica is behind")
            bi = await api.with_scopes("scores:read", "responses:read")  # a key just made

            # Scores, lists and exports read the replica: it has not applied these yet.
            assert await answers_in_scores(bi, survey["id"]) == 1
            listed = await bi.get("/v1/responses", params={"survey_id": survey["id"]})
            assert [row["id"] for row in listed.json()["data"]] == [first["id"]]
            exported = await bi.get("/v1/exports/responses", params={"survey_id": survey["id"]})
            assert exported.status_code == 200
            table = list(csv.DictReader(io.StringIO(exported.text, newline="")))
            assert [row["id"] for row in table] == [first["id"]]
            surveys = await api.get("/v1/surveys")
            assert later_survey["id"] not in {s["id"] for s in surveys.json()["data"]}

            # Reads of one's own write stay on the primary: by id right after the create.
            by_id = await api.get(f"/v1/responses/{second['id']}")
            assert by_id.status_code == 200 and by_id.json()["score"] == 3
            assert (await api.get(f"/v1/surveys/{later_survey['id']}")).status_code == 200

        await caught_up(standby)
        assert await answers_in_scores(api, survey["id"]) == 2
        listed = await api.get("/v1/responses", params={"survey_id": survey["id"]})
        assert [row["id"] for row in listed.json()["data"]] == [first["id"], second["id"]]


async def test_the_read_session_cannot_write(api: Api, standby: Standby):
    survey = await api.survey()
    update = text("UPDATE surveys SET name = 'changed' WHERE id = :id")
    for on_replica in (True, False):  # on the replica, and on the primary without one
        replica = reads_on(standby) if on_replica else contextlib.nullcontext()
        async with replica:
            session = await db.open_read_session()
            async with session:
                with pytest.raises(Exception, match="read-only transaction"):
                    await session.execute(update, {"id": survey["id"]})
    assert (await api.get(f"/v1/surveys/{survey['id']}")).json()["name"] == survey["name"]


async def test_replica_down_reads_fall_back_to_the_primary_writes_carry_on(
    api: Api, standby: Standby
):
    survey = await api.survey()
    await api.answer(survey["id"], 9)
    await caught_up(standby)
    async with reads_on(standby, read_retry_seconds="3600"):
        assert await read_session_on_standby()
        standby.stop()
        try:
            await api.answer(survey["id"], 4)  # acknowledged: writes never touch the replica
            # Reads are answered by the primary, which has every answer.
            assert await answers_in_scores(api, survey["id"]) == 2
            assert not await read_session_on_standby()
            standby.start()
            # Back, but reads stay on the primary until SENTIO_READ_RETRY_SECONDS pass.
            assert not await read_session_on_standby()
        finally:
            if not (standby.data / "postmaster.pid").exists():
                standby.start()

    async with reads_on(standby, read_retry_seconds="0"):
        standby.stop()
        try:
            assert not await read_session_on_standby()
        finally:
            standby.start()
        assert await read_session_on_standby()  # the retry time is up: the replica again
        await caught_up(standby)
        assert await answers_in_scores(api, survey["id"]) == 2


async def test_replica_down_with_fallback_fail_reads_answer_503_writes_carry_on(
    api: Api, standby: Standby
):
    survey = await api.survey()
    async with reads_on(standby, read_fallback="fail"):
        assert await answers_in_scores(api, survey["id"]) == 0
        standby.stop()
        try:
            r = await api.get("/v1/scores", params={"survey_id": survey["id"]})
            assert_problem(r, 503, "service-unavailable")
            assert r.headers["retry-after"]
            await api.answer(survey["id"], 8)
            listed = await api.get(f"/v1/surveys/{survey['id']}")  # the primary: unaffected
            assert listed.status_code == 200
        finally:
            standby.start()
        await caught_up(standby)
        assert await answers_in_scores(api, survey["id"]) == 1
