"""Hosted pages behind invitation links: what a respondent sees, what counts as an answer,
and that mail scanners (GET, HEAD, bursts of every link, bot agents, JavaScript) count never."""

import re
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from test_invitations import backdate_invitation, invite, invite_one, path_of, run_sql, token_of

from app.db import sessionmaker
from app.models import InvitationOpen, Response

BROWSER = {
    "User-Agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36"
}
SCANNERS = [
    "Mozilla/5.0 (compatible; MSIE 9.0; Windows NT 6.1; Trident/5.0; SafeLinks)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "HeadlessChrome/120.0.0.0 Safari/537.36",
    "Proofpoint URL Defense",
    "Mimecast-URL-Protect/1.0",
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)",
    "python-requests/2.31",
    "curl/8.5.0",
    "",
]
OPEN = re.compile(r'name="open" value="([^"]*)"')


def checked(html: str) -> list[str]:
    return re.findall(r'value="(\d+)"[^>]*checked', html)


async def responses_of(api, survey_id: str) -> list[dict]:
    r = await api.get("/v1/responses", params={"survey_id": survey_id})
    return r.json()["data"]


async def nps(api, survey_id: str) -> dict:
    r = await api.get("/v1/scores", params={"survey_id": survey_id})
    assert r.status_code == 200, r.text
    return r.json()


async def age_opens(invitation_id: str, seconds: int) -> None:
    """Moves every open of an invitation into the past, as if the page had been shown then."""
    async with sessionmaker()() as session, session.begin():
        opens = await session.scalars(
            select(InvitationOpen).where(InvitationOpen.invitation_id == uuid.UUID(invitation_id))
        )
        for o in opens:
            o.opened_at = o.opened_at - timedelta(seconds=seconds)


async def test_score_link_shows_page_and_records_nothing(api):
    survey = await api.survey(kind="nps")
    invitation = await invite_one(api, survey["id"])
    url = path_of(invitation["score_urls"][9]["url"])
    page = await api.client.get(url, headers=BROWSER)
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    html = page.text
    assert checked(html) == ["9"]
    assert html.count('type="radio"') == 11 and 'role="radiogroup"' in html
    assert 'aria-label="0 out of 10 (Not likely)"' in html
    assert "<textarea" in html and 'method="post"' in html
    assert '<script src="/assets/survey.js"></script>' in html
    assert "<script>" not in html and "style=" not in html  # nothing inline for the CSP
    assert "http://" not in html and "https://" not in html  # no external assets
    head = await api.client.head(url, headers=BROWSER)
    assert head.status_code == 200 and head.content == b""
    assert await responses_of(api, survey["id"]) == []

    for asset in ("/assets/survey.js", "/assets/sentio.css"):
        assert (await api.client.get(asset)).status_code == 200


async def test_form_post_records_once_and_redirects_to_thanks(api):
    survey = await api.survey(kind="nps", default_touchpoint="checkout")
    invitation = await invite_one(
        api,
        survey["id"],
        segment="smb",
        locale="de",
        attributes={"plan": "pro"},
        channel="in_app",
    )
    token = token_of(invitation)
    r = await api.client.post(
        f"/s/{token}", data={"score": "9", "comment": "Schnell!"}, headers=BROWSER
    )
    assert r.status_code == 303 and r.headers["location"] == f"/s/{token}/thanks"
    thanks = await api.client.get(r.headers["location"])
    assert thanks.status_code == 200 and "Vielen Dank" in thanks.text
    [stored] = await responses_of(api, survey["id"])
    assert stored["score"] == 9 and stored["comment"] == "Schnell!"
    assert stored["customer_id"] == "c1" and stored["segment"] == "smb"
    assert stored["touchpoint"] == "checkout" and stored["channel"] == "in_app"
    assert stored["locale"] == "de" and stored["attributes"] == {"plan": "pro"}
    scores = await nps(api, survey["id"])
    assert scores["groups"][0]["n"] == 1 if "groups" in scores else True
    assert '"n":1' in (await api.get("/v1/scores", params={"survey_id": survey["id"]})).text

    # again: double click, changed mind, comment added later: still one response
    for data in ({"score": "9", "comment": "Schnell!"}, {"score": "7", "comment": "Doch nicht"}):
        r = await api.client.post(f"/s/{token}", data=data, headers=BROWSER)
        assert r.status_code == 303
    [changed] = await responses_of(api, survey["id"])
    assert changed["id"] == stored["id"] and changed["score"] == 7
    assert changed["comment"] == "Doch nicht" and changed["submitted_at"] == stored["submitted_at"]
    page = await api.client.get(f"/s/{token}", headers=BROWSER)
    assert checked(page.text) == ["7"] and "Doch nicht" in page.text


async def test_edit_window_then_already_answered(api):
    survey = await api.survey()
    invitation = await invite_one(api, survey["id"])
    token = token_of(invitation)
    assert (await api.client.post(f"/s/{token}", data={"score": "3"})).status_code == 303
    [stored] = await responses_of(api, survey["id"])
    await run_sql(
        update(Response)
        .where(Response.id == uuid.UUID(stored["id"]))
        .values(created_at=datetime.now(UTC) - timedelta(days=7, minutes=1))
    )
    page = await api.client.get(path_of(invitation["score_urls"][10]["url"]))
    assert page.status_code == 409 and "already in" in page.text
    r = await api.client.post(f"/s/{token}", data={"score": "10"})
    assert r.status_code == 409 and "already in" in r.text
    r = await api.client.post("/v1/public/responses", json={"token": token, "score": 10})
    assert r.status_code == 409 and r.json()["type"] == "/problems/answer-locked"
    assert (await responses_of(api, survey["id"]))[0]["score"] == 3


async def test_unknown_tampered_and_expired_links(api):
    survey = await api.survey()
    invitation = await invite_one(api, survey["id"])
    token = token_of(invitation)
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    for path in (
        f"/s/{tampered}?score=5",
        "/s/nope",
        f"/s/{token}x",
        "/s/" + "A" * 32,
        f"/u/{tampered}",
        f"/s/{tampered}/thanks",
    ):
        page = await api.client.get(path)
        assert page.status_code == 404, path
        assert "not valid" in page.text and "Traceback" not in page.text
        assert page.headers["content-type"].startswith("text/html")
        assert "c1" not in page.text and survey["id"] not in page.text
    r = await api.client.post(f"/s/{tampered}", data={"score": "5"})
    assert r.status_code == 404
    assert (await api.client.post(f"/u/{tampered}")).status_code == 404

    await backdate_invitation(invitation["id"], expires_at=datetime.now(UTC) - timedelta(1))
    page = await api.client.get(path_of(invitation["score_urls"][5]["url"]))
    assert page.status_code == 410 and "expired" in page.text
    r = await api.client.post(f"/s/{token}", data={"score": "5"})
    assert r.status_code == 410
    assert await responses_of(api, survey["id"]) == []


async def test_paused_survey_shows_closed_page(api):
    survey = await api.survey()
    invitation = await invite_one(api, survey["id"])
    await api.patch(f"/v1/surveys/{survey['id']}", json={"status": "paused"})
    page = await api.client.get(path_of(invitation["score_urls"][5]["url"]))
    assert page.status_code == 410 and "closed" in page.text
    r = await api.client.post(f"/s/{token_of(invitation)}", data={"score": "5"})
    assert r.status_code == 410
    assert await responses_of(api, survey["id"]) == []


async def test_form_validation_without_javascript(api):
    survey = await api.survey(kind="csat")
    invitation = await invite_one(api, survey["id"], locale="fr")
    token = token_of(invitation)
    for data in (
        {},
        {"score": ""},
        {"score": "6"},
        {"score": "0"},
        {"score": "4.5"},
        {"score": "x"},
        {"score": "3", "comment": "a\x00b"},
        {"score": "3", "comment": "x" * 5001},
    ):
        r = await api.client.post(f"/s/{token}", data=data)
        assert r.status_code == 422, data
        assert 'role="alert"' in r.text and "<form" in r.text
    r = await api.client.post(f"/s/{token}", data={})
    assert "Veuillez choisir une note." in r.text
    assert await responses_of(api, survey["id"]) == []


async def test_pages_escape_everything_typed(api):
    evil = '<script>alert("x")</script>'
    survey = await api.survey(kind="nps", question=f"Q {evil}", follow_up_question=f"F {evil}")
    invitation = await invite_one(api, survey["id"], name=evil)
    token = token_of(invitation)
    r = await api.client.post(f"/s/{token}", data={"score": "8", "comment": evil})
    assert r.status_code == 303
    page = await api.client.get(f"/s/{token}")
    assert "<script>alert" not in page.text
    assert page.text.count("&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;") == 4  # title too
    r = await api.client.post(f"/s/{token}", data={"score": "11", "comment": evil})
    assert r.status_code == 422 and "<script>alert" not in r.text


async def test_locales(api):
    survey = await api.survey(kind="nps", texts={"es-MX": {"question": "¿Nos recomendarías?"}})
    cases = {
        "en": "How likely",
        "es": "Qué probabilidad",
        "es-MX": "¿Nos recomendarías?",
        "de": "Wie wahrscheinlich",
        "fr": "Quelle est la probabilité",
        "pt-BR": "How likely",
    }
    results = await invite(
        api, survey["id"], *[{"customer_id": f"c-{locale}", "locale": locale} for locale in cases]
    )
    for result, (locale, question) in zip(results, cases.items(), strict=True):
        page = await api.client.get(path_of(result["score_urls"][0]["url"]))
        assert question in page.text, locale
        lang = locale.split("-")[0] if locale != "pt-BR" else "en"
        assert f'<html lang="{lang}">' in page.text
    es = await api.client.get(path_of(results[1]["score_urls"][0]["url"]))
    assert "Nada probable" in es.text and "Enviar mi respuesta" in es.text


async def test_unsubscribe_link(api):
    survey = await api.survey()
    invitation = await invite_one(api, survey["id"], locale="es")
    path = path_of(invitation["unsubscribe_url"])
    for _ in range(3):  # scanners fetch it too: a GET only asks
        page = await api.client.get(path)
        assert page.status_code == 200 and "Sí, darme de baja" in page.text
        assert page.headers["content-security-policy"]
        head = await api.client.head(path)  # and some check it with HEAD
        assert head.status_code == 200 and head.content == b""
    assert (await api.get("/v1/unsubscribes")).json()["data"] == []
    done = await api.client.post(path)
    assert done.status_code == 200 and "Se ha dado de baja" in done.text
    assert (await api.client.post(path)).status_code == 200
    [entry] = (await api.get("/v1/unsubscribes")).json()["data"]
    assert entry["customer_id"] == "c1" and entry["source"] == "link"
    assert (await invite(api, (await api.survey())["id"], {"customer_id": "c1"}))[0][
        "status"
    ] == "unsubscribed"


# --- scanners -----------------------------------------------------------------------------


async def scan(api, invitation: dict, user_agent: str) -> list[str]:
    """What a scanner does: GET and HEAD every link of the email at once, then run the pages'
    JavaScript (its automatic submit) the moment it can."""
    open_ids = []
    token = token_of(invitation)
    for link in invitation["score_urls"]:
        url = path_of(link["url"])
        assert (await api.client.head(url, headers={"User-Agent": user_agent})).status_code == 200
        page = await api.client.get(url, headers={"User-Agent": user_agent})
        assert page.status_code == 200
        open_ids.append((OPEN.search(page.text).group(1), link["score"]))
    await api.client.get(path_of(invitation["unsubscribe_url"]), headers={"User-Agent": user_agent})
    await api.client.get(path_of(invitation["survey_url"]), headers={"User-Agent": user_agent})
    refusals = []
    for trigger in ("visible", "interaction"):
        for open_id, score in open_ids:
            r = await api.client.post(
                f"/s/{token}/presence",
                data={"open": open_id, "score": str(score), "trigger": trigger},
                headers={"User-Agent": user_agent},
            )
            assert r.status_code == 200
            assert r.json()["recorded"] is False
            refusals.append(r.json()["reason"])
    return refusals


async def test_scanner_simulation_changes_no_score(api):
    survey = await api.survey(kind="nps")
    invitations = await invite(api, survey["id"], *[{"customer_id": f"c{i}"} for i in range(3)])
    answered = invitations[0]
    assert (await api.client.post(f"/s/{token_of(answered)}", data={"score": "10"})).status_code
    before = await nps(api, survey["id"])

    for agent in [BROWSER["User-Agent"], *SCANNERS]:
        for invitation in invitations:
            refusals = await scan(api, invitation, agent)
            if agent == BROWSER["User-Agent"]:  # a burst, even from a browser, is a scanner
                assert set(refusals) == {"scanner-burst"}
            else:  # past the kept opens, pages offer no automatic submit at all
                assert set(refusals) <= {"automated-client", "unknown-open"}
    # and after the scanner's pages have been "visible" for a long time
    for invitation in invitations:
        await age_opens(invitation["id"], 60)
        refusals = await scan(api, invitation, BROWSER["User-Agent"])
        assert set(refusals) <= {"scanner-burst", "unknown-open"}

    assert await nps(api, survey["id"]) == before
    [only] = await responses_of(api, survey["id"])
    assert only["score"] == 10


async def test_every_scanner_agent_is_refused(api):
    survey = await api.survey(kind="nps")
    for agent in SCANNERS:
        invitation = await invite_one(api, survey["id"], customer_id=f"c-{agent}"[:200])
        page = await api.client.get(
            path_of(invitation["score_urls"][5]["url"]), headers={"User-Agent": agent}
        )
        await age_opens(invitation["id"], 60)
        r = await api.client.post(
            f"/s/{token_of(invitation)}/presence",
            data={"open": OPEN.search(page.text).group(1), "score": "5"},
            headers={"User-Agent": agent},
        )
        assert r.json() == {"recorded": False, "reason": "automated-client"}, agent
    assert await responses_of(api, survey["id"]) == []


async def test_person_is_recorded_by_the_page(api):
    survey = await api.survey(kind="nps")
    invitation = await invite_one(api, survey["id"])
    token = token_of(invitation)
    page = await api.client.get(path_of(invitation["score_urls"][8]["url"]), headers=BROWSER)
    assert 'data-auto="on"' in page.text
    open_id = OPEN.search(page.text).group(1)
    presence = {"open": open_id, "score": "8", "trigger": "visible"}

    # too early: a page shown a moment ago is not yet a person
    r = await api.client.post(f"/s/{token}/presence", data=presence, headers=BROWSER)
    assert r.json() == {"recorded": False, "reason": "too-early"}
    # a bot's agent never counts
    await age_opens(invitation["id"], 5)
    r = await api.client.post(
        f"/s/{token}/presence", data=presence, headers={"User-Agent": SCANNERS[1]}
    )
    assert r.json() == {"recorded": False, "reason": "automated-client"}
    # an open that is not this page's
    r = await api.client.post(
        f"/s/{token}/presence", data={**presence, "open": "x"}, headers=BROWSER
    )
    assert r.json() == {"recorded": False, "reason": "unknown-open"}
    assert await responses_of(api, survey["id"]) == []

    r = await api.client.post(f"/s/{token}/presence", data=presence, headers=BROWSER)
    assert r.json() == {"recorded": True, "reason": None}
    [stored] = await responses_of(api, survey["id"])
    assert stored["score"] == 8 and stored["comment"] is None

    # then the respondent adds a comment and submits: the same response
    r = await api.client.post(
        f"/s/{token}", data={"score": "8", "comment": "Good", "open": open_id}, headers=BROWSER
    )
    assert r.status_code == 303
    # a while later, another link: an interaction records at once and keeps the comment
    await age_opens(invitation["id"], 60)
    page = await api.client.get(path_of(invitation["score_urls"][6]["url"]), headers=BROWSER)
    open_id = OPEN.search(page.text).group(1)
    r = await api.client.post(
        f"/s/{token}/presence",
        data={"open": open_id, "score": "6", "trigger": "interaction"},
        headers=BROWSER,
    )
    assert r.json()["recorded"] is True
    [stored] = await responses_of(api, survey["id"])
    assert (stored["score"], stored["comment"]) == (6, "Good")
    r = await api.client.post(f"/s/{token}/presence", data={"open": open_id}, headers=BROWSER)
    assert r.status_code == 422


async def test_two_links_in_a_burst_record_nothing_but_submit_does(api):
    survey = await api.survey(kind="nps")
    invitation = await invite_one(api, survey["id"])
    token = token_of(invitation)
    pages = [
        await api.client.get(path_of(invitation["score_urls"][s]["url"]), headers=BROWSER)
        for s in (9, 10)
    ]
    await age_opens(invitation["id"], 30)
    for page, score in zip(pages, ("9", "10"), strict=True):
        r = await api.client.post(
            f"/s/{token}/presence",
            data={"open": OPEN.search(page.text).group(1), "score": score, "trigger": "visible"},
            headers=BROWSER,
        )
        assert r.json()["reason"] == "scanner-burst"
    # the same score twice (a scanner re-checking the link a person clicks) is no burst
    again = await api.client.get(path_of(invitation["score_urls"][10]["url"]), headers=BROWSER)
    await age_opens(invitation["id"], 30)
    r = await api.client.post(
        f"/s/{token}/presence",
        data={"open": OPEN.search(again.text).group(1), "score": "10", "trigger": "visible"},
        headers=BROWSER,
    )
    assert r.json()["recorded"] is True
    # the person's own submit always counts
    r = await api.client.post(f"/s/{token}", data={"score": "10", "comment": "ok"})
    assert r.status_code == 303
    assert [x["score"] for x in await responses_of(api, survey["id"])] == [10]


async def test_opens_are_capped(api, monkeypatch):
    from app.invitations import scanner

    monkeypatch.setattr(scanner, "MAX_OPENS", 3)
    survey = await api.survey()
    invitation = await invite_one(api, survey["id"])
    url = path_of(invitation["score_urls"][4]["url"])
    pages = [await api.client.get(url, headers=BROWSER) for _ in range(4)]
    assert all(p.status_code == 200 for p in pages)
    assert 'data-auto="on"' in pages[2].text and 'data-auto="off"' in pages[3].text
    async with sessionmaker()() as session:
        opens = await session.scalars(
            select(InvitationOpen).where(
                InvitationOpen.invitation_id == uuid.UUID(invitation["id"])
            )
        )
        assert len(list(opens)) == 3
