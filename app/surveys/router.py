import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from app.apidoc.declare import Documented, problems
from app.auth.dependencies import ReadSessionDep, SessionDep, require
from app.auth.service import Principal
from app.idempotency.dependencies import Idempotent
from app.surveys import service
from app.surveys.schemas import Status, SurveyCreate, SurveyOut, SurveyPage, SurveyUpdate
from app.validation import Limit

router = APIRouter(prefix="/v1/surveys", tags=["surveys"])

Reader = Annotated[Principal, Depends(require("surveys:read"))]
Writer = Annotated[Principal, Depends(require("surveys:write"))]


@router.post("", status_code=201, response_model=SurveyOut, operation_id="createSurvey")
async def create_survey(body: SurveyCreate, session: SessionDep, caller: Writer, idem: Idempotent):
    return await idem.run(
        str(caller.key_id), lambda: service.create(session, caller.project_id, body)
    )


@router.get("", response_model=SurveyPage, operation_id="listSurveys")
async def list_surveys(
    session: ReadSessionDep,
    caller: Reader,
    status: Annotated[
        Status | None, Query(description="Only this status; default active and paused.")
    ] = None,
    cursor: str | None = None,
    limit: Limit = 50,
):
    return await service.list_page(
        session, caller.project_id, status=status, cursor=cursor, limit=limit
    )


@router.get("/{survey_id}", response_model=SurveyOut, operation_id="getSurvey")
async def get_survey(survey_id: uuid.UUID, session: SessionDep, caller: Reader):
    return await service.get(session, caller.project_id, survey_id)


@router.patch(
    "/{survey_id}",
    response_model=SurveyOut,
    operation_id="updateSurvey",
    responses=problems(Documented(409, "survey-scale-locked", "Kind and scale are fixed")),
)
async def update_survey(
    survey_id: uuid.UUID, body: SurveyUpdate, session: SessionDep, caller: Writer
):
    return await service.update(session, caller.project_id, survey_id, body)


@router.post("/{survey_id}/archive", response_model=SurveyOut, operation_id="archiveSurvey")
async def archive_survey(survey_id: uuid.UUID, session: SessionDep, caller: Writer):
    return await service.archive(session, caller.project_id, survey_id)
