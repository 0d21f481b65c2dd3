"""Every success the server gives has its body documented, the headers it sends are
documented, CSV is declared as text/csv, and creates link to the reads of what they made."""

from conftest import Api
from test_invitations import invite_one, token_of

from .spec import assert_documented, operation, resolve

PUBLIC = "/v1/public/responses"


def body_of(spec, operation_id: str, status: str) -> dict:
    content = operation(spec, operation_id)["responses"][status]["content"]
    return content["application/json"]["schema"]


async def test_answer_invitation_documents_its_updated_200(app, api: Api):
    spec = app.openapi()
    survey = await api.survey()
    token = token_of(await invite_one(api, survey["id"]))
    first = await api.client.post(PUBLIC, json={"token": token, "score": 4})
    again = await api.client.post(PUBLIC, json={"token": token, "score": 5})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["status"] == "updated"
    for answer in (first, again):
        assert_documented(spec, "answerInvitation", answer)
    assert body_of(spec, "answerInvitation", "200") == body_of(spec, "answerInvitation", "201")


async def test_add_unsubscribe_documents_its_repeat_200(app, api: Api):
    spec = app.openapi()
    first = await api.post("/v1/unsubscribes", json={"customer_id": "c-repeat"})
    again = await api.post("/v1/unsubscribes", json={"customer_id": "c-repeat"})
    assert (first.status_code, again.status_code) == (201, 200)
    for answer in (first, again):
        assert_documented(spec, "addUnsubscribe", answer)
    assert body_of(spec, "addUnsubscribe", "200") == {"$ref": "#/components/schemas/UnsubscribeOut"}


def test_every_answer_documents_its_request_id_and_rate_limited_ones_the_limit(app):
    spec = app.openapi()
    for path, ops in spec["paths"].items():
        for op in ops.values():
            for status, answer in op["responses"].items():
                headers = answer.get("headers", {})
                assert "X-Request-ID" in headers, (op["operationId"], status)
                if path.startswith("/v1/"):
                    assert {"RateLimit", "RateLimit-Policy"} <= set(headers), (path, status)
    assert resolve(spec, {"$ref": "#/components/headers/X-Request-ID"})["required"] is True


async def test_documented_headers_are_the_ones_the_server_sends(app, api: Api):
    spec = app.openapi()
    survey = await api.survey()
    key = {"Idempotency-Key": "documented-replay"}
    body = {"score": 9}
    first = await api.post(f"/v1/surveys/{survey['id']}/responses", json=body, headers=key)
    replay = await api.post(f"/v1/surveys/{survey['id']}/responses", json=body, headers=key)
    assert replay.headers["Idempotent-Replayed"] == "true"
    created = operation(spec, "createResponse")["responses"]["201"]["headers"]
    assert "Idempotent-Replayed" in created
    for answer in (first, replay):
        assert "X-Request-ID" in answer.headers
        assert_documented(spec, "createResponse", answer)

    await api.answer(survey["id"], 7)
    page = await api.get("/v1/exports/responses", params={"survey_id": survey["id"], "limit": 1})
    assert page.headers["content-type"].startswith("text/csv")
    assert "Sentio-Next-Cursor" in page.headers
    exported = operation(spec, "exportResponses")["responses"]["200"]
    assert "Sentio-Next-Cursor" in exported["headers"]
    assert list(exported["content"]) == ["text/csv"]
    assert_documented(spec, "exportResponses", page)


async def test_scores_csv_is_declared_as_text_csv(app, api: Api):
    spec = app.openapi()
    survey = await api.survey()
    content = operation(spec, "getScores")["responses"]["200"]["content"]
    assert content["text/csv"]["schema"] == {"type": "string"}
    as_csv = await api.get("/v1/scores", params={"survey_id": survey["id"], "format": "csv"})
    as_json = await api.get("/v1/scores", params={"survey_id": survey["id"]})
    for answer in (as_csv, as_json):
        assert_documented(spec, "getScores", answer)
    # its own operation, whose only body is CSV: what generated clients read as text
    only_csv = operation(spec, "getScoresCsv")["responses"]["200"]["content"]
    assert list(only_csv) == ["text/csv"]
    csv = await api.get("/v1/scores.csv", params={"survey_id": survey["id"]})
    assert csv.text == as_csv.text
    assert_documented(spec, "getScoresCsv", csv)


def test_creates_link_to_the_operations_that_read_what_they_made(app):
    spec = app.openapi()
    links = operation(spec, "createSurvey")["responses"]["201"]["links"]
    assert links["getSurvey"] == {
        "operationId": "getSurvey",
        "parameters": {"survey_id": "$response.body#/id"},
    }
    assert {"updateSurvey", "archiveSurvey", "createResponse", "createInvitations"} <= set(links)
    links = operation(spec, "createResponse")["responses"]["201"]["links"]
    assert links["getResponse"]["parameters"] == {"response_id": "$response.body#/id"}
    assert {"updateResponse", "deleteResponse"} <= set(links)
    links = operation(spec, "createWebhook")["responses"]["201"]["links"]
    assert {"getWebhook", "updateWebhook", "deleteWebhook", "listWebhookDeliveries"} <= set(links)
    links = operation(spec, "createProjectKey")["responses"]["201"]["links"]
    assert links["revokeProjectKey"]["parameters"] == {
        "project_id": "$request.path.project_id",
        "key_id": "$response.body#/id",
    }


async def test_a_link_leads_to_the_thing_the_create_made(app, api: Api):
    spec = app.openapi()
    created = await api.post("/v1/surveys", json={"name": "linked", "kind": "csat"})
    link = operation(spec, "createSurvey")["responses"]["201"]["links"]["getSurvey"]
    pointer = link["parameters"]["survey_id"].removeprefix("$response.body#/")
    read = await api.get(f"/v1/surveys/{created.json()[pointer]}")
    assert read.status_code == 200 and read.json()["name"] == "linked"
