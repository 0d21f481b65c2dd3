"""The page's automatic submit under concurrency (it is written by group commit): submits
for the same and for different invitations at once make exactly one answer each, what each
caller is told is what is stored, and a refused submit beside them stores nothing."""

import asyncio

from sqlalchemy import select
from test_invitations import invite, path_of, token_of
from test_pages import BROWSER, OPEN, SCANNERS, age_opens, responses_of

from app.db import sessionmaker
from app.models import WebhookEvent


async def opened(api, invitation: dict, score: int) -> str:
    """Opens a score link as a browser does; returns the open id its page carries."""
    page = await api.client.get(path_of(invitation["score_urls"][score]["url"]), headers=BROWSER)
    assert page.status_code == 200
    return OPEN.search(page.text).group(1)


async def presence(api, invitation: dict, open_id: str, score: int, agent=BROWSER) -> dict:
    r = await api.client.post(
        f"/s/{token_of(invitation)}/presence",
        data={"open": open_id, "score": str(score), "trigger": "visible"},
        headers=agent,
    )
    assert r.status_code == 200, r.text
    return r.json()


async def test_concurrent_submits_make_one_answer_per_invitation(api):
    survey = await api.survey(kind="nps")
    invitations = await invite(
        api, survey["id"], *({"customer_id": f"c{i}", "segment": "smb"} for i in range(6))
    )
    scores = [10, 9, 3, 7, 0, 6]
    opens = [await opened(api, inv, s) for inv, s in zip(invitations, scores, strict=True)]
    for invitation in invitations:
        await age_opens(invitation["id"], 5)

    # Each of the first five invitations submitted four times at once, all together; the
    # sixth only by a scanner's agent.
    calls = [
        presence(api, inv, o, s)
        for inv, o, s in zip(invitations[:5], opens, scores, strict=False)
        for _ in range(4)
    ]
    calls.append(presence(api, invitations[5], opens[5], scores[5], {"User-Agent": SCANNERS[1]}))
    told = await asyncio.gather(*calls)

    assert told[:-1] == [{"recorded": True, "reason": None}] * 20
    assert told[-1] == {"recorded": False, "reason": "automated-client"}
    stored = await responses_of(api, survey["id"])
    assert sorted(r["score"] for r in stored) == sorted(scores[:5])
    r = await api.get("/v1/invitations", params={"survey_id": survey["id"], "answered": True})
    assert sorted(i["customer_id"] for i in r.json()["data"]) == [f"c{i}" for i in range(5)]
    by_customer = {r["customer_id"]: r for r in stored}
    for i, score in enumerate(scores[:5]):
        assert by_customer[f"c{i}"]["score"] == score
        assert by_customer[f"c{i}"]["segment"] == "smb"
    # the rollups count each answer once
    assert '"n":5' in (await api.get("/v1/scores", params={"survey_id": survey["id"]})).text


async def test_concurrent_submits_of_different_scores_keep_one_answer_told_last(api):
    """Two opens of one invitation far apart (no burst): submits of both at once. Both are
    told they counted; one answer is stored, with the score of whichever committed last."""
    survey = await api.survey(kind="nps")
    [invitation] = await invite(api, survey["id"], {"customer_id": "c1"})
    first = await opened(api, invitation, 2)
    await age_opens(invitation["id"], 60)
    second = await opened(api, invitation, 9)
    await age_opens(invitation["id"], 5)
    told = await asyncio.gather(
        presence(api, invitation, first, 2), presence(api, invitation, second, 9)
    )
    assert told == [{"recorded": True, "reason": None}] * 2
    [stored] = await responses_of(api, survey["id"])
    assert stored["score"] in (2, 9)
    # and a later submit changes it, as a lone one would
    assert await presence(api, invitation, first, 2) == {"recorded": True, "reason": None}
    [stored] = await responses_of(api, survey["id"])
    assert stored["score"] == 2


async def test_one_click_answer_emits_its_webhook_event(api):
    r = await api.post(
        "/v1/webhooks",
        json={"url": "https://hooks.example.com/sentio", "events": ["response.created"]},
    )
    assert r.status_code == 201, r.text
    survey = await api.survey(kind="nps")
    [invitation] = await invite(api, survey["id"], {"customer_id": "c1", "segment": "smb"})
    open_id = await opened(api, invitation, 8)
    await age_opens(invitation["id"], 5)
    assert await presence(api, invitation, open_id, 8) == {"recorded": True, "reason": None}
    [stored] = await responses_of(api, survey["id"])
    async with sessionmaker()() as session:
        events = list(
            await session.scalars(
                select(WebhookEvent).where(WebhookEvent.type == "response.created")
            )
        )
    payloads = [e.payload.get("data", e.payload)["response"] for e in events]
    [mine] = [p for p in payloads if p["id"] == stored["id"]]
    assert (mine["score"], mine["segment"], mine["customer_id"]) == (8, "smb", "c1")


async def test_the_fast_path_answers_as_the_route_does(api, monkeypatch):
    """A plain form post is answered by the fast path (app/pages/fastpath.py), anything
    else by the FastAPI route; what a page's script sees is the same."""
    from app.pages import fastpath

    survey = await api.survey(kind="nps")
    invitations = await invite(api, survey["id"], *({"customer_id": f"f{i}"} for i in range(4)))
    opens = [await opened(api, inv, 8) for inv in invitations]
    for invitation in invitations:
        await age_opens(invitation["id"], 5)
    taken: list[bool] = []
    record = fastpath.record_presence

    async def recording(*args, **kwargs):  # called by the fast path only
        taken.append(True)
        return await record(*args, **kwargs)

    monkeypatch.setattr(fastpath, "record_presence", recording)

    def post(invitation, open_id, score, query=""):
        return api.client.post(
            f"/s/{token_of(invitation)}/presence{query}",
            data={"open": open_id, "score": score, "trigger": "visible"},
            headers=BROWSER,
        )

    fast = await post(invitations[0], opens[0], "8")
    routed = await post(invitations[1], opens[1], "8", query="?via=route")
    assert taken == [True]
    assert fast.json() == routed.json() == {"recorded": True, "reason": None}
    assert fast.headers["cache-control"] == routed.headers["cache-control"] == "no-store"
    # Refusals alike: an impossible score, a made-up open.
    taken.clear()
    bad = [await post(invitations[2], opens[2], "x"), await post(invitations[2], "nope", "8")]
    bad_routed = [
        await post(invitations[3], opens[3], "x", query="?r=1"),
        await post(invitations[3], "nope", "8", query="?r=1"),
    ]
    assert taken == [True, True]
    for one, two in zip(bad, bad_routed, strict=True):
        assert (one.status_code, one.json()) == (two.status_code, two.json())
    stored = await responses_of(api, survey["id"])
    assert sorted(r["customer_id"] for r in stored) == ["f0", "f1"]
