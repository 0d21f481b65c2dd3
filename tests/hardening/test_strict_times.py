"""A time in a request body is ISO 8601 text with an offset: numbers (Unix times), numeric
text, dates and times without an offset are refused, on the route and on the fast path
alike, and nothing is stored."""

from datetime import datetime

import pytest

from app.auth.cache import verified_keys
from app.responses import fastpath

NOT_TIMES = [
    0,
    1700000000,
    "1700000000",
    "0",
    1.5e9,
    True,
    "2024-05-01",
    "2024-05-01T12:00:00",
    "yesterday",
    "",
    ["2024-05-01T12:00:00Z"],
    {"t": "2024-05-01T12:00:00Z"},
]


@pytest.mark.parametrize("value", NOT_TIMES)
async def test_submitted_at_takes_only_iso_text_with_an_offset(api, monkeypatch, value):
    survey = await api.survey()
    url = f"/v1/surveys/{survey['id']}/responses"
    taken: list[bool] = []
    plain_answer = fastpath._plain_answer

    def recording(*args):
        answer = plain_answer(*args)
        taken.append(answer is not None)
        return answer

    monkeypatch.setattr(fastpath, "_plain_answer", recording)
    verified_keys.clear()  # the first request reads the key: the FastAPI route
    body = {"score": 9, "submitted_at": value}
    first = await api.post(url, json=body)
    second = await api.post(url, json=body)  # the key is cached: the fast path is tried
    assert taken == [False, False]  # the fast path leaves a refused body to the route
    for r in (first, second):
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["pointer"] == "#/submitted_at", r.json()
    assert first.json() == second.json()
    listed = await api.get("/v1/responses", params={"survey_id": survey["id"]})
    assert listed.json()["data"] == []


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00Z"),
        ("2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00Z"),
        ("2024-05-01T12:00:00.250-01:00", "2024-05-01T13:00:00.250000Z"),
    ],
)
async def test_iso_times_with_an_offset_are_stored(api, value, stored):
    survey = await api.survey()
    url = f"/v1/surveys/{survey['id']}/responses"
    for _ in range(2):  # the route, then the fast path
        r = await api.post(url, json={"score": 9, "submitted_at": value})
        assert r.status_code == 201, r.text
        got = r.json()["submitted_at"]
        assert datetime.fromisoformat(got) == datetime.fromisoformat(stored)
