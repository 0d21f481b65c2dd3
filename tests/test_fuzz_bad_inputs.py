"""The bad-input table of docs/bad-inputs.md, row by row: what Sentio answers, and that a
refused answer stores nothing."""

import uuid

import pytest
from conftest import assert_problem
from sqlalchemy import func, select

from app.db import sessionmaker
from app.models import Response

JSON = {"Content-Type": "application/json"}

# (case, request to the survey's responses URL, status, problem type)
BODIES = [
    ("malformed JSON", {"content": b'{"score": 9', "headers": JSON}, 400, "malformed-json"),
    ("bytes that are not UTF-8", {"content": b'{"score": 9, "comment": "\xff"}', "headers": JSON},
     400, "malformed-json"),
    ("nesting deeper than the parser's limit",
     {"content": b'{"score": 9, "attributes": ' + b"[" * 5000 + b"]" * 5000 + b"}",
      "headers": JSON}, 400, "malformed-json"),
    ("JSON that is not an object", {"content": b"[1, 2]", "headers": JSON}, 422, None),
    ("empty body", {"content": b"", "headers": JSON}, 422, None),
    ("form body on the JSON API", {"content": b"score=9",
     "headers": {"Content-Type": "application/x-www-form-urlencoded"}}, 415, None),
    ("body without a content type", {"content": b'{"score": 9}'}, 415, None),
    ("body over the size limit", {"content": b'{"comment": "' + b"x" * 1_100_000 + b'"}',
     "headers": JSON}, 413, "payload-too-large"),
    ("unknown field", {"json": {"score": 9, "admin": True}}, 422, "validation-error"),
    ("string for a number", {"json": {"score": "9"}}, 422, "validation-error"),
    ("float for an integer", {"json": {"score": 9.0}}, 422, "validation-error"),
    ("boolean for an integer", {"json": {"score": True}}, 422, "validation-error"),
    ("400-digit integer", {"content": b'{"score": 1' + b"0" * 400 + b"}", "headers": JSON},
     422, "validation-error"),
    ("NaN", {"content": b'{"score": 9, "attributes": {"x": NaN}}', "headers": JSON},
     422, "validation-error"),
    ("Infinity", {"content": b'{"score": Infinity}', "headers": JSON}, 422, "validation-error"),
    ("score above the scale", {"json": {"score": 11}}, 422, "validation-error"),
    ("score below the scale", {"json": {"score": -1}}, 422, "validation-error"),
    ("NUL character", {"json": {"score": 9, "comment": "a\x00b"}}, 422, "validation-error"),
    ("lone surrogate", {"content": b'{"score": 9, "comment": "\\ud800"}', "headers": JSON},
     422, "validation-error"),
    ("comment over 5,000 characters", {"json": {"score": 9, "comment": "x" * 5001}},
     422, "validation-error"),
    ("51 attributes", {"json": {"score": 9, "attributes": {f"k{i}": 1 for i in range(51)}}},
     422, "validation-error"),
    ("attribute key that is not an identifier", {"json": {"score": 9, "attributes": {"a b": 1}}},
     422, "validation-error"),
    ("nested attribute value", {"json": {"score": 9, "attributes": {"a": {"b": 1}}}},
     422, "validation-error"),
    ("submitted_at in the future", {"json": {"score": 9, "submitted_at": "2999-01-01T00:00:00Z"}},
     422, "validation-error"),
    ("submitted_at without a zone", {"json": {"score": 9, "submitted_at": "2020-01-01T00:00:00"}},
     422, "validation-error"),
    ("submitted_at as a Unix time", {"json": {"score": 9, "submitted_at": 0}},
     422, "validation-error"),
    ("submitted_at as numeric text", {"json": {"score": 9, "submitted_at": "1700000000"}},
     422, "validation-error"),
    ("malformed locale", {"json": {"score": 9, "locale": "<script>"}}, 422, "validation-error"),
    ("malformed Idempotency-Key", {"json": {"score": 9}, "headers": {"Idempotency-Key": "a b"}},
     422, None),
    ("Idempotency-Key over 255 characters",
     {"json": {"score": 9}, "headers": {"Idempotency-Key": "k" * 300}}, 422, None),
]  # fmt: skip


@pytest.mark.parametrize(("case", "request_", "status", "slug"), BODIES, ids=[b[0] for b in BODIES])
async def test_bad_bodies_are_refused_and_store_nothing(api, case, request_, status, slug):
    survey = await api.survey()
    kwargs = dict(request_)
    headers = kwargs.pop("headers", {})
    r = await api.post(f"/v1/surveys/{survey['id']}/responses", headers=headers, **kwargs)
    assert_problem(r, status, slug)
    async with sessionmaker()() as session:
        stored = await session.scalar(
            select(func.count()).where(Response.survey_id == uuid.UUID(survey["id"]))
        )
    assert stored == 0


async def test_hostile_text_is_stored_as_text(api):
    survey = await api.survey()
    text = "<script>alert(1)</script>'; DROP TABLE responses;--"
    created = await api.answer(survey["id"], 9, comment=text, segment="x'; --")
    got = (await api.get(f"/v1/responses/{created['id']}")).json()
    assert got["comment"] == text and got["segment"] == "x'; --"


QUERIES = [
    ("malformed UUID in the path", "GET", "/v1/surveys/not-a-uuid", 422),
    ("limit out of range", "GET", "/v1/responses?limit=100000", 422),
    ("garbage cursor", "GET", "/v1/responses?cursor=%25%25garbage", 400),
    ("unparseable time", "GET", "/v1/responses?from=yesterday", 422),
    ("time before the calendar's start", "GET",
     "/v1/responses?updated_since=0001-01-01T00:00:00%2B05:00", 422),
    ("time past the calendar's end", "GET",
     "/v1/exports/responses?from=9999-12-31T23:00:00-05:00", 422),
    ("cursor holding a time past the calendar", "GET",
     "/v1/responses?cursor=eyJ0IjoiMDAwMS0wMS0wMVQwMDowMDowMCswNTowMCIsImlkIjoiMDE5MDAwMDAtMDAw"
     "MC03MDAwLTgwMDAtMDAwMDAwMDAwMDAwIn0", 400),
    ("unknown route", "GET", "/v1/nope", 404),
    ("wrong method", "PUT", "/v1/surveys", 405),
]  # fmt: skip


@pytest.mark.parametrize(("case", "method", "url", "status"), QUERIES, ids=[q[0] for q in QUERIES])
async def test_bad_urls_are_refused(api, case, method, url, status):
    assert_problem(await api.request(method, url), status)


async def test_unknown_zone_and_grouping_are_refused(api):
    survey = await api.survey()
    for query in (
        "tz=Mars/Base",
        "group_by=password",
        "from=0001-01-01&tz=Asia/Tokyo",  # local midnight before year 1 in UTC
        "to=9999-12-31T23:00:00-05:00",  # past year 9999 in UTC
    ):
        r = await api.get(f"/v1/scores?survey_id={survey['id']}&{query}")
        assert_problem(r, 422, "validation-error")
    r = await api.get(
        f"/v1/scores?survey_id={survey['id']}&interval=day&from=0001-01-02&to=9999-12-30"
    )
    assert_problem(r, 422, "too-many-rows")


async def test_credentials(api, client):
    assert_problem(await client.get("/v1/surveys"), 401, "unauthorized")
    basic = {"Authorization": "Basic Zm9vOmJhcg=="}
    assert_problem(await client.get("/v1/surveys", headers=basic), 401, "unauthorized")
    unknown = {"Authorization": "Bearer sk_unknown"}
    assert_problem(await client.get("/v1/surveys", headers=unknown), 401, "unauthorized")
    reader = await api.with_scopes("surveys:read")
    r = await reader.post("/v1/surveys", json={"name": "x", "kind": "nps"})
    assert_problem(r, 403, "forbidden")


async def test_a_single_valued_parameter_sent_twice_is_refused(api):
    r = await api.get("/v1/responses?customer_id=a&customer_id=b")
    body = assert_problem(r, 422, "validation-error")
    assert body["errors"] == [
        {"parameter": "customer_id", "in": "query", "detail": "given more than once"}
    ]
    # Parameters that take several values still do.
    assert (await api.get("/v1/responses?segment=a&segment=b")).status_code == 200
    assert (await api.get("/v1/responses?customer_id=a&segment=b")).status_code == 200
