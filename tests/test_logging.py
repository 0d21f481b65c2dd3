"""Logs: one access line per request with a request id, route template, status and
duration; JSON in production; never keys, secrets, tokens or comments."""

import json
import logging

import pytest

from app.observability.logs import MASK, JsonFormatter, RequestIdFilter, TextFormatter


@pytest.fixture
def access(caplog):
    caplog.set_level(logging.INFO, logger="sentio.access")
    return caplog


def access_lines(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "sentio.access"]


async def test_request_id_is_taken_or_made(api, access):
    r = await api.get("/v1/surveys", headers={"X-Request-ID": "abc-123.x"})
    assert r.headers["x-request-id"] == "abc-123.x"
    made = (await api.get("/v1/surveys")).headers["x-request-id"]
    assert len(made) == 32 and made != "abc-123.x"
    # an id that could forge log lines is replaced, not echoed
    r = await api.get("/v1/surveys", headers={"X-Request-ID": 'x" level=error'})
    assert r.headers["x-request-id"] != 'x" level=error'
    ids = [rec.request_id for rec in access_lines(access)]
    assert ids[0] == "abc-123.x" and ids[1] == made and ids[2] == r.headers["x-request-id"]


async def test_one_access_line_per_request_with_route_template(api, access):
    survey = await api.survey()
    access.clear()
    await api.post(
        f"/v1/surveys/{survey['id']}/responses",
        json={"score": 3, "comment": "The courier was rude", "customer_id": "cust-9"},
        headers={"X-Request-ID": "req-1"},
    )
    [line] = access_lines(access)
    assert line.request_id == "req-1"
    assert line.method == "POST" and line.status == 201
    assert line.route == "/v1/surveys/{survey_id}/responses"
    assert line.duration_ms >= 0
    rendered = JsonFormatter().format(line)
    assert survey["id"] not in rendered  # the template, not the raw path


async def test_no_secrets_or_comments_in_any_log_line(api, caplog):
    caplog.set_level(logging.DEBUG)
    survey = await api.survey()
    await api.post(
        f"/v1/surveys/{survey['id']}/responses",
        json={"score": 3, "comment": "The courier was rude"},
    )
    r = await api.post(
        "/v1/webhooks", json={"url": "https://h.example/x", "events": ["response.created"]}
    )
    secret = r.json()["secret"]
    await api.get("/v1/surveys", headers={"Authorization": "Bearer sk_not_a_real_key"})
    text = "\n".join(JsonFormatter().format(r) for r in caplog.records)
    text += "\n".join(TextFormatter().format(r) for r in caplog.records)
    assert caplog.records
    for forbidden in (api.key, secret, "sk_not_a_real_key", "courier was rude", "Bearer"):
        assert forbidden not in text, forbidden


def record(**extra) -> logging.LogRecord:
    rec = logging.LogRecord("sentio.test", logging.INFO, __file__, 1, "hello %s", ("you",), None)
    for key, value in extra.items():
        setattr(rec, key, value)
    RequestIdFilter().filter(rec)
    return rec


def test_json_lines():
    line = json.loads(JsonFormatter().format(record(route="/v1/x", status=200)))
    assert line["message"] == "hello you" and line["level"] == "info"
    assert line["logger"] == "sentio.test" and line["time"].endswith("+00:00")
    assert line["route"] == "/v1/x" and line["status"] == 200
    assert "request_id" not in line  # outside a request


def test_secret_looking_extras_are_masked():
    rec = record(api_key="sk_live", webhook_secret="whsec_x", comment="private", token="t")
    line = json.loads(JsonFormatter().format(rec))
    for key in ("api_key", "webhook_secret", "comment", "token"):
        assert line[key] == MASK
    text = TextFormatter().format(rec)
    assert "sk_live" not in text and "whsec_x" not in text and "private" not in text
    assert "hello you" in text
