"""A 405 names in `Allow` every method the path takes, not only those of the first route
whose path matched (each method of a path is a route of its own)."""

import pytest
from conftest import assert_problem


@pytest.mark.parametrize("method", ["PUT", "POST"])
async def test_405_lists_every_method_of_the_path(api, method):
    survey = await api.survey()
    response = await api.answer(survey["id"], 9)
    r = await api.request(method, f"/v1/responses/{response['id']}")
    assert_problem(r, 405, "method-not-allowed")
    allowed = [m.strip() for m in r.headers["allow"].split(",")]
    assert sorted(allowed) == ["DELETE", "GET", "PATCH"]
    for listed in allowed:  # every method it lists is one the path really takes
        answer = await api.request(listed, f"/v1/responses/{response['id']}", json={"score": 8})
        assert answer.status_code != 405, (listed, answer.text)


async def test_405_on_a_collection_lists_its_methods(api):
    r = await api.request("DELETE", "/v1/surveys")
    assert_problem(r, 405, "method-not-allowed")
    assert sorted(m.strip() for m in r.headers["allow"].split(",")) == ["GET", "POST"]
