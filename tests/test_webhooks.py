"""The webhook endpoint API: registration, validation, scopes, secrets, isolation."""

import uuid

import pytest
from conftest import Api, assert_problem, new_key, new_project

from app.config import get_settings


@pytest.fixture
def allow_loopback(monkeypatch):
    monkeypatch.setattr(get_settings(), "webhook_allow_private_targets", True)


HOOK = {"url": "https://hooks.example.com/sentio", "events": ["response.created"]}


async def test_register_read_update_delete(api):
    r = await api.post(
        "/v1/webhooks",
        json={
            **HOOK,
            "events": ["response.created", "response.deleted", "response.created"],
            "description": "CRM",
            "filters": {"score_max": 6, "segments": ["enterprise"]},
        },
    )
    assert r.status_code == 201, r.text
    hook = r.json()
    assert hook["secret"].startswith("whsec_")
    assert hook["events"] == ["response.created", "response.deleted"]
    assert hook["filters"] == {"score_max": 6, "segments": ["enterprise"]}
    assert hook["status"] == "active" and hook["disabled_reason"] is None

    r = await api.get(f"/v1/webhooks/{hook['id']}")
    assert r.status_code == 200 and "secret" not in r.json()
    assert r.json()["url"] == HOOK["url"]
    listed = (await api.get("/v1/webhooks")).json()
    assert [h["id"] for h in listed["data"]] == [hook["id"]] and not listed["has_more"]
    assert all("secret" not in h for h in listed["data"])

    r = await api.patch(f"/v1/webhooks/{hook['id']}", json={"status": "paused", "filters": {}})
    assert r.status_code == 200
    assert r.json()["status"] == "paused" and r.json()["filters"] == {}

    assert (await api.delete(f"/v1/webhooks/{hook['id']}")).status_code == 204
    assert_problem(await api.get(f"/v1/webhooks/{hook['id']}"), 404, "webhook-not-found")
    assert (await api.get("/v1/webhooks")).json()["data"] == []


async def test_list_is_cursor_paged(api):
    ids = []
    for _ in range(3):
        ids.append((await api.post("/v1/webhooks", json=HOOK)).json()["id"])
    seen, cursor = [], None
    while True:
        r = await api.get(
            "/v1/webhooks", params={"limit": 2, **({"cursor": cursor} if cursor else {})}
        )
        body = r.json()
        seen += [h["id"] for h in body["data"]]
        if not body["has_more"]:
            break
        cursor = body["next_cursor"]
    assert seen == ids


@pytest.mark.parametrize(
    "body, pointer",
    [
        ({**HOOK, "events": []}, "#/events"),
        ({**HOOK, "events": ["response.exploded"]}, "#/events/0"),
        ({**HOOK, "filters": {"score_min": 7, "score_max": 6}}, "#/filters/score_min"),
        ({**HOOK, "filters": {"score_max": 11}}, "#/filters/score_max"),
        ({**HOOK, "filters": {"score_max": "6"}}, "#/filters/score_max"),
        ({**HOOK, "filters": {"colour": "red"}}, "#/filters/colour"),
        ({**HOOK, "status": "disabled"}, "#/status"),
        ({**HOOK, "url": "https://x.example/\x00"}, "#/url"),
        ({"events": ["response.created"]}, "#/url"),
    ],
)
async def test_invalid_registrations_store_nothing(api, body, pointer):
    body = assert_problem(await api.post("/v1/webhooks", json=body), 422)
    assert pointer in [e.get("pointer") for e in body["errors"]], body
    assert (await api.get("/v1/webhooks")).json()["data"] == []


@pytest.mark.parametrize(
    "url",
    [
        "ftp://hooks.example.com/x",
        "hooks.example.com/x",
        "http://127.0.0.1:8080/x",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://192.168.0.10/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "http://[::ffff:127.0.0.1]/x",
        "http://0.0.0.0/x",
        "https://user:pass@hooks.example.com/x",
        "https:///x",
    ],
)
async def test_refused_urls(api, url):
    r = await api.post("/v1/webhooks", json={**HOOK, "url": url})
    body = assert_problem(r, 422, "webhook-url-refused")
    assert body["errors"][0]["pointer"] == "#/url"


async def test_loopback_allowed_when_configured(api, allow_loopback):
    r = await api.post("/v1/webhooks", json={**HOOK, "url": "http://127.0.0.1:9/x"})
    assert r.status_code == 201


async def test_update_checks_like_create(api):
    hook = (await api.post("/v1/webhooks", json=HOOK)).json()
    url = f"/v1/webhooks/{hook['id']}"
    assert_problem(await api.patch(url, json={"url": "http://10.0.0.1/"}), 422)
    assert_problem(await api.patch(url, json={"events": None}), 422)
    assert_problem(await api.patch(url, json={}), 422)
    assert_problem(await api.patch(url, json={"status": "disabled"}), 422)
    assert (await api.get(url)).json()["url"] == HOOK["url"]


async def test_scopes(api):
    writer = await api.with_scopes("webhooks:write")
    reader = await api.with_scopes("webhooks:read")
    other = await api.with_scopes("responses:write")
    r = await writer.post("/v1/webhooks", json=HOOK)
    assert r.status_code == 201
    assert (await reader.get("/v1/webhooks")).status_code == 200
    assert_problem(await reader.post("/v1/webhooks", json=HOOK), 403, "forbidden")
    assert_problem(await other.get("/v1/webhooks"), 403, "forbidden")
    assert_problem(
        await reader.post(f"/v1/webhooks/{r.json()['id']}/rotate-secret"), 403, "forbidden"
    )


async def test_projects_are_isolated(api, client):
    hook = (await api.post("/v1/webhooks", json=HOOK)).json()
    project = await new_project()
    stranger = Api(client, project, await new_key(project, "admin"))
    for method, path in [
        ("GET", f"/v1/webhooks/{hook['id']}"),
        ("PATCH", f"/v1/webhooks/{hook['id']}"),
        ("DELETE", f"/v1/webhooks/{hook['id']}"),
        ("GET", f"/v1/webhooks/{hook['id']}/deliveries"),
        ("POST", f"/v1/webhooks/{hook['id']}/rotate-secret"),
    ]:
        kwargs = {"json": {"status": "paused"}} if method == "PATCH" else {}
        assert_problem(await stranger.request(method, path, **kwargs), 404, "webhook-not-found")
    assert (await stranger.get("/v1/webhooks")).json()["data"] == []
    assert (await api.get(f"/v1/webhooks/{hook['id']}")).json()["status"] == "active"


async def test_rotation_keeps_the_previous_secret_for_a_while(api):
    hook = (await api.post("/v1/webhooks", json=HOOK)).json()
    r = await api.post(f"/v1/webhooks/{hook['id']}/rotate-secret")
    assert r.status_code == 200
    assert r.json()["secret"] != hook["secret"]
    assert r.json()["previous_secret_expires_at"] is not None
    r = await api.post(f"/v1/webhooks/{hook['id']}/rotate-secret", json={"previous_valid_hours": 0})
    assert r.json()["previous_secret_expires_at"] is None
    bad = await api.post(
        f"/v1/webhooks/{hook['id']}/rotate-secret", json={"previous_valid_hours": 999}
    )
    assert_problem(bad, 422)


async def test_delivery_log_of_unknown_webhook(api):
    assert_problem(await api.get(f"/v1/webhooks/{uuid.uuid4()}/deliveries"), 404)
    hook = (await api.post("/v1/webhooks", json=HOOK)).json()
    r = await api.get(f"/v1/webhooks/{hook['id']}/deliveries")
    assert r.status_code == 200 and r.json() == {"data": [], "next_cursor": None, "has_more": False}
    assert_problem(await api.get(f"/v1/webhooks/{hook['id']}/deliveries?status=lost"), 422)


async def test_openapi_lists_webhooks_but_not_metrics(client):
    spec = (await client.get("/openapi.json")).json()
    ids = {op["operationId"] for path in spec["paths"].values() for op in path.values()}
    assert {
        "createWebhook",
        "listWebhooks",
        "getWebhook",
        "updateWebhook",
        "deleteWebhook",
        "rotateWebhookSecret",
        "listWebhookDeliveries",
        "redeliverWebhookEvent",
    } <= ids
    assert "/metrics" not in spec["paths"]
