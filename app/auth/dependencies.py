"""Authorization rules that routes declare.

Every route declares exactly one rule, and the authorization matrix test reads it back from
the route table: `Depends(require("scope"))` (an API key with that scope, of the caller's
own project), `require(INSTANCE)` (an instance admin key), `Depends(browser_key)` (a
publishable key used from one of its origins) or `dependencies=[public("why")]`."""

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Header, Security
from fastapi.params import Depends as DependsParam
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.cache import verified_keys
from app.auth.scopes import PUBLIC_SUBMIT
from app.auth.service import UNKNOWN_KEY, Principal, authenticate, key_digest, normalise_origin
from app.config import get_settings
from app.db import get_read_session, get_session, sessionmaker, utcnow
from app.errors import Forbidden, ProblemError, Unauthorized

SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

ReadSessionDep = Annotated[AsyncSession, Depends(get_read_session, scope="function")]
"""The session of a route that only reads, and whose reader can live with data a moment
old: scores, analytics, dashboards, lists, exports. With `SENTIO_READ_DATABASE_URL` it runs
on the PostgreSQL replica (falling back to the primary, or 503, while the replica is down;
see `app.db.open_read_session`), so what it returns may lag the primary by the replica's
replay delay. On PostgreSQL its transaction is READ ONLY everywhere: a write through it
fails, with or without a replica.

Keep `SessionDep` for every route that writes and for every read that must see a write
just made: by id after a create (`GET /v1/responses/{id}`), idempotency, link pages, keys
and projects. The API key itself is always checked on the primary (or the key cache), by
`require`, whatever session the route uses."""

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer sk_…`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]


async def verified_principal(credentials: HTTPAuthorizationCredentials | None) -> Principal:
    """The caller's key, from the cache of verified keys or, on a miss, from the database
    (in a short transaction of its own)."""
    header = f"Bearer {credentials.credentials}" if credentials else None
    digest = key_digest(header)
    principal = cached_principal(digest)
    if principal is None:
        async with sessionmaker()() as session, session.begin():
            principal = await authenticate(session, header)
        if get_settings().auth_cache_seconds > 0:
            verified_keys.put(digest, principal)
    return principal


def cached_principal(digest: str) -> Principal | None:
    """The principal of a key verified in the last few seconds, or None; raises 401 once
    the key has expired (expiry is checked on every use)."""
    ttl = get_settings().auth_cache_seconds
    principal = verified_keys.get(digest, ttl) if ttl > 0 else None
    if principal is not None and principal.expires_at and principal.expires_at <= utcnow():
        verified_keys.forget(digest)
        raise Unauthorized(UNKNOWN_KEY)
    return principal


def require(scope: str) -> Callable[..., Awaitable[Principal]]:
    async def dependency(credentials: Credentials) -> Principal:
        principal = await verified_principal(credentials)
        principal.require(scope)
        return principal

    dependency.required_scope = scope  # type: ignore[attr-defined]
    return dependency


async def browser_key(
    credentials: Credentials,
    origin: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    """A publishable key, from a page of one of the origins configured on it.

    Browsers always send `Origin` on cross-origin POSTs and scripts cannot change it, so
    another site's pages cannot use the key. A non-browser client can send any `Origin`:
    what a publishable key allows (submitting answers to its own project's surveys) is
    therefore all it allows, and the per-address rate limit applies."""
    principal = await verified_principal(credentials)
    principal.require(PUBLIC_SUBMIT)
    if origin is None or _origin(origin) not in principal.origins:
        raise Forbidden("This publishable key may not be used from this page's origin.")
    return principal


browser_key.required_scope = PUBLIC_SUBMIT  # type: ignore[attr-defined]


def _origin(value: str) -> str | None:
    try:
        return normalise_origin(value)
    except ProblemError:
        return None


def public(why: str) -> DependsParam:
    """The rule of a route anyone may call (`dependencies=[public("why")]`)."""

    async def dependency() -> None:
        return None

    dependency.public_reason = why  # type: ignore[attr-defined]
    return Depends(dependency)


def rule_of(dependency: Any) -> str | None:
    """The rule a dependency declares: a scope, `public`, or None."""
    if getattr(dependency, "public_reason", None):
        return "public"
    return getattr(dependency, "required_scope", None)
