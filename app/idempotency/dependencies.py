"""`idem: Idempotent` in a create route, then `return await idem.run(scope, lambda: ...)`."""

import hashlib
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import lru_cache
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from pydantic import TypeAdapter
from starlette.responses import JSONResponse
from starlette.responses import Response as HttpResponse

from app.auth.dependencies import SessionDep
from app.config import get_settings
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

    async def run(self, caller_scope: str, create: Callable[[], Awaitable[Any]]) -> Any:
        """Run `create` once per key; without a key it simply runs.

        `caller_scope` names who is asking (an API key id, a token hash): keys of different
        callers never meet. The route's own status code and response model shape the body."""
        if self.key is None:
            return await create()
        route = self.request.scope["route"]
        outcome = await service.run(
            self.session,
            scope=caller_scope,
            route=f"{self.request.method} {route.path}",
            key=service.parse_key(self.key),
            request_fingerprint=service.fingerprint(
                self.request.method, self.request.url.path, await self.request.body()
            ),
            ttl=timedelta(hours=get_settings().idempotency_ttl_hours),
            default_status=route.status_code or 200,
            create=create,
            serialize=lambda result: _serialize(route.response_model, result),
        )
        headers = {REPLAYED_HEADER: "true"} if outcome.replayed else None
        return JSONResponse(outcome.body, status_code=outcome.status_code, headers=headers)


def token_scope(token: str) -> str:
    """The idempotency scope of a caller known only by a link token (public endpoints)."""
    return "token:" + hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


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
