"""The journey by stage: a project declares its stages (touchpoints, in order); the stage
view gives each stage's scores, their change against the previous period, and the churn
of the customers whose latest answer was at that stage.

How surveys map to stages: a stage is a touchpoint, and an answer belongs to the stage of
its own `touchpoint`, whatever its survey. A stage's scores are the scores service's, one
per kind and scale of the surveys answered there (surveys of one kind and scale are
scored together), over the answers at that touchpoint in the range."""

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInput
from app.journeys import figures, params, repository
from app.models import Survey
from app.scores import service as scores
from app.scores import stats
from app.surveys import service as surveys

MAX_STAGES = 50
DEFAULT_DAYS = 90


@dataclass
class JourneyParams:
    """`GET /v1/analytics/journey`. `end` defaults to `as_of` (default now) and `start` to
    90 days before `end`; the previous period is as long and ends at `start`. Surveys:
    the given ones, else all of the project's."""

    start: str | None = None
    end: str | None = None
    tz: str = "UTC"
    as_of: str | None = None
    horizon_days: int = 90
    survey_ids: list[uuid.UUID] = field(default_factory=list)
    min_n: int = 30


async def get_stages(session: AsyncSession, project_id: uuid.UUID) -> dict:
    """The declared journey: `{"stages": [touchpoint, ...]}` in order (empty if none)."""
    return {"stages": await repository.stages(session, project_id)}


async def set_stages(session: AsyncSession, project_id: uuid.UUID, stages: list[str]) -> dict:
    """Replace the journey's stages (each a touchpoint label, at most 50, each once);
    returns what `get_stages` returns."""
    seen = [s for i, s in enumerate(stages) if s in stages[:i]]
    if seen:
        raise InvalidInput(
            f"Each stage may appear once; {seen[0]!r} is repeated.",
            errors=[{"pointer": f"#/stages/{stages.index(seen[0], 1)}", "detail": "repeated"}],
        )
    await repository.replace_stages(session, project_id, stages)
    return {"stages": stages}


def _window(p: JourneyParams) -> tuple[datetime, datetime, datetime]:
    as_of = params.as_of(p.as_of, p.tz)
    start, end = params.time_range(p.start, p.end, p.tz)
    end = end or as_of
    start = start or end - timedelta(days=DEFAULT_DAYS)
    params.time_range(start.isoformat(), end.isoformat(), "UTC")  # start before end
    return start, end, as_of


async def _scores_at(
    session: AsyncSession,
    project_id: uuid.UUID,
    found: list[Survey],
    stages: list[str],
    periods: tuple[datetime, datetime, datetime],
    min_n: int,
) -> dict[str, list[dict]]:
    """Per stage, one score per kind and scale answered there, with its change."""
    before, start, end = periods
    by_scale: dict[tuple[str, int, int], list[uuid.UUID]] = {}
    for s in found:
        by_scale.setdefault((s.kind, s.scale_min, s.scale_max), []).append(s.id)
    out: dict[str, list[dict]] = {stage: [] for stage in stages}
    for (kind, low, high), ids in sorted(by_scale.items()):
        reports = []
        for lo, hi in ((start, end), (before, start)):
            report = await scores.compute(
                session,
                project_id,
                scores.ScoreParams(
                    survey_ids=ids,
                    group_by=["touchpoint"],
                    start=lo.isoformat(),
                    end=hi.isoformat(),
                    equals={"touchpoint": stages},
                    min_n=min_n,
                ),
            )
            reports.append({row["group"]["touchpoint"]: row for row in report["rows"]})
        current, previous = reports
        for stage in stages:
            now, then = current.get(stage), previous.get(stage)
            if now is None and then is None:
                continue
            change = None
            if now is not None and then is not None:
                change = stats.change(
                    kind,
                    low,
                    high,
                    list(then["distribution"].values()),
                    list(now["distribution"].values()),
                )
            empty = stats.summarize(kind, low, high, [0] * (high - low + 1))
            row = now or {**empty, "low_sample": True}
            out[stage].append(
                {
                    "kind": kind,
                    "scale_min": low,
                    "scale_max": high,
                    "survey_ids": [str(i) for i in ids],
                    **{k: v for k, v in row.items() if k != "group"},
                    "previous_n": then["n"] if then else 0,
                    "change": change,
                }
            )
    return out


async def journey_report(session: AsyncSession, project_id: uuid.UUID, p: JourneyParams) -> dict:
    """The stage view of the declared journey.

    Returns `{"from", "to", "previous_from", "as_of", "horizon_days", "stages": [...]}`;
    each stage `{"stage": touchpoint, "position", "scores": [...], "churn": {...}}`. A
    score is the scores service's row for that touchpoint (`n`, `distribution`,
    `low_sample` and the kind's fields such as `nps`, `nps_ci95`) plus `kind`,
    `scale_min`, `scale_max`, `survey_ids`, `previous_n` and `change` (`delta`, `z`, `p`,
    `significant` against the previous period; null when either period has no answers).
    `churn` holds the churn figures (`customers`, `eligible`, `pending`, `churned`,
    `churn_rate`, `churn_rate_ci95`, `value_eligible`, `value_churned`) of the customers
    whose latest answer in the range, to any of the surveys, was at that stage."""
    horizon = params.check_days(p.horizon_days, "horizon_days")
    start, end, as_of = _window(p)
    before = start - (end - start)
    stages = await repository.stages(session, project_id)
    if p.survey_ids:
        found = await surveys.get_many(session, project_id, p.survey_ids)
    else:
        found = await surveys.all_of_project(session, project_id)
    by_stage: dict[str, list[dict]] = {stage: [] for stage in stages}
    churn: dict[str, tuple] = {}
    if stages and found:
        by_stage = await _scores_at(
            session, project_id, found, stages, (before, start, end), p.min_n
        )
        counts = await repository.churn_counts(
            session,
            repository.ChurnQuery(
                units=repository.UnitQuery(
                    project_id, [s.id for s in found], start, end, ["touchpoint"]
                ),
                horizon_days=horizon,
                cutoff=as_of - timedelta(days=horizon),
            ),
        )
        churn = {row[0]: row[2:] for row in counts}
    return {
        "from": params.iso(start),
        "to": params.iso(end),
        "previous_from": params.iso(before),
        "as_of": params.iso(as_of),
        "horizon_days": horizon,
        "stages": [
            {
                "stage": stage,
                "position": position,
                "scores": by_stage[stage],
                "churn": figures.churn_cells(*churn.get(stage, (0, 0, 0, 0, 0))),
            }
            for position, stage in enumerate(stages)
        ],
    }
