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


def _mean_sd(scale_min: int, distribution: list[int]) -> tuple[int, float | None, float | None]:
    """n, mean (None if n == 0) and sample standard deviation (None if n < 2)."""
    n = sum(distribution)
    if n == 0:
        return 0, None, None
    mean = sum((scale_min + i) * c for i, c in enumerate(distribution)) / n
    if n < 2:
        return n, mean, None
    ss = sum(c * (scale_min + i - mean) ** 2 for i, c in enumerate(distribution))
    return n, mean, math.sqrt(ss / (n - 1))


def _mean_interval(n: int, mean: float | None, sd: float | None) -> dict | None:
    if mean is None or sd is None:
        return None
    half = Z95 * sd / math.sqrt(n)
    return {"low": mean - half, "high": mean + half}


def _nps(distribution: list[int]) -> dict:
    n = sum(distribution)
    promoters = sum(distribution[_PROMOTER_MIN:])
    detractors = sum(distribution[: _DETRACTOR_MAX + 1])
    out = {
        "promoters": promoters,
        "passives": n - promoters - detractors,
        "detractors": detractors,
        "nps": None,
        "nps_ci95": None,
    }
    if n:
        c, se = nps_adjusted(promoters, detractors, n)
        out["nps"] = 100 * (promoters - detractors) / n
        out["nps_ci95"] = _interval(100 * (c - Z95 * se), 100 * (c + Z95 * se), -100.0, 100.0)
    return out


def _csat(scale_min: int, scale_max: int, distribution: list[int]) -> dict:
    n, mean, sd = _mean_sd(scale_min, distribution)
    satisfied = _count_from(scale_min, distribution, satisfied_min(scale_max))
    return {
        "csat": 100 * satisfied / n if n else None,
        "csat_ci95": wilson(satisfied, n),
        "satisfied": satisfied,
        "mean": mean,
        "mean_ci95": _mean_interval(n, mean, sd),
    }


def _ces(scale_min: int, scale_max: int, distribution: list[int]) -> dict:
    n, mean, sd = _mean_sd(scale_min, distribution)
    easy = _count_from(scale_min, distribution, easy_min(scale_max))
    return {
        "ces": mean,
        "ces_ci95": _mean_interval(n, mean, sd),
        "easy": easy,
        "easy_pct": 100 * easy / n if n else None,
        "easy_ci95": wilson(easy, n),
    }


def summarize(kind: str, scale_min: int, scale_max: int, distribution: list[int]) -> dict:
    """Score fields for one group of answers.

    Common fields: ``n`` and ``distribution`` (``str(score) -> count`` for every
    scale value). Kind fields: nps/nps_ci95/promoters/passives/detractors;
    csat/csat_ci95/satisfied/mean/mean_ci95; ces/ces_ci95/easy/easy_pct/easy_ci95.
    Intervals are ``{"low", "high"}`` or None; with n == 0 every score is None.
    Raises ValueError for an unknown kind or scale, or a malformed distribution.
    """
    _check_counts(distribution)
    return summarizer(kind, scale_min, scale_max)(distribution)


def summarizer(kind: str, scale_min: int, scale_max: int) -> Callable[[list[int]], dict]:
    """`summarize` for many distributions of one scale (a report's rows): the scale is
    checked once, each distribution only for its length (its counts come from the
    database)."""
    _check_scale(kind, scale_min, scale_max)
    width = scale_max - scale_min + 1
    keys = [str(scale_min + i) for i in range(width)]
    if kind == "nps":
        scores = _nps
    elif kind == "csat":
        scores = partial(_csat, scale_min, scale_max)
    else:
        scores = partial(_ces, scale_min, scale_max)

    def summarize_one(distribution: list[int]) -> dict:
        # zip(strict=True) raises ValueError for a distribution of the wrong length.
        out: dict = {
            "n": sum(distribution),
            "distribution": dict(zip(keys, distribution, strict=True)),
        }
        out.update(scores(distribution))
        return out

    return summarize_one


def _test(delta: float, diff: float, se: float) -> dict:
    if se == 0:
        return {"delta": delta, "z": None, "p": None, "significant": False}
    z = diff / se
    p = math.erfc(abs(z) / math.sqrt(2))
    return {"delta": delta, "z": z, "p": p, "significant": p < 0.05}


def change(
    kind: str,
    scale_min: int,
    scale_max: int,
    previous: list[int],
    current: list[int],
    *,
    summaries: tuple[dict, dict] | None = None,
) -> dict | None:
    """Change from ``previous`` to ``current``: delta, z, two-sided p, significant.

    NPS: adjusted-Wald z; CSAT: pooled two-proportion z on satisfied/n;
    CES: Welch z on the means. None when a side is empty (CES: when a side has
    n < 2). A zero standard error gives z = p = None and significant False.
    ``summaries``: both sides' ``summarize`` results, when the caller has them already.
    """
    if summaries is None:
        summaries = (
            summarize(kind, scale_min, scale_max, previous),
            summarize(kind, scale_min, scale_max, current),
        )
    prev, cur = summaries
    n1, n2 = prev["n"], cur["n"]
    if n1 == 0 or n2 == 0:
        return None

    if kind == "nps":
        c1, se1 = nps_adjusted(prev["promoters"], prev["detractors"], n1)
        c2, se2 = nps_adjusted(cur["promoters"], cur["detractors"], n2)
        return _test(cur["nps"] - prev["nps"], c2 - c1, math.sqrt(se1**2 + se2**2))

    if kind == "csat":
        p1, p2 = prev["satisfied"] / n1, cur["satisfied"] / n2
        pooled = (prev["satisfied"] + cur["satisfied"]) / (n1 + n2)
        se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        return _test(cur["csat"] - prev["csat"], p2 - p1, se)

    if n1 < 2 or n2 < 2:
        return None
    _, m1, s1 = _mean_sd(scale_min, previous)
    _, m2, s2 = _mean_sd(scale_min, current)
    se = math.sqrt(s1**2 / n1 + s2**2 / n2)
    return _test(m2 - m1, m2 - m1, se)
