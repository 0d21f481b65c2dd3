"""Answers written by group commit: concurrent answers share a transaction, yet each gets
its own outcome, and what a client was told is stored is stored, once."""

import asyncio
import uuid

from conftest import assert_problem
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.auth.cache import verified_keys
from app.db import sessionmaker
from app.groupcommit import GroupCommit
from app.models import IdempotencyRecord, Response
from app.responses import fastpath, ingest, repository
from app.responses.schemas import ResponseCreate


async def stored(survey_id: str) -> list[Response]:
    async with sessionmaker()() as session:
        query = select(Response).where(Response.survey_id == uuid.UUID(survey_id))
        return list(await session.scalars(query))


def record_batches(monkeypatch) -> list[int]:
    sizes: list[int] = []
    write = ingest.committer.write

    async def recording(session, answers):
        sizes.append(len(answers))
        return await write(session, answers)

    monkeypatch.setattr(ingest.committer, "write", recording)
    return sizes


async def test_concurrent_answers_each_get_their_own_outcome(api, monkeypatch):
    sizes = record_batches(monkeypatch)
    survey = await api.survey()
    paused = await api.survey(name="Paused")
    await api.patch(f"/v1/surveys/{paused['id']}", json={"status": "paused"})
    url = f"/v1/surveys/{survey['id']}/responses"
    key = {"Idempotency-Key": str(uuid.uuid4())}
    requests = [
        *(api.post(url, json={"score": s, "segment": "smb"}) for s in range(11)),
        api.post(url, json={"score": 11}),  # off the scale
        api.post(f"/v1/surveys/{uuid.uuid4()}/responses", json={"score": 5}),  # no survey
        api.post(f"/v1/surveys/{paused['id']}/responses", json={"score": 5}),  # paused
        *(api.post(url, json={"score": 7, "comment": "same"}, headers=key) for _ in range(3)),
        api.post(url, json={"score": 1, "comment": "other body"}, headers=key),
    ]
    results = await asyncio.gather(*requests)
    assert max(sizes) > 1, sizes  # the answers really were written together

    plain, rest = results[:11], results[11:]
    assert [r.status_code for r in plain] == [201] * 11
    assert sorted(r.json()["score"] for r in plain) == list(range(11))
    assert_problem(rest[0], 422)
    assert_problem(rest[1], 404, "survey-not-found")
    assert_problem(rest[2], 409, "survey-not-accepting")
    # One answer for the key; its retries are replayed, or told to wait (409) while a
    # transaction holding the key is still running; a different body under it is refused.
    keyed = [r for r in rest[3:6] if r.status_code == 201]
    for r in rest[3:6]:
        if r.status_code != 201:
            assert_problem(r, 409, "idempotency-key-in-use")
    assert len({r.json()["id"] for r in keyed}) == 1
    assert [r.headers.get("idempotent-replayed") for r in keyed].count(None) == 1
    reused = rest[6]
    assert_problem(reused, reused.status_code, "idempotency-key-reused"
                   if reused.status_code == 422 else "idempotency-key-in-use")  # fmt: skip

    rows = await stored(survey["id"])
    told = {r.json()["id"] for r in plain} | {keyed[0].json()["id"]}
    assert {str(r.id) for r in rows} == told
    assert await stored(paused["id"]) == []
    one = next(r for r in rows if str(r.id) == keyed[0].json()["id"])
    assert (one.score, one.comment) == (7, "same")
    # What the API answered is what it stored and what it shows.
    got = await api.get(f"/v1/responses/{plain[3].json()['id']}")
    assert got.json() == plain[3].json()


async def test_an_answer_that_breaks_the_batch_fails_alone(api, monkeypatch):
    sizes = record_batches(monkeypatch)
    add_many = repository.add_many

    async def failing(session, rows):
        if any(row["customer_id"] == "boom" for row in rows):
            raise IntegrityError("INSERT", {}, Exception("simulated constraint violation"))
        await add_many(session, rows)

    monkeypatch.setattr(repository, "add_many", failing)
    survey = await api.survey()
    url = f"/v1/surveys/{survey['id']}/responses"
    key = {"Idempotency-Key": str(uuid.uuid4())}
    results = await asyncio.gather(
        *(api.post(url, json={"score": 9, "customer_id": f"c{i}"}) for i in range(6)),
        api.post(url, json={"score": 3, "customer_id": "boom"}, headers=key),
    )
    assert max(sizes) > 1, sizes
    assert [r.status_code for r in results[:6]] == [201] * 6
    assert_problem(results[6], 409)
    rows = await stored(survey["id"])
    assert sorted(r.customer_id for r in rows) == [f"c{i}" for i in range(6)]
    async with sessionmaker()() as session:  # nor was the failed one's key stored
        count = select(func.count()).where(IdempotencyRecord.key == key["Idempotency-Key"])
        assert await session.scalar(count) == 0

    monkeypatch.setattr(repository, "add_many", add_many)
    retry = await api.post(url, json={"score": 3, "customer_id": "boom"}, headers=key)
    assert retry.status_code == 201 and "idempotent-replayed" not in retry.headers


async def test_an_answer_right_after_a_batch_is_written(api):
    """One request after another, each sent the moment the previous one is answered: none
    may wait for a writer that has already finished."""
    survey = await api.survey()
    committer = GroupCommit(ingest.write)
    data = ResponseCreate(score=8)
    for _ in range(30):
        answer = ingest.NewAnswer(api.project_id, uuid.UUID(survey["id"]), data)
        outcome = await asyncio.wait_for(committer.submit(answer), timeout=10)
        assert outcome.status_code == 201
    assert len(await stored(survey["id"])) == 30


async def test_the_fast_path_answers_as_the_route_does(api, monkeypatch):
    """A key not in the cache goes through the FastAPI route; the same key a moment later
    takes the fast path. Clients see no difference, in successes or in refusals."""
    survey = await api.survey(name="Fast")
    url = f"/v1/surveys/{survey['id']}/responses"
    taken: list[bool] = []
    plain_answer = fastpath._plain_answer

    def recording(*args):
        answer = plain_answer(*args)
        taken.append(answer is not None)
        return answer

    monkeypatch.setattr(fastpath, "_plain_answer", recording)
    cases = [
        ({"score": 9, "segment": "smb", "attributes": {"plan": "pro", "seats": 3}}, {}, True),
        ({"score": 11}, {}, True),  # off the scale: refused by the batch
        ({"score": 6}, {"Idempotency-Key": str(uuid.uuid4())}, True),  # the retry is replayed
        ({"score": "9"}, {}, False),  # refused by the model: the route answers
        ({"score": 4}, {"Idempotency-Key": "not valid"}, False),
    ]
    for body, headers, fast in cases:
        taken.clear()
        verified_keys.clear()  # the first request reads the key: the FastAPI route
        first = await api.post(url, json=body, headers=headers)
        second = await api.post(url, json=body, headers=headers)  # key cached
        assert taken == [False, fast], (body, taken)
        assert first.status_code == second.status_code, (body, first.text, second.text)
        assert first.headers["content-type"] == second.headers["content-type"]
        one, two = first.json(), second.json()
        if first.status_code == 201 and "Idempotency-Key" not in headers:
            for varying in ("id", "submitted_at", "created_at", "updated_at"):
                one.pop(varying), two.pop(varying)
        assert one == two
