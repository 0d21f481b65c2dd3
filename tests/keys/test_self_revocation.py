"""A key does not revoke itself by accident: `DELETE /v1/keys/{id}` (and the instance route
`DELETE /v1/projects/{id}/keys/{key_id}`) of the key making the request answers 409
`own-key-revocation` and leaves it working, unless `allow_self=true` is sent."""

from conftest import Api, assert_problem

from app.auth.service import create_key
from app.db import sessionmaker
from app.models import DEFAULT_PROJECT_ID


async def own_id(api: Api) -> str:
    listed = (await api.get("/v1/keys")).json()["data"]
    [mine] = [k for k in listed if api.key.startswith(k["prefix"])]
    return mine["id"]


async def test_a_key_revokes_itself_only_when_asked(api):
    key_id = await own_id(api)
    body = assert_problem(await api.delete(f"/v1/keys/{key_id}"), 409, "own-key-revocation")
    assert "allow_self=true" in body["detail"]
    assert (await api.get("/v1/keys")).status_code == 200  # still works
    refused = await api.delete(f"/v1/keys/{key_id}", params={"allow_self": "false"})
    assert_problem(refused, 409, "own-key-revocation")

    other = await api.with_scopes("admin")
    assert (await api.delete(f"/v1/keys/{await own_id(other)}")).status_code == 204  # not self

    r = await api.delete(f"/v1/keys/{key_id}", params={"allow_self": "true"})
    assert r.status_code == 204
    assert_problem(await api.get("/v1/keys"), 401)


async def test_an_instance_key_revokes_itself_only_when_asked(client):
    async with sessionmaker()() as session, session.begin():
        key, secret = await create_key(session, [], kind="instance")
    root = Api(client, DEFAULT_PROJECT_ID, secret)
    url = f"/v1/projects/{DEFAULT_PROJECT_ID}/keys/{key.id}"
    assert_problem(await root.delete(url), 409, "own-key-revocation")
    assert (await root.get("/v1/projects")).status_code == 200
    assert (await root.delete(url, params={"allow_self": "true"})).status_code == 204
    assert_problem(await root.get("/v1/projects"), 401)


async def test_the_parameter_is_documented(client):
    spec = (await client.get("/openapi.json")).json()
    for path in ("/v1/keys/{key_id}", "/v1/projects/{project_id}/keys/{key_id}"):
        operation = spec["paths"][path]["delete"]
        [param] = [p for p in operation["parameters"] if p["name"] == "allow_self"]
        assert param["in"] == "query" and "409" in param["description"]
        assert "409" in operation["responses"]
