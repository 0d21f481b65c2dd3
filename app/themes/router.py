import uuid
from typing import Annotated, Literal

import orjson
from fastapi import APIRouter, Depends, Header, Query
from starlette.responses import Response as HttpResponse

from app.apidoc.declare import Documented, problems
from app.apidoc.parameters import comma_separated, items
from app.auth.dependencies import ReadSessionDep, SessionDep, require
from app.auth.service import Principal
from app.idempotency.dependencies import Idempotent
from app.themes import impact, service, suggestions
from app.themes.schemas import ThemeCreate, ThemeList, ThemeOut, ThemeUpdate

router = APIRouter(tags=["themes"])

Reader = Annotated[Principal, Depends(require("themes:read"))]
Writer = Annotated[Principal, Depends(require("themes:write"))]
SurveyIds = Annotated[
    list[uuid.UUID],
    Query(min_length=1, max_length=100, description="One or more surveys of one scale."),
]
From = Annotated[
    str | None, Query(alias="from", description="Inclusive; a date means local midnight in `tz`.")
]
To = Annotated[str | None, Query(description="Exclusive; same forms as `from`.")]
Zone = Annotated[str, Query(max_length=64, description="IANA time zone of dates.")]


THEME_EXISTS = Documented(409, "theme-exists", "Theme name taken")


@router.post(
    "/v1/themes",
    status_code=201,
    response_model=ThemeOut,
    operation_id="createTheme",
    responses=problems(THEME_EXISTS, Documented(409, "too-many-themes", "Too many themes")),
)
async def create_theme(body: ThemeCreate, session: SessionDep, caller: Writer, idem: Idempotent):
    async def create():
        return service.to_out(await service.create(session, caller.project_id, body))

    return await idem.run(str(caller.key_id), create)


@router.get("/v1/themes", response_model=ThemeList, operation_id="listThemes")
async def list_themes(session: SessionDep, caller: Reader):
    themes = await service.list_themes(session, caller.project_id)
    return {"data": [service.to_out(t) for t in themes]}


@router.get(
    "/v1/themes/suggestions",
    response_model=suggestions.SuggestionReport,
    operation_id="suggestThemes",
)
async def suggest_themes(
    session: ReadSessionDep,
    caller: Reader,
    survey_id: SurveyIds,
    from_: From = None,
    to: To = None,
    tz: Zone = "UTC",
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
):
    """Themes proposed from recent comments that mention no theme yet (computed here, with
    no data sent anywhere). Create one with `POST /v1/themes` and its phrases."""
    params = suggestions.SuggestionParams(
        survey_ids=survey_id, start=from_, end=to, tz=tz, limit=limit
    )
    return await service.suggest(session, caller.project_id, params)


@router.get("/v1/themes/{theme_id:uuid}", response_model=ThemeOut, operation_id="getTheme")
async def get_theme(theme_id: uuid.UUID, session: SessionDep, caller: Reader):
    return service.to_out(await service.get(session, caller.project_id, theme_id))


@router.patch(
    "/v1/themes/{theme_id:uuid}",
    response_model=ThemeOut,
    operation_id="updateTheme",
    responses=problems(THEME_EXISTS),
)
async def update_theme(theme_id: uuid.UUID, body: ThemeUpdate, session: SessionDep, caller: Writer):
    return service.to_out(await service.update(session, caller.project_id, theme_id, body))


@router.delete("/v1/themes/{theme_id:uuid}", status_code=204, operation_id="deleteTheme")
async def delete_theme(theme_id: uuid.UUID, session: SessionDep, caller: Writer):
    await service.delete(session, caller.project_id, theme_id)
    return HttpResponse(status_code=204)


@router.get(
    "/v1/analytics/themes",
    response_model=impact.ImpactReport,
    operation_id="getThemeImpact",
    responses={
        200: {"content": {"text/csv": {"schema": {"type": "string"}}}},
        **problems(Documented(422, "mixed-scales", "Surveys have different scales")),
    },
)
async def theme_impact(
    session: ReadSessionDep,
    caller: Reader,
    survey_id: SurveyIds,
    from_: From = None,
    to: To = None,
    tz: Zone = "UTC",
    group_by: Annotated[
        list[str] | None,
        Query(
            description="segment, touchpoint, channel, locale, survey or attributes.<key>.",
            json_schema_extra=items(
                comma_separated(*impact.DIMENSIONS, impact.ATTRIBUTE.pattern[1:-1])
            ),
        ),
    ] = None,
    min_n: Annotated[int, Query(ge=1, le=1_000_000)] = 30,
    format: Literal["json", "csv"] | None = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
):
    """Per theme: how many comments mention it, the score among them and among the others
    with intervals, the gap with its test, and the points it costs (gap x share / 100),
    most costly first."""
    params = impact.ImpactParams(
        survey_ids=survey_id,
        start=from_,
        end=to,
        tz=tz,
        group_by=[p.strip() for v in group_by or [] for p in v.split(",") if p.strip()],
        min_n=min_n,
    )
    report = await service.impact_report(session, caller.project_id, params)
    if format == "csv" or (format is None and "text/csv" in (accept or "")):
        return HttpResponse(
            impact.to_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": 'inline; filename="themes.csv"'},
        )
    # default=str: ids read by asyncpg are its own UUID type, which orjson does not know.
    return HttpResponse(orjson.dumps(report, default=str), media_type="application/json")
