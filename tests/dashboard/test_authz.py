"""The dashboard's authorization matrix, from the app's own route table: every dashboard
route is called without a session (with and without API keys of every kind), with a
session of its own project and with another project's ids."""

import re

import pytest
from conftest import Api, new_key, new_project
from fastapi.routing import iter_route_contexts

from app.auth.dependencies import rule_of
from app.auth.scopes import DASHBOARD_SESSION

from .conftest import CSRF


def dashboard_routes(app) -> list[tuple[str, str, str]]:
    """(method, path, rule) of every dashboard route."""
    found = []
    for context in iter_route_contexts(app.routes):
        dependant = getattr(context, "dependant", None)
        if dependant is None or not context.path.startswith("/dashboard"):
            continue
        rules = set()
        stack = [dependant]
        while stack:
            current = stack.pop()
            for dependency in current.dependencies:
                if rule_of(dependency.call):
                    rules.add(rule_of(dependency.call))
                stack.append(dependency)
        assert len(rules) == 1, (context.path, rules)
        (rule,) = rules
        for method in sorted((context.methods or set()) - {"HEAD"}):
            found.append((method, context.path, rule))
    return found


def fill(path: str, survey_id: str) -> str:
    def sample(match: re.Match) -> str:
        if match.group(1) == "survey_id":
            return survey_id
        pytest.fail(f"no sample for {match.group(1)!r}: teach tests/dashboard/test_authz.py")

    return re.sub(r"\{(\w+)\}", sample, path)


async def test_every_dashboard_route_needs_a_session_of_its_own_project(app, api, browser, reader):
    routes = dashboard_routes(app)
    assert {path for _m, path, _r in routes} >= {
        "/dashboard",
        "/dashboard/sign-in",
        "/dashboard/sign-out",
        "/dashboard/surveys/{survey_id}",
        "/dashboard/surveys/{survey_id}/scores.csv",
    }
    own = (await api.survey(name="own"))["id"]
    await api.answer(own, 8, comment="own comment")
    other_project = await new_project("dashboard matrix other")
    outsider = Api(api.client, other_project, await new_key(other_project, "admin"))
    theirs = (await outsider.survey(name="theirs"))["id"]
    keys = [
        None,
        api.key,
        reader,
        await new_key(api.project_id, "scores:read", "responses:read"),
    ]

    checked = 0
    for method, path, rule in routes:
        url = fill(path, own)
        if rule != DASHBOARD_SESSION:
            assert rule == "public" and path == "/dashboard/sign-in", (method, path, rule)
            continue
        # No session: every caller is sent to the sign-in form, whatever key it sends.
        for key in keys:
            headers = {"Authorization": f"Bearer {key}"} if key else {}
            browser.client.cookies.clear()
            r = await browser.client.request(method, url, headers=headers)
            assert r.status_code == 303, (method, path, key, r.status_code)
            assert r.headers["location"] == "/dashboard/sign-in"
            checked += 1

    assert (await browser.sign_in(reader)).status_code == 303
    token = CSRF.search((await browser.get("/dashboard")).text).group(1)
    for method, path, rule in routes:
        if rule != DASHBOARD_SESSION:
            continue
        if method == "GET":
            mine = await browser.get(fill(path, own))
            assert mine.status_code == 200, (path, mine.text[:300])
            if "{survey_id}" in path:
                for foreign in (theirs, "00000000-0000-7000-8000-000000000009", "x"):
                    r = await browser.get(fill(path, foreign))
                    assert r.status_code == 404, (path, foreign)
                    assert "theirs" not in r.text
                    checked += 1
        else:  # the one state-changing route: sign-out, which needs the CSRF token
            assert method == "POST" and path == "/dashboard/sign-out", (method, path)
            assert (await browser.post(path, data={})).status_code == 403
            assert (await browser.get("/dashboard")).status_code == 200
            assert (await browser.post(path, data={"csrf": token})).status_code == 303
            assert (await browser.get("/dashboard")).status_code == 303
            assert (await browser.sign_in(reader)).status_code == 303
            token = CSRF.search((await browser.get("/dashboard")).text).group(1)
        checked += 1
    assert checked >= 20
