"""The authorization matrix, generated from the app's own route table.

Every route must declare its rule (`require(scope)`, `browser_key` or `public(...)`): a
route without one fails `test_every_route_declares_a_rule`. Every route is then called
with no key, malformed, unknown, revoked and expired keys, a key of each kind and of each
single scope, with ids of its own project and of another one; the expected status comes
from a table written here independently of `Principal.require`:

- no usable key: 401; a key whose kind or scopes do not cover the rule: 403;
- a key that may call the route, with its own project's ids: anything but 401/403/404;
- the same with another project's ids: 404, exactly as an id that does not exist;
- public routes: never 401/403, whatever Authorization says;
- never a 500.
"""

import re
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from conftest import Api, new_key, new_project
from fastapi.routing import iter_route_contexts
from sqlalchemy import update

from app.auth.dependencies import rule_of
from app.auth.scopes import DASHBOARD_SESSION, INSTANCE, PUBLIC_SUBMIT, SCOPES
from app.auth.service import create_key
from app.db import sessionmaker, utcnow
from app.docs.router import PATHS as DOCS_PATHS
from app.models import ApiKey
from app.pages.router import STATIC_PATHS
from app.ratelimit.middleware import classify
from app.ratelimit.policy import Policy

SHOP = "https://shop.example"
FRAMEWORK_ROUTES = {
    *("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc", "/assets"),
    "/dashboard/assets",
}
"""Served by FastAPI itself (documentation) or static files: public, hold no data."""
OPERATIONAL = {"/healthz", "/readyz", "/metrics", *DOCS_PATHS, *STATIC_PATHS}
"""Public routes for operators, the API reference and fixed files such as /favicon.ico,
exempt from per-address rate limits."""

BODIES: dict[str, Any] = {
    "createResponse": {"score": 5},
    "updateResponse": {"score": 5},
    "submitBrowserResponse": {"score": 5},
    "createInvitations": {"recipients": [{"customer_id": "matrix"}]},
    "createProjectKey": {"scopes": ["surveys:read"]},
    "createKey": {"scopes": ["surveys:read"]},
    "createSurvey": {"name": "matrix", "kind": "nps"},
    "createProject": {"name": "matrix"},
    "createWebhook": {"url": "https://hooks.example.com/x", "events": ["response.created"]},
    "addUnsubscribe": {"customer_id": "matrix"},
    "updateWebhook": {"description": "matrix"},
    "updateSurvey": {"name": "matrix"},
    "eraseCustomer": {"customer_id": "matrix"},
    "createTheme": {"name": "matrix", "phrases": ["matrix"]},
    "updateTheme": {"description": "matrix"},
}
"""Valid bodies where an empty one would be refused before ids are looked up."""


@dataclass(frozen=True)
class Caller:
    name: str
    key: str | None
    kind: str = "secret"  # secret, read, publishable, instance, none
    scopes: tuple[str, ...] = ()
    headers: dict[str, str] = field(default_factory=dict)


def may_call(caller: Caller, rule: str) -> bool:
    """The expected decision, written out independently of the code under test."""
    if rule == "public":
        return True
    if caller.kind == "none":
        return False
    if rule == INSTANCE:
        return caller.kind == "instance"
    if rule == PUBLIC_SUBMIT:
        return caller.kind == "publishable"
    if caller.kind in ("instance", "publishable"):
        return False
    if caller.kind == "read":
        return rule in (
            "scores:read",
            "responses:read",
            "outcomes:read",
            "customers:read",
            "themes:read",
        )
    resource, _, action = rule.partition(":")
    return any(
        s in ("admin", rule) or (action == "read" and s == f"{resource}:write")
        for s in caller.scopes
    )


def rule_of_route(dependant) -> set[str]:
    found = set()
    for dependency in dependant.dependencies:
        rule = rule_of(dependency.call)
        if rule:
            found.add(rule)
        found |= rule_of_route(dependency)
    return found


def routes(app) -> list[tuple[str, str, str, str | None, list[str], list[str]]]:
    """(method, path, rule, operation_id, path params, required query params)."""
    table = []
    for context in iter_route_contexts(app.routes):
        dependant = getattr(context, "dependant", None)
        if dependant is None:
            continue
        rules = rule_of_route(dependant)
        assert len(rules) == 1, f"{context.path}: rules {rules}"
        (rule,) = rules
        params = [p.name for p in dependant.path_params]
        query = [p.alias for p in _all_query(dependant) if p.field_info.is_required()]
        operation = getattr(context.original_route, "operation_id", None)
        for method in sorted((context.methods or set()) - {"HEAD"}):
            table.append((method, context.path, rule, operation, params, query))
    return table


def _all_query(dependant):
    yield from dependant.query_params
    for sub in dependant.dependencies:
        yield from _all_query(sub)


# --- the world: two projects, a key of every kind and scope ---------------------------


class World:
    def __init__(self, client) -> None:
        self.client = client

    async def build(self) -> "World":
        self.own = await new_project("matrix own")
        self.other = await new_project("matrix other")
        self.own_admin = Api(self.client, self.own, await new_key(self.own, "admin"))
        self.other_admin = Api(self.client, self.other, await new_key(self.other, "admin"))
        callers = [
            Caller("no key", None, "none"),
            Caller("malformed", "not-a-key", "none"),
            Caller("unknown", "sk_" + "A" * 43, "none"),
            Caller("revoked", await self._key(revoked=True), "none"),
            Caller("expired", await self._key(expired=True), "none"),
            Caller("basic auth", None, "none", headers={"Authorization": "Basic YTpi"}),
            Caller("read (BI)", await self._kind("read"), "read"),
            Caller("instance", await self._kind("instance"), "instance"),
            Caller(
                "publishable",
                await self._kind("publishable"),
                "publishable",
                headers={"Origin": SHOP},
            ),
            Caller(
                "publishable, other origin",
                await self._kind("publishable"),
                "none-403",
                headers={"Origin": "https://evil.example"},
            ),
        ]
        for scope in SCOPES:
            callers.append(Caller(scope, await new_key(self.own, scope), "secret", (scope,)))
        self.callers = callers
        self.other_publishable = await self._kind("publishable", project=self.other)
        return self

    async def _key(self, *, revoked: bool = False, expired: bool = False) -> str:
        async with sessionmaker()() as session, session.begin():
            key, secret = await create_key(
                session,
                ["admin"],
                project_id=self.own,
                expires_at=utcnow() + timedelta(days=1),
            )
            values = {"revoked_at": utcnow()} if revoked else {}
            if expired:
                values["expires_at"] = utcnow() - timedelta(seconds=1)
            await session.execute(update(ApiKey).where(ApiKey.id == key.id).values(**values))
            return secret

    async def _kind(self, kind: str, project: uuid.UUID | None = None) -> str:
        async with sessionmaker()() as session, session.begin():
            _key, secret = await create_key(
                session,
                [],
                kind=kind,
                project_id=project or self.own,
                allowed_origins=[SHOP] if kind == "publishable" else None,
            )
            return secret

    async def samples(self, admin: Api, names: list[str], project: uuid.UUID) -> dict[str, str]:
        """Fresh ids of one project for these path or query parameters."""
        made: dict[str, str] = {}
        for name in names:
            made[name] = await self._sample(admin, name, project, made)
        return made

    async def _sample(self, admin: Api, name: str, project: uuid.UUID, made: dict) -> str:
        async def survey() -> str:
            if "survey_id" not in made:
                made["survey_id"] = (await admin.survey())["id"]
            return made["survey_id"]

        async def webhook() -> str:
            if "webhook_id" not in made:
                r = await admin.post("/v1/webhooks", json=BODIES["createWebhook"])
                assert r.status_code == 201, r.text
                made["webhook_id"] = r.json()["id"]
            return made["webhook_id"]

        if name in ("survey_id", "relationship_survey_id", "transactional_survey_id"):
            return await survey()
        if name == "outcome_id":
            outcome = {
                "customer_id": "matrix",
                "type": "renewed",
                "occurred_at": "2025-01-01T00:00:00Z",
            }
            r = await admin.post("/v1/outcomes", json=outcome)
            assert r.status_code == 201, r.text
            return r.json()["id"]
        if name == "response_id":
            return (await admin.answer(await survey(), 7))["id"]
        if name == "webhook_id":
            return await webhook()
        if name == "delivery_id":
            hook = await webhook()
            await admin.answer(await survey(), 3)
            r = await admin.get(f"/v1/webhooks/{hook}/deliveries")
            return r.json()["data"][0]["id"]
        if name == "invitation_id":
            r = await admin.post(
                f"/v1/surveys/{await survey()}/invitations", json=BODIES["createInvitations"]
            )
            return r.json()["data"][0]["id"]
        if name == "customer_id":
            customer = f"c-{uuid.uuid4().hex[:8]}"
            r = await admin.post("/v1/unsubscribes", json={"customer_id": customer})
            assert r.status_code in (200, 201), r.text
            return customer
        if name == "key_id":
            r = await admin.post("/v1/keys", json={"scopes": ["surveys:read"]})
            return r.json()["id"]
        if name == "project_id":
            return str(project)
        if name == "theme_id":
            body = {"name": f"t-{uuid.uuid4().hex[:8]}", "phrases": ["x"]}
            r = await admin.post("/v1/themes", json=body)
            return r.json()["id"]
        if name == "token":
            return "A" * 32  # no invitation has it: the link pages answer 404
        pytest.fail(f"no sample for parameter {name!r}: teach World._sample about it")


@pytest.fixture(scope="module")
async def world(client):
    return await World(client).build()


def fill(path: str, ids: dict[str, str]) -> str:
    return re.sub(r"\{(\w+)(:\w+)?\}", lambda m: ids[m.group(1)], path)


async def call(client, caller: Caller, method: str, path: str, operation, ids, query):
    url = fill(path, ids)
    headers = dict(caller.headers)
    if caller.key:
        headers["Authorization"] = f"Bearer {caller.key}"
    params = {name: ids[name] for name in query}
    body = BODIES.get(operation, {}) if method in ("POST", "PATCH", "PUT") else None
    r = await client.request(method, url, headers=headers, params=params, json=body)
    assert r.status_code < 500, f"{caller.name}: {method} {url} → {r.status_code} {r.text}"
    return r


# --- the tests ------------------------------------------------------------------------


def test_every_route_declares_a_rule(app):
    undeclared = []
    for context in iter_route_contexts(app.routes):
        dependant = getattr(context, "dependant", None)
        if dependant is None:
            if context.path not in FRAMEWORK_ROUTES:
                undeclared.append(context.path)
            continue
        if len(rule_of_route(dependant)) != 1:
            undeclared.append(f"{sorted(context.methods or [])} {context.path}")
    assert not undeclared, f"routes without exactly one authorization rule: {undeclared}"


def test_public_routes_are_rate_limited_per_address_and_the_api_per_key(app):
    api, public = Policy("api", 1, 60), Policy("public", 1, 60)
    for method, path, rule, _op, _params, _query in routes(app):
        scope = {
            "path": fill(path, {}.fromkeys(re.findall(r"\{(\w+)", path), "x")),
            "headers": [],
            "client": ("203.0.113.1", 1),
        }
        found = classify(scope, api, public)
        if rule in ("public", PUBLIC_SUBMIT) and path not in OPERATIONAL:
            assert found and found[0] is public, f"{method} {path} is not limited per address"
        elif path.startswith("/v1/"):
            assert found and found[0] is api, f"{method} {path} is not limited per key"


async def test_matrix(app, client, world):
    checked = 0
    for method, path, rule, operation, params, query in routes(app):
        ids_needed = [*params, *query]
        own_admin = world.own_admin
        own = await world.samples(own_admin, ids_needed, world.own)
        first_allowed = True
        for caller in world.callers:
            r = await call(client, caller, method, path, operation, own, query)
            where = f"{caller.name}: {method} {path} → {r.status_code} {r.text[:200]}"
            if rule == "public":
                assert r.status_code not in (401, 403), where
            elif rule == DASHBOARD_SESSION:
                # Dashboard pages open with a sign-in session only, never with an API key:
                # every caller here has none and is sent to the sign-in form
                # (tests/dashboard/test_authz.py covers sessions and other projects' ids).
                assert r.status_code == 303, where
                assert r.headers["location"] == "/dashboard/sign-in", where
            elif caller.kind == "none-403" and rule == PUBLIC_SUBMIT:
                assert r.status_code == 403, where
            elif may_call(caller, rule):
                assert r.status_code not in (401, 403), where
                if first_allowed and ids_needed:
                    assert r.status_code != 404, where
                first_allowed = False
            elif caller.kind in ("none",):
                assert r.status_code == 401, where
            else:
                assert r.status_code == 403, where
            checked += 1

        # Another project's ids answer 404, exactly as unknown ones.
        foreign_names = [n for n in ids_needed if n != "project_id" and n != "token"]
        if not foreign_names or rule in ("public", DASHBOARD_SESSION):
            continue
        other = await world.samples(world.other_admin, ids_needed, world.other)
        mixed = {**own, **{n: other[n] for n in foreign_names}}
        unknown = {**own, **{n: _unknown(n) for n in foreign_names}}
        allowed = next(c for c in world.callers if may_call(c, rule))
        for ids in (mixed, unknown):
            r = await call(client, allowed, method, path, operation, ids, query)
            assert r.status_code == 404, f"{allowed.name}: {method} {path} {ids} → {r.text}"
        if rule == PUBLIC_SUBMIT:
            # The other project's browser key on this project's survey.
            foreign = Caller(
                "other pk", world.other_publishable, "publishable", headers={"Origin": SHOP}
            )
            r = await call(client, foreign, method, path, operation, own, query)
            assert r.status_code == 404, r.text
    assert checked > 300


def _unknown(name: str) -> str:
    return f"nobody-{uuid.uuid4().hex[:6]}" if name == "customer_id" else str(uuid.uuid4())
