"""Who may record and read outcomes, a retried create, and the outcome.created event."""

from conftest import Api, assert_problem
from sqlalchemy import select

from app.db import sessionmaker
from app.models import WebhookEvent

ONE = {"customer_id": "c1", "type": "churned", "occurred_at": "2025-02-01T00:00:00Z"}


async def test_scopes_and_read_keys(api):
    r = await api.post("/v1/keys", json={"kind": "read"})
    assert r.status_code == 201, r.text
    assert {"outcomes:read", "customers:read"} <= set(r.json()["scopes"])
    reader = Api(api.client, api.project_id, r.json()["secret"])
    assert (await api.post("/v1/outcomes", json=ONE)).status_code == 201
    assert len((await reader.get("/v1/outcomes")).json()["data"]) == 1
    assert_problem(await reader.post("/v1/outcomes", json=ONE), 403)
    writer = await api.with_scopes("outcomes:write")
    assert (await writer.post("/v1/outcomes", json=ONE)).status_code == 201
    assert (await writer.get("/v1/outcomes")).status_code == 200  # write grants read
    responses_only = await api.with_scopes("responses:write")
    assert_problem(await responses_only.post("/v1/outcomes", json=ONE), 403)


async def test_a_retry_with_the_same_key_stores_once(api):
    batch = {"outcomes": [ONE, {**ONE, "customer_id": "c2"}]}
    headers = {"Idempotency-Key": "import-2025-02-01"}
    first = await api.post("/v1/outcomes", json=batch, headers=headers)
    again = await api.post("/v1/outcomes", json=batch, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert len((await api.get("/v1/outcomes")).json()["data"]) == 2
    other = await api.post("/v1/outcomes", json=ONE, headers=headers)
    assert_problem(other, 422, "idempotency-key-reused")


async def test_each_stored_outcome_sends_outcome_created(api):
    r = await api.post(
        "/v1/webhooks",
        json={"url": "https://hooks.example.com/outcomes", "events": ["outcome.created"]},
    )
    assert r.status_code == 201, r.text
    made = await api.post("/v1/outcomes", json={"outcomes": [ONE, {**ONE, "value": "3.10"}]})
    assert made.status_code == 201, made.text
    ids = [o["id"] for o in made.json()["data"]]
    async with sessionmaker()() as session:
        events = list(
            await session.scalars(
                select(WebhookEvent).where(
                    WebhookEvent.project_id == api.project_id,
                    WebhookEvent.type == "outcome.created",
                )
            )
        )
    payloads = sorted((e.payload["data"]["outcome"] for e in events), key=lambda o: o["id"])
    assert [p["id"] for p in payloads] == sorted(ids)
    assert {p["value"] for p in payloads} == {None, "3.10"}
    deliveries = (await api.get(f"/v1/webhooks/{r.json()['id']}/deliveries")).json()["data"]
    assert {d["event_type"] for d in deliveries} == {"outcome.created"} and len(deliveries) == 2
    refused = await api.post("/v1/outcomes", json={**ONE, "type": "left"})
    assert_problem(refused, 422)
    async with sessionmaker()() as session:
        count = len(
            list(
                await session.scalars(
                    select(WebhookEvent.id).where(WebhookEvent.project_id == api.project_id)
                )
            )
        )
    assert count == 2
