"""Bounded cost of a request: a score report too large to answer is refused from its
parameters before any query, and every database statement has a time limit
(SENTIO_STATEMENT_TIMEOUT_SECONDS) after which the request answers 503 `query-timeout`."""

import asyncio
import random
from datetime import date, timedelta

import httpx
import pytest
from conftest import DATABASE_URL, assert_problem, new_key, new_project
from sqlalchemy import event, text
from test_faults import free_port, server, wait_until_up

from app.config import get_settings
from app.db import build_engine, is_sqlite
from app.problems import database_problem
from app.scores import buckets
from app.scores.service import MAX_ROWS

OVERSIZED = {"interval": "day", "from": "0001-01-02", "to": "9999-12-30"}


async def test_an_oversized_report_is_refused_before_any_query(api):
    survey = await api.survey()
    await api.answer(survey["id"], 9)
    reader = await api.with_scopes("scores:read")
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    from app.db import get_engine

    engine = get_engine().sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        for params in (
            OVERSIZED,
            {"interval": "day", "from": "1800-01-01"},  # to: now
            {"interval": "week", "to": "9999-01-01"},  # from: now
            {"interval": "day", "from": "2000-01-01", "to": "2200-01-01"},
        ):
            statements.clear()
            r = await reader.get("/v1/scores", params={"survey_id": survey["id"], **params})
            body = assert_problem(r, 422, "too-many-rows")
            assert f"at most {MAX_ROWS}" in body["detail"]
            touched = [s for s in statements if "responses" in s or "score_rollups" in s]
            assert touched == [], touched  # refused from arithmetic, not after counting
    finally:
        event.remove(engine, "before_cursor_execute", record)


async def test_a_range_just_under_the_bound_still_answers(api):
    survey = await api.survey()
    await api.answer(survey["id"], 9)
    start = date(2000, 1, 1)
    params = {
        "survey_id": survey["id"],
        "interval": "day",
        "from": start.isoformat(),
        "to": (start + timedelta(days=MAX_ROWS)).isoformat(),
    }
    r = await api.get("/v1/scores", params=params)
    assert r.status_code == 200, r.text
    assert len(r.json()["rows"]) == MAX_ROWS
    params["to"] = (start + timedelta(days=MAX_ROWS + 1)).isoformat()
    assert_problem(await api.get("/v1/scores", params=params), 422, "too-many-rows")


@pytest.mark.parametrize("interval", ["day", "week", "month", "quarter", "year"])
def test_bucket_arithmetic_counts_what_the_series_lists(interval):
    rng = random.Random(interval)
    for _ in range(200):
        first = buckets.bucket_start(date(1970, 1, 1) + timedelta(rng.randrange(30_000)), interval)
        last = first + timedelta(days=rng.randrange(-40, 3_000))
        listed = buckets.buckets_between(first, last, interval)
        assert buckets.count_between(first, last, interval) == len(listed)


def _slow_statement() -> str:
    if is_sqlite(DATABASE_URL):
        return (
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 2000000000)"
            " SELECT count(*) FROM c"
        )
    return "SELECT pg_sleep(3)"


async def test_a_statement_past_the_limit_is_stopped_and_answers_query_timeout():
    settings = get_settings().model_copy(update={"statement_timeout_seconds": 0.3})
    engine = build_engine(settings)
    try:
        async with engine.connect() as conn:
            with pytest.raises(Exception) as stopped:
                await conn.execute(text(_slow_statement()))
            await conn.rollback()
            problem = database_problem(stopped.value, "/v1/scores")
            assert problem is not None and problem.status == 503
            assert problem.slug == "query-timeout" and int(problem.headers["Retry-After"]) >= 1
            # The connection is usable again, for statements inside the limit.
            assert (await conn.execute(text("SELECT 1"))).scalar() == 1
            await conn.commit()
        # A connection that lifted the limit (as migrations do) runs past it.
        async with engine.connect() as conn:
            await conn.execution_options(statement_timeout=0)
            quick = "SELECT pg_sleep(0.6)" if not is_sqlite(DATABASE_URL) else None
            if quick:
                await conn.execute(text(quick))
            else:
                counted = (
                    "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c "
                    "WHERE x < 3000000) SELECT count(*) FROM c"
                )
                assert (await conn.execute(text(counted))).scalar() == 3_000_000
            await conn.commit()
    finally:
        await engine.dispose()


async def test_health_probe_answers_while_oversized_reports_are_asked():
    """Three oversized score requests at once, with a read-only key, on a real server: each
    is refused (422) and /healthz answers meanwhile. Before the bound, each such request
    held the event loop for seconds, and the probe waited behind them."""
    project = await new_project()
    key = await new_key(project, "admin")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {"SENTIO_WEBHOOK_DISPATCHER": "false", "SENTIO_RATE_LIMIT_BACKEND": "off"}
    with server(port, grace=5, env=env) as proc:
        await wait_until_up(port, proc)
        async with httpx.AsyncClient(base_url=base, timeout=60) as client:
            headers = {"Authorization": f"Bearer {key}"}
            r = await client.post(
                "/v1/surveys", json={"name": "Big", "kind": "nps"}, headers=headers
            )
            survey = r.json()["id"]
            r = await client.post(
                f"/v1/surveys/{survey}/responses", json={"score": 9}, headers=headers
            )
            assert r.status_code == 201, r.text
            r = await client.post("/v1/keys", json={"kind": "read", "name": "bi"}, headers=headers)
            reader = {"Authorization": f"Bearer {r.json()['secret']}"}
            params = {"survey_id": survey, **OVERSIZED}
            for _round in range(2):
                oversized = [
                    asyncio.create_task(client.get("/v1/scores", params=params, headers=reader))
                    for _ in range(3)
                ]
                await asyncio.sleep(0.05)  # the three are being read by the server
                async with httpx.AsyncClient(base_url=base, timeout=5) as probe:
                    health = await probe.get("/healthz")  # a fresh connection, 5 s at most
                assert health.status_code == 200
                for answer in await asyncio.gather(*oversized):
                    assert_problem(answer, 422, "too-many-rows")
