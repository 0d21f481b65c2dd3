"""`Depends(require("scope"))` authenticates the caller and checks one scope."""

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.service import Principal, authenticate
from app.db import get_session

SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]

_bearer = HTTPBearer(auto_error=False, description="An API key: `Authorization: Bearer sk_…`")


def require(scope: str) -> Callable[..., Awaitable[Principal]]:
    async def dependency(
        session: SessionDep,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Security(_bearer)],
    ) -> Principal:
        header = f"Bearer {credentials.credentials}" if credentials else None
        principal = await authenticate(session, header)
        principal.require(scope)
        return principal

    dependency.required_scope = scope  # type: ignore[attr-defined]
    return dependency
