"""app.scores.stats against METRICS.md (the test vectors) and hand-computed examples."""

import pytest

from app.scores.stats import (
    change,
    easy_min,
    nps_adjusted,
    satisfied_min,
    series,
    summarize,
    wilson,
)

CI_TOL = 0.005  # METRICS.md gives intervals to two decimals
EXACT = 1e-9

NPS = ("nps", 0, 10)
CSAT5 = ("csat", 1, 5)
CES7 = ("ces", 1, 7)


def dist(scale_min: int, scale_max: int, counts: dict[int, int]) -> list[int]:
    """{score: count} -> list distribution over the whole scale."""
    assert all(scale_min <= s <= scale_max for s in counts)
    return [counts.get(s, 0) for s in range(scale_min, scale_max + 1)]


def nps_dist(counts: dict[int, int]) -> list[int]:
    return dist(0, 10, counts)


def assert_interval(interval: dict | None, low: float, high: float, tol: float = CI_TOL) -> None:
    assert interval is not None
    assert set(interval) == {"low", "high"}
    assert interval["low"] == pytest.approx(low, abs=tol)
    assert interval["high"] == pytest.approx(high, abs=tol)


# --- METRICS.md test vectors -------------------------------------------------


def test_vector_nps_100_answers():
    d = nps_dist({10: 30, 9: 30, 8: 15, 7: 10, 6: 5, 5: 4, 4: 2, 3: 1, 2: 1, 1: 1, 0: 1})
    r = summarize(*NPS, d)
    assert r["n"] == 100
    assert (r["promoters"], r["passives"], r["detractors"]) == (60, 25, 15)
    assert r["nps"] == pytest.approx(45, abs=EXACT)
    assert_interval(r["nps_ci95"], 29.34, 58.04)


def test_vector_nps_one_promoter_one_detractor():
    r = summarize(*NPS, nps_dist({10: 1, 0: 1}))
    assert r["n"] == 2
    assert r["nps"] == pytest.approx(0, abs=EXACT)
    assert_interval(r["nps_ci95"], -73.34, 73.34)


def test_vector_nps_single_promoter_interval_excludes_point():
    r = summarize(*NPS, nps_dist({9: 1}))
    assert r["n"] == 1
    assert r["nps"] == pytest.approx(100, abs=EXACT)
    assert_interval(r["nps_ci95"], -48.50, 98.50)
    # Correct per METRICS.md: adjusted Wald can exclude the point for tiny n.
    assert r["nps_ci95"]["high"] < r["nps"]


def test_vector_csat_1_to_5():
    r = summarize(*CSAT5, dist(1, 5, {5: 40, 4: 35, 3: 10, 2: 8, 1: 7}))
    assert r["n"] == 100
    assert r["satisfied"] == 75
    assert r["csat"] == pytest.approx(75, abs=EXACT)
    assert_interval(r["csat_ci95"], 65.70, 82.45)
    assert r["mean"] == pytest.approx(3.93, abs=EXACT)
    assert_interval(r["mean_ci95"], 3.6932, 4.1668, tol=0.00005)


def test_vector_ces_1_to_7():
    r = summarize(*CES7, dist(1, 7, {7: 20, 6: 25, 5: 15, 4: 10, 3: 10, 2: 10, 1: 10}))
    assert r["n"] == 100
    assert r["ces"] == pytest.approx(4.65, abs=EXACT)
    assert_interval(r["ces_ci95"], 4.2596, 5.0404, tol=0.00005)
    assert r["easy"] == 60
    assert r["easy_pct"] == pytest.approx(60, abs=EXACT)
    assert_interval(r["easy_ci95"], 50.20, 69.06)


def test_vector_nps_change_a_vs_b():
    a = nps_dist({10: 60, 8: 25, 6: 15})
    b = nps_dist({10: 50, 8: 25, 5: 25})
    assert summarize(*NPS, a)["nps"] == pytest.approx(45, abs=EXACT)
    assert summarize(*NPS, b)["nps"] == pytest.approx(25, abs=EXACT)

    up = change(*NPS, previous=b, current=a)
    assert up["delta"] == pytest.approx(20, abs=EXACT)
    assert up["z"] == pytest.approx(1.7728, abs=0.00005)
    assert up["p"] == pytest.approx(0.0763, abs=0.00005)
    assert up["significant"] is False

    down = change(*NPS, previous=a, current=b)
    assert down["delta"] == pytest.approx(-20, abs=EXACT)
    assert down["z"] == pytest.approx(-1.7728, abs=0.00005)
    assert down["p"] == pytest.approx(0.0763, abs=0.00005)
    assert down["significant"] is False


@pytest.mark.parametrize(
    ("kind", "lo", "hi", "scores", "intervals"),
    [
        ("nps", 0, 10, ("nps",), ("nps_ci95",)),
        ("csat", 1, 5, ("csat", "mean"), ("csat_ci95", "mean_ci95")),
        ("ces", 1, 7, ("ces", "easy_pct"), ("ces_ci95", "easy_ci95")),
    ],
)
def test_vector_no_responses(kind, lo, hi, scores, intervals):
    r = summarize(kind, lo, hi, [0] * (hi - lo + 1))
    assert r["n"] == 0
    for key in scores + intervals:
        assert key in r
        assert r[key] is None, key
    counts = {"nps": ("promoters", "passives", "detractors"), "csat": ("satisfied",)}
    for key in counts.get(kind, ("easy",)):
        assert r[key] == 0


# --- distribution and field shape ---------------------------------------------


@pytest.mark.parametrize(
    ("kind", "lo", "hi"),
    [
        ("nps", 0, 10),
        ("csat", 1, 3),
        ("csat", 1, 5),
        ("csat", 1, 7),
        ("csat", 1, 10),
        ("ces", 1, 5),
        ("ces", 1, 7),
    ],
)
def test_distribution_covers_whole_scale_with_zeros(kind, lo, hi):
    d = [0] * (hi - lo + 1)
    d[-1] = 3  # only the top score answered
    r = summarize(kind, lo, hi, d)
    expected = {str(s): 0 for s in range(lo, hi + 1)}
    expected[str(hi)] = 3
    assert r["distribution"] == expected
    assert list(r["distribution"]) == [str(s) for s in range(lo, hi + 1)]
    assert r["n"] == 3


def test_exact_fields_per_kind():
    common = {"n", "distribution"}
    nps = summarize(*NPS, nps_dist({9: 1}))
    csat = summarize(*CSAT5, [0, 0, 0, 0, 1])
    ces = summarize(*CES7, [0, 0, 0, 0, 0, 0, 1])
    assert set(nps) == common | {"nps", "nps_ci95", "promoters", "passives", "detractors"}
    assert set(csat) == common | {"csat", "csat_ci95", "satisfied", "mean", "mean_ci95"}
    assert set(ces) == common | {"ces", "ces_ci95", "easy", "easy_pct", "easy_ci95"}


def test_single_answer_has_no_mean_interval_but_has_wilson():
    csat = summarize(*CSAT5, dist(1, 5, {4: 1}))
    assert csat["mean"] == 4
    assert csat["mean_ci95"] is None
    assert csat["csat"] == 100
    assert csat["csat_ci95"] is not None
    ces = summarize(*CES7, dist(1, 7, {2: 1}))
    assert ces["ces"] == 2
    assert ces["ces_ci95"] is None
    assert ces["easy_pct"] == 0
    assert ces["easy_ci95"] is not None


def test_nps_buckets_at_boundaries():
    # 6 is a detractor, 7 and 8 passives, 9 a promoter.
    r = summarize(*NPS, nps_dist({6: 1, 7: 2, 8: 4, 9: 8}))
    assert (r["detractors"], r["passives"], r["promoters"]) == (1, 6, 8)
    assert r["nps"] == pytest.approx(100 * 7 / 15, abs=EXACT)


def test_nps_interval_clipped_to_range():
    # 100 promoters: n' = 103, p = 100.75/103 = 0.978155, d = 0.75/103 = 0.007282,
    # c = 0.970874, SE = sqrt((0.985437 - 0.942596)/103) = 0.020394,
    # 100 * (c + 1.96 SE) = 101.08 -> clipped to 100; low = 100 * (c - 1.96 SE) = 93.09
    ci = summarize(*NPS, nps_dist({10: 100}))["nps_ci95"]
    assert ci["high"] == 100
    assert ci["low"] == pytest.approx(93.09, abs=CI_TOL)
    ci = summarize(*NPS, nps_dist({0: 100}))["nps_ci95"]
    assert ci["low"] == -100
    assert ci["high"] == pytest.approx(-93.09, abs=CI_TOL)


# --- thresholds ---------------------------------------------------------------


@pytest.mark.parametrize(("scale_max", "threshold"), [(3, 3), (5, 4), (7, 6), (10, 8)])
def test_csat_top_box(scale_max, threshold):
    assert satisfied_min(scale_max) == threshold
    for score in range(1, scale_max + 1):
        r = summarize("csat", 1, scale_max, dist(1, scale_max, {score: 1}))
        assert r["satisfied"] == (1 if score >= threshold else 0), score
        assert r["csat"] == (100 if score >= threshold else 0)


@pytest.mark.parametrize(("scale_max", "threshold"), [(7, 5), (5, 4)])
def test_ces_easy(scale_max, threshold):
    assert easy_min(scale_max) == threshold
    for score in range(1, scale_max + 1):
        r = summarize("ces", 1, scale_max, dist(1, scale_max, {score: 1}))
        assert r["easy"] == (1 if score >= threshold else 0), score
        assert r["easy_pct"] == (100 if score >= threshold else 0)


@pytest.mark.parametrize("scale_max", [2, 4, 6, 11])
def test_unknown_scales_refused(scale_max):
    with pytest.raises(ValueError):
        satisfied_min(scale_max)
    if scale_max not in (3, 10):
        with pytest.raises(ValueError):
            easy_min(scale_max)


@pytest.mark.parametrize(
    ("kind", "lo", "hi", "d"),
    [
        ("nps", 1, 10, [0] * 10),  # NPS is fixed 0-10
        ("csat", 0, 5, [0] * 6),
        ("ces", 1, 10, [0] * 10),
        ("csat", 1, 5, [0] * 4),  # wrong length
        ("csat", 1, 5, [1, 0, 0, 0, -1]),  # negative count
        ("csat", 1, 5, [1, 0, 0, 0, 1.5]),  # non-integer count
        ("stars", 1, 5, [0] * 5),
    ],
)
def test_bad_input_refused(kind, lo, hi, d):
    with pytest.raises(ValueError):
        summarize(kind, lo, hi, d)


# --- helpers --------------------------------------------------------------------


def test_wilson_edges():
    assert wilson(0, 0) is None
    # 0/10: low is exactly 0; high = z^2/n / (1 + z^2/n) = 3.8416/13.8416 = 27.754%
    assert_interval(wilson(0, 10), 0.0, 27.75)
    # 10/10 mirrors it
    assert_interval(wilson(10, 10), 72.25, 100.0)


def test_nps_adjusted_by_hand():
    # n=1, P=1, D=0: n'=4, p=1.75/4=0.4375, d=0.75/4=0.1875, c=0.25,
    # SE = sqrt((0.4375 + 0.1875 - 0.0625)/4) = sqrt(0.140625) = 0.375
    c, se = nps_adjusted(1, 0, 1)
    assert c == pytest.approx(0.25, abs=EXACT)
    assert se == pytest.approx(0.375, abs=EXACT)


# --- change() -------------------------------------------------------------------


@pytest.mark.parametrize(("kind", "lo", "hi"), [NPS, CSAT5, CES7])
def test_change_none_with_empty_side(kind, lo, hi):
    empty = [0] * (hi - lo + 1)
    full = [5] * (hi - lo + 1)
    assert change(kind, lo, hi, empty, full) is None
    assert change(kind, lo, hi, full, empty) is None
    assert change(kind, lo, hi, empty, empty) is None


def test_change_ces_delta_without_test_with_single_answer_side():
    # METRICS.md: a change is reported whenever both periods have a score; z and p are
    # null where the test is undefined (a mean with n < 2 in either period).
    one = dist(1, 7, {4: 1})
    many = dist(1, 7, {3: 2, 5: 2})
    assert change(*CES7, one, many) == {"delta": 0, "z": None, "p": None, "significant": False}
    assert change(*CES7, many, dist(1, 7, {7: 1})) == {
        "delta": 3,
        "z": None,
        "p": None,
        "significant": False,
    }


def test_change_csat_two_proportion_by_hand():
    # previous 40/100 satisfied, current 60/100.
    # pooled p = 100/200 = 0.5; SE = sqrt(0.5 * 0.5 * (1/100 + 1/100)) = sqrt(0.005)
    # z = (0.6 - 0.4) / sqrt(0.005) = 0.2 / 0.0707107 = 2*sqrt(2) = 2.8284271
    # p = erfc(z / sqrt(2)) = erfc(2) = 0.0046777350
    prev = dist(1, 5, {5: 40, 1: 60})
    cur = dist(1, 5, {4: 60, 2: 40})
    r = change(*CSAT5, prev, cur)
    assert r["delta"] == pytest.approx(20, abs=EXACT)
    assert r["z"] == pytest.approx(2.8284271, abs=1e-6)
    assert r["p"] == pytest.approx(0.0046777350, abs=1e-9)
    assert r["significant"] is True


def test_change_ces_welch_by_hand():
    # previous: 3,3,5,5 -> mean 4, s^2 = (1+1+1+1)/3 = 4/3
    # current:  5,5,7,7 -> mean 6, s^2 = 4/3
    # SE = sqrt(4/3/4 + 4/3/4) = sqrt(2/3) = 0.8164966
    # z = 2 / 0.8164966 = sqrt(6) = 2.4494897; p = erfc(sqrt(3)) = 0.0143058784
    prev = dist(1, 7, {3: 2, 5: 2})
    cur = dist(1, 7, {5: 2, 7: 2})
    r = change(*CES7, prev, cur)
    assert r["delta"] == pytest.approx(2, abs=EXACT)
    assert r["z"] == pytest.approx(2.4494897, abs=1e-6)
    assert r["p"] == pytest.approx(0.0143058784, abs=1e-9)
    assert r["significant"] is True


def test_change_welch_unequal_groups_by_hand():
    # previous: 1,1,1,1,7,7 -> n 6, mean 3, s^2 = (4*4 + 2*16)/5 = 48/5 = 9.6
    # current:  6,7 -> n 2, mean 6.5, s^2 = (0.25 + 0.25)/1 = 0.5
    # SE = sqrt(9.6/6 + 0.5/2) = sqrt(1.6 + 0.25) = sqrt(1.85) = 1.3601471
    # z = 3.5 / 1.3601471 = 2.5732511; p = erfc(2.5732511/sqrt(2)) ~ 0.01007
    r = change(*CES7, dist(1, 7, {1: 4, 7: 2}), dist(1, 7, {6: 1, 7: 1}))
    assert r["delta"] == pytest.approx(3.5, abs=EXACT)
    assert r["z"] == pytest.approx(2.5732511, abs=1e-6)
    assert r["p"] == pytest.approx(0.01007, abs=0.00001)
    assert r["significant"] is True


def test_change_not_significant_when_identical():
    d = dist(1, 5, {5: 30, 3: 20, 1: 10})
    r = change(*CSAT5, d, d)
    assert r["delta"] == 0
    assert r["z"] == 0
    assert r["p"] == pytest.approx(1.0, abs=EXACT)
    assert r["significant"] is False


@pytest.mark.parametrize(
    ("kind", "lo", "hi", "prev", "cur", "delta"),
    [
        # everyone satisfied both times: pooled p = 1, SE = 0
        ("csat", 1, 5, [0, 0, 0, 3, 2], [0, 0, 0, 0, 4], 0),
        # nobody satisfied both times: pooled p = 0, SE = 0
        ("csat", 1, 5, [3, 0, 0, 0, 0], [0, 1, 2, 0, 0], 0),
        # no spread on either side: s = 0, SE = 0, yet the means differ
        ("ces", 1, 7, [0, 0, 5, 0, 0, 0, 0], [0, 0, 0, 0, 0, 3, 0], 3),
    ],
)
def test_change_zero_standard_error(kind, lo, hi, prev, cur, delta):
    r = change(kind, lo, hi, prev, cur)
    assert r == {"delta": delta, "z": None, "p": None, "significant": False}


# --- series(): a report's time series ---------------------------------------------


@pytest.mark.parametrize(("kind", "lo", "hi"), [NPS, CSAT5, CES7])
def test_series_is_summarize_and_change_per_bucket(kind, lo, hi):
    width = hi - lo + 1
    buckets = [
        [0] * width,
        [3] * width,
        [0] * (width - 1) + [1],  # one answer: a CES change without a test on either side
        [5] * (width - 2) + [40, 60],
        [0] * width,
        [7] * width,
    ]
    rows = series(kind, lo, hi, 30)(buckets)
    for i, (row, distribution) in enumerate(zip(rows, buckets, strict=True)):
        expected = summarize(kind, lo, hi, distribution)
        expected["low_sample"] = expected["n"] < 30
        expected["change"] = change(kind, lo, hi, buckets[i - 1], distribution) if i else None
        assert row == expected


def test_series_refuses_a_distribution_of_the_wrong_length():
    with pytest.raises(ValueError):
        series(*NPS, 30)([[0] * 11, [1] * 10])
