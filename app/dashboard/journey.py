"""The dashboard's journey page, from the customer reports of `app.journeys.service` (the
functions behind /v1/analytics/journey, /drivers and /churn): the declared stages with their
scores and churn, the touchpoint drivers of relationship NPS, and the churn of promoters,
passives and detractors with the relative risk."""

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.dashboard.schemas import View
from app.dashboard.service import all_surveys
from app.db import utcnow
from app.errors import InvalidInput
from app.journeys import service as journeys
from app.surveys.schemas import SurveyOut
from app.timeparams import parse_zone


@dataclass
class JourneyPage:
    view: View
    first: date
    last: date
    stages: list[dict[str, Any]]
    drivers: list[dict[str, Any]]
    churn: dict[str, Any] | None
    relationship: list[SurveyOut] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def journey_page(session: AsyncSession, project_id: uuid.UUID, view: View) -> JourneyPage:
    """Relationship surveys are the project's NPS surveys; transactional ones its CSAT and
    CES surveys. A report that cannot be made (no such surveys) is left out, with why."""
    zone = parse_zone(view.tz)
    first, last = view.days(utcnow().astimezone(zone).date())
    start, end = first.isoformat(), (last + timedelta(days=1)).isoformat()
    found = await all_surveys(session, project_id)
    relationship = [s.id for s in found if s.kind == "nps"]
    transactional = [s.id for s in found if s.kind in ("csat", "ces")]

    report = await journeys.journey_report(
        session, project_id, journeys.JourneyParams(start=start, end=end, tz=view.tz)
    )
    problems: list[str] = []
    drivers: list[dict[str, Any]] = []
    churn = None
    if relationship and transactional:
        try:
            drivers = (
                await journeys.drivers_report(
                    session,
                    project_id,
                    journeys.DriverParams(
                        relationship_survey_ids=relationship,
                        transactional_survey_ids=transactional,
                        start=start,
                        end=end,
                        tz=view.tz,
                    ),
                )
            )["rows"]
        except InvalidInput as error:
            problems.append(error.detail)
    if relationship:
        try:
            churn = await journeys.churn_report(
                session,
                project_id,
                journeys.ChurnParams(survey_ids=relationship, start=start, end=end, tz=view.tz),
            )
        except InvalidInput as error:
            problems.append(error.detail)
    return JourneyPage(
        view=view,
        first=first,
        last=last,
        stages=report["stages"],
        drivers=drivers,
        churn=churn,
        relationship=[s for s in found if s.kind == "nps"],
        problems=problems,
    )
