"""`sentio create-api-key --project <id>`: an operator makes a key in any project from the
server's shell; an unknown or malformed project id is a clear error and no key."""

import asyncio
import uuid

from conftest import DATABASE_URL, Api, new_project
from test_cli import run


async def sentio(*args: str):
    return await asyncio.to_thread(run, list(args), DATABASE_URL)


async def test_a_key_is_made_in_the_given_project(client):
    project_id = await new_project("made from the shell")
    result = await sentio(
        "create-api-key", "--project", str(project_id), "--scope", "admin", "--name", "ops"
    )
    assert result.returncode == 0, result.stderr
    assert f"in project {project_id}" in result.stdout
    secret = result.stdout.strip().splitlines()[-1]
    assert secret.startswith("sk_")

    admin = Api(client, project_id, secret)
    [key] = (await admin.get("/v1/keys")).json()["data"]
    assert key["project_id"] == str(project_id) and key["name"] == "ops"
    survey = await admin.survey(name="Only here")
    assert (await admin.get(f"/v1/surveys/{survey['id']}")).status_code == 200


async def test_an_unknown_or_malformed_project_is_refused(client):
    unknown = uuid.uuid4()
    result = await sentio("create-api-key", "--project", str(unknown), "--scope", "admin")
    assert result.returncode != 0
    assert f"No project {unknown}" in result.stderr
    assert "sk_" not in result.stdout

    result = await sentio("create-api-key", "--project", "not-an-id", "--scope", "admin")
    assert result.returncode != 0 and "invalid UUID value" in result.stderr

    project_id = await new_project("no instance keys here")
    result = await sentio("create-api-key", "--project", str(project_id), "--instance-admin")
    assert result.returncode != 0 and "--project" in result.stderr
