"""Sentio behind a real PgBouncer in transaction pooling mode (`SENTIO_DB_PGBOUNCER=true`).

PgBouncer runs with fewer server connections than the app opens, so consecutive
transactions of one app connection land on different server connections: what breaks named
prepared statements and session state. Through it: group-commit ingest, idempotency keys
(transaction-scoped advisory locks), scores, the COPY export, and two webhook dispatchers
claiming with `FOR UPDATE SKIP LOCKED`."""

import asyncio
import contextlib
import csv
import io
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from conftest import DATABASE_URL, Api, assert_problem
from sqlalchemy import func, select, text, update
from sqlalchemy.engine import make_url

import app.db as db
from app.config import get_settings
from app.idempotency import service as idempotency
from app.models import Response, WebhookDelivery
from app.webhooks.dispatcher import Dispatcher
from faults.pgbouncer import PgBouncer, pgbouncer_binary
from tests.test_webhooks_delivery import Receiver, drain

pytestmark = [
    pytest.mark.skipif(db.is_sqlite(DATABASE_URL), reason="PgBouncer pools PostgreSQL"),
    pytest.mark.skipif(pgbouncer_binary() is None, reason="pgbouncer is not installed"),
]
SERVERS = 2  # server connections PgBouncer keeps: fewer than the app's connections


@pytest.fixture(scope="module")
def bouncer():
    server = make_url(DATABASE_URL)
    pooler = PgBouncer(server.port or 5432, pool_size=SERVERS, server_host=server.host)
    try:
        pooler.start()
        yield pooler
    finally:
        pooler.stop()


def bouncer_url(bouncer: PgBouncer) -> str:
    return bouncer.url(make_url(DATABASE_URL).database or "postgres")


@contextlib.asynccontextmanager
async def through(bouncer: PgBouncer, pgbouncer_mode: bool = True) -> AsyncIterator[None]:
    """The running app's database connections go through PgBouncer for a while."""
    settings = get_settings().model_copy(
        update={"database_url": bouncer_url(bouncer), "db_pgbouncer": pgbouncer_mode}
    )
    saved = db._engine, db._sessionmaker
    engine = db.build_engine(settings)
    db._engine, db._sessionmaker = engine, db.async_sessionmaker(engine, expire_on_commit=False)
    await db.dispose_read_engine()  # read sessions: the primary's engine, now this one
    try:
        yield
    finally:
        await engine.dispose()
        db._engine, db._sessionmaker = saved
        await db.dispose_read_engine()


async def stored(survey_id: str) -> int:
    async with db.sessionmaker()() as session:
        count = select(func.count()).where(Response.survey_id == uuid.UUID(survey_id))
        return await session.scalar(count)


async def transactions(bouncer: PgBouncer) -> int:
    rows = bouncer.show("STATS")
    database = make_url(DATABASE_URL).database
    return sum(int(r["total_xact_count"]) for r in rows if r["database"] == database)


async def test_named_prepared_statements_fail_without_the_setting(bouncer: PgBouncer):
    """Why the setting exists: asyncpg's cached, named statements are missing on the server
    connection the next transaction gets."""

    async def queries(engine) -> None:
        async def client(n: int) -> None:
            async with engine.connect() as conn:
                for i in range(20):
                    await conn.execute(text("SELECT 1 + :i"), {"i": i})
                    await conn.commit()

        await asyncio.gather(*(client(n) for n in range(12)))

    url = bouncer_url(bouncer)
    for pgbouncer_mode in (False, True):
        settings = get_settings().model_copy(
            update={"database_url": url, "db_pgbouncer": pgbouncer_mode}
        )
        engine = db.build_engine(settings)
        try:
            if pgbouncer_mode:
                await queries(engine)
            else:
                with pytest.raises(Exception, match="prepared statement"):
                    await queries(engine)
        finally:
            await engine.dispose()


async def test_group_commit_scores_and_export_through_pgbouncer(api: Api, bouncer: PgBouncer):
    before = await transactions(bouncer)
    async with through(bouncer):
        survey = await api.survey()
        sent = [i % 11 for i in range(120)]
        answers = await asyncio.gather(*(api.answer(survey["id"], s) for s in sent))
        assert len({a["id"] for a in answers}) == len(sent)

        r = await api.get("/v1/scores", params={"survey_id": survey["id"]})
        assert r.status_code == 200, r.text
        [row] = r.json()["rows"]
        assert row["n"] == len(sent)
        assert row["distribution"] == {str(v): sent.count(v) for v in range(11)}

        r = await api.get("/v1/exports/responses", params={"survey_id": survey["id"]})
        assert r.status_code == 200
        table = list(csv.DictReader(io.StringIO(r.text, newline="")))
        assert sorted(int(t["score"]) for t in table) == sorted(sent)

        # More app connections than PgBouncer has server connections: each transaction
        # runs on whichever server connection is free.
        held = [await db.get_engine().connect() for _ in range(SERVERS + 2)]
        try:
            for conn in held:
                assert await conn.scalar(text("SELECT 1")) == 1
                await conn.commit()
            clients = [c for c in bouncer.show("CLIENTS") if c["database"] != "pgbouncer"]
            servers = [s for s in bouncer.show("SERVERS") if s["database"] != "pgbouncer"]
            assert len(clients) >= SERVERS + 2 and len(servers) <= SERVERS
        finally:
            for conn in held:
                await conn.close()
    assert await stored(survey["id"]) == len(sent)
    assert await transactions(bouncer) - before >= 3  # the work went through PgBouncer


async def test_idempotency_keys_through_pgbouncer(api: Api, bouncer: PgBouncer):
    survey = await api.survey()
    url = f"/v1/surveys/{survey['id']}/responses"
    async with through(bouncer):
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        results = await asyncio.gather(
            *(api.post(url, json={"score": 10}, headers=headers) for _ in range(8))
        )
        created = [r for r in results if r.status_code == 201]
        assert created and len({r.json()["id"] for r in created}) == 1
        for r in results:
            if r.status_code != 201:
                assert_problem(r, 409, "idempotency-key-in-use")

        # A key held by a transaction on one server connection is seen as held from another
        # (the lock is transaction-scoped: it ends with the transaction, wherever it ran).
        headers = {"Idempotency-Key": str(uuid.uuid4())}
        scope = str(await key_id(api.key))
        lock = idempotency.lock_id(
            scope, "POST /v1/surveys/{survey_id}/responses", headers["Idempotency-Key"]
        )
        async with db.get_engine().connect() as conn:
            await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock})
            r = await api.post(url, json={"score": 9}, headers=headers)
            assert_problem(r, 409, "idempotency-key-in-use")
            await conn.rollback()
        first = await api.post(url, json={"score": 9}, headers=headers)
        again = await api.post(url, json={"score": 9}, headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.headers["idempotent-replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]
    assert await stored(survey["id"]) == 2


async def test_two_dispatchers_through_pgbouncer_send_each_event_once(
    api: Api, bouncer: PgBouncer, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setattr(get_settings(), "webhook_allow_private_targets", True)
    await park_other_deliveries(api.project_id)
    receiver = Receiver()
    settings = get_settings().model_copy(update={"webhook_allow_private_targets": True})
    try:
        async with through(bouncer):
            r = await api.post(
                "/v1/webhooks", json={"url": receiver.url, "events": ["response.created"]}
            )
            assert r.status_code == 201, r.text
            survey = await api.survey()
            await asyncio.gather(*(api.answer(survey["id"], i % 11) for i in range(30)))
            receiver.delay = 0.01  # sends in flight while the other dispatcher claims
            workers = [Dispatcher(settings=settings, batch_size=4) for _ in range(2)]
            try:
                counts = await asyncio.gather(*(drain(w) for w in workers))
            finally:
                for w in workers:
                    await w.aclose()
            await api.delete(f"/v1/webhooks/{r.json()['id']}")
    finally:
        receiver.stop()
    assert sum(counts) == 30
    ids = receiver.ids()
    assert len(ids) == 30 and len(set(ids)) == 30


async def park_other_deliveries(project_id: uuid.UUID) -> None:
    """Dispatchers claim deliveries of every project: those other tests left pending wait far
    in the future, so that the two here see only this test's."""
    async with db.sessionmaker()() as session, session.begin():
        await session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.status == "pending", WebhookDelivery.project_id != project_id)
            .values(next_attempt_at=db.utcnow() + timedelta(days=36500))
        )


async def key_id(secret: str) -> uuid.UUID:
    from app.auth.service import hash_secret
    from app.models import ApiKey

    async with db.sessionmaker()() as session:
        return await session.scalar(
            select(ApiKey.id).where(ApiKey.secret_hash == hash_secret(secret))
        )
