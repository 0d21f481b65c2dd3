import uuid
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Depends, Header, Query
from starlette.responses import Response as HttpResponse

from app.apidoc.declare import Documented, problems
from app.apidoc.parameters import comma_separated, items
from app.auth.dependencies import ReadSessionDep, require
from app.auth.service import Principal
from app.errors import InvalidInput
from app.responses.schemas import Channel
from app.scores import csv, service
from app.scores.schemas import ScoreReport
from app.themes.schemas import ThemeValue
from app.validation import Label, Locale

router = APIRouter(tags=["scores"])

Interval = Literal["none", "day", "week", "month", "quarter", "year"]


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for v in values or [] for part in v.split(",") if part.strip()]


ATTRIBUTE_FILTER = r"^[A-Za-z_][A-Za-z0-9_]*:[^\x00]*$"
"""What `_attribute_filters` accepts, for the API document."""


GROUP_BY = comma_separated(*service.DIMENSIONS, service.ATTRIBUTE.pattern[1:-1])
"""What `service.check_group_by` accepts in one `group_by` value (comma-separated dimensions)."""


def _attribute_filters(values: list[str] | None) -> dict[str, list[str]]:
    equals: dict[str, list[str]] = {}
    for value in values or []:
        key, sep, wanted = value.partition(":")
        if not sep or not key.isidentifier() or not key.isascii() or "\x00" in wanted:
            raise InvalidInput(
                f"attribute filters look like 'plan:pro', not {value!r}.",
                errors=[{"parameter": "attribute", "in": "query", "detail": "expected key:value"}],
            )
        equals.setdefault(f"attributes.{key}", []).append(wanted)
    return equals


@dataclass
class ScoreQuery:
    """The parameters of a score report, the same for its JSON and its CSV."""

    survey_id: Annotated[
        list[uuid.UUID],
        Query(min_length=1, max_length=100, description="One or more surveys of one scale."),
    ]
    group_by: Annotated[
        list[str] | None,
        Query(
            description="segment, touchpoint, channel, locale, survey, theme or "
            "attributes.<key>; repeat the parameter or separate with commas. theme: a row per "
            "theme (an answer mentioning two counts in both) and one for comments with none.",
            json_schema_extra=items(GROUP_BY),
        ),
    ] = None
    interval: Interval = "none"
    tz: Annotated[str, Query(max_length=64, description="IANA time zone of the buckets.")] = "UTC"
    from_: Annotated[
        str | None,
        Query(alias="from", description="Inclusive; a date means local midnight in `tz`."),
    ] = None
    to: Annotated[str | None, Query(description="Exclusive; same forms as `from`.")] = None
    segment: Annotated[list[Label] | None, Query()] = None
    touchpoint: Annotated[list[Label] | None, Query()] = None
    channel: Annotated[list[Channel] | None, Query()] = None
    locale: Annotated[list[Locale] | None, Query()] = None
    attribute: Annotated[
        list[str] | None,
        Query(
            description="Attribute filter `key:value`; repeatable.",
            json_schema_extra=items(ATTRIBUTE_FILTER),
        ),
    ] = None
    theme: Annotated[
        list[ThemeValue] | None,
        Query(description="Comments that mention this theme (id or name); repeatable: any."),
    ] = None
    min_n: Annotated[int, Query(ge=1, le=1_000_000)] = 30


async def _report(session: Any, caller: Principal, q: ScoreQuery) -> Any:
    equals = {
        name: values
        for name, values in (
            ("segment", q.segment),
            ("touchpoint", q.touchpoint),
            ("channel", q.channel),
            ("locale", q.locale),
            ("theme", q.theme),
        )
        if values
    }
    equals.update(_attribute_filters(q.attribute))
    return await service.compute(
        session,
        caller.project_id,
        service.ScoreParams(
            survey_ids=q.survey_id,
            group_by=_split(q.group_by),
            interval=q.interval,
            tz=q.tz,
            start=q.from_,
            end=q.to,
            equals=equals,
            min_n=q.min_n,
        ),
    )


Reader = Annotated[Principal, Depends(require("scores:read"))]
SCORE_PROBLEMS = problems(
    Documented(422, "mixed-scales", "Surveys have different scales"),
    Documented(422, "too-many-rows", "Result too large"),
)
CSV = {"content": {"text/csv": {"schema": {"type": "string"}}}}


@router.get(
    "/v1/scores",
    response_model=ScoreReport,
    operation_id="getScores",
    responses={200: CSV, **SCORE_PROBLEMS},
)
async def get_scores(
    session: ReadSessionDep,
    caller: Reader,
    query: Annotated[ScoreQuery, Depends()],
    format: Literal["json", "csv"] | None = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
):
    """Scores as JSON, or as CSV with `format=csv` or `Accept: text/csv` (the same CSV as
    `getScoresCsv`, whose document says so to generated clients)."""
    report = await _report(session, caller, query)
    wants_csv = format == "csv" or (format is None and "text/csv" in (accept or ""))
    if wants_csv:
        return _csv(report)
    # Serialised directly: the rows are already plain JSON data, and model validation of
    # thousands of rows cost more than the query (the response model documents the shape).
    return HttpResponse(orjson.dumps(report), media_type="application/json")


@router.get(
    "/v1/scores.csv",
    operation_id="getScoresCsv",
    response_class=HttpResponse,
    responses={200: {"description": "The report as CSV.", **CSV}, **SCORE_PROBLEMS},
)
async def get_scores_csv(
    session: ReadSessionDep, caller: Reader, query: Annotated[ScoreQuery, Depends()]
) -> HttpResponse:
    """The report of `getScores` as CSV, one row per group and bucket."""
    return _csv(await _report(session, caller, query))


def _csv(report: Any) -> HttpResponse:
    return HttpResponse(
        csv.to_csv(report),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'inline; filename="scores.csv"'},
    )
