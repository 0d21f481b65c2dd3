"""`POST /v1/public/responses`: frontends answer an invitation with its token, under the same
one-answer-per-invitation and validation rules as the hosted page."""

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from conftest import assert_problem
from sqlalchemy import func, select
from test_invitations import backdate_invitation, invite, invite_one, token_of

from app.config import get_settings
from app.db import sessionmaker
from app.main import create_app
from app.models import Response

URL = "/v1/public/responses"


async def test_answer_then_change(api):
    survey = await api.survey(kind="csat", default_touchpoint="support")
    invitation = await invite_one(api, survey["id"], segment="enterprise", channel="web")
    token = token_of(invitation)
    r = await api.client.post(URL, json={"token": token, "score": 4, "comment": "Quick"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["status"] == "created" and body["score"] == 4 and body["comment"] == "Quick"
    until = datetime.fromisoformat(body["editable_until"])
    assert timedelta(days=6) < until - datetime.now(UTC) <= timedelta(days=7)

    r = await api.client.post(URL, json={"token": token, "score": 5})  # comment left out: kept
    assert r.status_code == 200 and r.json() == {**body, "status": "updated", "score": 5}
    r = await api.client.post(URL, json={"token": token, "score": 5, "comment": None})
    assert r.status_code == 200 and r.json()["comment"] is None

    [stored] = (await api.get("/v1/responses", params={"survey_id": survey["id"]})).json()["data"]
    assert stored["score"] == 5 and stored["segment"] == "enterprise"
    assert stored["touchpoint"] == "support" and stored["channel"] == "web"
    scores = (await api.get("/v1/scores", params={"survey_id": survey["id"]})).text
    assert '"n":1' in scores


async def test_validation_and_errors(api):
    survey = await api.survey(kind="nps")
    invitation = await invite_one(api, survey["id"])
    token = token_of(invitation)
    for body in (
        {"token": token, "score": 11},
        {"token": token, "score": -1},
        {"token": token, "score": 7.5},
        {"token": token, "score": "9"},
        {"token": token, "score": True},
        {"token": token, "score": None},
        {"token": token},
        {"score": 9},
        {"token": token, "score": 9, "comment": "a\u0000b"},
        {"token": token, "score": 9, "comment": "x" * 5001},
        {"token": token, "score": 9, "extra": 1},
    ):
        assert_problem(await api.client.post(URL, json=body), 422, "validation-error")
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    for bad in (tampered, "", "x" * 32, "../../etc"):
        assert_problem(
            await api.client.post(URL, json={"token": bad, "score": 9}), 404, "link-not-found"
        )
    r = await api.client.post(URL, content=b"token=x", headers={"Content-Type": "text/plain"})
    assert_problem(r, 415)
    assert (await api.get("/v1/responses", params={"survey_id": survey["id"]})).json()["data"] == []

    await backdate_invitation(invitation["id"], expires_at=datetime.now(UTC) - timedelta(1))
    assert_problem(
        await api.client.post(URL, json={"token": token, "score": 9}), 410, "link-expired"
    )

    paused = await api.survey()
    other = await invite_one(api, paused["id"])
    await api.patch(f"/v1/surveys/{paused['id']}", json={"status": "paused"})
    assert_problem(
        await api.client.post(URL, json={"token": token_of(other), "score": 9}),
        409,
        "survey-not-accepting",
    )


async def test_edit_window_setting(api, monkeypatch):
    monkeypatch.setattr(get_settings(), "response_edit_window_days", 0)
    survey = await api.survey()
    invitation = await invite_one(api, survey["id"])
    token = token_of(invitation)
    assert (await api.client.post(URL, json={"token": token, "score": 9})).status_code == 201
    assert_problem(
        await api.client.post(URL, json={"token": token, "score": 3}), 409, "answer-locked"
    )


async def test_deleted_answer_is_not_replaced(api):
    survey = await api.survey()
    invitation = await invite_one(api, survey["id"])
    token = token_of(invitation)
    r = await api.client.post(URL, json={"token": token, "score": 9})
    got = (await api.get(f"/v1/invitations/{invitation['id']}")).json()
    assert (await api.delete(f"/v1/responses/{got['response_id']}")).status_code == 204
    assert_problem(
        await api.client.post(URL, json={"token": token, "score": 2}), 409, "answer-locked"
    )
    got = (await api.get(f"/v1/invitations/{invitation['id']}")).json()
    assert got["answered"] is False and r.status_code == 201


async def test_concurrent_submits_make_one_response(api):
    survey = await api.survey()
    invitations = await invite(api, survey["id"], *[{"customer_id": f"c{i}"} for i in range(3)])
    for invitation in invitations:
        token = token_of(invitation)
        results = await asyncio.gather(
            *[
                api.client.post(URL, json={"token": token, "score": score, "comment": f"#{score}"})
                for score in range(8)
            ]
            + [api.client.post(f"/s/{token}", data={"score": "9"}) for _ in range(4)]
        )
        codes = sorted(r.status_code for r in results)
        assert codes.count(201) <= 1 and set(codes) <= {200, 201, 303}, codes
    async with sessionmaker()() as session:
        counts = await session.execute(
            select(Response.invitation_id, func.count())
            .where(Response.survey_id == uuid.UUID(survey["id"]))
            .group_by(Response.invitation_id)
        )
        assert sorted(n for _, n in counts) == [1, 1, 1]


async def test_cors_for_listed_origins_only(monkeypatch):
    monkeypatch.setattr(get_settings(), "cors_origins", ["https://app.example.com"])
    transport = httpx.ASGITransport(app=create_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        preflight = {
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        }
        r = await client.options(URL, headers={"Origin": "https://app.example.com", **preflight})
        assert r.status_code == 200
        assert r.headers["access-control-allow-origin"] == "https://app.example.com"
        r = await client.options(URL, headers={"Origin": "https://evil.example", **preflight})
        assert "access-control-allow-origin" not in r.headers
        r = await client.post(
            URL, json={"token": "x", "score": 1}, headers={"Origin": "https://app.example.com"}
        )
        assert r.status_code == 404
        assert r.headers["access-control-allow-origin"] == "https://app.example.com"
        # the rest of the API stays closed to cross-origin browsers
        r = await client.options(
            "/v1/surveys", headers={"Origin": "https://app.example.com", **preflight}
        )
        assert "access-control-allow-origin" not in r.headers
