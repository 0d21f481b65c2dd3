"""Property: for random answers, groupings, intervals and time zones, /v1/scores equals a
straightforward recomputation written here from METRICS.md, independent of app code."""

import math
import os
from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from conftest import Api, new_key, new_project
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("SENTIO_PROPERTY_EXAMPLES", "150"))
# Zones with a daylight-saving change inside the window below, odd offsets included.
ZONES = [
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "Asia/Kathmandu",
    "America/St_Johns",
    "Pacific/Chatham",
]
WINDOW_START = datetime(2026, 3, 1, tzinfo=UTC)  # spans the March/April 2026 DST changes
WINDOW_MINUTES = 60 * 24 * 50
SCALES = {"nps": [(0, 10)], "csat": [(1, 3), (1, 5), (1, 7), (1, 10)], "ces": [(1, 5), (1, 7)]}
Z = 1.96


@st.composite
def scenarios(draw):
    kind = draw(st.sampled_from(sorted(SCALES)))
    low, high = draw(st.sampled_from(SCALES[kind]))
    answer = st.fixed_dictionaries(
        {
            "score": st.integers(low, high),
            "segment": st.sampled_from([None, "smb", "enterprise"]),
            "touchpoint": st.sampled_from([None, "checkout", "support"]),
            "channel": st.sampled_from(["email", "web"]),
            "minute": st.integers(0, WINDOW_MINUTES),
        }
    )
    answers = draw(st.lists(answer, min_size=0, max_size=30))
    group_by = draw(
        st.lists(st.sampled_from(["segment", "touchpoint", "channel"]), unique=True, max_size=2)
    )
    interval = draw(st.sampled_from(["none", "day", "week", "month", "quarter", "year"]))
    tz = draw(st.sampled_from(ZONES))
    bounded = draw(st.booleans())
    start_day = draw(st.integers(0, 25))
    length = draw(st.integers(1, 30))
    return kind, low, high, answers, group_by, interval, tz, bounded, start_day, length


def bucket_of(day: date, interval: str) -> date | None:
    if interval == "none":
        return None
    if interval == "day":
        return day
    if interval == "week":
        return day - timedelta(days=day.isoweekday() - 1)
    if interval == "month":
        return date(day.year, day.month, 1)
    if interval == "quarter":
        return date(day.year, [1, 1, 1, 4, 4, 4, 7, 7, 7, 10, 10, 10][day.month - 1], 1)
    return date(day.year, 1, 1)


def wilson(k, n):
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z / (1 + Z * Z / n) * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n))
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def expected_scores(kind, low, high, scores):
    n = len(scores)
    if n == 0:
        return {"n": 0}
    mean = sum(scores) / n
    out = {"n": n}
    if n > 1:
        sd = math.sqrt(sum((s - mean) ** 2 for s in scores) / (n - 1))
        half = Z * sd / math.sqrt(n)
        mean_ci = (mean - half, mean + half)
    else:
        mean_ci = None
    if kind == "nps":
        promoters = sum(s >= 9 for s in scores)
        detractors = sum(s <= 6 for s in scores)
        out["nps"] = 100 * (promoters - detractors) / n
        p, d = (promoters + 0.75) / (n + 3), (detractors + 0.75) / (n + 3)
        se = math.sqrt((p + d - (p - d) ** 2) / (n + 3))
        out["nps_ci95"] = (max(-100, 100 * (p - d - Z * se)), min(100, 100 * (p - d + Z * se)))
    elif kind == "csat":
        top = {3: 3, 5: 4, 7: 6, 10: 8}[high]
        satisfied = sum(s >= top for s in scores)
        out.update(
            csat=100 * satisfied / n, csat_ci95=wilson(satisfied, n), mean=mean, mean_ci95=mean_ci
        )
    else:
        easy_from = {5: 4, 7: 5}[high]
        easy = sum(s >= easy_from for s in scores)
        out.update(ces=mean, ces_ci95=mean_ci, easy_pct=100 * easy / n, easy_ci95=wilson(easy, n))
    return out


@pytest.fixture(scope="module")
async def project_api(client):
    project = await new_project("property")
    return Api(client, project, await new_key(project, "admin"))


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
async def test_scores_equal_an_independent_recount(project_api, scenario):
    kind, low, high, answers, group_by, interval, tz, bounded, start_day, length = scenario
    api = project_api
    survey = await api.survey(kind=kind, scale_max=high)
    for a in answers:
        when = WINDOW_START + timedelta(minutes=a["minute"])
        fields = {k: a[k] for k in ("segment", "touchpoint", "channel") if a[k] is not None}
        await api.answer(survey["id"], a["score"], submitted_at=when.isoformat(), **fields)

    zone = ZoneInfo(tz)
    params = {"survey_id": survey["id"], "interval": interval, "tz": tz}
    if group_by:
        params["group_by"] = ",".join(group_by)
    start = end = None
    if bounded:
        first_day = date(2026, 3, 1) + timedelta(days=start_day)
        start = datetime(first_day.year, first_day.month, first_day.day, tzinfo=zone)
        last = first_day + timedelta(days=length)
        end = datetime(last.year, last.month, last.day, tzinfo=zone)
        params.update({"from": first_day.isoformat(), "to": last.isoformat()})
    r = await api.get("/v1/scores", params=params)
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]

    expected = defaultdict(list)
    for a in answers:
        when = WINDOW_START + timedelta(minutes=a["minute"])
        if start is not None and not (start <= when < end):
            continue
        key = tuple(a[g] for g in group_by)
        expected[(key, bucket_of(when.astimezone(zone).date(), interval))].append(a["score"])

    got = {}
    for row in rows:
        key = tuple(row["group"][g] for g in group_by)
        bucket = date.fromisoformat(row["bucket"]) if interval != "none" else None
        assert (key, bucket) not in got, "duplicate row"
        got[(key, bucket)] = row
        assert row["low_sample"] == (row["n"] < 30)
        assert set(row["distribution"]) == {str(v) for v in range(low, high + 1)}
    non_empty = {k for k, row in got.items() if row["n"] > 0}
    assert non_empty == set(expected)
    for k, scores in expected.items():
        row, want = got[k], expected_scores(kind, low, high, scores)
        assert row["n"] == want["n"]
        assert row["distribution"] == {str(v): scores.count(v) for v in range(low, high + 1)}
        for name, value in want.items():
            if name == "n":
                continue
            if isinstance(value, tuple):
                assert row[name]["low"] == pytest.approx(value[0], abs=1e-9), name
                assert row[name]["high"] == pytest.approx(value[1], abs=1e-9), name
            elif value is None:
                assert row[name] is None, name
            else:
                assert row[name] == pytest.approx(value, abs=1e-9), name
    if interval == "none" and not group_by:
        assert len(rows) == 1
