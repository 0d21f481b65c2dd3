"""Failed authentications are limited in a bucket of their own per client address: an
address spraying made-up keys is refused (429), while a valid key from that address is
limited only by its own budget."""

import secrets

from conftest import Api, assert_problem, new_key, new_project
from test_ratelimit import header_params, limited_client


def made_up() -> dict[str, str]:
    return {"Authorization": f"Bearer sk_{secrets.token_urlsafe(32)}"}


async def test_a_valid_key_works_after_a_spray_of_made_up_keys_from_its_address():
    project = await new_project()
    key = Api(None, project, await new_key(project, "surveys:read"))  # type: ignore[arg-type]
    async with limited_client(rate_limit_public="120/day", rate_limit_api="5/day") as c:
        key.client = c
        codes = [(await c.get("/v1/surveys", headers=made_up())).status_code for _ in range(125)]
        assert codes == [401] * 120 + [429] * 5
        refused = await c.get("/v1/surveys", headers=made_up())
        body = assert_problem(refused, 429, "rate-limited")
        assert "failed authentications" in body["detail"]
        assert int(refused.headers["retry-after"]) >= 1
        assert header_params(refused.headers["ratelimit-policy"])["name"] == '"auth"'

        # The valid key from the same address: its own budget (5/day), nothing else.
        answers = [await key.get("/v1/surveys") for _ in range(6)]
        assert [r.status_code for r in answers] == [200] * 5 + [429]
        assert header_params(answers[0].headers["ratelimit-policy"])["name"] == '"api"'
        assert header_params(answers[-1].headers["ratelimit-policy"])["name"] == '"api"'

        # The sprayer is still refused after the valid key's requests.
        assert (await c.get("/v1/surveys", headers=made_up())).status_code == 429


async def test_a_valid_key_does_not_spend_the_failed_authentication_budget():
    project = await new_project()
    key = Api(None, project, await new_key(project, "surveys:read"))  # type: ignore[arg-type]
    async with limited_client(rate_limit_public="3/day") as c:
        key.client = c
        for _ in range(10):
            assert (await key.get("/v1/surveys")).status_code == 200
        codes = [(await c.get("/v1/surveys", headers=made_up())).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]
