"""METRICS.md: a change is reported whenever both periods have a score (n ≥ 1 in each);
`delta` is always the difference, `z` and `p` are null where the test is undefined (a mean
with n < 2 in either period, or a standard error of 0), and `significant` is then false."""

import pytest


async def weekly(api, survey_id):
    r = await api.get(
        "/v1/scores",
        params={
            "survey_id": survey_id,
            "interval": "week",
            "from": "2026-06-01",
            "to": "2026-06-22",
        },
    )
    assert r.status_code == 200, r.text
    return r.json()["rows"]


async def test_ces_change_with_one_answer_reports_delta_without_test(api):
    survey = await api.survey(kind="ces")
    await api.answer(survey["id"], 3, submitted_at="2026-06-02T12:00:00Z")  # week 1: n 1
    for score in (6, 7, 7):  # week 2: n 3, mean 20/3
        await api.answer(survey["id"], score, submitted_at="2026-06-09T12:00:00Z")
    first, second, empty = await weekly(api, survey["id"])
    assert first["change"] is None  # no previous bucket
    assert second["change"] == {
        "delta": pytest.approx(20 / 3 - 3, abs=1e-12),
        "z": None,
        "p": None,
        "significant": False,
    }
    assert empty["n"] == 0 and empty["change"] is None  # an empty bucket has no score


async def test_csat_change_with_zero_standard_error(api):
    survey = await api.survey(kind="csat")
    await api.answer(survey["id"], 5, submitted_at="2026-06-02T12:00:00Z")
    await api.answer(survey["id"], 4, submitted_at="2026-06-09T12:00:00Z")
    _first, second, _empty = await weekly(api, survey["id"])
    assert second["change"] == {"delta": 0, "z": None, "p": None, "significant": False}
