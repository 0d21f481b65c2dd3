"""Scores through the API, checked against every test vector of METRICS.md."""

import csv
import io

import pytest
from conftest import assert_problem

TOL = 0.005  # METRICS.md: intervals to two decimals


def spread(counts: dict[int, int]) -> list[int]:
    return [score for score, times in counts.items() for _ in range(times)]


async def seed(api, survey_id, counts, **fields):
    for score in spread(counts):
        await api.answer(survey_id, score, **fields)


async def score_rows(api, survey_ids, **params):
    if isinstance(survey_ids, str):
        survey_ids = [survey_ids]
    r = await api.get("/v1/scores", params={"survey_id": survey_ids, **params})
    assert r.status_code == 200, r.text
    return r.json()["rows"]


def near(interval, low, high, tol=TOL):
    assert interval is not None
    assert interval["low"] == pytest.approx(low, abs=tol), interval
    assert interval["high"] == pytest.approx(high, abs=tol), interval


NPS_100 = {10: 30, 9: 30, 8: 15, 7: 10, 6: 5, 5: 4, 4: 2, 3: 1, 2: 1, 1: 1, 0: 1}


async def test_vector_nps_100(api):
    survey = await api.survey(kind="nps")
    await seed(api, survey["id"], NPS_100)
    [row] = await score_rows(api, survey["id"])
    assert (row["n"], row["promoters"], row["passives"], row["detractors"]) == (100, 60, 25, 15)
    assert row["nps"] == pytest.approx(45, abs=1e-9)
    near(row["nps_ci95"], 29.34, 58.04)
    assert row["low_sample"] is False
    assert row["distribution"] == {str(k): NPS_100.get(k, 0) for k in range(11)}
    assert "csat" not in row and "ces" not in row  # only the kind's own fields


async def test_vector_nps_split(api):
    survey = await api.survey(kind="nps")
    await seed(api, survey["id"], {10: 1, 0: 1})
    [row] = await score_rows(api, survey["id"])
    assert row["nps"] == 0
    near(row["nps_ci95"], -73.34, 73.34)


async def test_vector_nps_single(api):
    survey = await api.survey(kind="nps")
    await seed(api, survey["id"], {9: 1})
    [row] = await score_rows(api, survey["id"])
    assert row["nps"] == 100
    near(row["nps_ci95"], -48.50, 98.50)
    assert row["low_sample"] is True


async def test_vector_csat(api):
    survey = await api.survey(kind="csat", scale_max=5)
    await seed(api, survey["id"], {5: 40, 4: 35, 3: 10, 2: 8, 1: 7})
    [row] = await score_rows(api, survey["id"])
    assert row["n"] == 100 and row["satisfied"] == 75
    assert row["csat"] == pytest.approx(75, abs=1e-9)
    near(row["csat_ci95"], 65.70, 82.45)
    assert row["mean"] == pytest.approx(3.93, abs=1e-9)
    near(row["mean_ci95"], 3.6932, 4.1668, tol=0.00005)


async def test_vector_ces(api):
    survey = await api.survey(kind="ces", scale_max=7)
    await seed(api, survey["id"], {7: 20, 6: 25, 5: 15, 4: 10, 3: 10, 2: 10, 1: 10})
    [row] = await score_rows(api, survey["id"])
    assert row["ces"] == pytest.approx(4.65, abs=1e-9)
    near(row["ces_ci95"], 4.2596, 5.0404, tol=0.00005)
    assert row["easy"] == 60 and row["easy_pct"] == pytest.approx(60, abs=1e-9)
    near(row["easy_ci95"], 50.20, 69.06)


async def test_vector_change_between_periods(api):
    survey = await api.survey(kind="nps")
    # B in the first week, A in the second: the change from B to A is +20 points.
    await seed(api, survey["id"], {10: 50, 8: 25, 5: 25}, submitted_at="2026-06-02T12:00:00Z")
    await seed(api, survey["id"], {10: 60, 8: 25, 6: 15}, submitted_at="2026-06-09T12:00:00Z")
    first, second = await score_rows(api, survey["id"], interval="week")
    assert (first["bucket"], second["bucket"]) == ("2026-06-01", "2026-06-08")
    assert (first["nps"], second["nps"]) == (pytest.approx(25), pytest.approx(45))
    assert first["change"] is None
    change = second["change"]
    assert change["delta"] == pytest.approx(20, abs=1e-9)
    assert change["z"] == pytest.approx(1.7728, abs=0.00005)
    assert change["p"] == pytest.approx(0.0763, abs=0.00005)
    assert change["significant"] is False


async def test_vector_no_responses(api):
    for kind, fields in (
        ("nps", ["nps", "nps_ci95"]),
        ("csat", ["csat", "csat_ci95", "mean", "mean_ci95"]),
        ("ces", ["ces", "ces_ci95", "easy_pct", "easy_ci95"]),
    ):
        survey = await api.survey(kind=kind)
        [row] = await score_rows(api, survey["id"])
        assert row["n"] == 0 and row["low_sample"] is True
        assert all(row[f] is None for f in fields), row
        assert set(row["distribution"].values()) == {0}


async def test_group_by_segment_touchpoint_and_attribute(api):
    survey = await api.survey(kind="nps", default_touchpoint="checkout")
    await seed(api, survey["id"], {10: 2, 0: 1}, segment="smb", attributes={"plan": "pro"})
    await seed(
        api,
        survey["id"],
        {8: 1},
        segment="smb",
        touchpoint="chat",
        attributes={"plan": "free", "trial": True},
    )
    await seed(api, survey["id"], {9: 1})
    rows = await score_rows(api, survey["id"], group_by="segment,touchpoint")
    got = {(r["group"]["segment"], r["group"]["touchpoint"]): (r["n"], r["nps"]) for r in rows}
    assert got == {
        ("smb", "checkout"): (3, pytest.approx(100 / 3)),
        ("smb", "chat"): (1, 0.0),
        (None, "checkout"): (1, 100.0),
    }
    rows = await score_rows(api, survey["id"], group_by="attributes.plan")
    assert {r["group"]["attributes.plan"]: r["n"] for r in rows} == {"pro": 3, "free": 1, None: 1}
    rows = await score_rows(api, survey["id"], group_by="attributes.trial")
    assert {r["group"]["attributes.trial"]: r["n"] for r in rows} == {"true": 1, None: 4}
    rows = await score_rows(api, survey["id"], segment="smb", attribute="plan:pro")
    assert [r["n"] for r in rows] == [3]


async def test_several_surveys_and_group_by_survey(api):
    a = await api.survey(kind="csat")
    b = await api.survey(kind="csat")
    await seed(api, a["id"], {5: 1})
    await seed(api, b["id"], {1: 1})
    [both] = await score_rows(api, [a["id"], b["id"]])
    assert both["n"] == 2 and both["csat"] == 50
    rows = await score_rows(api, [a["id"], b["id"]], group_by="survey")
    assert {r["group"]["survey"]: r["csat"] for r in rows} == {a["id"]: 100, b["id"]: 0}


async def test_mixing_scales_is_refused(api):
    csat5 = await api.survey(kind="csat", scale_max=5)
    csat7 = await api.survey(kind="csat", scale_max=7)
    nps = await api.survey(kind="nps")
    for pair in ((csat5, csat7), (csat5, nps)):
        r = await api.get("/v1/scores", params={"survey_id": [pair[0]["id"], pair[1]["id"]]})
        assert_problem(r, 422, "mixed-scales")


async def test_daily_buckets_across_daylight_saving(api):
    survey = await api.survey(kind="nps")
    # Europe/Berlin moves to summer time on 2026-03-29 (a 23-hour local day).
    times = {
        "2026-03-28T22:59:00Z": 10,  # 23:59 local, March 28
        "2026-03-28T23:00:00Z": 0,  # 00:00 local, March 29 (+01:00)
        "2026-03-29T21:59:00Z": 9,  # 23:59 local, March 29 (+02:00)
        "2026-03-29T22:00:00Z": 7,  # 00:00 local, March 30
    }
    for when, score in times.items():
        await api.answer(survey["id"], score, submitted_at=when)
    rows = await score_rows(api, survey["id"], interval="day", tz="Europe/Berlin")
    assert [(r["bucket"], r["n"]) for r in rows] == [
        ("2026-03-28", 1),
        ("2026-03-29", 2),
        ("2026-03-30", 1),
    ]
    rows = await score_rows(api, survey["id"], interval="day", tz="UTC")
    assert [(r["bucket"], r["n"]) for r in rows] == [("2026-03-28", 2), ("2026-03-29", 2)]
    rows = await score_rows(
        api,
        survey["id"],
        interval="day",
        tz="Europe/Berlin",
        **{"from": "2026-03-29", "to": "2026-03-30"},
    )
    assert [(r["bucket"], r["n"]) for r in rows] == [("2026-03-29", 2)]


async def test_daily_buckets_over_more_than_500_days_in_a_zone_off_utc(api):
    # Every UTC day is cut by a Berlin midnight: one raw edge slice per day, more slices
    # than SQLite allows terms in one compound SELECT.
    survey = await api.survey(kind="nps")
    times = {
        "2024-01-01T23:30:00Z": 10,  # 00:30 local, January 2
        "2024-07-01T22:30:00Z": 0,  # 00:30 local (+02:00), July 2
        "2025-08-01T12:00:00Z": 9,
    }
    for when, score in times.items():
        await api.answer(survey["id"], score, submitted_at=when)
    rows = await score_rows(api, survey["id"], interval="day", tz="Europe/Berlin")
    assert len(rows) == 578  # 2024-01-02 .. 2025-08-01, empty days included
    counted = {r["bucket"]: r["nps"] for r in rows if r["n"]}
    assert counted == {"2024-01-02": 100, "2024-07-02": -100, "2025-08-01": 100}


async def test_empty_buckets_are_filled_and_series_are_per_group(api):
    survey = await api.survey(kind="nps")
    await api.answer(survey["id"], 10, segment="a", submitted_at="2026-01-05T10:00:00Z")
    await api.answer(survey["id"], 0, segment="a", submitted_at="2026-03-05T10:00:00Z")
    await api.answer(survey["id"], 9, segment="b", submitted_at="2026-02-05T10:00:00Z")
    rows = await score_rows(
        api,
        survey["id"],
        group_by="segment",
        interval="month",
        **{"from": "2026-01-01", "to": "2026-05-01"},
    )
    table = [(r["group"]["segment"], r["bucket"], r["n"]) for r in rows]
    assert table == [
        ("a", "2026-01-01", 1),
        ("a", "2026-02-01", 0),
        ("a", "2026-03-01", 1),
        ("a", "2026-04-01", 0),
        ("b", "2026-01-01", 0),
        ("b", "2026-02-01", 1),
        ("b", "2026-03-01", 0),
        ("b", "2026-04-01", 0),
    ]
    assert rows[1]["nps"] is None and rows[1]["change"] is None  # empty: no change either
    quarter = await score_rows(api, survey["id"], interval="quarter")
    assert [(r["bucket"], r["n"]) for r in quarter] == [("2026-01-01", 3)]
    year = await score_rows(api, survey["id"], interval="year", tz="Pacific/Kiritimati")
    assert [(r["bucket"], r["n"]) for r in year] == [("2026-01-01", 3)]


async def test_csv_is_one_flat_table(api):
    survey = await api.survey(kind="nps")
    await api.answer(
        survey["id"], 10, segment='=HYPERLINK("x")', submitted_at="2026-06-02T12:00:00Z"
    )
    await api.answer(survey["id"], 3, segment="smb", submitted_at="2026-06-09T12:00:00Z")
    r = await api.get(
        "/v1/scores",
        params={
            "survey_id": survey["id"],
            "group_by": "segment",
            "interval": "week",
            "format": "csv",
        },
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    header, *lines = list(csv.reader(io.StringIO(r.text)))
    assert header[:4] == ["segment", "bucket", "n", "low_sample"]
    assert "nps_ci95_low" in header and "count_10" in header and "change_p" in header
    assert len(lines) == 4  # two segments x two weeks
    assert all(len(line) == len(header) for line in lines)
    assert lines[0][0] == '\'=HYPERLINK("x")'  # formula neutralised
    row = dict(zip(header, lines[0], strict=True))
    assert (row["bucket"], row["n"], row["nps"], row["count_10"]) == (
        "2026-06-01",
        "1",
        "100.0",
        "1",
    )
    assert float(row["nps_ci95_low"]) == pytest.approx(-48.5, abs=TOL)
    via_accept = await api.get(
        "/v1/scores", params={"survey_id": survey["id"]}, headers={"Accept": "text/csv"}
    )
    assert via_accept.text.startswith("n,low_sample,nps,")


async def test_bad_score_queries(api):
    survey = await api.survey()
    sid = survey["id"]
    cases = [
        ({"survey_id": sid, "tz": "Mars/Olympus"}, 422, "validation-error"),
        ({"survey_id": sid, "tz": "../../etc/passwd"}, 422, "validation-error"),
        ({"survey_id": sid, "from": "2026-02-01", "to": "2026-01-01"}, 422, "validation-error"),
        ({"survey_id": sid, "from": "2026-02-01", "to": "2026-02-01"}, 422, "validation-error"),
        ({"survey_id": sid, "from": "last week"}, 422, "validation-error"),
        ({"survey_id": sid, "group_by": "colour"}, 422, "validation-error"),
        ({"survey_id": sid, "group_by": "attributes.bad-key"}, 422, "validation-error"),
        ({"survey_id": sid, "group_by": "segment,segment"}, 422, "validation-error"),
        ({"survey_id": sid, "interval": "fortnight"}, 422, "validation-error"),
        ({"survey_id": sid, "min_n": 0}, 422, "validation-error"),
        ({"survey_id": sid, "attribute": "plan"}, 422, "validation-error"),
        ({"survey_id": "nope"}, 422, "validation-error"),
        ({}, 422, "validation-error"),
        ({"survey_id": "00000000-0000-7000-8000-00000000f00d"}, 404, "survey-not-found"),
    ]
    for params, status, slug in cases:
        body = assert_problem(await api.get("/v1/scores", params=params), status, slug)
        if status == 422 and "tz" in params:
            assert body["errors"][0]["parameter"] == "tz"


async def test_scores_are_per_project(api, client):
    from conftest import Api, new_key, new_project

    survey = await api.survey()
    await api.answer(survey["id"], 10)
    other_project = await new_project()
    other = Api(client, other_project, await new_key(other_project, "admin"))
    assert_problem(await other.get("/v1/scores", params={"survey_id": survey["id"]}), 404)
    assert_problem(await other.get(f"/v1/surveys/{survey['id']}"), 404)
    assert (await other.get("/v1/responses")).json()["data"] == []
