"""Idempotency-Key on create POSTs: replay, key reuse, in-flight, scoping, expiry."""

import asyncio
import json
import uuid
from datetime import timedelta

import pytest
from conftest import DATABASE_URL, assert_problem
from sqlalchemy import func, select, text, update

from app.db import get_engine, is_sqlite, sessionmaker, utcnow
from app.idempotency import service as idempotency
from app.idempotency.cleanup import purge_expired
from app.models import IdempotencyRecord, Response


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def count_responses(survey_id: str) -> int:
    async with sessionmaker()() as session:
        return await session.scalar(
            select(func.count()).where(Response.survey_id == uuid.UUID(survey_id))
        )


async def records_for(key_value: str) -> list[IdempotencyRecord]:
    async with sessionmaker()() as session:
        return list(
            await session.scalars(
                select(IdempotencyRecord).where(IdempotencyRecord.key == key_value)
            )
        )


async def test_retry_with_same_key_replays_first_answer(api):
    survey = await api.survey()
    headers = key()
    url = f"/v1/surveys/{survey['id']}/responses"
    first = await api.post(url, json={"score": 9, "comment": "Great"}, headers=headers)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers
    again = await api.post(url, json={"score": 9, "comment": "Great"}, headers=headers)
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await count_responses(survey["id"]) == 1
    # The stored outcome names the stored response: one transaction wrote both.
    [record] = await records_for(headers["Idempotency-Key"])
    assert record.body["id"] == first.json()["id"] and record.status_code == 201


async def test_same_request_differently_spelled_is_a_replay(api):
    survey = await api.survey()
    headers = {**key(), "Content-Type": "application/json"}
    url = f"/v1/surveys/{survey['id']}/responses"
    first = await api.post(url, content='{"score": 7, "segment": "smb"}', headers=headers)
    again = await api.post(url, content='{ "segment":"smb",\n"score":7 }', headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    quoted = {**headers, "Idempotency-Key": f'"{headers["Idempotency-Key"]}"'}
    third = await api.post(url, json={"score": 7, "segment": "smb"}, headers=quoted)
    assert third.json()["id"] == first.json()["id"]
    assert await count_responses(survey["id"]) == 1


async def test_same_key_different_body_is_refused(api):
    survey = await api.survey()
    headers = key()
    url = f"/v1/surveys/{survey['id']}/responses"
    assert (await api.post(url, json={"score": 9}, headers=headers)).status_code == 201
    r = await api.post(url, json={"score": 3}, headers=headers)
    assert_problem(r, 422, "idempotency-key-reused")
    assert await count_responses(survey["id"]) == 1


async def test_same_key_on_another_survey_is_refused(api):
    one, two = await api.survey(), await api.survey()
    headers = key()
    r = await api.post(f"/v1/surveys/{one['id']}/responses", json={"score": 9}, headers=headers)
    assert r.status_code == 201
    r = await api.post(f"/v1/surveys/{two['id']}/responses", json={"score": 9}, headers=headers)
    assert_problem(r, 422, "idempotency-key-reused")
    assert await count_responses(two["id"]) == 0


async def test_keys_are_scoped_to_the_caller_and_the_route(api):
    survey = await api.survey()
    other = await api.with_scopes("responses:write")
    headers = key()
    url = f"/v1/surveys/{survey['id']}/responses"
    a = await api.post(url, json={"score": 9}, headers=headers)
    b = await other.post(url, json={"score": 9}, headers=headers)
    assert a.status_code == b.status_code == 201
    assert a.json()["id"] != b.json()["id"]
    # The same key on another route is another key.
    s = await api.post("/v1/surveys", json={"name": "x", "kind": "csat"}, headers=headers)
    assert s.status_code == 201 and s.json()["kind"] == "csat"
    assert await count_responses(survey["id"]) == 2


async def test_failed_request_stores_nothing_and_its_retry_runs_again(api):
    survey = await api.survey(status="paused")
    headers = key()
    url = f"/v1/surveys/{survey['id']}/responses"
    r = await api.post(url, json={"score": 9}, headers=headers)
    assert_problem(r, 409, "survey-not-accepting")
    assert await records_for(headers["Idempotency-Key"]) == []
    r = await api.patch(f"/v1/surveys/{survey['id']}", json={"status": "active"})
    assert r.status_code == 200
    r = await api.post(url, json={"score": 9}, headers=headers)
    assert r.status_code == 201
    assert await count_responses(survey["id"]) == 1


async def test_concurrent_retries_store_one_response(api):
    survey = await api.survey()
    headers = key()
    url = f"/v1/surveys/{survey['id']}/responses"
    results = await asyncio.gather(
        *(api.post(url, json={"score": 10}, headers=headers) for _ in range(8))
    )
    created = [r for r in results if r.status_code == 201]
    in_use = [r for r in results if r.status_code == 409]
    assert len(created) + len(in_use) == len(results), [r.text for r in results]
    assert created and len({r.json()["id"] for r in created}) == 1
    for r in in_use:
        assert_problem(r, 409, "idempotency-key-in-use")
        assert r.headers["retry-after"]
    assert await count_responses(survey["id"]) == 1


@pytest.mark.skipif(
    is_sqlite(DATABASE_URL), reason="SQLite runs writers one at a time: a retry waits instead"
)
async def test_key_in_flight_answers_409(api):
    survey = await api.survey()
    headers = key()
    route = "POST /v1/surveys/{survey_id}/responses"
    scope = str(await _key_id(api.key))
    lock = idempotency.lock_id(scope, route, headers["Idempotency-Key"])
    # Another transaction holds the key, as a request still being processed does.
    async with get_engine().connect() as conn:
        await conn.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": lock})
        r = await api.post(
            f"/v1/surveys/{survey['id']}/responses", json={"score": 9}, headers=headers
        )
        assert_problem(r, 409, "idempotency-key-in-use")
        assert r.headers["retry-after"] == "1"
        await conn.rollback()
    r = await api.post(f"/v1/surveys/{survey['id']}/responses", json={"score": 9}, headers=headers)
    assert r.status_code == 201
    assert await count_responses(survey["id"]) == 1


async def _key_id(secret: str) -> uuid.UUID:
    from app.auth.service import hash_secret
    from app.models import ApiKey

    async with sessionmaker()() as session:
        return await session.scalar(
            select(ApiKey.id).where(ApiKey.secret_hash == hash_secret(secret))
        )


@pytest.mark.parametrize("value", ["", " ", "has space", "x" * 256, "tab\there", '""', "caf\u00e9"])
async def test_malformed_keys_are_refused(api, value):
    survey = await api.survey()
    r = await api.post(
        f"/v1/surveys/{survey['id']}/responses",
        json={"score": 9},
        headers={"Idempotency-Key": value.encode("utf-8")},
    )
    assert_problem(r, 422)
    assert await count_responses(survey["id"]) == 0


async def test_survey_create_and_erasure_replay(api):
    headers = key()
    body = {"name": "Checkout NPS", "kind": "nps"}
    first = await api.post("/v1/surveys", json=body, headers=headers)
    again = await api.post("/v1/surveys", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    listed = (await api.get("/v1/surveys")).json()["data"]
    assert [s["id"] for s in listed] == [first.json()["id"]]

    await api.answer(first.json()["id"], 3, customer_id="c-1")
    erase = key()
    r1 = await api.post("/v1/erasures", json={"customer_id": "c-1"}, headers=erase)
    r2 = await api.post("/v1/erasures", json={"customer_id": "c-1"}, headers=erase)
    assert r1.status_code == r2.status_code == 200
    assert r1.json() == r2.json() == {"customer_id": "c-1", "erased": 1}


async def test_without_a_key_every_post_creates(api):
    survey = await api.survey()
    for _ in range(2):
        await api.answer(survey["id"], 8)
    assert await count_responses(survey["id"]) == 2


async def test_expired_keys_run_again_and_are_purged(api):
    survey = await api.survey()
    headers = key()
    url = f"/v1/surveys/{survey['id']}/responses"
    first = await api.post(url, json={"score": 9}, headers=headers)
    async with sessionmaker()() as session, session.begin():
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == headers["Idempotency-Key"])
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    again = await api.post(url, json={"score": 9}, headers=headers)
    assert again.status_code == 201 and again.json()["id"] != first.json()["id"]
    [record] = await records_for(headers["Idempotency-Key"])
    assert record.body["id"] == again.json()["id"]
    assert record.expires_at - record.created_at >= timedelta(hours=24)

    assert await purge_expired(utcnow() + timedelta(hours=23)) >= 0
    assert len(await records_for(headers["Idempotency-Key"])) == 1
    assert await purge_expired(utcnow() + timedelta(hours=25)) >= 1
    assert await records_for(headers["Idempotency-Key"]) == []


def test_fingerprint_ignores_spacing_and_order_but_not_values():
    a = idempotency.fingerprint("POST", "/v1/x", b'{"a": 1, "b": [1, 2]}')
    b = idempotency.fingerprint("POST", "/v1/x", json.dumps({"b": [1, 2], "a": 1}).encode())
    c = idempotency.fingerprint("POST", "/v1/x", b'{"a": 2, "b": [1, 2]}')
    d = idempotency.fingerprint("POST", "/v1/y", b'{"a": 1, "b": [1, 2]}')
    assert a == b and len({a, c, d}) == 3
