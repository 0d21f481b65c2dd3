"""Invitations API: creation (one transaction, up to 1,000), links and email blocks,
throttling, unsubscribes, listing, scopes, erasure."""

import re
import uuid
from html.parser import HTMLParser
from typing import Any

from conftest import assert_problem
from sqlalchemy import select, update

from app.config import get_settings
from app.db import sessionmaker
from app.models import Invitation

TOKEN = re.compile(r"/s/([A-Za-z0-9_-]+)")


async def invite(api, survey_id: str, *recipients: dict[str, Any], status: int = 201) -> list:
    r = await api.post(f"/v1/surveys/{survey_id}/invitations", json={"recipients": recipients})
    assert r.status_code == status, r.text
    return r.json()["data"]


async def invite_one(api, survey_id: str, **recipient: Any) -> dict:
    [result] = await invite(api, survey_id, {"customer_id": "c1", **recipient})
    assert result["status"] == "created", result
    return result


def token_of(invitation: dict) -> str:
    match = TOKEN.search(invitation["survey_url"])
    assert match
    return match.group(1)


def path_of(url: str) -> str:
    return url.removeprefix(get_settings().public_base_url)


async def run_sql(statement) -> None:
    async with sessionmaker()() as session, session.begin():
        await session.execute(statement)


async def backdate_invitation(invitation_id: str, **values: Any) -> None:
    await run_sql(
        update(Invitation).where(Invitation.id == uuid.UUID(invitation_id)).values(**values)
    )


class Links(HTMLParser):
    """Every link of an HTML snippet, and whether it holds anything a mail client refuses."""

    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []
        self.labels: list[str] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.add(tag)
        attributes = dict(attrs)
        if tag == "a":
            self.hrefs.append(attributes["href"])
            self.labels.append(attributes.get("aria-label") or "")


def parse(html: str) -> Links:
    parser = Links()
    parser.feed(html)
    return parser


async def test_create_returns_links_and_email_block(api):
    survey = await api.survey(kind="nps", default_touchpoint="checkout")
    result = await invite_one(
        api,
        survey["id"],
        email="ana@example.com",
        name="Ana",
        segment="smb",
        attributes={"plan": "pro"},
    )
    assert result["channel"] == "email" and result["segment"] == "smb"
    assert result["touchpoint"] is None and result["answered"] is False
    base = get_settings().public_base_url
    assert result["survey_url"].startswith(base + "/s/")
    assert [u["score"] for u in result["score_urls"]] == list(range(11))
    assert all(
        u["url"] == f"{result['survey_url']}?score={u['score']}" for u in result["score_urls"]
    )
    assert result["unsubscribe_url"].startswith(base + "/u/")
    # at least 128 bits: 32 URL-safe characters are 192
    assert len(token_of(result)) == 32

    html = result["email_html"]
    links = parse(html)
    assert links.tags <= {"table", "tr", "td", "a"}, links.tags  # no script, img, style, link
    assert "<script" not in html and "<img" not in html and "src=" not in html
    assert links.hrefs == [u["url"] for u in result["score_urls"]] + [result["unsubscribe_url"]]
    assert all(label for label in links.labels[:11])
    assert links.labels[0] == "0 out of 10 (Not likely)"
    assert links.labels[10] == "10 out of 10 (Very likely)"
    assert "Not likely" in html and "Very likely" in html and "recommend" in html
    assert "Hi Ana," in html
    assert 'style="' in html and "<td" in html

    plain = result["email_text"]
    assert "recommend" in plain and "<" not in plain
    for u in result["score_urls"]:
        assert u["url"] in plain
    assert result["unsubscribe_url"] in plain


async def test_scale_and_locale_of_email_block(api):
    csat = await api.survey(kind="csat")
    result = await invite_one(api, csat["id"], locale="de-AT")
    assert [u["score"] for u in result["score_urls"]] == [1, 2, 3, 4, 5]
    assert "Sehr unzufrieden" in result["email_html"] and "Sehr zufrieden" in result["email_html"]
    assert "Wie zufrieden" in result["email_html"]
    assert "1 von 5" in result["email_html"]

    nps = await api.survey(
        kind="nps", texts={"fr": {"question": "Nous recommanderiez-vous ?", "low_label": "Jamais"}}
    )
    result = await invite_one(api, nps["id"], locale="fr")
    assert "Nous recommanderiez-vous ?" in result["email_html"]
    assert "Jamais" in result["email_html"] and "Très probable" in result["email_html"]
    es = await invite_one(api, (await api.survey(kind="ces"))["id"], locale="es")
    assert "Totalmente de acuerdo" in es["email_html"]


async def test_email_block_escapes_what_clients_typed(api):
    survey = await api.survey(kind="nps", question='Would you <b>recommend</b> "us"?')
    result = await invite_one(api, survey["id"], name="<script>alert(1)</script>&co")
    html = result["email_html"]
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;&amp;co" in html
    assert "&lt;b&gt;recommend&lt;/b&gt;" in html


async def test_tokens_are_stored_only_hashed(api):
    survey = await api.survey()
    result = await invite_one(api, survey["id"])
    token = token_of(result)
    async with sessionmaker()() as session:
        row = (
            (
                await session.execute(
                    select(*Invitation.__table__.columns).where(
                        Invitation.id == uuid.UUID(result["id"])
                    )
                )
            )
            .mappings()
            .one()
        )
    assert token not in " ".join(str(v) for v in row.values())
    assert row["token_hash"] and len(row["token_hash"]) == 64


async def test_batch_is_one_transaction_and_keeps_order(api):
    survey = await api.survey()
    recipients = [{"customer_id": f"c{i}"} for i in range(1000)]
    results = await invite(api, survey["id"], *recipients)
    assert [r["customer_id"] for r in results] == [f"c{i}" for i in range(1000)]
    assert {r["status"] for r in results} == {"created"}
    assert len({r["survey_url"] for r in results}) == 1000

    # one bad recipient: nothing at all is stored
    other = await api.survey()
    bad = [{"customer_id": "ok1"}, {"customer_id": "ok2", "email": "not-an-email"}]
    r = await api.post(f"/v1/surveys/{other['id']}/invitations", json={"recipients": bad})
    body = assert_problem(r, 422, "validation-error")
    assert body["errors"][0]["pointer"] == "#/recipients/1/email"
    listed = (await api.get("/v1/invitations", params={"survey_id": other["id"]})).json()
    assert listed["data"] == []


async def test_bad_requests(api):
    survey = await api.survey()
    url = f"/v1/surveys/{survey['id']}/invitations"
    cases = [
        {"recipients": []},
        {"recipients": [{"customer_id": f"c{i}"} for i in range(1001)]},
        {"recipients": [{}]},
        {"recipients": [{"customer_id": ""}]},
        {"recipients": [{"customer_id": 7}]},
        {"recipients": [{"customer_id": "a", "channel": "pigeon"}]},
        {"recipients": [{"customer_id": "a", "locale": "not a locale"}]},
        {"recipients": [{"customer_id": "a", "expires_in": 0}]},
        {"recipients": [{"customer_id": "a", "expires_in": "30"}]},
        {"recipients": [{"customer_id": "a", "attributes": {"bad key": 1}}]},
        {"recipients": [{"customer_id": "a\u0000"}]},
        {"recipients": [{"customer_id": "a", "unknown": 1}]},
        {"customer_id": "a"},
    ]
    for body in cases:
        assert_problem(await api.post(url, json=body), 422, "validation-error")
    r = await api.post(url, content=b"{", headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "malformed-json")
    r = await api.post(
        "/v1/surveys/00000000-0000-7000-8000-000000000000/invitations",
        json={"recipients": [{"customer_id": "a"}]},
    )
    assert_problem(r, 404, "survey-not-found")
    assert (await api.get("/v1/invitations")).json()["data"] == []


async def test_scopes(api):
    survey = await api.survey()
    reader = await api.with_scopes("invitations:read")
    writer = await api.with_scopes("invitations:write")
    other = await api.with_scopes("surveys:write", "responses:write")
    body = {"recipients": [{"customer_id": "a"}]}
    url = f"/v1/surveys/{survey['id']}/invitations"
    assert_problem(await reader.post(url, json=body), 403, "forbidden")
    assert_problem(await other.post(url, json=body), 403, "forbidden")
    assert_problem(await other.get("/v1/invitations"), 403, "forbidden")
    assert_problem(await other.get("/v1/unsubscribes"), 403, "forbidden")
    r = await writer.post(url, json=body)
    assert r.status_code == 201
    assert (await writer.get("/v1/invitations")).status_code == 200
    assert (await reader.get(f"/v1/invitations/{r.json()['data'][0]['id']}")).status_code == 200
    assert_problem(await api.client.get("/v1/invitations"), 401)


async def test_get_and_list_show_answered(api):
    survey = await api.survey()
    first, second = await invite(api, survey["id"], {"customer_id": "a"}, {"customer_id": "b"})
    r = await api.client.post("/v1/public/responses", json={"token": token_of(first), "score": 9})
    assert r.status_code == 201, r.text
    got = (await api.get(f"/v1/invitations/{first['id']}")).json()
    assert got["answered"] is True and got["answered_at"] and got["response_id"]
    assert "email_html" not in got and "survey_url" not in got
    response = (await api.get(f"/v1/responses/{got['response_id']}")).json()
    assert response["score"] == 9 and response["submitted_at"] == got["answered_at"]

    answered = (await api.get("/v1/invitations", params={"answered": "true"})).json()["data"]
    assert [i["id"] for i in answered] == [first["id"]]
    pending = (await api.get("/v1/invitations", params={"answered": "false"})).json()["data"]
    assert [i["id"] for i in pending] == [second["id"]]
    by_customer = (await api.get("/v1/invitations", params={"customer_id": "b"})).json()
    assert [i["id"] for i in by_customer["data"]] == [second["id"]]
    page1 = (await api.get("/v1/invitations", params={"limit": 1})).json()
    page2 = (
        await api.get("/v1/invitations", params={"limit": 1, "cursor": page1["next_cursor"]})
    ).json()
    assert page1["has_more"] and not page2["has_more"]
    paged = {page1["data"][0]["id"], page2["data"][0]["id"]}
    assert paged == {first["id"], second["id"]}
    assert_problem(
        await api.get("/v1/invitations/00000000-0000-7000-8000-000000000000"),
        404,
        "invitation-not-found",
    )
    assert_problem(await api.get("/v1/invitations", params={"cursor": "nope"}), 400)


async def test_throttle_per_survey(api):
    survey = await api.survey()
    other = await api.survey()
    first = await invite(api, survey["id"], {"customer_id": "a"}, {"customer_id": "a"})
    assert [r["status"] for r in first] == ["created", "throttled"]
    assert first[1]["survey_url"] is None and first[1]["email_html"] is None
    again = await invite(
        api, survey["id"], {"customer_id": "a", "email": "a@example.com"}, {"customer_id": "b"}
    )
    assert [r["status"] for r in again] == ["throttled", "created"]
    assert again[0]["email"] is None  # not kept for an invitation never sent
    # another survey is another matter, unless the service throttles across surveys
    assert (await invite(api, other["id"], {"customer_id": "a"}))[0]["status"] == "created"

    # the window is N days: an invitation older than that no longer throttles
    await backdate_invitation(first[0]["id"], created_at=first_created(first[0], days=31))
    throttled = await invite(api, survey["id"], {"customer_id": "a"})
    assert throttled[0]["status"] == "created"
    listed = (await api.get("/v1/invitations", params={"status": "throttled"})).json()["data"]
    assert len(listed) == 2


def first_created(result: dict, days: int):
    from datetime import datetime, timedelta

    return datetime.fromisoformat(result["created_at"]) - timedelta(days=days)


async def test_throttle_override_and_across_surveys(api, monkeypatch):
    never = await api.survey(invitation_throttle_days=0)
    assert never["invitation_throttle_days"] == 0
    results = await invite(api, never["id"], {"customer_id": "a"}, {"customer_id": "a"})
    assert [r["status"] for r in results] == ["created", "created"]

    short = await api.survey(invitation_throttle_days=2)
    [first] = await invite(api, short["id"], {"customer_id": "a"})
    await backdate_invitation(first["id"], created_at=first_created(first, days=3))
    assert (await invite(api, short["id"], {"customer_id": "a"}))[0]["status"] == "created"

    monkeypatch.setattr(get_settings(), "throttle_across_surveys", True)
    one, two = await api.survey(), await api.survey()
    assert (await invite(api, one["id"], {"customer_id": "x"}))[0]["status"] == "created"
    assert (await invite(api, two["id"], {"customer_id": "x"}))[0]["status"] == "throttled"

    r = await api.patch(f"/v1/surveys/{two['id']}", json={"invitation_throttle_days": 0})
    assert r.status_code == 200 and r.json()["invitation_throttle_days"] == 0
    assert (await invite(api, two["id"], {"customer_id": "x"}))[0]["status"] == "created"
    r = await api.patch(f"/v1/surveys/{two['id']}", json={"invitation_throttle_days": -1})
    assert_problem(r, 422, "validation-error")


async def test_inactive_survey(api):
    survey = await api.survey(status="paused")
    [result] = await invite(api, survey["id"], {"customer_id": "a"})
    assert result["status"] == "survey_inactive" and result["survey_url"] is None


async def test_unsubscribe_api(api):
    survey = await api.survey()
    r = await api.post("/v1/unsubscribes", json={"customer_id": "gone/1"})
    assert r.status_code == 201 and r.json()["source"] == "api"
    r = await api.post("/v1/unsubscribes", json={"customer_id": "gone/1"})
    assert r.status_code == 200
    results = await invite(api, survey["id"], {"customer_id": "gone/1"}, {"customer_id": "kept"})
    assert [r["status"] for r in results] == ["unsubscribed", "created"]
    listed = (await api.get("/v1/unsubscribes")).json()
    assert [u["customer_id"] for u in listed["data"]] == ["gone/1"]
    assert (await api.delete("/v1/unsubscribes/gone/1")).status_code == 204
    assert_problem(await api.delete("/v1/unsubscribes/gone/1"), 404, "unsubscribe-not-found")
    assert (await invite(api, survey["id"], {"customer_id": "gone/1"}))[0]["status"] == "created"
    assert_problem(await api.post("/v1/unsubscribes", json={"customer_id": ""}), 422)
    for i in range(3):
        await api.post("/v1/unsubscribes", json={"customer_id": f"u{i}"})
    first = (await api.get("/v1/unsubscribes", params={"limit": 2})).json()
    rest = (
        await api.get("/v1/unsubscribes", params={"limit": 2, "cursor": first["next_cursor"]})
    ).json()
    assert [u["customer_id"] for u in first["data"] + rest["data"]] == ["u0", "u1", "u2"]
    assert not rest["has_more"]


async def test_erasure_clears_invitations(api):
    survey = await api.survey()
    [result] = await invite(
        api,
        survey["id"],
        {"customer_id": "erase-me", "email": "e@x.io", "name": "Eve", "attributes": {"k": "v"}},
    )
    r = await api.post("/v1/erasures", json={"customer_id": "erase-me"})
    assert r.status_code == 200
    got = (await api.get(f"/v1/invitations/{result['id']}")).json()
    assert (got["customer_id"], got["email"], got["name"], got["attributes"]) == (None,) * 4
    page = await api.client.get(path_of(result["score_urls"][3]["url"]))
    assert page.status_code == 404
    async with sessionmaker()() as session:
        stored = await session.scalar(
            select(Invitation).where(Invitation.id == uuid.UUID(result["id"]))
        )
        assert stored.email is None and stored.erased_at is not None
