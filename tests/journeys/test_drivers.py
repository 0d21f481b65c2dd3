"""Touchpoint drivers against METRICS.md: the vector, the window's edges, a customer's
latest experience per touchpoint, mixed transactional scales, one-sided touchpoints."""

import pytest

from app.scores import stats
from tests.journeys.data import answer, at, csv_rows, iso

TOLERANCE = 0.005


async def drivers(api, relationship: str, transactional: list[str], **params):
    query = {
        "relationship_survey_id": relationship,
        "transactional_survey_id": transactional,
        "from": iso(at(0)),
        "to": iso(at(200)),
        **params,
    }
    r = await api.get("/v1/analytics/drivers", params=query)
    assert r.status_code == 200, r.text
    return r.json()


async def test_drivers_match_the_vector(api):
    relationship = (await api.survey(name="Relationship"))["id"]
    delivery = (await api.survey(name="Delivery", kind="csat", scale_max=5))["id"]
    good = [10] * 60 + [8] * 25 + [6] * 15
    bad = [10] * 50 + [8] * 25 + [5] * 25
    for side, scores, experience in (("g", good, 5), ("b", bad, 2)):
        for i, score in enumerate(scores):
            customer = f"{side}{i:03d}"
            await answer(api, delivery, customer, experience, at(5), touchpoint="delivery")
            await answer(api, relationship, customer, score, at(10))
    report = await drivers(api, relationship, [delivery])
    (row,) = report["rows"]
    assert row["touchpoint"] == "delivery"
    assert (row["n_good"], row["n_bad"]) == (100, 100)
    assert row["nps_good"] == pytest.approx(45) and row["nps_bad"] == pytest.approx(25)
    assert row["gap"] == pytest.approx(20)
    assert abs(row["z"] - 1.7728) <= TOLERANCE and abs(row["p"] - 0.0763) <= TOLERANCE
    assert row["significant"] is False
    assert row["reach"] == pytest.approx(50) and row["impact"] == pytest.approx(10)
    assert abs(row["nps_good_ci95"]["low"] - 29.34) <= TOLERANCE  # METRICS.md's NPS 45 vector
    assert abs(row["nps_good_ci95"]["high"] - 58.04) <= TOLERANCE

    csv = await api.get(
        "/v1/analytics/drivers",
        params={
            "relationship_survey_id": relationship,
            "transactional_survey_id": delivery,
            "format": "csv",
        },
    )
    assert csv.headers["content-type"].startswith("text/csv")
    (cells,) = csv_rows(csv.text)
    assert cells["touchpoint"] == "delivery" and cells["n_bad"] == "100"
    assert float(cells["impact"]) == pytest.approx(10)


async def test_window_edges_latest_experience_and_mixed_scales(api):
    relationship = (await api.survey(name="Relationship"))["id"]
    csat = (await api.survey(name="Support CSAT", kind="csat", scale_max=5))["id"]
    ces = (await api.survey(name="Billing effort", kind="ces", scale_max=7))["id"]
    t_r = at(100)
    experiences = [
        ("edge-start", 10, csat, 5, at(10), "billing"),  # t_R - 90 days exactly: in
        ("before", 9, csat, 1, at(10, seconds=-1), "billing"),  # one second earlier: out
        ("edge-end", 0, ces, 3, t_r, "billing"),  # t_R itself: in (CES 3 of 7 is not easy)
        ("after", 9, ces, 1, at(100, seconds=1), "billing"),  # after the answer: out
        ("latest", 6, csat, 5, at(20), "billing"),
        ("latest", 6, ces, 2, at(30), "billing"),  # the latest at billing decides: bad
        ("easy", 9, ces, 5, at(50), "support"),  # CES 5 of 7 is easy
        ("satisfied", 3, csat, 4, at(50), "support"),  # CSAT 4 of 5 is satisfied
        ("unhappy", 10, csat, 1, at(50), "returns"),
    ]
    for customer, score, survey, experience, when, touchpoint in experiences:
        await answer(api, survey, customer, experience, when, touchpoint=touchpoint)
    for customer in dict.fromkeys(e[0] for e in experiences):
        score = next(e[1] for e in experiences if e[0] == customer)
        await answer(api, relationship, customer, score, t_r)
    # Only the latest relationship answer in the range is the unit, with its own window.
    await answer(api, relationship, "moved", 0, at(50))
    await answer(api, relationship, "moved", 10, t_r)
    await answer(api, csat, "moved", 1, at(5), touchpoint="checkout")

    report = await drivers(api, relationship, [csat, ces])
    rows = {row["touchpoint"]: row for row in report["rows"]}
    assert [row["touchpoint"] for row in report["rows"]] == ["billing", "returns", "support"]
    billing = rows["billing"]
    assert (billing["n_good"], billing["n_bad"]) == (1, 2)
    assert billing["nps_good"] == 100 and billing["nps_bad"] == -100
    assert billing["gap"] == 200
    expected = stats.change("nps", 0, 10, [1] + [0] * 5 + [1] + [0] * 4, [0] * 10 + [1])
    assert billing["z"] == pytest.approx(expected["z"])
    assert billing["reach"] == pytest.approx(200 / 3)
    assert billing["impact"] == pytest.approx(400 / 3)
    support, returns = rows["support"], rows["returns"]
    assert (support["n_good"], support["n_bad"], support["reach"]) == (2, 0, 0)
    assert support["nps_good"] == 0 and support["nps_bad"] is None
    assert support["gap"] is None and support["z"] is None and support["impact"] is None
    assert support["significant"] is False and support["nps_bad_ci95"] is None
    assert (returns["n_good"], returns["n_bad"], returns["reach"]) == (0, 1, 100)
    assert returns["nps_good"] is None and returns["gap"] is None and returns["impact"] is None

    narrow = await drivers(api, relationship, [csat, ces], window_days=60)
    rows = {row["touchpoint"]: row for row in narrow["rows"]}
    # [at(40), t_R]: only edge-end is left at billing
    assert (rows["billing"]["n_good"], rows["billing"]["n_bad"]) == (0, 1)


async def test_drivers_group_by_segment_of_the_relationship_answer(api):
    relationship = (await api.survey(name="Relationship"))["id"]
    csat = (await api.survey(name="Delivery", kind="csat", scale_max=5))["id"]
    for i, (segment, score, experience) in enumerate(
        [("smb", 10, 5), ("smb", 0, 1), ("smb", 0, 1), ("ent", 10, 5), ("ent", 9, 1)]
    ):
        await answer(api, csat, f"c{i}", experience, at(5), touchpoint="delivery")
        await answer(api, relationship, f"c{i}", score, at(10), segment=segment)
    report = await drivers(api, relationship, [csat], group_by="segment")
    groups = {row["group"]["segment"]: row for row in report["rows"]}
    assert list(groups) == ["ent", "smb"]
    assert (groups["smb"]["n_good"], groups["smb"]["n_bad"]) == (1, 2)
    assert groups["smb"]["gap"] == 200 and groups["ent"]["gap"] == 0
