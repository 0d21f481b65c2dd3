"""GET /metrics: Prometheus text, labelled by route template, counted after commit."""

import uuid

import pytest
from conftest import assert_problem
from prometheus_client.parser import text_string_to_metric_families

from app.config import get_settings
from app.db import sessionmaker
from app.responses import service as responses
from app.responses.schemas import ResponseCreate


async def scrape(client) -> dict[tuple[str, tuple], float]:
    r = await client.get("/metrics")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(r.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_requests_are_counted_by_route_template(api, client):
    survey = await api.survey(kind="csat")
    before = await scrape(client)
    for score in (1, 5):
        await api.answer(survey["id"], score, channel="email")
    await api.post(f"/v1/surveys/{survey['id']}/responses", json={"score": 9})  # 422
    await client.get(f"/no/such/path/{uuid.uuid4()}")
    after = await scrape(client)

    route = "/v1/surveys/{survey_id}/responses"
    key = {"method": "POST", "route": route}
    assert (
        value(after, "sentio_http_requests_total", **key, status="201")
        - value(before, "sentio_http_requests_total", **key, status="201")
        == 2
    )
    assert (
        value(after, "sentio_http_requests_total", **key, status="422")
        - value(before, "sentio_http_requests_total", **key, status="422")
        == 1
    )
    assert (
        value(after, "sentio_http_request_duration_seconds_count", **key, status_class="2xx")
        - value(before, "sentio_http_request_duration_seconds_count", **key, status_class="2xx")
        == 2
    )
    unmatched = {"method": "GET", "route": "unmatched", "status": "404"}
    assert value(after, "sentio_http_requests_total", **unmatched) > value(
        before, "sentio_http_requests_total", **unmatched
    )
    assert not any(survey["id"] in str(labels) for _, labels in after)  # no raw paths


async def test_answers_counted_by_kind_and_channel_only_when_committed(api, client):
    survey = await api.survey(kind="ces")
    labels = {"kind": "ces", "channel": "sms"}
    before = value(await scrape(client), "sentio_responses_recorded_total", **labels)
    await api.answer(survey["id"], 7, channel="sms")
    async with sessionmaker()() as session:
        await session.begin()
        await responses.create(
            session,
            api.project_id,
            uuid.UUID(survey["id"]),
            ResponseCreate(score=6, channel="sms"),
        )
        await session.rollback()
    after = value(await scrape(client), "sentio_responses_recorded_total", **labels)
    assert after - before == 1


async def test_gauges_and_families_present(api, client):
    samples = await scrape(client)
    names = {name for name, _ in samples}
    for name in (
        "sentio_webhook_backlog",
        "sentio_webhook_backlog_oldest_age_seconds",
        "sentio_http_requests_total",
    ):
        assert name in names, name
    assert value(samples, "sentio_webhook_backlog") >= 0


async def test_metrics_token(client, monkeypatch):
    monkeypatch.setattr(get_settings(), "metrics_token", "s3cret-scrape")
    assert_problem(await client.get("/metrics"), 401)
    r = await client.get("/metrics", headers={"Authorization": "Bearer wrong"})
    assert_problem(r, 401)
    r = await client.get("/metrics", headers={"Authorization": "Bearer s3cret-scrape"})
    assert r.status_code == 200 and "sentio_http_requests_total" in r.text


async def test_backlog_counts_pending_deliveries(api, client, monkeypatch):
    monkeypatch.setattr(get_settings(), "webhook_allow_private_targets", True)
    r = await api.post(
        "/v1/webhooks", json={"url": "http://127.0.0.1:9/x", "events": ["response.created"]}
    )
    assert r.status_code == 201
    before = value(await scrape(client), "sentio_webhook_backlog")
    survey = await api.survey()
    await api.answer(survey["id"], 5)
    await api.answer(survey["id"], 6)
    samples = await scrape(client)
    assert value(samples, "sentio_webhook_backlog") - before == 2
    assert value(samples, "sentio_webhook_backlog_oldest_age_seconds") >= 0
    # leave nothing behind for the dispatchers of other tests
    assert (await api.delete(f"/v1/webhooks/{r.json()['id']}")).status_code == 204


@pytest.mark.parametrize("path", ["/openapi.json"])
async def test_metrics_not_in_openapi(client, path):
    assert "/metrics" not in (await client.get(path)).json()["paths"]
