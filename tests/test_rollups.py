"""Rollups stay exact: after random answers, late history imports, score changes, deletes
and erasures, /v1/scores equals an independent recount of the live answers in any zone and
interval, and the rollup table equals a GROUP BY over the responses."""

import os
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import Api, new_key, new_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from test_scores_property import ZONES, bucket_of, expected_scores

from app.db import sessionmaker
from app.models import Response, ScoreRollup
from app.models.rollup import SCORES
from app.scores.plan import day_number, week_of

EXAMPLES = int(os.environ.get("SENTIO_PROPERTY_EXAMPLES", "150")) // 3
NOW = datetime.now(UTC).replace(microsecond=0)
HISTORY_MINUTES = 60 * 24 * 400  # late imports reach back more than a year

answer = st.fixed_dictionaries(
    {
        "score": st.integers(0, 10),
        "segment": st.sampled_from([None, "smb", "enterprise"]),
        "touchpoint": st.sampled_from([None, "checkout", "support"]),
        "customer": st.sampled_from(["c1", "c2", "c3", "c4"]),
        "minutes_ago": st.integers(1, HISTORY_MINUTES),
    }
)
change = st.one_of(
    st.tuples(st.just("score"), st.integers(0, 1000), st.integers(0, 10)),
    st.tuples(st.just("comment"), st.integers(0, 1000), st.just(0)),
    st.tuples(st.just("delete"), st.integers(0, 1000), st.just(0)),
    st.tuples(st.just("erase"), st.sampled_from(["c1", "c2", "c3", "c4"]), st.just(0)),
)


@pytest.fixture(scope="module")
async def project_api(client):
    project = await new_project("rollups")
    return Api(client, project, await new_key(project, "admin"))


async def apply(api, survey_id, answers, changes):
    """Write everything through the API; return the live answers as the recount sees them."""
    live = {}
    for a in answers:
        fields = {k: a[k] for k in ("segment", "touchpoint") if a[k] is not None}
        when = NOW - timedelta(minutes=a["minutes_ago"])
        r = await api.answer(
            survey_id,
            a["score"],
            customer_id=a["customer"],
            submitted_at=when.isoformat(),
            **fields,
        )
        live[r["id"]] = {**a, "when": when}
    for kind, target, value in changes:
        ids = list(live)
        if kind == "erase":
            r = await api.post("/v1/erasures", json={"customer_id": target})
            assert r.status_code == 200, r.text
            live = {k: v for k, v in live.items() if v["customer"] != target}
            continue
        if not ids:
            continue
        response_id = ids[target % len(ids)]
        if kind == "delete":
            r = await api.delete(f"/v1/responses/{response_id}")
            assert r.status_code == 204, r.text
            del live[response_id]
        else:
            body = {"score": value} if kind == "score" else {"comment": "edited"}
            r = await api.patch(f"/v1/responses/{response_id}", json=body)
            assert r.status_code == 200, r.text
            if kind == "score":
                live[response_id]["score"] = value
    return list(live.values())


async def assert_rollups_match_responses(project_id):
    """Every rollup row equals the count of live answers it stands for."""
    async with sessionmaker()() as session:
        rows = (
            await session.execute(select(ScoreRollup).where(ScoreRollup.project_id == project_id))
        ).scalars()
        got = {
            (r.survey_id, r.grain, r.period, r.segment, r.touchpoint, score): n
            for r in rows
            for score in SCORES
            if (n := getattr(r, f"n{score}"))
        }
        answers = await session.execute(
            select(
                Response.survey_id,
                Response.segment,
                Response.touchpoint,
                Response.score,
                Response.submitted_at,
            ).where(Response.project_id == project_id, Response.deleted_at.is_(None))
        )
    want: dict[tuple, int] = defaultdict(int)
    for survey_id, segment, touchpoint, score, when in answers:
        d = day_number(when)
        for grain, period in ((1, d), (7, week_of(d))):
            want[(survey_id, grain, period, segment or "", touchpoint or "", score)] += 1
    assert got == dict(want)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    answers=st.lists(answer, max_size=25),
    changes=st.lists(change, max_size=10),
    group_by=st.lists(st.sampled_from(["segment", "touchpoint"]), unique=True, max_size=2),
    interval=st.sampled_from(["none", "day", "week", "month", "quarter", "year"]),
    tz=st.sampled_from(ZONES),
    window=st.one_of(st.none(), st.tuples(st.integers(0, 420), st.integers(1, 120))),
)
async def test_scores_stay_exact_through_every_write(
    project_api, answers, changes, group_by, interval, tz, window
):
    api = project_api
    survey = await api.survey(kind="nps")
    live = await apply(api, survey["id"], answers, changes)
    await assert_rollups_match_responses(api.project_id)

    zone = ZoneInfo(tz)
    params = {"survey_id": survey["id"], "interval": interval, "tz": tz}
    if group_by:
        params["group_by"] = ",".join(group_by)
    start = end = None
    if window is not None:
        days_ago, length = window
        first_day = (NOW.astimezone(zone) - timedelta(days=days_ago)).date()
        last_day = first_day + timedelta(days=length)
        start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=zone)
        end = datetime(last_day.year, last_day.month, last_day.day, tzinfo=zone)
        params.update({"from": first_day.isoformat(), "to": last_day.isoformat()})
    r = await api.get("/v1/scores", params=params)
    assert r.status_code == 200, r.text

    expected = defaultdict(list)
    for a in live:
        if start is not None and not (start <= a["when"] < end):
            continue
        key = tuple(a[g] for g in group_by)
        expected[(key, bucket_of(a["when"].astimezone(zone).date(), interval))].append(a["score"])
    got = {}
    for row in r.json()["rows"]:
        bucket = date.fromisoformat(row["bucket"]) if interval != "none" else None
        got[(tuple(row["group"][g] for g in group_by), bucket)] = row
    assert {k for k, row in got.items() if row["n"] > 0} == set(expected)
    for k, scores in expected.items():
        want = expected_scores("nps", 0, 10, scores)
        assert got[k]["n"] == want["n"]
        assert got[k]["distribution"] == {str(v): scores.count(v) for v in range(11)}
        assert got[k]["nps"] == pytest.approx(want["nps"], abs=1e-9)


async def test_scores_read_the_rollups_and_zones_fix_the_edges(api):
    """The rollup, not the raw rows, answers whole UTC days; a zone's edge hours come from
    the raw rows. Changing a rollup row behind the service's back shows which is which."""
    survey = await api.survey(kind="nps")
    await api.answer(survey["id"], 10, submitted_at="2026-03-02T12:00:00Z")  # a Monday noon
    await api.answer(survey["id"], 0, submitted_at="2026-03-08T23:30:00Z")  # Sunday night UTC
    async with sessionmaker()() as session, session.begin():
        rows = (
            await session.execute(
                select(ScoreRollup).where(ScoreRollup.project_id == api.project_id)
            )
        ).scalars()
        for row in rows:
            row.n10 += 100

    params = {"survey_id": survey["id"], "interval": "week"}
    r = await api.get("/v1/scores", params=params)
    assert [row["n"] for row in r.json()["rows"]] == [102]
    # In Berlin, Sunday 23:30 UTC is already the next week: recounted from the raw rows.
    r = await api.get("/v1/scores", params={**params, "tz": "Europe/Berlin"})
    assert [(row["bucket"], row["n"]) for row in r.json()["rows"]] == [
        ("2026-03-02", 101),
        ("2026-03-09", 1),
    ]
    # Channel is not in the rollup: counted from the raw rows.
    r = await api.get("/v1/scores", params={**params, "group_by": "channel"})
    assert [row["n"] for row in r.json()["rows"]] == [2]
