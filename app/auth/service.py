"""API keys: creation, and turning a bearer secret into a principal."""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import repository
from app.auth.scopes import SCOPES, grants
from app.db import utcnow
from app.errors import Forbidden, InvalidInput, Unauthorized
from app.models import DEFAULT_PROJECT_ID, ApiKey

SECRET_PREFIX = "sk_"  # noqa: S105 - a prefix, not a secret
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class Principal:
    key_id: uuid.UUID
    project_id: uuid.UUID
    scopes: tuple[str, ...]

    def require(self, scope: str) -> None:
        if not grants(self.scopes, scope):
            raise Forbidden(f"This API key lacks the '{scope}' scope.")


def hash_secret(secret: str) -> str:
    # Secrets are 256 random bits, so a fast hash is as strong as a slow one here.
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_key(
    session: AsyncSession,
    scopes: list[str],
    *,
    name: str | None = None,
    project_id: uuid.UUID = DEFAULT_PROJECT_ID,
    expires_at: datetime | None = None,
) -> tuple[ApiKey, str]:
    unknown = sorted(set(scopes) - set(SCOPES))
    if not scopes or unknown:
        raise InvalidInput(
            f"Unknown scope(s): {', '.join(unknown)}. Known: {', '.join(SCOPES)}."
            if unknown
            else "A key needs at least one scope."
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        project_id=project_id,
        name=name,
        prefix=secret[:10],
        secret_hash=hash_secret(secret),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    await repository.add(session, key)
    return key, secret


async def authenticate(session: AsyncSession, authorization: str | None) -> Principal:
    scheme, _, secret = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise Unauthorized("Send an API key as 'Authorization: Bearer <key>'.")
    digest = hash_secret(secret.strip())
    key = await repository.get_by_hash(session, digest)
    now = utcnow()
    if (
        key is None
        or not hmac.compare_digest(key.secret_hash, digest)
        or key.revoked_at is not None
        or (key.expires_at is not None and key.expires_at <= now)
    ):
        raise Unauthorized("The API key is unknown, revoked or expired.")
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        await repository.touch(session, key, now)
    return Principal(key_id=key.id, project_id=key.project_id, scopes=tuple(key.scopes))


async def has_any_key(session: AsyncSession) -> bool:
    return await repository.count(session) > 0
