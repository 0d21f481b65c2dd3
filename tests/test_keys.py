"""Key kinds and lifecycle: secret keys with scopes, read-only BI keys, publishable browser
keys bound to origins; created with the secret shown once, listed without it, revoked,
expiring; stored only as hashes."""

import hashlib
import uuid
from datetime import timedelta

from conftest import Api, assert_problem, new_key, new_project
from sqlalchemy import select, update

from app.auth.cache import verified_keys
from app.config import get_settings
from app.db import sessionmaker, utcnow
from app.models import ApiKey, Response

SHOP = "https://shop.example"


async def _create(api: Api, **body) -> dict:
    r = await api.post("/v1/keys", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def _stored(key_id: str) -> ApiKey:
    async with sessionmaker()() as session:
        return await session.scalar(select(ApiKey).where(ApiKey.id == uuid.UUID(key_id)))


async def test_secret_shown_once_stored_as_hash_and_listed_without_it(api):
    created = await _create(api, name="crm sync", scopes=["responses:write"])
    secret = created["secret"]
    assert secret.startswith("sk_") and len(secret) > 40
    assert created["prefix"] == secret[:10] and created["kind"] == "secret"
    assert created["scopes"] == ["responses:write"] and created["last_used_at"] is None

    stored = await _stored(created["id"])
    assert stored.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(vars(stored))

    survey = await api.survey()
    used = Api(api.client, api.project_id, secret)
    await used.answer(survey["id"], 9)

    r = await api.get("/v1/keys")
    assert r.status_code == 200
    assert secret not in r.text and secret[10:20] not in r.text
    listed = {item["id"]: item for item in r.json()["data"]}
    item = listed[created["id"]]
    assert "secret" not in item
    assert item["prefix"] == secret[:10] and item["name"] == "crm sync"
    assert item["created_at"] and item["last_used_at"] is not None and item["expires_at"] is None


async def test_revoked_key_stops_working_at_once(api):
    created = await _create(api, scopes=["surveys:read"])
    other = Api(api.client, api.project_id, created["secret"])
    assert (await other.get("/v1/surveys")).status_code == 200

    assert (await api.delete(f"/v1/keys/{created['id']}")).status_code == 204
    assert_problem(await other.get("/v1/surveys"), 401, "unauthorized")

    ids = [k["id"] for k in (await api.get("/v1/keys")).json()["data"]]
    assert created["id"] not in ids
    r = await api.get("/v1/keys", params={"include_revoked": "true"})
    revoked = next(k for k in r.json()["data"] if k["id"] == created["id"])
    assert revoked["revoked_at"] is not None
    # Revoking again is harmless.
    assert (await api.delete(f"/v1/keys/{created['id']}")).status_code == 204


async def test_expiring_key(api, monkeypatch):
    created = await _create(api, scopes=["surveys:read"], expires_in_days=30)
    expires = created["expires_at"]
    assert expires is not None
    key = Api(api.client, api.project_id, created["secret"])
    assert (await key.get("/v1/surveys")).status_code == 200

    # The verified key is cached now; a month later the cache refuses it too.
    month_later = utcnow() + timedelta(days=31)
    monkeypatch.setattr("app.auth.dependencies.utcnow", lambda: month_later)
    assert_problem(await key.get("/v1/surveys"), 401, "unauthorized")
    monkeypatch.undo()

    # Read from the database (another worker's view): refused once expired.
    await _set_key(created["id"], expires_at=utcnow() - timedelta(seconds=1))
    verified_keys.clear()
    assert_problem(await key.get("/v1/surveys"), 401, "unauthorized")


async def _set_key(key_id: str, **values) -> None:
    async with sessionmaker()() as session, session.begin():
        await session.execute(update(ApiKey).where(ApiKey.id == uuid.UUID(key_id)).values(**values))


async def test_revocation_elsewhere_takes_effect_within_the_cache_time(api, monkeypatch):
    """A key revoked by another worker (here: straight in the database) is refused once this
    worker's cache of verified keys lets it go; with SENTIO_AUTH_CACHE_SECONDS=0 at once."""
    created = await _create(api, scopes=["surveys:read"])
    key = Api(api.client, api.project_id, created["secret"])
    assert (await key.get("/v1/surveys")).status_code == 200
    await _set_key(created["id"], revoked_at=utcnow())
    assert (await key.get("/v1/surveys")).status_code == 200  # still cached

    monkeypatch.setattr(get_settings(), "auth_cache_seconds", 0)
    assert_problem(await key.get("/v1/surveys"), 401, "unauthorized")
    monkeypatch.undo()
    verified_keys.clear()  # as when the cache time has passed
    assert_problem(await key.get("/v1/surveys"), 401, "unauthorized")


async def test_key_input_is_checked(api):
    for body in (
        {"scopes": ["surveys:delete"]},
        {"scopes": []},
        {"kind": "instance"},
        {"kind": "read", "scopes": ["responses:write"]},
        {"kind": "publishable"},
        {"kind": "publishable", "allowed_origins": ["https://shop.example/path"]},
        {"kind": "publishable", "allowed_origins": ["https://*.example"]},
        {"kind": "publishable", "allowed_origins": [SHOP], "scopes": ["admin"]},
        {"kind": "secret", "scopes": ["admin"], "allowed_origins": [SHOP]},
        {"scopes": ["admin"], "expires_in_days": 0},
        {"scopes": ["admin"], "expires_in_days": "30"},
        {"scopes": ["admin"], "secret": "sk_mine"},
    ):
        r = await api.post("/v1/keys", json=body)
        assert_problem(r, 422)
    assert len((await api.get("/v1/keys")).json()["data"]) == 1  # only the fixture's key


async def test_only_admin_keys_manage_keys(api):
    writer = await api.with_scopes("surveys:write", "responses:write")
    assert_problem(await writer.get("/v1/keys"), 403, "forbidden")
    assert_problem(await writer.post("/v1/keys", json={"scopes": ["admin"]}), 403)
    victim = await _create(api, scopes=["surveys:read"])
    assert_problem(await writer.delete(f"/v1/keys/{victim['id']}"), 403)


async def test_keys_of_another_project_are_invisible(api, client):
    other = Api(client, await new_project(), "")
    other = await Api(client, other.project_id, "").with_scopes("admin")
    theirs = await _create(other, scopes=["surveys:read"])
    assert_problem(await api.delete(f"/v1/keys/{theirs['id']}"), 404, "not-found")
    assert theirs["id"] not in (await api.get("/v1/keys")).text
    r = await Api(client, other.project_id, theirs["secret"]).get("/v1/surveys")
    assert r.status_code == 200


async def test_read_key_reads_scores_and_responses_but_changes_nothing(api):
    survey = await api.survey()
    answer = await api.answer(survey["id"], 10, comment="great")
    created = await _create(api, kind="read", name="BI")
    assert created["secret"].startswith("rk_")
    assert {"responses:read", "scores:read", "outcomes:read", "customers:read"} <= set(
        created["scopes"]
    )
    assert all(scope.endswith(":read") for scope in created["scopes"])
    bi = Api(api.client, api.project_id, created["secret"])

    r = await bi.get("/v1/scores", params={"survey_id": survey["id"]})
    assert r.status_code == 200 and r.json()["rows"][0]["n"] == 1
    r = await bi.get("/v1/scores", params={"survey_id": survey["id"], "format": "csv"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    r = await bi.get("/v1/responses")
    assert r.status_code == 200 and [x["id"] for x in r.json()["data"]] == [answer["id"]]

    for method, url, body in (
        ("POST", "/v1/surveys", {"name": "x", "kind": "nps"}),
        ("PATCH", f"/v1/surveys/{survey['id']}", {"name": "y"}),
        ("POST", f"/v1/surveys/{survey['id']}/archive", None),
        ("POST", f"/v1/surveys/{survey['id']}/responses", {"score": 1}),
        ("PATCH", f"/v1/responses/{answer['id']}", {"score": 0}),
        ("DELETE", f"/v1/responses/{answer['id']}", None),
        ("POST", "/v1/erasures", {"customer_id": "c1"}),
        ("POST", "/v1/keys", {"scopes": ["admin"]}),
        ("GET", "/v1/surveys", None),
    ):
        r = await bi.request(method, url, json=body)
        assert_problem(r, 403, "forbidden")
    after = await api.get(f"/v1/responses/{answer['id']}")
    assert after.json()["score"] == 10 and after.json()["deleted"] is False


async def test_publishable_key_submits_only_from_its_origins(api, client):
    survey = await api.survey()
    created = await _create(
        api, kind="publishable", allowed_origins=[SHOP, "http://LOCALHOST:3000"]
    )
    assert created["secret"].startswith("pk_") and created["scopes"] == []
    assert created["allowed_origins"] == ["http://localhost:3000", SHOP]
    pk = Api(client, api.project_id, created["secret"])
    url = f"/v1/browser/surveys/{survey['id']}/responses"

    r = await pk.post(url, json={"score": 9, "comment": "nice"}, headers={"Origin": SHOP})
    assert r.status_code == 201, r.text
    assert r.headers["access-control-allow-origin"] == SHOP
    assert set(r.json()) == {"id", "survey_id", "score", "submitted_at"}
    stored = (await api.get(f"/v1/responses/{r.json()['id']}")).json()
    assert stored["channel"] == "web" and stored["comment"] == "nice"

    for headers in ({"Origin": "https://evil.example"}, {}, {"Origin": "null"}):
        assert_problem(await pk.post(url, json={"score": 9}, headers=headers), 403, "forbidden")
    assert_problem(await client.post(url, json={"score": 9}, headers={"Origin": SHOP}), 401)
    # It reads nothing, and secret keys cannot use the browser route.
    for path in ("/v1/surveys", "/v1/responses", f"/v1/scores?survey_id={survey['id']}"):
        assert_problem(await pk.get(path, headers={"Origin": SHOP}), 403, "forbidden")
    assert_problem(await api.post(url, json={"score": 9}, headers={"Origin": SHOP}), 403)
    # A survey of another project answers 404, exactly as an unknown one.
    other = await Api(client, await new_project(), "").with_scopes("admin")
    theirs = await other.survey()
    r = await pk.post(
        f"/v1/browser/surveys/{theirs['id']}/responses", json={"score": 9}, headers={"Origin": SHOP}
    )
    assert_problem(r, 404)
    async with sessionmaker()() as session:
        count = len(
            (
                await session.scalars(
                    select(Response.id).where(Response.survey_id == uuid.UUID(theirs["id"]))
                )
            ).all()
        )
    assert count == 0


async def test_browser_preflight(client):
    r = await client.options(
        f"/v1/browser/surveys/{uuid.uuid4()}/responses",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == SHOP
    assert "Authorization" in r.headers["access-control-allow-headers"]
    assert "access-control-allow-credentials" not in r.headers


async def test_unknown_and_malformed_keys(client):
    for header in ("Bearer sk_" + "x" * 43, "Bearer nonsense", "Basic abc", "Bearer "):
        r = await client.get("/v1/surveys", headers={"Authorization": header})
        body = assert_problem(r, 401, "unauthorized")
        assert "x" * 43 not in r.text and "nonsense" not in body["detail"]
        assert r.headers["www-authenticate"].startswith("Bearer")


async def test_new_key_helper_still_makes_secret_keys():
    project = await new_project()
    secret = await new_key(project, "surveys:read")
    assert secret.startswith("sk_")


async def test_browser_answers_are_idempotent(api, client):
    survey = await api.survey()
    created = await _create(api, kind="publishable", allowed_origins=[SHOP])
    headers = {
        "Authorization": f"Bearer {created['secret']}",
        "Origin": SHOP,
        "Idempotency-Key": "widget-1",
    }
    url = f"/v1/browser/surveys/{survey['id']}/responses"
    first = await client.post(url, json={"score": 4}, headers=headers)
    again = await client.post(url, json={"score": 4}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert len((await api.get("/v1/responses")).json()["data"]) == 1
