"""Score math for NPS, CSAT and CES, as defined in METRICS.md.

Pure functions over a score distribution: ``distribution[i]`` is the number of
answers with score ``scale_min + i``. Results keep full float precision.
"""

import math
from collections.abc import Callable
from functools import partial

Z95 = 1.96

SCALES: dict[str, tuple[tuple[int, int], ...]] = {
    "nps": ((0, 10),),
    "csat": ((1, 3), (1, 5), (1, 7), (1, 10)),
    "ces": ((1, 7), (1, 5)),
}

_SATISFIED_MIN = {3: 3, 5: 4, 7: 6, 10: 8}
_EASY_MIN = {7: 5, 5: 4}
_PROMOTER_MIN = 9
_DETRACTOR_MAX = 6


def satisfied_min(scale_max: int) -> int:
    """Lowest CSAT score counted as satisfied (top box) on a 1..scale_max scale."""
    try:
        return _SATISFIED_MIN[scale_max]
    except KeyError:
        raise ValueError(f"no CSAT scale 1-{scale_max}") from None


def easy_min(scale_max: int) -> int:
    """Lowest CES score counted as easy on a 1..scale_max scale."""
    try:
        return _EASY_MIN[scale_max]
    except KeyError:
        raise ValueError(f"no CES scale 1-{scale_max}") from None


def _interval(low: float, high: float, floor: float, ceiling: float) -> dict:
    return {"low": max(floor, low), "high": min(ceiling, high)}


def wilson(successes: int, n: int) -> dict | None:
    """95% Wilson score interval for successes/n, in percent."""
    if n == 0:
        return None
    p = successes / n
    z2 = Z95 * Z95
    centre = p + z2 / (2 * n)
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n))
    denom = 1 + z2 / n
    return _interval(100 * (centre - half) / denom, 100 * (centre + half) / denom, 0.0, 100.0)


def nps_adjusted(promoters: int, detractors: int, n: int) -> tuple[float, float]:
    """Adjusted-Wald NPS as a fraction (c) and its standard error (Sauro & Lewis)."""
    n_adj = n + 3
    p = (promoters + 0.75) / n_adj
    d = (detractors + 0.75) / n_adj
    c = p - d
    return c, math.sqrt((p + d - c * c) / n_adj)


def _check_scale(kind: str, scale_min: int, scale_max: int) -> None:
    if (scale_min, scale_max) not in SCALES.get(kind, ()):
        raise ValueError(f"unsupported {kind!r} scale {scale_min}-{scale_max}")


def _check_counts(distribution: list[int]) -> None:
    for count in distribution:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"invalid count {count!r}")


def _count_from(scale_min: int, distribution: list[int], lowest: int) -> int:
    return sum(c for i, c in enumerate(distribution) if scale_min + i >= lowest)


def _mean_sd(scale_min: int, distribution: list[int], n: int) -> tuple[float | None, float | None]:
    """Mean (None if n == 0) and sample standard deviation (None if n < 2) of n answers."""
    if n == 0:
        return None, None
    mean = sum((scale_min + i) * c for i, c in enumerate(distribution)) / n
    if n < 2:
        return mean, None
    ss = sum(c * (scale_min + i - mean) ** 2 for i, c in enumerate(distribution))
    return mean, math.sqrt(ss / (n - 1))


def _mean_interval(n: int, mean: float | None, sd: float | None) -> dict | None:
    if mean is None or sd is None:
        return None
    half = Z95 * sd / math.sqrt(n)
    return {"low": mean - half, "high": mean + half}


# Each kind's scorer returns its fields (in the order of `schemas.KIND_FIELDS`) and the
# basis its change test needs, None when the group has no answers: scored once per
# bucket, a time series compares each bucket with the one before without scoring it again.
Basis = tuple[float, ...] | None
Scorer = Callable[[list[int], int], tuple[dict, Basis]]


def _nps(distribution: list[int], n: int) -> tuple[dict, Basis]:
    promoters = sum(distribution[_PROMOTER_MIN:])
    detractors = sum(distribution[: _DETRACTOR_MAX + 1])
    if not n:
        return {
            "nps": None,
            "nps_ci95": None,
            "promoters": 0,
            "passives": 0,
            "detractors": 0,
        }, None
    c, se = nps_adjusted(promoters, detractors, n)
    return {
        "nps": 100 * (promoters - detractors) / n,
        "nps_ci95": _interval(100 * (c - Z95 * se), 100 * (c + Z95 * se), -100.0, 100.0),
        "promoters": promoters,
        "passives": n - promoters - detractors,
        "detractors": detractors,
    }, (c, se)


def _nps_change(previous: dict, prev: tuple, current: dict, cur: tuple) -> dict:
    (c1, se1), (c2, se2) = prev, cur
    return _test(current["nps"] - previous["nps"], c2 - c1, math.sqrt(se1**2 + se2**2))


def _csat(scale_min: int, scale_max: int, distribution: list[int], n: int) -> tuple[dict, Basis]:
    mean, sd = _mean_sd(scale_min, distribution, n)
    satisfied = _count_from(scale_min, distribution, satisfied_min(scale_max))
    fields = {
        "csat": 100 * satisfied / n if n else None,
        "csat_ci95": wilson(satisfied, n),
        "satisfied": satisfied,
        "mean": mean,
        "mean_ci95": _mean_interval(n, mean, sd),
    }
    return fields, (n, satisfied) if n else None


def _csat_change(previous: dict, prev: tuple, current: dict, cur: tuple) -> dict:
    (n1, satisfied1), (n2, satisfied2) = prev, cur
    p1, p2 = satisfied1 / n1, satisfied2 / n2
    pooled = (satisfied1 + satisfied2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    return _test(current["csat"] - previous["csat"], p2 - p1, se)


def _ces(scale_min: int, scale_max: int, distribution: list[int], n: int) -> tuple[dict, Basis]:
    mean, sd = _mean_sd(scale_min, distribution, n)
    easy = _count_from(scale_min, distribution, easy_min(scale_max))
    fields = {
        "ces": mean,
        "ces_ci95": _mean_interval(n, mean, sd),
        "easy": easy,
        "easy_pct": 100 * easy / n if n else None,
        "easy_ci95": wilson(easy, n),
    }
    return fields, (n, mean, sd) if n else None


def _ces_change(previous: dict, prev: tuple, current: dict, cur: tuple) -> dict:
    (n1, m1, s1), (n2, m2, s2) = prev, cur
    if s1 is None or s2 is None:
        # Welch's z needs a standard deviation on both sides: none below two answers.
        return {"delta": m2 - m1, "z": None, "p": None, "significant": False}
    se = math.sqrt(s1**2 / n1 + s2**2 / n2)
    return _test(m2 - m1, m2 - m1, se)


_CHANGES = {"nps": _nps_change, "csat": _csat_change, "ces": _ces_change}


def _scorer(kind: str, scale_min: int, scale_max: int) -> Scorer:
    _check_scale(kind, scale_min, scale_max)
    if kind == "nps":
        return _nps
    return partial(_csat if kind == "csat" else _ces, scale_min, scale_max)


def summarize(kind: str, scale_min: int, scale_max: int, distribution: list[int]) -> dict:
    """Score fields for one group of answers.

    Common fields: ``n`` and ``distribution`` (``str(score) -> count`` for every
    scale value). Kind fields: nps/nps_ci95/promoters/passives/detractors;
    csat/csat_ci95/satisfied/mean/mean_ci95; ces/ces_ci95/easy/easy_pct/easy_ci95.
    Intervals are ``{"low", "high"}`` or None; with n == 0 every score is None.
    Raises ValueError for an unknown kind or scale, or a malformed distribution.
    """
    score = _scorer(kind, scale_min, scale_max)
    _check_counts(distribution)
    keys = [str(scale_min + i) for i in range(scale_max - scale_min + 1)]
    n = sum(distribution)
    out: dict = {"n": n, "distribution": dict(zip(keys, distribution, strict=True))}
    out.update(score(distribution, n)[0])
    return out


def series(
    kind: str, scale_min: int, scale_max: int, min_n: int
) -> Callable[[list[list[int]]], list[dict]]:
    """`summarize` plus ``low_sample`` (n < min_n) and ``change`` from the previous bucket
    (None for the first), for each bucket of one group's time series. The scale is checked
    once; each distribution only for its length (its counts come from the database).
    Each bucket is scored once, and its score reused for the next bucket's change: a
    year of weekly rows per segment and touchpoint is thousands of buckets."""
    score = _scorer(kind, scale_min, scale_max)
    compare = _CHANGES[kind]
    width = scale_max - scale_min + 1
    keys = [str(scale_min + i) for i in range(width)]

    def summarize_series(distributions: list[list[int]]) -> list[dict]:
        rows = []
        previous: dict | None = None
        prev: Basis = None
        for distribution in distributions:
            if len(distribution) != width:
                raise ValueError(f"{len(distribution)} counts for a scale of {width} values")
            n = sum(distribution)
            fields, basis = score(distribution, n)
            moved = None
            if prev is not None and basis is not None:
                moved = compare(previous, prev, fields, basis)  # type: ignore[arg-type]
            rows.append(
                {
                    "n": n,
                    # The length is checked above: a strict zip costs a fifth more.
                    "distribution": dict(zip(keys, distribution, strict=False)),
                    "low_sample": n < min_n,
                    **fields,
                    "change": moved,
                }
            )
            previous, prev = fields, basis
        return rows

    return summarize_series


def _test(delta: float, diff: float, se: float) -> dict:
    if se == 0:
        return {"delta": delta, "z": None, "p": None, "significant": False}
    z = diff / se
    p = math.erfc(abs(z) / math.sqrt(2))
    return {"delta": delta, "z": z, "p": p, "significant": p < 0.05}


def change(
    kind: str, scale_min: int, scale_max: int, previous: list[int], current: list[int]
) -> dict | None:
    """Change from ``previous`` to ``current``: delta, z, two-sided p, significant.

    NPS: adjusted-Wald z; CSAT: pooled two-proportion z on satisfied/n;
    CES: Welch z on the means. None when a side is empty. Where the test is
    undefined (a CES side with n < 2, or a zero standard error) the delta is still
    reported, with z = p = None and significant False.
    """
    score = _scorer(kind, scale_min, scale_max)
    _check_counts(previous)
    _check_counts(current)
    before, prev = score(previous, sum(previous))
    after, cur = score(current, sum(current))
    if prev is None or cur is None:
        return None
    return _CHANGES[kind](before, prev, after, cur)


def categories(kind: str, scale_min: int, scale_max: int) -> list[tuple[str, int, int]]:
    """The answer categories of a scale as (name, lowest, highest) score, good first:
    NPS promoter / passive / detractor; CSAT and CES good (top box, easy) / not_good."""
    _check_scale(kind, scale_min, scale_max)
    if kind == "nps":
        return [
            ("promoter", _PROMOTER_MIN, scale_max),
            ("passive", _DETRACTOR_MAX + 1, _PROMOTER_MIN - 1),
            ("detractor", scale_min, _DETRACTOR_MAX),
        ]
    good = satisfied_min(scale_max) if kind == "csat" else easy_min(scale_max)
    return [("good", good, scale_max), ("not_good", scale_min, good - 1)]


def relative_risk(a: int, n1: int, c: int, n2: int) -> dict:
    """Relative risk of group 1 against group 2, (a / n1) / (c / n2), with its 95% interval
    exp(ln RR ± 1.96 * sqrt(1/a - 1/n1 + 1/c - 1/n2)) (Katz log method).

    ``{"relative_risk": None, "relative_risk_ci95": None}`` when a or c is 0 (or a group
    is empty): the ratio or its logarithm is then undefined."""
    for count in (a, n1, c, n2):
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"invalid count {count!r}")
    if a > n1 or c > n2:
        raise ValueError("more events than units")
    if a == 0 or c == 0:
        return {"relative_risk": None, "relative_risk_ci95": None}
    rr = (a / n1) / (c / n2)
    half = Z95 * math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)
    log_rr = math.log(rr)
    return {
        "relative_risk": rr,
        "relative_risk_ci95": {"low": math.exp(log_rr - half), "high": math.exp(log_rr + half)},
    }
