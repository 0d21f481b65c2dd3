"""The journey page and the comment themes of the survey page show the customer reports'
and the theme report's figures: those of /v1/analytics/journey, /drivers, /churn and
/v1/analytics/themes for the same range; the theme filter of the feed is /v1/responses'."""

import re
from datetime import UTC, datetime, timedelta

from .conftest import number
from .test_figures import days


async def project_with_journeys(api) -> tuple[dict, dict]:
    r = await api.request(
        "PUT", "/v1/journey", json={"stages": ["onboarding", "support", "billing"]}
    )
    assert r.status_code == 200, r.text
    r = await api.post("/v1/themes", json={"name": "Delivery", "phrases": ["delivery", "late"]})
    assert r.status_code == 201, r.text
    relationship = await api.survey(name="Relationship", kind="nps")
    transactional = await api.survey(name="Support", kind="csat")
    now = datetime.now(UTC)
    for i in range(80):
        customer = f"c{i}"
        when = now - timedelta(days=100 + i)
        comment = ["Late delivery again", "Great people", None, "delivery was fine"][i % 4]
        await api.answer(
            relationship["id"],
            (i * 7) % 11,
            customer_id=customer,
            touchpoint=["onboarding", "support", "billing"][i % 3],
            comment=comment,
            submitted_at=when.isoformat(),
        )
        await api.answer(
            transactional["id"],
            1 + (i * 3) % 5,
            customer_id=customer,
            touchpoint=["support", "billing"][i % 2],
            submitted_at=(when - timedelta(days=3)).isoformat(),
        )
        if i % 5 == 0:
            r = await api.post(
                "/v1/outcomes",
                json={
                    "customer_id": customer,
                    "type": "churned",
                    "occurred_at": (when + timedelta(days=30)).isoformat(),
                },
            )
            assert r.status_code == 201, r.text
    return relationship, transactional


async def test_journey_page_figures_are_the_reports(api, browser, reader):
    relationship, transactional = await project_with_journeys(api)
    await browser.sign_in(reader)
    tz = "Europe/Paris"
    page = await browser.get("/dashboard/journey", params={"range": "365", "tz": tz})
    assert page.status_code == 200, page.text
    html = page.text
    first, to = days(tz, 365)
    window = {"from": first, "to": to, "tz": tz}

    journey = (await api.get("/v1/analytics/journey", params=window)).json()
    for stage in journey["stages"]:
        row = re.search(rf'<tr data-stage="{stage["stage"]}">(.*?)</tr>', html, re.S).group(1)
        for score in stage["scores"]:
            value = score[score["kind"]]
            assert f'data-kind="{score["kind"]}" data-n="{score["n"]}"' in row
            assert f'data-value="{value if value is not None else ""}"' in row
        rate = stage["churn"]["churn_rate"]
        assert f'data-value="{rate if rate is not None else ""}"' in row
    assert sum(s["churn"]["churned"] for s in journey["stages"]) > 0

    drivers = await api.get(
        "/v1/analytics/drivers",
        params={
            **window,
            "relationship_survey_id": relationship["id"],
            "transactional_survey_id": transactional["id"],
        },
    )
    rows = drivers.json()["rows"]
    assert rows
    for row in rows:
        shown = re.search(rf'<tr data-touchpoint="{row["touchpoint"]}">(.*?)</tr>', html, re.S)
        cells = re.findall(r'data-value="([^"]*)"', shown.group(1))
        assert [number(c) for c in cells] == [row["nps_good"], row["nps_bad"], row["impact"]]

    churn = await api.get("/v1/analytics/churn", params={**window, "survey_id": relationship["id"]})
    [group] = churn.json()["groups"]
    for row in group["rows"]:
        shown = re.search(rf'<tr data-category="{row["category"]}">(.*?)</tr>', html, re.S)
        assert f"{row['churned']} / {row['eligible']}" in shown.group(1)
        rate = row["churn_rate"]
        assert f'data-value="{rate if rate is not None else ""}"' in shown.group(1)
    if group["relative_risk"] is not None:
        assert f"{group['relative_risk']:.2f}" in html


async def test_survey_page_themes_and_theme_filter_are_the_apis(api, browser, reader):
    relationship, _ = await project_with_journeys(api)
    await browser.sign_in(reader)
    path = f"/dashboard/surveys/{relationship['id']}"
    html = (await browser.get(path, params={"range": "365"})).text
    first, to = days("UTC", 365)
    report = await api.get(
        "/v1/analytics/themes",
        params={"survey_id": relationship["id"], "from": first, "to": to},
    )
    [row] = report.json()["rows"]
    shown = re.search(r'<tr data-theme="Delivery">(.*?)</tr>', html, re.S).group(1)
    assert f'data-value="{row["mentions"]}"' in shown and row["mentions"] == 40
    assert f'data-value="{row["share"]}"' in shown
    assert f'data-value="{row["cost"] if row["cost"] is not None else ""}"' in shown

    feed = (await browser.get(path, params={"range": "365", "theme": "Delivery"})).text
    listed = await api.get(
        "/v1/responses",
        params={"survey_id": relationship["id"], "theme": "Delivery", "limit": 1000},
    )
    expected = sorted(
        (r for r in listed.json()["data"] if r["comment"]),
        key=lambda r: (r["submitted_at"], r["id"]),
        reverse=True,
    )[:20]
    assert re.findall(r'<li data-response="([^"]+)">', feed) == [r["id"] for r in expected]
    assert "selected>Delivery</option>" in feed
