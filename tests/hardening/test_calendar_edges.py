"""Times at the ends of the calendar (year 1, year 9999) are refused with a 422 problem on
every endpoint that takes a time, instead of overflowing into a 500."""

import base64
import json
import uuid

import pytest
from conftest import assert_problem

EDGE_TIMES = [
    ("from", "0001-01-01", {"tz": "Asia/Tokyo"}),
    ("from", "0001-01-01T00:00:00+05:00", {}),
    ("from", "9999-12-31T23:00:00-05:00", {}),
    ("to", "9999-12-31", {"tz": "America/New_York"}),
    ("to", "0001-01-01T00:00:00+14:00", {}),
    ("to", "9999-12-31T23:59:59.999999", {}),
]
EDGE_UPDATED_SINCE = ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "0001-01-01"]


def cursor_at(when: str) -> str:
    raw = json.dumps({"t": when, "id": str(uuid.uuid4())}).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@pytest.mark.parametrize("interval", ["none", "day", "year"])
@pytest.mark.parametrize(("name", "value", "extra"), EDGE_TIMES)
async def test_scores_refuse_times_past_the_calendar(api, interval, name, value, extra):
    survey = await api.survey()
    await api.answer(survey["id"], 9)
    params = {"survey_id": survey["id"], "interval": interval, name: value, **extra}
    body = assert_problem(await api.get("/v1/scores", params=params), 422)
    assert body["errors"][0]["parameter"] == name


@pytest.mark.parametrize("interval", ["day", "week", "month", "quarter", "year"])
async def test_scores_at_the_last_supported_day_answer(api, interval):
    """The latest times still accepted answer normally, whatever the interval (the bucket
    after the last one would lie past year 9999)."""
    survey = await api.survey()
    await api.answer(survey["id"], 9)
    params = {
        "survey_id": survey["id"],
        "interval": interval,
        "from": "9999-12-01",
        "to": "9999-12-30",
    }
    r = await api.get("/v1/scores", params=params)
    assert r.status_code == 200, r.text
    assert all(row["n"] == 0 for row in r.json()["rows"])


@pytest.mark.parametrize("path", ["/v1/responses", "/v1/exports/responses"])
@pytest.mark.parametrize(("name", "value", "extra"), [e for e in EDGE_TIMES if not e[2]])
async def test_response_lists_refuse_times_past_the_calendar(api, path, name, value, extra):
    body = assert_problem(await api.get(path, params={name: value}), 422)
    assert body["errors"][0]["parameter"] == name


@pytest.mark.parametrize("path", ["/v1/responses", "/v1/exports/responses"])
@pytest.mark.parametrize("value", EDGE_UPDATED_SINCE)
async def test_updated_since_past_the_calendar_is_refused(api, path, value):
    body = assert_problem(await api.get(path, params={"updated_since": value}), 422)
    assert body["errors"][0]["parameter"] == "updated_since"


@pytest.mark.parametrize("path", ["/v1/responses", "/v1/exports/responses"])
@pytest.mark.parametrize(
    "when", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00"]
)
async def test_cursor_holding_a_time_past_the_calendar_is_refused(api, path, when):
    survey = await api.survey()
    await api.answer(survey["id"], 9)
    r = await api.get(path, params={"cursor": cursor_at(when)})
    assert_problem(r, 400, "invalid-cursor")


async def test_times_inside_the_calendar_still_work(api):
    survey = await api.survey()
    await api.answer(survey["id"], 9)
    r = await api.get("/v1/responses", params={"updated_since": "0001-01-02T05:00:00+05:00"})
    assert r.status_code == 200, r.text
    assert len(r.json()["data"]) >= 1
    r = await api.get("/v1/responses", params={"cursor": cursor_at("0001-01-02T00:00:00+00:00")})
    assert r.status_code == 200, r.text
