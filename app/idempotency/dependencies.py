"""`idem: Idempotent` in a create route, then `return await idem.run(scope, lambda: ...)`."""

import hashlib
import json
from collections.abc import Awaitable, Callable
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from pydantic import TypeAdapter
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.responses import JSONResponse
from starlette.responses import Response as HttpResponse

from app.auth.dependencies import SessionDep
from app.db import sessionmaker
from app.idempotency import service

REPLAYED_HEADER = "Idempotent-Replayed"

KeyHeader = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=257,
        pattern=r'^"?[!-~]+"?$',
        description="Any unique string (a UUID is best) that makes retrying this request "
        "safe: a retry with the same key and body returns the first answer again instead of "
        "creating a second one. Keys are kept for 24 hours.",
    ),
]


@lru_cache(maxsize=64)
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


class Idempotency:
    def __init__(self, request: Request, session: SessionDep, key: str | None) -> None:
        self.request = request
        self.session = session
        self.key = key

    async def run(
        self,
        caller_scope: str,
        create: Callable[[], Awaitable[Any]],
        *,
        echoed: tuple[str, ...] = (),
    ) -> Any:
        """Run `create` once per key; without a key it simply runs.

        `caller_scope` names who is asking (an API key id, a token hash): keys of different
        callers never meet. The route's own status code and response model shape the body.
        `echoed` names fields of the reply that repeat the same field of the request body:
        they are not stored (an erasure's reply must not keep the customer id it erased),
        and a replay takes them from its request, which is the same body."""
        claim = await claim_of(self.request, caller_scope, self.key)
        if claim is None:
            return await create()
        if not echoed:
            return await run(self.session, self.request, claim, create)
        sent = json.loads(await self.request.body())
        return await run(
            self.session,
            self.request,
            claim,
            create,
            stored_form=lambda body: {**body, **dict.fromkeys(echoed)},
            replayed_form=lambda body: {**body, **{name: sent[name] for name in echoed}},
        )


async def claim_of(request: Request, caller_scope: str, key: str | None) -> service.Claim | None:
    """What the request's Idempotency-Key claims, or None without a key (400 if malformed)."""
    if key is None:
        return None
    route = request.scope["route"].path
    return claim(request.method, route, request.url.path, await request.body(), caller_scope, key)


def claim(
    method: str, route: str, path: str, body: bytes, caller_scope: str, key: str
) -> service.Claim:
    return service.Claim(
        scope=caller_scope,
        route=f"{method} {route}",
        key=service.parse_key(key),
        fingerprint=service.fingerprint(method, path, body),
    )


async def run(
    session: AsyncSession,
    request: Request,
    claim: service.Claim,
    create: Callable[[], Awaitable[Any]],
    **forms: Callable[[Any], Any],
) -> HttpResponse:
    """`create` once per claimed key, in `session`'s transaction; the route's own status code
    and response model shape the stored body (`forms`: see `service.run`)."""
    route = request.scope["route"]
    outcome = await service.run(
        session,
        claim,
        ttl=service.ttl(),
        default_status=route.status_code or 200,
        create=create,
        serialize=lambda result: _serialize(route.response_model, result),
        **forms,
    )
    return respond(outcome)


async def replay(
    request: Request, claim: service.Claim, create: Callable[[AsyncSession], Awaitable[Any]]
) -> HttpResponse:
    """A request whose key was seen before, in a transaction of its own: the stored outcome
    again, a refusal, or (the stored one expired) `create` once more."""
    async with sessionmaker()() as session, session.begin():
        return await run(session, request, claim, lambda: create(session))


def respond(outcome: service.Outcome) -> HttpResponse:
    headers = {REPLAYED_HEADER: "true"} if outcome.replayed else None
    return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


def token_scope(token: str) -> str:
    """The idempotency scope of a caller known only by a link token (public endpoints)."""
    return token_scope_of_hash(hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest())


def token_scope_of_hash(digest: str) -> str:
    """`token_scope` of a link known by its stored hash (the SHA-256 of the token)."""
    return "token:" + digest


def _serialize(model: Any, result: Any) -> tuple[int | None, Any]:
    """(status, JSON body) of what the route returned; status None means the route's own."""
    if isinstance(result, HttpResponse):  # a route that picks its status, e.g. 201 or 200
        return result.status_code, json.loads(bytes(result.body))
    if model is None:
        return None, jsonable_encoder(result)
    adapter = _adapter(model)
    value = adapter.validate_python(result, from_attributes=True)
    return None, adapter.dump_python(value, mode="json", by_alias=True)


async def _idempotency(
    request: Request, session: SessionDep, idempotency_key: KeyHeader = None
) -> Idempotency:
    return Idempotency(request, session, idempotency_key)


Idempotent = Annotated[Idempotency, Depends(_idempotency)]
