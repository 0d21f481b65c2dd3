"""Idempotency-Key on the invitation, unsubscribe and public answer POSTs."""

import uuid

from conftest import assert_problem
from sqlalchemy import func, select
from test_invitations import invite_one, token_of

from app.db import sessionmaker
from app.models import Invitation, Response

PUBLIC = "/v1/public/responses"


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def count(model, **where) -> int:
    async with sessionmaker()() as session:
        query = select(func.count()).select_from(model)
        for name, value in where.items():
            query = query.where(getattr(model, name) == value)
        return await session.scalar(query)


async def test_invitation_batch_retry_replays_instead_of_throttling(api):
    survey = await api.survey()
    headers = key()
    url = f"/v1/surveys/{survey['id']}/invitations"
    body = {"recipients": [{"customer_id": "c-1"}, {"customer_id": "c-2"}]}
    first = await api.post(url, json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert [r["status"] for r in first.json()["data"]] == ["created", "created"]
    again = await api.post(url, json=body, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await count(Invitation, survey_id=uuid.UUID(survey["id"])) == 2
    # Without the key the same batch is a new request: both customers are throttled now.
    fresh = await api.post(url, json=body)
    assert [r["status"] for r in fresh.json()["data"]] == ["throttled", "throttled"]
    other = {"recipients": [{"customer_id": "c-3"}]}
    assert_problem(await api.post(url, json=other, headers=headers), 422, "idempotency-key-reused")


async def test_unsubscribe_retry_replays_the_first_status(api):
    headers = key()
    first = await api.post("/v1/unsubscribes", json={"customer_id": "u-1"}, headers=headers)
    again = await api.post("/v1/unsubscribes", json={"customer_id": "u-1"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    plain = await api.post("/v1/unsubscribes", json={"customer_id": "u-1"})
    assert plain.status_code == 200  # already unsubscribed


async def test_public_answer_retry_replays_and_stores_one_answer(api):
    survey = await api.survey()
    token = token_of(await invite_one(api, survey["id"]))
    headers = key()
    first = await api.client.post(PUBLIC, json={"token": token, "score": 9}, headers=headers)
    assert first.status_code == 201, first.text
    again = await api.client.post(PUBLIC, json={"token": token, "score": 9}, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    changed = await api.client.post(PUBLIC, json={"token": token, "score": 3}, headers=headers)
    assert_problem(changed, 422, "idempotency-key-reused")
    assert await count(Response, survey_id=uuid.UUID(survey["id"])) == 1
    [stored] = (await api.get("/v1/responses", params={"survey_id": survey["id"]})).json()["data"]
    assert stored["score"] == 9


async def test_public_keys_are_scoped_to_the_token(api):
    survey = await api.survey()
    one = token_of(await invite_one(api, survey["id"], customer_id="p-1"))
    two = token_of(await invite_one(api, survey["id"], customer_id="p-2"))
    headers = key()
    a = await api.client.post(PUBLIC, json={"token": one, "score": 9}, headers=headers)
    b = await api.client.post(PUBLIC, json={"token": two, "score": 9}, headers=headers)
    assert a.status_code == b.status_code == 201
    assert "idempotent-replayed" not in b.headers
    assert await count(Response, survey_id=uuid.UUID(survey["id"])) == 2
