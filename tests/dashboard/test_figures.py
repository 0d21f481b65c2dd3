"""Every figure the dashboard shows is the API's: the survey page and the overview against
`GET /v1/scores` (and its change test) for several views and time zones, the comment feed
against `GET /v1/responses`."""

import re
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from app.scores import stats

from .conftest import number, table_rows

SEGMENTS = ["smb", "enterprise", "public <sector>"]
CHANNELS = ["email", "web", "in_app"]
LOCALES = ["en", "de", "fr-CA"]


async def answers(api, survey: dict, count: int, low: int, high: int) -> None:
    """`count` answers over the last 100 days, a deterministic mix of scores and facets."""
    now = datetime.now(UTC)
    for i in range(count):
        score = low + (i * 7 + i // 3) % (high - low + 1)
        body = {
            "segment": SEGMENTS[i % 3],
            "channel": CHANNELS[(i // 2) % 3],
            "locale": LOCALES[(i // 5) % 3],
            "submitted_at": (now - timedelta(hours=16 * i + 1)).isoformat(),
        }
        if i % 4 == 0:
            body["comment"] = f"comment {i} <b>bold</b> & more"
        await api.answer(survey["id"], score, **body)


def days(tz: str, back: int) -> tuple[str, str]:
    """`from` and `to` of the last `back` days (today included) in `tz`, as the API takes."""
    today = datetime.now(ZoneInfo(tz)).date()
    return (today - timedelta(days=back - 1)).isoformat(), (today + timedelta(days=1)).isoformat()


VIEWS = [
    ({}, {"interval": "week", "tz": "UTC", "back": 30}),
    (
        {"range": "90", "interval": "day", "tz": "Europe/Berlin", "segment": "smb"},
        {"interval": "day", "tz": "Europe/Berlin", "back": 90, "segment": "smb"},
    ),
    (
        {"range": "90", "interval": "month", "tz": "America/New_York", "channel": "email"},
        {"interval": "month", "tz": "America/New_York", "back": 90, "channel": "email"},
    ),
    (
        {"range": "365", "interval": "quarter", "tz": "Asia/Kolkata", "by": "channel"},
        {"interval": "quarter", "tz": "Asia/Kolkata", "back": 365, "by": "channel"},
    ),
    (
        {"range": "90", "interval": "week", "tz": "Australia/Lord_Howe", "locale": "de"},
        {"interval": "week", "tz": "Australia/Lord_Howe", "back": 90, "locale": "de"},
    ),
]


def score_fields(kind: str) -> tuple[str, str]:
    return {"nps": ("nps", "nps_ci95"), "csat": ("csat", "csat_ci95"), "ces": ("ces", "ces_ci95")}[
        kind
    ]


def assert_same(cells: dict, row: dict, kind: str, where: str) -> None:
    value, ci = score_fields(kind)
    assert int(cells["n"]["data-value"]) == row["n"], where
    assert number(cells["score"]["data-value"]) == row[value], where
    interval = cells["interval"]
    assert number(interval["data-low"]) == (row[ci]["low"] if row[ci] else None), where
    assert number(interval["data-high"]) == (row[ci]["high"] if row[ci] else None), where


@pytest.mark.parametrize("kind,low,high", [("nps", 0, 10), ("csat", 1, 5)])
async def test_survey_page_figures_are_the_apis(api, browser, reader, kind, low, high):
    survey = await api.survey(name=f"Figures {kind}", kind=kind)
    await answers(api, survey, 150, low, high)
    assert (await browser.sign_in(reader)).status_code == 303

    for view, expected in VIEWS:
        page = await browser.get(f"/dashboard/surveys/{survey['id']}?{urlencode(view)}")
        assert page.status_code == 200, page.text
        first, to = days(expected["tz"], expected["back"])
        filters = {k: expected[k] for k in ("segment", "channel", "locale") if k in expected}
        query = {"survey_id": survey["id"], "tz": expected["tz"], "from": first, "to": to}
        query |= filters
        where = f"{kind} {view}"

        # The headline: the whole range.
        whole = (await api.get("/v1/scores", params=query)).json()["rows"][0]
        headline = re.search(r'<section[^>]*id="headline"[^>]*>', page.text).group(0)
        assert f'data-n="{whole["n"]}"' in headline, where
        assert whole["n"] > 0, where

        # The trend: every bucket, its score, interval and change.
        trend = await api.get("/v1/scores", params={**query, "interval": expected["interval"]})
        api_rows = {row["bucket"]: row for row in trend.json()["rows"]}
        shown = table_rows(page.text, "trend-table")
        assert [r["row"]["data-bucket"] for r in shown] == list(api_rows), where
        for r in shown:
            row = api_rows[r["row"]["data-bucket"]]
            assert_same(r["cells"], row, kind, where)
            change = r["cells"]["change"]
            assert number(change["data-delta"]) == (row["change"] or {}).get("delta"), where
            if row["change"]:
                assert change["data-significant"] == str(row["change"]["significant"]), where

        # The breakdown: every group of the chosen dimension, with the change test against
        # the previous period of the same length.
        by = expected.get("by", "segment")
        grouped = (await api.get("/v1/scores", params={**query, "group_by": by})).json()["rows"]
        earlier_to = first
        earlier_from = (
            (datetime.fromisoformat(first) - timedelta(days=expected["back"])).date().isoformat()
        )
        earlier = (
            await api.get(
                "/v1/scores",
                params={**query, "group_by": by, "from": earlier_from, "to": earlier_to},
            )
        ).json()["rows"]
        before = {row["group"][by]: row for row in earlier}
        shown = {
            r["row"]["data-group"]: r["cells"] for r in table_rows(page.text, "breakdown-table")
        }
        assert set(shown) == {row["group"][by] or "" for row in grouped}, where
        for row in grouped:
            cells = shown[row["group"][by] or ""]
            assert_same(cells, row, kind, where)
            previous = before.get(row["group"][by])
            moved = (
                stats.change(
                    kind,
                    low,
                    high,
                    list(previous["distribution"].values()),
                    list(row["distribution"].values()),
                )
                if previous
                else None
            )
            assert number(cells["change"]["data-delta"]) == (moved or {}).get("delta"), where

        # The distribution: the count of every scale value.
        for value, count in whole["distribution"].items():
            assert re.search(
                rf'<tr><th scope="row">{value}</th><td class="num" data-value="{count}">',
                page.text,
            ), where

        # The comment feed: the newest commented answers of the view, as the API lists them.
        listed = []
        params = {"survey_id": survey["id"], "from": first, "to": to, "limit": 1000}
        params |= {k: v for k, v in filters.items() if k in ("segment", "channel")}
        for response in (await api.get("/v1/responses", params=params)).json()["data"]:
            if response["comment"] and (
                "locale" not in filters or response["locale"] == filters["locale"]
            ):
                listed.append(response)
        listed.sort(key=lambda r: (r["submitted_at"], r["id"]), reverse=True)
        feed = re.findall(r'<li data-response="([^"]+)">', page.text)
        assert feed == [r["id"] for r in listed[:20]], where


async def test_shown_text_is_the_api_figure_rounded_for_the_language(api, browser, reader):
    survey = await api.survey(name="Rounding")
    for score in [10] * 7 + [9] * 3 + [7] * 2 + [3] * 4:
        await api.answer(survey["id"], score)
    await browser.sign_in(reader)
    row = (await api.get("/v1/scores", params={"survey_id": survey["id"]})).json()["rows"][0]
    low, high = row["nps_ci95"]["low"], row["nps_ci95"]["high"]
    english = (await browser.get(f"/dashboard/surveys/{survey['id']}")).text
    assert f"{row['nps']:.1f} </span>" in english or f">{row['nps']:.1f}<" in english
    assert f"{low:.1f} to {high:.1f}" in english
    german = (await browser.get(f"/dashboard/surveys/{survey['id']}?lang=de")).text
    assert f"{low:.1f} bis {high:.1f}".replace(".", ",") in german


async def test_overview_figures_are_the_apis(api, browser, reader):
    nps = await api.survey(name="Overview NPS")
    ces = await api.survey(name="Overview CES", kind="ces")
    await answers(api, nps, 90, 0, 10)
    await answers(api, ces, 90, 1, 7)
    await api.survey(name="Overview empty", status="paused")
    await browser.sign_in(reader)
    for tz in ("UTC", "Pacific/Auckland"):
        page = await browser.get("/dashboard", params={"tz": tz})
        assert page.status_code == 200
        shown = {r["row"]["data-survey"]: r["cells"] for r in table_rows(page.text, "overview")}
        assert len(shown) == 3
        for survey in (nps, ces):
            first, to = days(tz, 30)
            earlier_from = (datetime.fromisoformat(first) - timedelta(days=30)).date()
            query = {"survey_id": survey["id"], "tz": tz}
            now = await api.get("/v1/scores", params={**query, "from": first, "to": to})
            before = await api.get(
                "/v1/scores", params={**query, "from": earlier_from.isoformat(), "to": first}
            )
            now, before = now.json()["rows"][0], before.json()["rows"][0]
            cells = shown[survey["id"]]
            assert_same(cells, now, survey["kind"], tz)
            moved = stats.change(
                survey["kind"],
                survey["scale_min"],
                survey["scale_max"],
                list(before["distribution"].values()),
                list(now["distribution"].values()),
            )
            assert moved is not None
            assert number(cells["change"]["data-delta"]) == moved["delta"]
            assert cells["change"]["data-significant"] == str(moved["significant"])
