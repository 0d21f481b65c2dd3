"""Each operation documents the error statuses it can answer, with their problem types,
derived from the route (its key rule, body, parameters, ids, Idempotency-Key, database)
plus what the route declares; and what the server answers is among them."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Annotated

from conftest import assert_problem
from fastapi import APIRouter, Depends
from test_invitations import backdate_invitation, invite_one, token_of

from app.auth.dependencies import SessionDep, public, require
from app.auth.service import Principal
from app.main import create_app

from .spec import assert_documented, operation, problem_types

PUBLIC = "/v1/public/responses"


def statuses(spec, operation_id: str) -> set[int]:
    return {int(s) for s in operation(spec, operation_id)["responses"]}


def test_health_probes_claim_no_key_body_or_database_problems(app):
    spec = app.openapi()
    assert statuses(spec, "healthz") == {200}
    # readiness answers its own JSON 503 (not a problem) when the database is down
    readyz = operation(spec, "readyz")["responses"]
    assert set(readyz) == {"200", "503"}
    assert "application/json" in readyz["503"]["content"]


def test_each_operation_lists_its_own_statuses_not_one_shared_list(app):
    spec = app.openapi()
    assert statuses(spec, "getSurvey") == {200, 401, 403, 404, 422, 429, 503}
    assert problem_types(spec, "getSurvey", 404) == {
        "/problems/survey-not-found",
        "/problems/not-found",  # a path its route cannot match
    }
    assert 413 not in statuses(spec, "listSurveys")  # no body on a GET
    assert problem_types(spec, "listSurveys", 400) == {"/problems/invalid-cursor"}
    assert problem_types(spec, "createSurvey", 400) == {"/problems/malformed-json"}
    assert problem_types(spec, "createSurvey", 409) == {
        "/problems/conflict",
        "/problems/idempotency-key-in-use",
    }
    assert {
        "/problems/idempotency-key-reused",
        "/problems/invalid-idempotency-key",
        "/problems/validation-error",
    } <= problem_types(spec, "createSurvey", 422)
    assert problem_types(spec, "getScores", 422) == {
        "/problems/validation-error",
        "/problems/mixed-scales",
        "/problems/too-many-rows",
    }
    assert problem_types(spec, "updateSurvey", 409) >= {"/problems/survey-scale-locked"}
    assert problem_types(spec, "removeUnsubscribe", 404) == {
        "/problems/unsubscribe-not-found",
        "/problems/not-found",
    }
    # the public endpoint takes no key: no 401/403
    assert not {401, 403} & statuses(spec, "answerInvitation")


def test_429_and_503_document_retry_after_and_401_the_challenge(app):
    spec = app.openapi()
    responses = operation(spec, "listResponses")["responses"]
    assert "Retry-After" in responses["429"]["headers"]
    assert "Retry-After" in responses["503"]["headers"]
    assert {"RateLimit", "RateLimit-Policy"} <= set(responses["429"]["headers"])
    assert "WWW-Authenticate" in responses["401"]["headers"]


async def test_answer_invitation_documents_every_problem_it_answers(app, api):
    spec = app.openapi()
    survey = await api.survey()
    invitation = await invite_one(api, survey["id"])
    token = token_of(invitation)

    expired = await invite_one(api, survey["id"], customer_id="late")
    await backdate_invitation(expired["id"], expires_at=datetime.now(UTC) - timedelta(1))
    r = await api.client.post(PUBLIC, json={"token": token_of(expired), "score": 9})
    assert_problem(r, 410, "link-expired")
    assert problem_types(spec, "answerInvitation", 410) == {"/problems/link-expired"}
    assert_documented(spec, "answerInvitation", r)

    r = await api.client.post(PUBLIC, json={"token": "x" * 32, "score": 9})
    assert_problem(r, 404, "link-not-found")
    assert_documented(spec, "answerInvitation", r)

    r = await api.client.post(PUBLIC, json={"token": token, "score": 99})
    assert_problem(r, 422, "validation-error")
    assert_documented(spec, "answerInvitation", r)

    closed = await api.survey()
    other = await invite_one(api, closed["id"])
    await api.patch(f"/v1/surveys/{closed['id']}", json={"status": "paused"})
    r = await api.client.post(PUBLIC, json={"token": token_of(other), "score": 9})
    assert_problem(r, 409, "survey-not-accepting")
    assert_documented(spec, "answerInvitation", r)

    r = await api.client.post(PUBLIC, content=b"{", headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "malformed-json")
    assert_documented(spec, "answerInvitation", r)


async def test_problems_the_api_answers_are_documented_for_their_operation(app, api):
    spec = app.openapi()
    missing = uuid.uuid4()
    cases = [
        ("getSurvey", await api.get(f"/v1/surveys/{missing}"), 404, "survey-not-found"),
        ("getSurvey", await api.get("/v1/surveys/not-a-uuid"), 422, "validation-error"),
        ("getResponse", await api.get(f"/v1/responses/{missing}"), 404, "response-not-found"),
        ("listSurveys", await api.get("/v1/surveys?cursor=abc"), 400, "invalid-cursor"),
        ("getSurvey", await api.client.get(f"/v1/surveys/{missing}"), 401, "unauthorized"),
        (
            "createSurvey",
            await api.post("/v1/surveys", content=b"[", headers={"Content-Type": "text/plain"}),
            415,
            "unsupported-media-type",
        ),
        (
            "getScores",
            await api.get("/v1/scores", params={"survey_id": str(missing)}),
            404,
            "survey-not-found",
        ),
    ]
    reader = await api.with_scopes("surveys:read")
    r = await reader.post("/v1/surveys", json={"name": "x", "kind": "nps"})
    cases.append(("createSurvey", r, 403, "forbidden"))
    for operation_id, response, status, slug in cases:
        assert_problem(response, status, slug)
        assert_documented(spec, operation_id, response)


def test_a_new_route_is_documented_from_its_dependencies_alone():
    """What a route added by any domain gets without declaring anything."""
    router = APIRouter()

    @router.get("/v1/widgets/{survey_id}", operation_id="getWidget")
    async def get_widget(
        survey_id: uuid.UUID,
        session: SessionDep,
        caller: Annotated[Principal, Depends(require("surveys:read"))],
        cursor: str = "",
    ) -> dict:
        return {}

    @router.get("/widgets/ping", operation_id="pingWidget", dependencies=[public("a probe")])
    async def ping() -> dict:
        return {}

    app = create_app()
    app.include_router(router)
    spec = app.openapi()
    assert statuses(spec, "getWidget") == {200, 400, 401, 403, 404, 422, 429, 503}
    assert problem_types(spec, "getWidget", 404) >= {"/problems/survey-not-found"}
    assert statuses(spec, "pingWidget") == {200}
