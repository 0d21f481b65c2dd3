import uuid
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Header, Query
from starlette.responses import Response as HttpResponse

from app.apidoc.declare import Documented, problems
from app.apidoc.parameters import comma_separated, items
from app.auth.dependencies import ReadSessionDep, SessionDep, require
from app.auth.service import Principal
from app.journeys import csv, params, service
from app.journeys.schemas import (
    ChurnReport,
    CustomerJourney,
    CustomerPage,
    DriverReport,
    JourneyReport,
    JourneyStages,
)
from app.surveys.service import SurveyNotFound
from app.validation import CustomerId, Label, Limit

router = APIRouter(tags=["customers"])

Reader = Annotated[Principal, Depends(require("customers:read"))]
SURVEYS = problems(SurveyNotFound, Documented(422, "mixed-scales", "Surveys have different scales"))
"""What reports over a list of surveys answer for an unknown one or surveys of two scales."""
CSV = {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **SURVEYS}

From = Annotated[
    str | None,
    Query(alias="from", description="Inclusive (answer time); a date is local midnight in tz."),
]
To = Annotated[str | None, Query(description="Exclusive; same forms as `from`.")]
Zone = Annotated[str, Query(max_length=64, description="IANA time zone of dates.")]
AsOf = Annotated[str | None, Query(description="Count churn as known at this time (default now).")]
Horizon = Annotated[
    int,
    Query(
        description="Days after an answer in which churn counts.",
        json_schema_extra={"minimum": 1, "maximum": 3650},  # the service's own check
    ),
]
_ATTRIBUTE = params.ATTRIBUTE.pattern[1:-1]
GroupBy = Annotated[
    list[str] | None,
    Query(
        description="segment, touchpoint, channel, locale or attributes.<key>; repeatable.",
        json_schema_extra=items(comma_separated(*params.DIMENSIONS, _ATTRIBUTE)),
    ),
]
Format = Literal["json", "csv"] | None


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for v in values or [] for part in v.split(",") if part.strip()]


def _answer(report: dict, to_csv, name: str, format: Format, accept: str | None):
    if format == "csv" or (format is None and "text/csv" in (accept or "")):
        return HttpResponse(
            to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'inline; filename="{name}.csv"'},
        )
    return HttpResponse(orjson.dumps(report), media_type="application/json")


@router.get(
    "/v1/analytics/churn", response_model=ChurnReport, operation_id="getChurn", responses=CSV
)
async def get_churn(
    session: ReadSessionDep,
    caller: Reader,
    survey_id: Annotated[
        list[uuid.UUID],
        Query(min_length=1, max_length=100, description="Surveys of one kind and scale."),
    ],
    from_: From = None,
    to: To = None,
    tz: Zone = "UTC",
    horizon_days: Horizon = 90,
    as_of: AsOf = None,
    group_by: GroupBy = None,
    format: Format = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
):
    """Churn after an answer by answer category (within any `group_by` groups), with
    Wilson intervals, purchase values, and the relative risk of detractors vs promoters."""
    report = await service.churn_report(
        session,
        caller.project_id,
        service.ChurnParams(
            survey_ids=survey_id,
            start=from_,
            end=to,
            tz=tz,
            horizon_days=horizon_days,
            as_of=as_of,
            group_by=_split(group_by),
        ),
    )
    return _answer(report, csv.churn_csv, "churn", format, accept)


@router.get(
    "/v1/analytics/drivers", response_model=DriverReport, operation_id="getDrivers", responses=CSV
)
async def get_drivers(
    session: ReadSessionDep,
    caller: Reader,
    relationship_survey_id: Annotated[
        list[uuid.UUID], Query(min_length=1, max_length=100, description="NPS, one scale.")
    ],
    transactional_survey_id: Annotated[
        list[uuid.UUID], Query(min_length=1, max_length=100, description="CSAT or CES.")
    ],
    from_: From = None,
    to: To = None,
    tz: Zone = "UTC",
    window_days: Annotated[
        int,
        Query(
            description="Days before the relationship answer that count.",
            json_schema_extra={"minimum": 1, "maximum": 3650},  # the service's own check
        ),
    ] = 90,
    group_by: Annotated[
        list[str] | None,
        Query(
            description="segment, channel, locale or attributes.<key>.",
            json_schema_extra=items(comma_separated("segment", "channel", "locale", _ATTRIBUTE)),
        ),
    ] = None,
    format: Format = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
):
    """Which touchpoints cost relationship NPS: per touchpoint, the NPS of customers whose
    latest experience there was good vs bad, the gap with its test, reach and impact."""
    report = await service.drivers_report(
        session,
        caller.project_id,
        service.DriverParams(
            relationship_survey_ids=relationship_survey_id,
            transactional_survey_ids=transactional_survey_id,
            start=from_,
            end=to,
            tz=tz,
            window_days=window_days,
            group_by=_split(group_by),
        ),
    )
    return _answer(report, csv.drivers_csv, "drivers", format, accept)


@router.get(
    "/v1/analytics/journey",
    response_model=JourneyReport,
    operation_id="getJourneyAnalytics",
    responses=CSV,
)
async def get_journey_analytics(
    session: ReadSessionDep,
    caller: Reader,
    from_: Annotated[
        str | None, Query(alias="from", description="Inclusive; default 90 days before `to`.")
    ] = None,
    to: Annotated[str | None, Query(description="Exclusive; default `as_of`.")] = None,
    tz: Zone = "UTC",
    as_of: AsOf = None,
    horizon_days: Horizon = 90,
    survey_id: Annotated[
        list[uuid.UUID] | None, Query(max_length=100, description="Default: every survey.")
    ] = None,
    min_n: Annotated[int, Query(ge=1, le=1_000_000)] = 30,
    format: Format = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
):
    """The declared journey, stage by stage: scores with intervals, change against the
    previous period of the same length, and churn after the latest answer at each stage."""
    report = await service.journey_report(
        session,
        caller.project_id,
        service.JourneyParams(
            start=from_,
            end=to,
            tz=tz,
            as_of=as_of,
            horizon_days=horizon_days,
            survey_ids=survey_id or [],
            min_n=min_n,
        ),
    )
    return _answer(report, csv.journey_csv, "journey", format, accept)


@router.get("/v1/journey", response_model=JourneyStages, operation_id="getJourney")
async def get_journey(
    session: SessionDep, caller: Annotated[Principal, Depends(require("surveys:read"))]
):
    return await service.get_stages(session, caller.project_id)


@router.put("/v1/journey", response_model=JourneyStages, operation_id="setJourney")
async def set_journey(
    body: JourneyStages,
    session: SessionDep,
    caller: Annotated[Principal, Depends(require("surveys:write"))],
):
    """Declare the journey's stages: touchpoints in the order customers meet them
    (replaces the previous list; an empty list clears it)."""
    return await service.set_stages(session, caller.project_id, body.stages)


@router.get(
    "/v1/customers",
    response_model=CustomerPage,
    operation_id="listCustomers",
    responses=SURVEYS,
)
async def list_customers(
    session: ReadSessionDep,
    caller: Reader,
    relationship_survey_id: Annotated[
        list[uuid.UUID] | None,
        Query(max_length=100, description="Default: every NPS survey of the project."),
    ] = None,
    category: Annotated[
        list[str] | None, Query(description="promoter, passive, detractor; good, not_good.")
    ] = None,
    churned: bool | None = None,
    last_touchpoint: Label | None = None,
    cursor: str | None = None,
    limit: Limit = 100,
):
    return await service.list_customers(
        session,
        caller.project_id,
        relationship_survey_ids=relationship_survey_id,
        categories=_split(category),
        churned=churned,
        last_touchpoint=last_touchpoint,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/v1/customers/{customer_id:path}/journey",
    response_model=CustomerJourney,
    operation_id="getCustomerJourney",
)
async def get_customer_journey(customer_id: CustomerId, session: ReadSessionDep, caller: Reader):
    """Every answer, invitation (never its links) and outcome of one customer, in time
    order."""
    return await service.customer_journey(session, caller.project_id, customer_id)
