"""The figures of one group of a customer report, from its counts, with `app.scores.stats`."""

from typing import Any

from app.models.outcome import from_cents
from app.scores import stats


def money(cents: int | None) -> str:
    """Summed cents as an exact decimal string with two places ("1234.50")."""
    return f"{from_cents(cents or 0):.2f}"


def churn_cells(customers: int, eligible: int, churned: int, value_e: Any, value_c: Any) -> dict:
    """The figures of one churn group (METRICS.md): pending = customers - eligible, the
    churn rate in percent with its Wilson interval (null when nobody is eligible)."""
    return {
        "customers": customers,
        "eligible": eligible,
        "pending": customers - eligible,
        "churned": churned,
        "churn_rate": 100 * churned / eligible if eligible else None,
        "churn_rate_ci95": stats.wilson(churned, eligible),
        "value_eligible": money(value_e),
        "value_churned": money(value_c),
    }


def driver_cells(good: list[int], bad: list[int]) -> dict:
    """One touchpoint's comparison (METRICS.md): the relationship NPS of customers with a
    good and with a bad latest experience there, the gap with its z and p (the change test
    from bad to good), reach and impact. Null where a side has no customers."""
    n_good, n_bad = sum(good), sum(bad)
    score_good = stats.summarize("nps", 0, 10, good)
    score_bad = stats.summarize("nps", 0, 10, bad)
    moved = stats.change("nps", 0, 10, bad, good)
    n = n_good + n_bad
    gap = moved["delta"] if moved else None
    return {
        "n_good": n_good,
        "n_bad": n_bad,
        "nps_good": score_good["nps"],
        "nps_good_ci95": score_good["nps_ci95"],
        "nps_bad": score_bad["nps"],
        "nps_bad_ci95": score_bad["nps_ci95"],
        "gap": gap,
        "z": moved["z"] if moved else None,
        "p": moved["p"] if moved else None,
        "significant": bool(moved and moved["significant"]),
        "reach": 100 * n_bad / n if n else None,
        "impact": gap * n_bad / n if gap is not None else None,
    }
