"""Customer reports, as METRICS.md ("Customers: outcomes, churn and touchpoint drivers")
defines them. Each report validates its question, runs one counting query (see
`repository`) and does the math with `app.scores.stats`: churn rates with Wilson
intervals, relative risk, NPS with adjusted-Wald intervals and the change test.

Reports are plain dicts, the same for JSON, CSV and the dashboard. Amounts of money are
decimal strings with two places ("1234.50"), exact: they are summed as whole cents.

Public functions: `churn_report`, `drivers_report`, `journey_report` (reports),
`get_stages` / `set_stages` (the declared journey), and from `app.journeys.customers`
`list_customers` and `customer_journey`."""

import uuid
from dataclasses import dataclass, field
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import InvalidInput
from app.journeys import figures, params, repository
from app.journeys.customers import customer_journey, list_customers
from app.journeys.stages import JourneyParams, get_stages, journey_report, set_stages
from app.models import Survey
from app.scores import stats
from app.surveys import service as surveys

__all__ = [
    "ChurnParams",
    "DriverParams",
    "JourneyParams",
    "churn_report",
    "customer_journey",
    "drivers_report",
    "get_stages",
    "journey_report",
    "list_customers",
    "set_stages",
]


@dataclass
class ChurnParams:
    """`GET /v1/analytics/churn`. Times are ISO 8601 (a date is local midnight in `tz`);
    `as_of` defaults to now and may not be in the future."""

    survey_ids: list[uuid.UUID]
    start: str | None = None
    end: str | None = None
    tz: str = "UTC"
    horizon_days: int = 90
    as_of: str | None = None
    group_by: list[str] = field(default_factory=list)


@dataclass
class DriverParams:
    """`GET /v1/analytics/drivers`: relationship surveys (NPS, one scale), transactional
    surveys (CSAT or CES, any scales), the range of the relationship answers, the window."""

    relationship_survey_ids: list[uuid.UUID]
    transactional_survey_ids: list[uuid.UUID]
    start: str | None = None
    end: str | None = None
    tz: str = "UTC"
    window_days: int = 90
    group_by: list[str] = field(default_factory=list)


# --- churn ------------------------------------------------------------------------------


async def churn_report(session: AsyncSession, project_id: uuid.UUID, p: ChurnParams) -> dict:
    """Churn after an answer, split by answer category within each group.

    Returns `{"kind", "scale_min", "scale_max", "survey_ids", "from", "to", "as_of",
    "horizon_days", "group_by", "groups": [...]}`; each group is `{"group": {dimension:
    value}, "relative_risk", "relative_risk_ci95", "rows": [...]}` (relative risk of
    detractors vs promoters, or not_good vs good; null when either has no churn), and each
    row `{"category", "customers", "eligible", "pending", "churned", "churn_rate",
    "churn_rate_ci95": {"low", "high"} | None, "value_eligible", "value_churned"}` (values
    as decimal strings), every category present, good first. Groups are sorted by their
    dimension values (nulls last). Raises InvalidInput (422) or SurveyNotFound (404)."""
    params.check_group_by(p.group_by, params.DIMENSIONS)
    horizon = params.check_days(p.horizon_days, "horizon_days")
    start, end = params.time_range(p.start, p.end, p.tz)
    as_of = params.as_of(p.as_of, p.tz)
    found = await surveys.get_many(session, project_id, p.survey_ids)
    kind, low, high = params.one_scale(found, "survey_id")
    bands = stats.categories(kind, low, high)
    counts = await repository.churn_counts(
        session,
        repository.ChurnQuery(
            units=repository.UnitQuery(project_id, [s.id for s in found], start, end, p.group_by),
            horizon_days=horizon,
            cutoff=as_of - timedelta(days=horizon),
            bands=bands,
        ),
    )
    width = len(p.group_by)
    by_group: dict[tuple, dict[str, tuple]] = {}
    for row in counts:
        by_group.setdefault(tuple(row[:width]), {})[row[width]] = row[width + 1 :]
    names = [name for name, _lo, _hi in bands]
    worst, best = names[-1], names[0]
    groups = []
    for key in sorted(by_group, key=lambda k: [(v is None, v or "") for v in k]):
        cells = by_group[key]
        rows = [
            {"category": name, **figures.churn_cells(*(cells.get(name) or (0, 0, 0, 0, 0)))}
            for name in names
        ]
        bad, good = rows[-1], rows[0]
        risk = stats.relative_risk(
            bad["churned"], bad["eligible"], good["churned"], good["eligible"]
        )
        groups.append({"group": dict(zip(p.group_by, key, strict=True)), **risk, "rows": rows})
    return {
        "kind": kind,
        "scale_min": low,
        "scale_max": high,
        "survey_ids": [str(s.id) for s in found],
        "from": params.iso(start),
        "to": params.iso(end),
        "as_of": params.iso(as_of),
        "horizon_days": horizon,
        "group_by": p.group_by,
        "relative_risk_of": {"exposed": worst, "baseline": best},
        "groups": groups,
    }


# --- drivers ----------------------------------------------------------------------------


def _good_minimum(survey: Survey) -> int:
    return stats.categories(survey.kind, survey.scale_min, survey.scale_max)[0][1]


async def drivers_report(session: AsyncSession, project_id: uuid.UUID, p: DriverParams) -> dict:
    """Touchpoint drivers of relationship NPS.

    Returns `{"relationship_survey_ids", "transactional_survey_ids", "from", "to",
    "window_days", "group_by", "rows": [...]}`, each row `{"group": {dimension: value},
    "touchpoint", "n_good", "n_bad", "nps_good", "nps_good_ci95", "nps_bad",
    "nps_bad_ci95", "gap", "z", "p", "significant", "reach", "impact"}`, sorted by group,
    then by impact (largest first; touchpoints without both sides, whose impact is null,
    last), then by touchpoint. Raises InvalidInput (422) or SurveyNotFound (404)."""
    params.check_group_by(p.group_by, ("segment", "channel", "locale"))
    window = params.check_days(p.window_days, "window_days")
    start, end = params.time_range(p.start, p.end, p.tz)
    for ids, name in (
        (p.relationship_survey_ids, "relationship_survey_id"),
        (p.transactional_survey_ids, "transactional_survey_id"),
    ):
        if not ids:
            raise InvalidInput(
                f"Give at least one {name}.",
                errors=[{"parameter": name, "in": "query", "detail": "required"}],
            )
    relationship = await surveys.get_many(session, project_id, p.relationship_survey_ids)
    transactional = await surveys.get_many(session, project_id, p.transactional_survey_ids)
    kind, _low, _high = params.one_scale(relationship, "relationship_survey_id")
    if kind != "nps":
        raise InvalidInput(
            "The relationship survey must be an NPS survey.",
            errors=[{"parameter": "relationship_survey_id", "in": "query", "detail": "not NPS"}],
            slug="mixed-scales",
            title="Surveys have different scales",
        )
    wrong = [s for s in transactional if s.kind not in ("csat", "ces")]
    if wrong:
        raise InvalidInput(
            f"Transactional surveys must be CSAT or CES; {wrong[0].id} is {wrong[0].kind.upper()}.",
            errors=[
                {"parameter": "transactional_survey_id", "in": "query", "detail": "not CSAT or CES"}
            ],
            slug="mixed-scales",
            title="Surveys have different scales",
        )
    counts = await repository.driver_counts(
        session,
        repository.DriverQuery(
            relationship=repository.UnitQuery(
                project_id, [s.id for s in relationship], start, end, p.group_by
            ),
            transactional={s.id: _good_minimum(s) for s in transactional},
            window_days=window,
        ),
    )
    width = len(p.group_by)
    sides: dict[tuple, dict[int, list[int]]] = {}
    for row in counts:
        key = (*row[:width], row[width])
        sides.setdefault(key, {})[int(row[width + 1])] = [int(c) for c in row[width + 2 :]]
    rows = []
    for key, by_side in sides.items():
        cells = figures.driver_cells(by_side.get(1, [0] * 11), by_side.get(0, [0] * 11))
        group = dict(zip(p.group_by, key[:width], strict=True))
        rows.append({"group": group, "touchpoint": key[width], **cells})
    rows.sort(
        key=lambda r: (
            [(v is None, v or "") for v in r["group"].values()],
            r["impact"] is None,
            -(r["impact"] or 0),
            r["touchpoint"],
        )
    )
    return {
        "relationship_survey_ids": [str(s.id) for s in relationship],
        "transactional_survey_ids": [str(s.id) for s in transactional],
        "from": params.iso(start),
        "to": params.iso(end),
        "window_days": window,
        "group_by": p.group_by,
        "rows": rows,
    }
