"""The API document refuses what the server refuses: each case is checked against both,
so the document cannot drift back to promising more than the server takes."""

import pytest
from conftest import Api, assert_problem

from .spec import operation, resolve, schema_errors


def body_schema(spec, operation_id: str) -> dict:
    return operation(spec, operation_id)["requestBody"]["content"]["application/json"]["schema"]


def parameter_schema(spec, operation_id: str, name: str) -> dict:
    for parameter in operation(spec, operation_id)["parameters"]:
        if parameter["name"] == name:
            return parameter["schema"]
    raise AssertionError(name)


NULLS = [
    ("updateResponse", "score"),
    ("updateSurvey", "name"),
    ("updateSurvey", "kind"),
    ("updateSurvey", "status"),
    ("updateWebhook", "url"),
    ("updateWebhook", "events"),
    ("updateWebhook", "filters"),
    ("updateWebhook", "status"),
]


@pytest.mark.parametrize(("operation_id", "field"), NULLS)
async def test_fields_the_server_refuses_as_null_are_not_nullable(app, api, operation_id, field):
    spec = app.openapi()
    assert schema_errors(spec, body_schema(spec, operation_id), {field: None})
    survey = await api.survey()
    response = await api.answer(survey["id"], 5)
    hook = await api.post(
        "/v1/webhooks", json={"url": "https://hooks.example.com/x", "events": ["response.created"]}
    )
    url = {
        "updateResponse": f"/v1/responses/{response['id']}",
        "updateSurvey": f"/v1/surveys/{survey['id']}",
        "updateWebhook": f"/v1/webhooks/{hook.json()['id']}",
    }[operation_id]
    assert_problem(await api.patch(url, json={field: None}), 422, "validation-error")


async def test_an_empty_change_is_refused_by_both(app, api: Api):
    spec = app.openapi()
    survey = await api.survey()
    response = await api.answer(survey["id"], 5)
    assert schema_errors(spec, body_schema(spec, "updateResponse"), {})
    assert_problem(await api.patch(f"/v1/responses/{response['id']}", json={}), 422)


SHOP = "https://shop.example"
KEYS = [
    ({}, False),  # a secret key (the default kind) needs scopes
    ({"scopes": []}, False),
    ({"scopes": ["surveys:read"]}, True),
    ({"scopes": ["no-such-scope"]}, False),
    ({"kind": "read"}, True),  # read keys default to the read scopes
    ({"kind": "read", "scopes": ["surveys:write"]}, False),
    ({"kind": "publishable"}, False),  # needs its origins
    ({"kind": "publishable", "allowed_origins": [SHOP]}, True),
    (
        {"kind": "publishable", "allowed_origins": ["https://shop.example"], "scopes": ["admin"]},
        False,
    ),
    ({"kind": "secret", "scopes": ["admin"], "allowed_origins": ["https://shop.example"]}, False),
]


@pytest.mark.parametrize(("body", "accepted"), KEYS)
async def test_key_scopes_are_required_where_the_server_requires_them(app, api, body, accepted):
    spec = app.openapi()
    assert (not schema_errors(spec, body_schema(spec, "createKey"), body)) is accepted
    response = await api.post("/v1/keys", json=body)
    assert response.status_code == (201 if accepted else 422), response.text


SURVEYS = [
    ({"name": "s", "kind": "nps", "scale_max": 10}, True),
    ({"name": "s", "kind": "nps", "scale_max": 5}, False),
    ({"name": "s", "kind": "csat", "scale_max": 3}, True),
    ({"name": "s", "kind": "ces", "scale_max": 10}, False),
    ({"name": "s", "kind": "csat", "scale_max": 14943}, False),
    ({"name": "s", "kind": "csat", "texts": {"de": {"question": "Wie?"}}}, True),
    ({"name": "s", "kind": "csat", "texts": {"not a locale": {}}}, False),
    ({"name": "s\x00", "kind": "csat"}, False),
]


@pytest.mark.parametrize(("body", "accepted"), SURVEYS)
async def test_survey_scales_and_texts_are_described_as_enforced(app, api, body, accepted):
    spec = app.openapi()
    assert (not schema_errors(spec, body_schema(spec, "createSurvey"), body)) is accepted
    response = await api.post("/v1/surveys", json=body)
    assert response.status_code == (201 if accepted else 422), response.text


ATTRIBUTES = [
    ({"plan": "pro", "seats": 3, "trial": False, "mrr": 9.5}, True),
    ({"bad key": "x"}, False),
    ({"plan": "pro\x00"}, False),
    ({"plan": {"nested": 1}}, False),
    ({"plan": "x" * 501}, False),
    ({f"k{i}": i for i in range(51)}, False),
]


@pytest.mark.parametrize(("attributes", "accepted"), ATTRIBUTES)
async def test_attribute_keys_and_values_are_constrained_as_enforced(
    app, api, attributes, accepted
):
    spec = app.openapi()
    schema = resolve(spec, body_schema(spec, "createResponse"))
    body = {"score": 5, "attributes": attributes}
    assert (not schema_errors(spec, schema, body)) is accepted
    survey = await api.survey()
    response = await api.post(f"/v1/surveys/{survey['id']}/responses", json=body)
    assert response.status_code == (201 if accepted else 422), response.text


def test_parameters_the_routes_parse_themselves_have_their_forms(app):
    spec = app.openapi()
    for operation_id in ("listResponses", "exportResponses", "getScores"):
        schema = parameter_schema(spec, operation_id, "from")
        assert {b.get("format") for b in schema["anyOf"]} == {"date", "date-time"}
    for operation_id in ("listResponses", "listSurveys", "listWebhooks", "exportResponses"):
        assert parameter_schema(spec, operation_id, "cursor")["pattern"] == "^[A-Za-z0-9_-]*$"
    attribute = parameter_schema(spec, "getScores", "attribute")
    (array,) = [b for b in attribute["anyOf"] if b.get("type") == "array"]
    assert array["items"]["pattern"]


QUERIES = [
    ("from", "", 422),
    ("from", "yesterday", 422),
    ("from", "2024-05-01", 200),
    ("from", "2024-05-01T12:00:00Z", 200),
    ("attribute", "plan", 422),
    ("attribute", "plan:pro", 200),
    ("attribute", "bad key:pro", 422),
]


@pytest.mark.parametrize(("name", "value", "status"), QUERIES)
async def test_query_forms_refuse_what_the_server_refuses(app, api, name, value, status):
    spec = app.openapi()
    schema = parameter_schema(spec, "getScores", name)
    instance = [value] if name == "attribute" else value
    assert (not schema_errors(spec, schema, instance)) is (status == 200)
    survey = await api.survey()
    response = await api.get("/v1/scores", params={"survey_id": survey["id"], name: value})
    assert response.status_code == status, response.text


async def test_a_cursor_outside_its_form_is_refused(app, api: Api):
    spec = app.openapi()
    assert schema_errors(spec, parameter_schema(spec, "listSurveys", "cursor"), "!!")
    assert_problem(await api.get("/v1/surveys", params={"cursor": "!!"}), 400, "invalid-cursor")
