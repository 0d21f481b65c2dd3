"""The respondent pages in a real Chromium, as a phone (360 px) and a desktop (1280 px) show
them: axe-core finds no serious or critical accessibility violation on any of them, nothing
breaks their CSP, and the 0-10 scale is one row of equal buttons on the phone. Screenshots
of every page at both widths are saved under test-artifacts/pages/."""

import itertools
import uuid
from datetime import timedelta

import httpx
import pytest
from conftest import new_key, new_project
from sqlalchemy import update
from test_invitations import backdate_invitation, run_sql, token_of

from app.db import utcnow
from app.models import Response
from tests.e2e.test_browser import ARTIFACTS, CHROMIUM, FLAGS, RESPONDENT, server  # noqa: F401

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
)
SHOTS = ARTIFACTS / "pages"
WIDTHS = {"phone": (360, 740), "desktop": (1280, 900)}


async def invitation(api: httpx.AsyncClient, survey: str, customer: str) -> tuple[str, str]:
    """A new invitation's (id, token)."""
    r = await api.post(
        f"/v1/surveys/{survey}/invitations", json={"recipients": [{"customer_id": customer}]}
    )
    assert r.status_code == 201, r.text
    [created] = r.json()["data"]
    return created["id"], token_of(created)


async def answer(api: httpx.AsyncClient, token: str) -> None:
    r = await api.post(f"/s/{token}", data={"score": "9", "comment": "Quick and friendly"})
    assert r.status_code == 303, r.text


async def the_pages(base: str) -> dict[str, tuple[str, int]]:
    """Every kind of respondent page, of a branded project: name -> (path, status)."""
    project = await new_project("a11y")
    headers = {"Authorization": f"Bearer {await new_key(project, 'admin')}"}
    async with httpx.AsyncClient(base_url=base, headers=headers) as api:
        r = await api.patch(
            "/v1/project", json={"display_name": "Acme Shop", "accent_color": "#0b7a3e"}
        )
        assert r.status_code == 200, r.text
        survey = (await api.post("/v1/surveys", json={"name": "A11y", "kind": "nps"})).json()
        links = [await invitation(api, survey["id"], f"a11y-{n}") for n in range(5)]
        (_, fresh), (_, answered), (locked_id, locked), (expired_id, expired), (_, leaving) = links
        await answer(api, answered)
        await answer(api, locked)
    # the answer is older than the edit window: it can no longer change
    await run_sql(
        update(Response)
        .where(Response.invitation_id == uuid.UUID(locked_id))
        .values(created_at=utcnow() - timedelta(days=30))
    )
    await backdate_invitation(expired_id, expires_at=utcnow() - timedelta(days=1))
    return {
        "survey": (f"/s/{fresh}", 200),
        "not-answered": (f"/s/{fresh}/thanks", 200),
        "already-answered": (f"/s/{answered}", 200),
        "thanks": (f"/s/{answered}/thanks", 200),
        "answer-locked": (f"/s/{locked}", 409),
        "expired": (f"/s/{expired}", 410),
        "unknown-link": ("/s/" + "x" * 32, 404),
        "unsubscribe": (f"/u/{leaving}", 200),
    }


async def test_respondent_pages_pass_axe_at_phone_and_desktop_widths(server):  # noqa: F811
    playwright_api = pytest.importorskip("playwright.async_api")
    axe_module = pytest.importorskip("axe_playwright_python.async_playwright")
    pages = await the_pages(server)
    SHOTS.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    blocked: list[str] = []
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            for device, (width, height) in WIDTHS.items():
                context = await browser.new_context(
                    user_agent=RESPONDENT, viewport={"width": width, "height": height}
                )
                context.on(
                    "console",
                    lambda m: blocked.append(m.text) if "Content Security" in m.text else None,
                )
                page = await context.new_page()
                for name, (path, status) in pages.items():
                    response = await page.goto(server + path)
                    assert response.status == status, (name, response.status)
                    results = await axe_module.Axe().run(page)
                    for violation in results.response["violations"]:
                        if violation["impact"] in ("serious", "critical"):
                            targets = [n["target"] for n in violation["nodes"]]
                            problems.append(f"{device} {name}: {violation['id']} {targets}")
                    await page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
                await page.goto(server + pages["unsubscribe"][0])
                await page.get_by_role("button", name="Yes, unsubscribe me").click()
                await playwright_api.expect(page.get_by_role("heading")).to_have_text(
                    "You are unsubscribed"
                )
                results = await axe_module.Axe().run(page)
                problems += [
                    f"{device} unsubscribed: {v['id']}"
                    for v in results.response["violations"]
                    if v["impact"] in ("serious", "critical")
                ]
                await page.screenshot(path=str(SHOTS / f"unsubscribed-{width}.png"))
                await context.close()
        finally:
            await browser.close()
    assert problems == [], problems
    assert blocked == [], blocked


async def test_zero_to_ten_is_one_even_row_on_a_360px_phone(server):  # noqa: F811
    playwright_api = pytest.importorskip("playwright.async_api")
    project = await new_project("phone")
    headers = {"Authorization": f"Bearer {await new_key(project, 'admin')}"}
    async with httpx.AsyncClient(base_url=server, headers=headers) as api:
        survey = (await api.post("/v1/surveys", json={"name": "Phone", "kind": "nps"})).json()
        _id, token = await invitation(api, survey["id"], "phone-1")
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            context = await browser.new_context(
                user_agent=RESPONDENT, viewport={"width": 360, "height": 740}
            )
            page = await context.new_page()
            await page.goto(f"{server}/s/{token}")
            boxes = [await label.bounding_box() for label in await page.locator(".score").all()]
            scroll_width = await page.evaluate("document.documentElement.scrollWidth")
            await context.close()
        finally:
            await browser.close()
    assert len(boxes) == 11
    assert len({round(b["y"]) for b in boxes}) == 1, "the scores wrap onto several rows"
    widths = [b["width"] for b in boxes]
    assert max(widths) - min(widths) < 1, widths
    assert min(widths) >= 24, "a score is too small to tap (WCAG 2.2 target size)"
    gaps = [b2["x"] - (b1["x"] + b1["width"]) for b1, b2 in itertools.pairwise(boxes)]
    assert max(gaps) - min(gaps) < 1, gaps
    assert boxes[-1]["x"] + boxes[-1]["width"] <= 360 and scroll_width <= 360
