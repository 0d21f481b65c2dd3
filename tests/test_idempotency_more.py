"""Idempotency-Key on the webhook, project and browser-answer POSTs."""

import uuid

from conftest import Api, assert_problem
from sqlalchemy import func, select

from app.auth.service import create_key
from app.db import sessionmaker
from app.models import Project, Response, WebhookEndpoint

SHOP = "https://shop.example"


def key() -> dict[str, str]:
    return {"Idempotency-Key": str(uuid.uuid4())}


async def count(model, *where) -> int:
    async with sessionmaker()() as session:
        return await session.scalar(select(func.count()).select_from(model).where(*where))


async def test_webhook_registration_retry_returns_the_same_endpoint_and_secret(api, monkeypatch):
    headers = key()
    hook = {"url": "https://hooks.example.com/sentio", "events": ["response.created"]}
    first = await api.post("/v1/webhooks", json=hook, headers=headers)
    assert first.status_code == 201, first.text
    again = await api.post("/v1/webhooks", json=hook, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert await count(WebhookEndpoint, WebhookEndpoint.project_id == api.project_id) == 1


async def test_project_creation_retry_creates_one_project(client):
    async with sessionmaker()() as session, session.begin():
        _key, secret = await create_key(session, [], kind="instance")
    root = Api(client, uuid.uuid4(), secret)
    headers = key()
    name = f"Acme {uuid.uuid4()}"
    first = await root.post("/v1/projects", json={"name": name}, headers=headers)
    assert first.status_code == 201, first.text
    again = await root.post("/v1/projects", json={"name": name}, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert await count(Project, Project.name == name) == 1
    other = await root.post("/v1/projects", json={"name": "Other"}, headers=headers)
    assert_problem(other, 422, "idempotency-key-reused")


async def test_browser_answer_retry_stores_one_answer(api, client):
    survey = await api.survey()
    r = await api.post("/v1/keys", json={"kind": "publishable", "allowed_origins": [SHOP]})
    assert r.status_code == 201, r.text
    pk = Api(client, api.project_id, r.json()["secret"])
    url = f"/v1/browser/surveys/{survey['id']}/responses"
    headers = {**key(), "Origin": SHOP}
    first = await pk.post(url, json={"score": 9}, headers=headers)
    assert first.status_code == 201, first.text
    again = await pk.post(url, json={"score": 9}, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    assert await count(Response, Response.survey_id == uuid.UUID(survey["id"])) == 1
