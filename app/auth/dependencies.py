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

from app.auth.scopes import PUBLIC_SUBMIT
from app.auth.service import Principal, authenticate, normalise_origin
from app.db import get_session
from app.errors import Forbidden, ProblemError

SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer sk_…`")
Credentials = Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)]


def require(scope: str) -> Callable[..., Awaitable[Principal]]:
    async def dependency(session: SessionDep, credentials: Credentials) -> Principal:
        header = f"Bearer {credentials.credentials}" if credentials else None
        principal = await authenticate(session, header)
        principal.require(scope)
        return principal

    dependency.required_scope = scope  # type: ignore[attr-defined]
    return dependency


async def browser_key(
    session: SessionDep,
    credentials: Credentials,
    origin: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Principal:
    """A publishable key, from a page of one of the origins configured on it.

    Browsers always send `Origin` on cross-origin POSTs and scripts cannot change it, so
    another site's pages cannot use the key. A non-browser client can send any `Origin`:
    what a publishable key allows (submitting answers to its own project's surveys) is
    therefore all it allows, and the per-address rate limit applies."""
    header = f"Bearer {credentials.credentials}" if credentials else None
    principal = await authenticate(session, header)
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
