"""Projects: instance admins create and list them and manage keys in any of them; a key
works only inside its project, and ids of another project answer 404 like unknown ones."""

import os
import subprocess
import sys
import uuid

from conftest import DATABASE_URL, Api, assert_problem, new_key, new_project

from app.auth.service import create_key
from app.db import sessionmaker
from app.models import DEFAULT_PROJECT_ID


async def instance_admin(client) -> Api:
    async with sessionmaker()() as session, session.begin():
        _key, secret = await create_key(session, [], kind="instance")
    return Api(client, DEFAULT_PROJECT_ID, secret)


async def test_instance_admin_creates_projects_and_their_keys(client):
    root = await instance_admin(client)
    r = await root.post("/v1/projects", json={"name": "Brand B"})
    assert r.status_code == 201, r.text
    project = r.json()
    listed = (await root.get("/v1/projects")).json()["data"]
    assert {"id": str(DEFAULT_PROJECT_ID), "name": "Default"}.items() <= next(
        p for p in listed if p["id"] == str(DEFAULT_PROJECT_ID)
    ).items()
    assert project["id"] in [p["id"] for p in listed]
    assert (await root.get(f"/v1/projects/{project['id']}")).json()["name"] == "Brand B"

    r = await root.post(f"/v1/projects/{project['id']}/keys", json={"scopes": ["admin"]})
    assert r.status_code == 201, r.text
    assert r.json()["project_id"] == project["id"]
    brand = Api(client, uuid.UUID(project["id"]), r.json()["secret"])
    survey = await brand.survey(name="B survey")
    keys = (await root.get(f"/v1/projects/{project['id']}/keys")).json()["data"]
    assert [k["id"] for k in keys] == [r.json()["id"]] and "secret" not in keys[0]

    assert (
        await root.delete(f"/v1/projects/{project['id']}/keys/{keys[0]['id']}")
    ).status_code == 204
    assert_problem(await brand.get(f"/v1/surveys/{survey['id']}"), 401)

    unknown = uuid.uuid4()
    assert_problem(await root.get(f"/v1/projects/{unknown}"), 404)
    assert_problem(await root.post(f"/v1/projects/{unknown}/keys", json={"scopes": ["admin"]}), 404)
    assert_problem(await root.post("/v1/projects", json={"name": ""}), 422)


async def test_instance_admin_cannot_touch_survey_data(client, api):
    root = await instance_admin(client)
    survey = await api.survey()
    for method, url in (
        ("GET", "/v1/surveys"),
        ("GET", f"/v1/surveys/{survey['id']}"),
        ("GET", "/v1/responses"),
        ("GET", "/v1/keys"),
    ):
        assert_problem(await root.request(method, url), 403, "forbidden")


async def test_project_keys_cannot_manage_projects(api):
    assert_problem(await api.get("/v1/projects"), 403, "forbidden")
    assert_problem(await api.post("/v1/projects", json={"name": "mine"}), 403)
    r = await api.post(f"/v1/projects/{api.project_id}/keys", json={"scopes": ["admin"]})
    assert_problem(r, 403)


async def test_two_projects_data_never_meet(api, client):
    other = await Api(client, await new_project("other"), "").with_scopes("admin")
    mine = await api.survey(name="mine")
    theirs = await other.survey(name="theirs")
    my_answer = await api.answer(mine["id"], 10, customer_id="shared-customer")
    their_answer = await other.answer(theirs["id"], 0, customer_id="shared-customer")

    assert [s["id"] for s in (await api.get("/v1/surveys")).json()["data"]] == [mine["id"]]
    assert [x["id"] for x in (await api.get("/v1/responses")).json()["data"]] == [my_answer["id"]]
    for method, url, body in (
        ("GET", f"/v1/surveys/{theirs['id']}", None),
        ("PATCH", f"/v1/surveys/{theirs['id']}", {"name": "mine now"}),
        ("POST", f"/v1/surveys/{theirs['id']}/archive", None),
        ("POST", f"/v1/surveys/{theirs['id']}/responses", {"score": 3}),
        ("GET", f"/v1/responses/{their_answer['id']}", None),
        ("PATCH", f"/v1/responses/{their_answer['id']}", {"score": 10}),
        ("DELETE", f"/v1/responses/{their_answer['id']}", None),
        ("GET", f"/v1/scores?survey_id={theirs['id']}", None),
        ("GET", f"/v1/scores?survey_id={theirs['id']}&survey_id={mine['id']}", None),
    ):
        unknown = url.replace(theirs["id"], str(uuid.uuid4())).replace(
            their_answer["id"], str(uuid.uuid4())
        )
        foreign = await api.request(method, url, json=body)
        missing = await api.request(method, unknown, json=body)
        assert_problem(foreign, 404)
        assert (foreign.status_code, foreign.json()["type"]) == (
            missing.status_code,
            missing.json()["type"],
        )
    # Erasing a customer erases only this project's answers.
    r = await api.post("/v1/erasures", json={"customer_id": "shared-customer"})
    assert r.json()["erased"] == 1
    kept = (await other.get(f"/v1/responses/{their_answer['id']}")).json()
    assert kept["score"] == 0 and kept["deleted"] is False
    assert (await other.get(f"/v1/surveys/{theirs['id']}")).json()["name"] == "theirs"


def test_cli_creates_an_instance_admin_key_and_prints_it_last():
    env = {**os.environ, "SENTIO_DATABASE_URL": DATABASE_URL}
    done = subprocess.run(
        [sys.executable, "-m", "app.cli", "create-api-key", "--instance-admin", "--name", "ops"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert done.stdout.strip().splitlines()[-1].startswith("ik_")
    refused = subprocess.run(
        [sys.executable, "-m", "app.cli", "create-api-key", "--instance-admin", "--scope", "admin"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode != 0 and "ik_" not in refused.stdout


async def test_instance_keys_are_out_of_reach_of_the_default_projects_admin(client):
    root = await instance_admin(client)
    default_admin = Api(client, DEFAULT_PROJECT_ID, await new_key(DEFAULT_PROJECT_ID, "admin"))
    listed = (await default_admin.get("/v1/keys")).json()["data"]
    assert all(key["kind"] != "instance" for key in listed)
    mine = next(
        k
        for k in (await root.get(f"/v1/projects/{DEFAULT_PROJECT_ID}/keys")).json()["data"]
        if k["kind"] == "instance" and k["prefix"] == root.key[:10]
    )
    assert_problem(await default_admin.delete(f"/v1/keys/{mine['id']}"), 404)
    assert (await root.get("/v1/projects")).status_code == 200
