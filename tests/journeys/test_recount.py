"""Churn and drivers equal an independent recount of generated histories, cell by cell:
the rules of METRICS.md written out again here, in Python, over the same answers."""

import math
import random
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.journeys.data import answer, at, iso, outcomes

HORIZON, WINDOW = 60, 45
START, END, AS_OF = at(0), at(30), at(100)
TOUCHPOINTS = ["billing", "delivery", "support"]
SEGMENTS = ["a", "b", "c"]
GOOD_FROM = {"csat": 4, "ces": 5}  # CSAT 1-5 top box, CES 1-7 easy


def wilson(k: int, n: int) -> tuple[float, float] | None:
    if not n:
        return None
    z, p = 1.96, k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, 100 * (centre - half)), min(100.0, 100 * (centre + half))


def adjusted(scores: list[int]) -> tuple[float, float]:
    n = len(scores) + 3
    p = (sum(s >= 9 for s in scores) + 0.75) / n
    d = (sum(s <= 6 for s in scores) + 0.75) / n
    return p - d, math.sqrt((p + d - (p - d) ** 2) / n)


def nps(scores: list[int]) -> float | None:
    if not scores:
        return None
    return 100 * (sum(s >= 9 for s in scores) - sum(s <= 6 for s in scores)) / len(scores)


def category(score: int) -> str:
    return "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"


@pytest.fixture
async def history(api):
    rng = random.Random(20251201)
    relationship = (await api.survey(name="Relationship"))["id"]
    kinds = {
        (await api.survey(name="Support", kind="csat", scale_max=5))["id"]: ("csat", 5),
        (await api.survey(name="Effort", kind="ces", scale_max=7))["id"]: ("ces", 7),
    }
    seconds = iter(rng.sample(range(-120 * 86400, 45 * 86400), 2000))  # distinct times
    answers, events = [], []
    for i in range(50):
        customer = f"c{i:02d}"
        for _ in range(rng.randint(0, 3)):
            when = at(seconds=next(seconds) % (45 * 86400) - 5 * 86400)
            segment = rng.choice(SEGMENTS)
            score = rng.randint(0, 10)
            answers.append((customer, relationship, score, when, {"segment": segment}))
        for _ in range(rng.randint(0, 5)):
            survey = rng.choice(list(kinds))
            when = at(seconds=next(seconds))
            score = rng.randint(1, kinds[survey][1])
            answers.append((customer, survey, score, when, {"touchpoint": rng.choice(TOUCHPOINTS)}))
        for _ in range(rng.randint(0, 2)):
            events.append(
                {
                    "customer_id": customer,
                    "type": "churned",
                    "occurred_at": at(seconds=rng.randint(-10, 130) * 86400),
                }
            )
        for _ in range(rng.randint(0, 3)):
            events.append(
                {
                    "customer_id": customer,
                    "type": "purchase",
                    "occurred_at": at(seconds=rng.randint(-400 * 86400, 40 * 86400)),
                    "value": f"{rng.randint(0, 99999) / 100:.2f}",
                }
            )
    # Edges: a churn exactly at answer time + H, a purchase exactly 365 days before.
    answers.append(("edge", relationship, 3, at(10), {"segment": "a"}))
    events.append({"customer_id": "edge", "type": "churned", "occurred_at": at(10 + HORIZON)})
    events.append(
        {"customer_id": "edge", "type": "purchase", "occurred_at": at(10 - 365), "value": "12.34"}
    )
    answers.append((None, relationship, 0, at(5), {"segment": "a"}))  # no customer
    for customer, survey, score, when, extra in answers:
        await answer(api, survey, customer, score, when, **extra)
    await outcomes(api, events)
    return relationship, kinds, answers, events


def units(answers, relationship):
    latest = {}
    for customer, survey, score, when, extra in answers:
        in_range = customer and survey == relationship and START <= when < END
        if in_range and (customer not in latest or when > latest[customer][1]):
            latest[customer] = (score, when, extra["segment"])
    return latest


async def test_churn_equals_a_recount(api, history):
    relationship, _kinds, answers, events = history
    expected = {}
    for customer, (score, t, segment) in units(answers, relationship).items():
        cell = expected.setdefault((segment, category(score)), [0, 0, 0, Decimal(0), Decimal(0)])
        eligible = t + timedelta(days=HORIZON) <= AS_OF
        lost = any(
            e["customer_id"] == customer
            and e["type"] == "churned"
            and t < e["occurred_at"] <= t + timedelta(days=HORIZON)
            for e in events
        )
        value = sum(
            (
                Decimal(e["value"])
                for e in events
                if e["customer_id"] == customer
                and e["type"] == "purchase"
                and t - timedelta(days=365) <= e["occurred_at"] <= t
            ),
            Decimal(0),
        )
        cell[0] += 1
        cell[1] += eligible
        cell[2] += eligible and lost
        cell[3] += value if eligible else 0
        cell[4] += value if eligible and lost else 0
    r = await api.get(
        "/v1/analytics/churn",
        params={
            "survey_id": relationship,
            "from": iso(START),
            "to": iso(END),
            "as_of": iso(AS_OF),
            "horizon_days": HORIZON,
            "group_by": "segment",
        },
    )
    assert r.status_code == 200, r.text
    groups = r.json()["groups"]
    assert [g["group"]["segment"] for g in groups] == sorted({s for s, _c in expected})
    checked = 0
    for group in groups:
        segment = group["group"]["segment"]
        for row in group["rows"]:
            customers, eligible, churned, value_e, value_c = expected.get(
                (segment, row["category"]), [0, 0, 0, Decimal(0), Decimal(0)]
            )
            assert (row["customers"], row["eligible"], row["churned"]) == (
                customers,
                eligible,
                churned,
            ), (segment, row)
            assert row["pending"] == customers - eligible
            assert row["value_eligible"] == f"{value_e:.2f}"
            assert row["value_churned"] == f"{value_c:.2f}"
            if eligible:
                assert row["churn_rate"] == pytest.approx(100 * churned / eligible)
                low, high = wilson(churned, eligible)
                assert row["churn_rate_ci95"]["low"] == pytest.approx(low)
                assert row["churn_rate_ci95"]["high"] == pytest.approx(high)
            else:
                assert row["churn_rate"] is None and row["churn_rate_ci95"] is None
            checked += 1
        bad = expected.get((segment, "detractor"), [0, 0, 0])
        good = expected.get((segment, "promoter"), [0, 0, 0])
        if bad[2] and good[2]:
            rr = (bad[2] / bad[1]) / (good[2] / good[1])
            half = 1.96 * math.sqrt(1 / bad[2] - 1 / bad[1] + 1 / good[2] - 1 / good[1])
            assert group["relative_risk"] == pytest.approx(rr)
            assert group["relative_risk_ci95"]["low"] == pytest.approx(rr * math.exp(-half))
            assert group["relative_risk_ci95"]["high"] == pytest.approx(rr * math.exp(half))
        else:
            assert group["relative_risk"] is None and group["relative_risk_ci95"] is None
    assert checked == 3 * len(groups) and sum(c[0] for c in expected.values()) > 20


async def test_drivers_equal_a_recount(api, history):
    relationship, kinds, answers, _events = history
    sides: dict[str, dict[bool, list[int]]] = {}
    for customer, (score, t_r, _segment) in units(answers, relationship).items():
        for touchpoint in TOUCHPOINTS:
            seen = [
                (when, survey, given)
                for who, survey, given, when, extra in answers
                if who == customer
                and survey in kinds
                and extra.get("touchpoint") == touchpoint
                and t_r - timedelta(days=WINDOW) <= when <= t_r
            ]
            if not seen:
                continue
            _when, survey, given = max(seen)
            good = given >= GOOD_FROM[kinds[survey][0]]
            sides.setdefault(touchpoint, {True: [], False: []})[good].append(score)
    r = await api.get(
        "/v1/analytics/drivers",
        params={
            "relationship_survey_id": relationship,
            "transactional_survey_id": list(kinds),
            "from": iso(START),
            "to": iso(END),
            "window_days": WINDOW,
        },
    )
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    assert sorted(row["touchpoint"] for row in rows) == sorted(sides)
    for row in rows:
        good, bad = sides[row["touchpoint"]][True], sides[row["touchpoint"]][False]
        n = len(good) + len(bad)
        assert (row["n_good"], row["n_bad"]) == (len(good), len(bad))
        assert row["nps_good"] == (None if not good else pytest.approx(nps(good)))
        assert row["nps_bad"] == (None if not bad else pytest.approx(nps(bad)))
        assert row["reach"] == pytest.approx(100 * len(bad) / n)
        if good and bad:
            gap = nps(good) - nps(bad)
            (c1, se1), (c2, se2) = adjusted(good), adjusted(bad)
            z = (c1 - c2) / math.sqrt(se1**2 + se2**2)
            assert row["gap"] == pytest.approx(gap)
            assert row["z"] == pytest.approx(z)
            assert row["p"] == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
            assert row["impact"] == pytest.approx(gap * len(bad) / n)
        else:
            assert row["gap"] is None and row["impact"] is None
    impacts = [row["impact"] for row in rows if row["impact"] is not None]
    assert impacts == sorted(impacts, reverse=True)
    assert sum(len(s[True]) + len(s[False]) for s in sides.values()) > 10
