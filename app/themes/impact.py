"""Theme impact (METRICS.md, "Comment themes"): per theme, the kind's score among the
comments that mention it and among the others, the gap with its change test, and what it
costs (gap x share / 100). The math is `app.scores.stats`: counted here, scored there."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from app.csvutil import number_cell, text_cell, write_rows
from app.errors import InvalidInput
from app.scores import service as scores
from app.scores import stats
from app.scores.schemas import Interval95
from app.surveys import service as surveys
from app.themes import repository
from app.timeparams import check_range, parse_time, parse_zone

DIMENSIONS = ("segment", "touchpoint", "channel", "locale", "survey")
ATTRIBUTE = scores.ATTRIBUTE
SCORE_FIELD = {"nps": "nps", "csat": "csat", "ces": "ces"}


@dataclass
class ImpactParams:
    survey_ids: list[uuid.UUID]
    start: str | None = None
    end: str | None = None
    tz: str = "UTC"
    group_by: list[str] = field(default_factory=list)
    min_n: int = 30


@dataclass(frozen=True)
class Scope:
    """Surveys of one kind and scale, and a checked time range."""

    kind: str
    scale_min: int
    scale_max: int
    start: datetime | None
    end: datetime | None


def check_group_by(names: list[str]) -> None:
    scores.check_group_by(names, DIMENSIONS)


async def scope_of(
    session: AsyncSession, project_id: uuid.UUID, survey_ids: list[uuid.UUID], p: Any
) -> Scope:
    """The surveys' kind and scale (one of each) and the range; raises as /v1/scores does."""
    zone = parse_zone(p.tz)
    start, end = parse_time(p.start, "from", zone), parse_time(p.end, "to", zone)
    check_range(start, end)
    found = {s.id: s for s in await surveys.get_many(session, project_id, survey_ids)}
    scales = {(s.kind, s.scale_min, s.scale_max) for s in found.values()}
    if len(scales) > 1:
        raise InvalidInput(
            "Theme reports cannot combine surveys of different kinds or scales.",
            slug="mixed-scales",
            title="Surveys have different scales",
        )
    kind, low, high = scales.pop()
    return Scope(kind, low, high, start, end)


def compare(kind: str, low: int, high: int, mentions: list[int], others: list[int]) -> dict:
    """Scores of both groups with intervals, and the gap with its test (stats.change)."""
    score_m = stats.summarize(kind, low, high, mentions)
    score_o = stats.summarize(kind, low, high, others)
    moved = stats.change(kind, low, high, others, mentions)  # None when a side is empty
    n_m, n_o = sum(mentions), sum(others)
    share = 100 * n_m / (n_m + n_o) if n_m + n_o else None
    gap = moved["delta"] if moved else None
    return {
        "mentions": n_m,
        "others": n_o,
        "share": share,
        "score_mentions": score_m,
        "score_others": score_o,
        "gap": gap,
        "z": moved["z"] if moved else None,
        "p": moved["p"] if moved else None,
        "significant": bool(moved and moved["significant"]),
        "cost": gap * share / 100 if gap is not None and share is not None else None,
    }


async def report(session: AsyncSession, project_id: uuid.UUID, p: ImpactParams) -> dict:
    """See `app.themes.service.impact_report`."""
    check_group_by(p.group_by)
    scope = await scope_of(session, project_id, p.survey_ids, p)
    low, high = scope.scale_min, scope.scale_max
    width = high - low + 1
    totals_rows, mention_rows = await repository.impact_counts(
        session, project_id, p.survey_ids, p.group_by, scope.start, scope.end
    )
    dims = len(p.group_by)
    as_text = "survey" in p.group_by or any(n.startswith("attributes.") for n in p.group_by)

    def key(values) -> tuple:
        return tuple(None if v is None else str(v) for v in values) if as_text else tuple(values)

    totals: dict[tuple, list[int]] = {}
    for *group, score, n in totals_rows:
        totals.setdefault(key(group[:dims]), [0] * width)[score - low] += n
    mentioned: dict[tuple, dict[uuid.UUID, list[int]]] = {}
    for *group, theme_id, score, n in mention_rows:
        by_theme = mentioned.setdefault(key(group[:dims]), {})
        by_theme.setdefault(theme_id, [0] * width)[score - low] += n
    if not totals and not p.group_by:
        totals[()] = [0] * width

    themes = await repository.list_all(session, project_id)
    rows = []
    for group_key in sorted(totals, key=lambda k: [(v is None, v or "") for v in k]):
        group = dict(zip(p.group_by, group_key, strict=True))
        all_counts = totals[group_key]
        group_rows = []
        for theme in themes:
            counts = mentioned.get(group_key, {}).get(theme.id, [0] * width)
            others = [a - m for a, m in zip(all_counts, counts, strict=True)]
            row = compare(scope.kind, low, high, counts, others)
            for summary in (row["score_mentions"], row["score_others"]):
                summary["low_sample"] = summary["n"] < p.min_n
            group_rows.append(
                {"group": group, "theme": {"id": theme.id, "name": theme.name}, **row}
            )
        group_rows.sort(
            key=lambda r: (r["cost"] is None, r["cost"] or 0.0, r["theme"]["name"].encode())
        )
        rows += group_rows
    return {
        "kind": scope.kind,
        "scale_min": low,
        "scale_max": high,
        "survey_ids": p.survey_ids,
        "group_by": p.group_by,
        "from": p.start,
        "to": p.end,
        "tz": p.tz,
        "min_n": p.min_n,
        "rows": rows,
    }


def to_csv(report: dict[str, Any]) -> str:
    """One line per group and theme: counts, both scores with intervals, the test, cost."""
    kind = report["kind"]
    score, interval = SCORE_FIELD[kind], f"{SCORE_FIELD[kind]}_ci95"
    header = [
        *report["group_by"],
        *("theme_id", "theme", "mentions", "others", "share"),
        *(f"{score}_mentions", f"{score}_mentions_low", f"{score}_mentions_high"),
        *(f"{score}_others", f"{score}_others_low", f"{score}_others_high"),
        *("gap", "z", "p", "significant", "cost"),
    ]
    lines = []
    for row in report["rows"]:
        line = [text_cell(row["group"][name]) for name in report["group_by"]]
        line += [str(row["theme"]["id"]), text_cell(row["theme"]["name"])]
        line += [number_cell(row[name]) for name in ("mentions", "others", "share")]
        for side in ("score_mentions", "score_others"):
            summary = row[side]
            bounds = summary[interval] or {}
            line += [
                number_cell(v) for v in (summary[score], bounds.get("low"), bounds.get("high"))
            ]
        line += [number_cell(row[n]) for n in ("gap", "z", "p", "significant", "cost")]
        lines.append(line)
    return write_rows(header, lines)


class ThemeRef(BaseModel):
    id: uuid.UUID
    name: str


class GroupScore(BaseModel):
    n: int
    distribution: dict[str, int]
    low_sample: bool
    nps: float | None = None
    nps_ci95: Interval95 | None = None
    csat: float | None = None
    csat_ci95: Interval95 | None = None
    ces: float | None = None
    ces_ci95: Interval95 | None = None


class ImpactRow(BaseModel):
    group: dict[str, str | None]
    theme: ThemeRef
    mentions: int = Field(description="Answers with a comment that mentions the theme.")
    others: int = Field(description="Answers with a comment that does not.")
    share: float | None = Field(description="100 x mentions / (mentions + others).")
    score_mentions: GroupScore = Field(description="The kind's score among mentions.")
    score_others: GroupScore
    gap: float | None = Field(description="Score of mentions - score of others.")
    z: float | None
    p: float | None = Field(description="Two-sided p-value of the gap.")
    significant: bool = Field(description="p < 0.05")
    cost: float | None = Field(
        description="gap x share / 100: score points the theme moves the whole group by."
    )


class ImpactReport(BaseModel):
    kind: str
    scale_min: int
    scale_max: int
    survey_ids: list[uuid.UUID]
    group_by: list[str]
    from_: str | None = Field(None, alias="from")
    to: str | None = None
    tz: str
    min_n: int
    rows: list[ImpactRow] = Field(description="Per group, most costly theme first.")
