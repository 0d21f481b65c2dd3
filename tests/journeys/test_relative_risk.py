"""The relative-risk interval (Katz log method) and the answer categories, as pure math."""

import pytest

from app.scores import stats


def test_relative_risk_matches_the_vector():
    found = stats.relative_risk(15, 100, 10, 200)
    assert found["relative_risk"] == pytest.approx(3.0)
    assert found["relative_risk_ci95"]["low"] == pytest.approx(1.40, abs=0.005)
    assert found["relative_risk_ci95"]["high"] == pytest.approx(6.44, abs=0.005)


def test_relative_risk_is_null_without_events_on_either_side():
    empty = {"relative_risk": None, "relative_risk_ci95": None}
    assert stats.relative_risk(0, 100, 10, 200) == empty
    assert stats.relative_risk(15, 100, 0, 200) == empty
    assert stats.relative_risk(0, 0, 0, 0) == empty


def test_relative_risk_of_everyone_churning_on_both_sides_is_one_with_a_point_interval():
    found = stats.relative_risk(5, 5, 3, 3)
    assert found["relative_risk"] == pytest.approx(1.0)
    assert found["relative_risk_ci95"]["low"] == pytest.approx(1.0)
    assert found["relative_risk_ci95"]["high"] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "counts", [(-1, 10, 1, 10), (11, 10, 1, 10), (1, 10, 2.0, 10), (True, 3, 1, 3)]
)
def test_relative_risk_refuses_impossible_counts(counts):
    with pytest.raises(ValueError):
        stats.relative_risk(*counts)


def test_categories_follow_each_scale():
    assert stats.categories("nps", 0, 10) == [
        ("promoter", 9, 10),
        ("passive", 7, 8),
        ("detractor", 0, 6),
    ]
    assert stats.categories("csat", 1, 5) == [("good", 4, 5), ("not_good", 1, 3)]
    assert stats.categories("csat", 1, 10) == [("good", 8, 10), ("not_good", 1, 7)]
    assert stats.categories("ces", 1, 7) == [("good", 5, 7), ("not_good", 1, 4)]
    assert stats.categories("ces", 1, 5) == [("good", 4, 5), ("not_good", 1, 3)]
    with pytest.raises(ValueError):
        stats.categories("ces", 1, 10)
