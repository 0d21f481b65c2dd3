"""The dashboard in a real headless Chromium against a live server: a CX manager signs in
with a read key, opens the overview and a survey, changes the interval, the time zone and a
filter, and every figure shown equals /v1/scores for those parameters; signs out and the
session is gone. axe-core finds no serious or critical violation on any page, no request
leaves the server's origin, nothing breaks the CSP, the pages work by keyboard and without
JavaScript. Screenshots of every page at 1280 and 390 px, in English and German, are saved
under test-artifacts/dashboard/."""

import uuid
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import httpx
import pytest
from conftest import new_key, new_project
from sqlalchemy import select

from app.db import sessionmaker
from app.models import DashboardSession
from tests.e2e.test_browser import ARTIFACTS, CHROMIUM, FLAGS, server  # noqa: F401

from .demo import make

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
)
SHOTS = ARTIFACTS / "dashboard"
WIDTHS = {"1280": (1280, 900), "390": (390, 844)}
ROWS = """rows => rows.map(r => {
  const cell = name => r.querySelector(`[data-field=${name}]`);
  return {
    key: r.dataset.bucket ?? r.dataset.survey ?? r.dataset.group,
    n: Number(cell("n").dataset.value),
    score: cell("score").dataset.value === "" ? null : Number(cell("score").dataset.value),
    low: cell("interval").dataset.low === "" ? null : Number(cell("interval").dataset.low),
    high: cell("interval").dataset.high === "" ? null : Number(cell("interval").dataset.high),
  };
})"""


def api_params(url: str, survey_id: str) -> dict[str, str]:
    """The /v1/scores parameters of the view in a dashboard address."""
    query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    tz = query.get("tz", "UTC")
    today = datetime.now(ZoneInfo(tz)).date()
    back = int(query.get("range", "30"))
    params = {
        "survey_id": survey_id,
        "tz": tz,
        "from": (today - timedelta(days=back - 1)).isoformat(),
        "to": (today + timedelta(days=1)).isoformat(),
    }
    params |= {k: query[k] for k in ("segment", "touchpoint", "channel", "locale") if query.get(k)}
    return params


async def check_figures(page, api: httpx.AsyncClient, survey: dict) -> None:
    """The headline and every trend bucket shown equal /v1/scores for the page's view."""
    params = api_params(page.url, survey["id"])
    field = {"nps": "nps", "csat": "csat", "ces": "ces"}[survey["kind"]]
    whole = (await api.get("/v1/scores", params=params)).json()["rows"][0]
    headline = page.locator("#headline")
    assert int(await headline.get_attribute("data-n")) == whole["n"]
    shown = await headline.get_attribute("data-value")
    assert (float(shown) if shown else None) == whole[field]
    interval = parse_qs(urlsplit(page.url).query).get("interval", ["week"])[0]
    report = (await api.get("/v1/scores", params={**params, "interval": interval})).json()
    rows = await page.eval_on_selector_all("#trend-table tbody tr", ROWS)
    assert [r["key"] for r in rows] == [row["bucket"] for row in report["rows"]]
    for shown_row, row in zip(rows, report["rows"], strict=True):
        assert shown_row["n"] == row["n"] and shown_row["score"] == row[field]
        ci = row[f"{field}_ci95"]
        assert (shown_row["low"], shown_row["high"]) == (
            (ci["low"], ci["high"]) if ci else (None, None)
        )


async def accessible(page, axe, where: str) -> None:
    results = await axe.run(page)
    bad = [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert bad == [], f"{where}: {bad}"


async def shoot(page, url: str, name: str) -> None:
    for lang in ("en", "de"):
        for width, size in WIDTHS.items():
            await page.set_viewport_size({"width": size[0], "height": size[1]})
            joiner = "&" if "?" in url else "?"
            await page.goto(f"{url}{joiner}lang={lang}")
            await page.screenshot(path=str(SHOTS / f"{name}-{lang}-{width}.png"), full_page=True)
    await page.set_viewport_size({"width": 1280, "height": 900})


async def test_a_cx_manager_reads_the_dashboard(server):  # noqa: F811
    playwright_api = pytest.importorskip("playwright.async_api")
    axe_module = pytest.importorskip("axe_playwright_python.async_playwright")
    SHOTS.mkdir(parents=True, exist_ok=True)
    project = await new_project("Acme")
    admin = await new_key(project, "admin")
    surveys = await make(server, admin)
    nps = surveys["Relationship NPS"]
    async with httpx.AsyncClient(
        base_url=server, headers={"Authorization": f"Bearer {admin}"}
    ) as api:
        r = await api.post("/v1/keys", json={"kind": "read", "name": "dashboard"})
        read_key = r.json()

        async with playwright_api.async_playwright() as p:
            browser = await p.chromium.launch(
                executable_path=str(CHROMIUM), args=FLAGS, headless=True
            )
            context = await browser.new_context(
                timezone_id="Europe/Berlin", locale="en-GB", viewport={"width": 1280, "height": 900}
            )
            requests: list[str] = []
            refused: list[str] = []
            context.on("request", lambda request: requests.append(request.url))
            context.on(
                "console",
                lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
            )
            axe = axe_module.Axe()
            try:
                page = await context.new_page()
                await page.goto(f"{server}/dashboard")
                assert page.url == f"{server}/dashboard/sign-in"
                await accessible(page, axe, "sign-in")
                await shoot(page, f"{server}/dashboard/sign-in", "sign-in")

                # Sign in with the read key; the browser's time zone becomes the view's.
                await page.goto(f"{server}/dashboard/sign-in?lang=en")
                await page.get_by_label("API key").fill(read_key["secret"])
                await page.get_by_role("button", name="Sign in").click()
                await page.wait_for_url(lambda url: url.endswith("/dashboard?tz=Europe%2FBerlin"))
                await accessible(page, axe, "overview")
                overview = await page.eval_on_selector_all("#overview tbody tr", ROWS)
                assert {r["key"] for r in overview} == {s["id"] for s in surveys.values()}
                for row in overview:
                    survey = next(s for s in surveys.values() if s["id"] == row["key"])
                    params = api_params(f"{server}/dashboard?tz=Europe/Berlin", survey["id"])
                    figures = (await api.get("/v1/scores", params=params)).json()["rows"][0]
                    assert row["n"] == figures["n"]
                    assert row["score"] == figures[survey["kind"]]
                await shoot(page, f"{server}/dashboard?tz=Europe/Berlin", "overview")

                # By keyboard: the skip link comes first and shows its focus; then the survey.
                await page.goto(f"{server}/dashboard?tz=Europe/Berlin&lang=en")
                await page.keyboard.press("Tab")
                focused = await page.evaluate(
                    "() => [document.activeElement.textContent,"
                    " getComputedStyle(document.activeElement).outlineStyle]"
                )
                assert focused == ["Skip to the content", "solid"], focused
                for _ in range(40):
                    await page.keyboard.press("Tab")
                    label = await page.evaluate("() => document.activeElement.textContent")
                    if label == nps["name"]:
                        break
                else:
                    pytest.fail("the survey link is not reachable by keyboard")
                await page.keyboard.press("Enter")
                await page.wait_for_url(
                    lambda url: f"/dashboard/surveys/{nps['id']}?tz=Europe" in url
                )
                await check_figures(page, api, nps)
                await accessible(page, axe, "survey page")
                assert await page.locator("figure svg[role=img]").count() == 2

                # Change the interval, the time zone and a filter, as the form does.
                await page.select_option("#interval", "day")
                await page.get_by_role("button", name="Apply").click()
                await page.wait_for_url(lambda url: "interval=day" in url)
                await check_figures(page, api, nps)
                await page.fill("#tz", "America/New_York")
                await page.get_by_role("button", name="Apply").click()
                await page.wait_for_url(lambda url: "tz=America%2FNew_York" in url)
                await check_figures(page, api, nps)
                await page.select_option("#segment", "enterprise")
                await page.select_option("#range", "90")
                await page.get_by_role("button", name="Apply").click()
                await page.wait_for_url(lambda url: "segment=enterprise" in url)
                await check_figures(page, api, nps)
                await accessible(page, axe, "survey page, filtered")
                for survey in surveys.values():
                    url = f"{server}/dashboard/surveys/{survey['id']}?tz=Europe/Berlin&range=90"
                    await page.goto(url)
                    await check_figures(page, api, survey)
                    await accessible(page, axe, survey["name"])
                await shoot(
                    page,
                    f"{server}/dashboard/surveys/{nps['id']}?tz=Europe/Berlin&range=90",
                    "survey",
                )
                await page.goto(
                    f"{server}/dashboard/surveys/{surveys['Support CSAT']['id']}?range=90&lang=en"
                )
                await page.screenshot(path=str(SHOTS / "survey-csat-en-1280.png"), full_page=True)
                # The README's picture: the top of the survey page.
                await page.set_viewport_size({"width": 1280, "height": 1480})
                await page.goto(f"{server}/dashboard/surveys/{nps['id']}?range=90&lang=en")
                await page.screenshot(path=str(SHOTS / "readme-survey.png"))
                await page.set_viewport_size({"width": 1280, "height": 900})
                await page.goto(f"{server}/dashboard/journey?tz=Europe/Berlin&lang=en")
                assert await page.locator("#stages-table tbody tr").count() == 4
                await accessible(page, axe, "journey")
                await shoot(page, f"{server}/dashboard/journey?tz=Europe/Berlin", "journey")
                await page.goto(f"{server}/dashboard/surveys/00000000-0000-7000-8000-0000000000ff")
                await accessible(page, axe, "not found")
                await shoot(
                    page,
                    f"{server}/dashboard/surveys/00000000-0000-7000-8000-0000000000ff",
                    "not-found",
                )

                # Sign out: the session is gone, from the browser and from the server.
                await page.goto(f"{server}/dashboard?lang=en")
                await page.get_by_role("button", name="Sign out").click()
                await page.wait_for_url(lambda url: url.endswith("/dashboard/sign-in?signed_out=1"))
                assert "You are signed out." in await page.content()
                cookies = await context.cookies()
                assert not [c for c in cookies if c["name"] == "sentio_dashboard"]
                await page.goto(f"{server}/dashboard")
                assert page.url == f"{server}/dashboard/sign-in"
                async with sessionmaker()() as session:
                    rows = await session.scalars(
                        select(DashboardSession).where(
                            DashboardSession.key_id == uuid.UUID(read_key["id"])
                        )
                    )
                    assert list(rows) == []
            finally:
                await context.close()

            # Without JavaScript: the same pages, in UTC, filters by plain form submit.
            plain = await browser.new_context(java_script_enabled=False)
            try:
                page = await plain.new_page()
                await page.goto(f"{server}/dashboard/sign-in")
                await page.get_by_label("API key").fill(read_key["secret"])
                await page.get_by_role("button", name="Sign in").click()
                await page.wait_for_url(f"{server}/dashboard")
                await page.get_by_role("link", name=nps["name"]).click()
                await page.wait_for_url("**/dashboard/surveys/**")
                await page.select_option("#interval", "month")
                await page.get_by_role("button", name="Apply").click()
                await page.wait_for_url(lambda url: "interval=month" in url)
                assert "tz=UTC" in page.url
                await check_figures(page, api, nps)
            finally:
                await plain.close()
                await browser.close()

    foreign = [u for u in requests if not u.startswith(server) and not u.startswith("data:")]
    assert foreign == [], foreign
    assert refused == [], refused
