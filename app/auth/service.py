"""API keys: creation, listing, revocation, and turning a bearer secret into a principal."""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import repository
from app.auth.cache import verified_keys
from app.auth.scopes import (
    DEFAULT_SCOPES,
    INSTANCE,
    INSTANCE_KIND,
    KEY_PREFIXES,
    KINDS,
    PUBLIC_SUBMIT,
    PUBLISHABLE,
    READ,
    READ_SCOPES,
    SCOPES,
    grants,
)
from app.db import after_commit, utcnow
from app.errors import Forbidden, InvalidInput, NotFound, Unauthorized
from app.models import DEFAULT_PROJECT_ID, ApiKey

SECRET_PREFIX = KEY_PREFIXES["secret"]
LAST_USED_RESOLUTION = timedelta(minutes=1)
MAX_ORIGINS = 20
UNKNOWN_KEY = "The API key is unknown, revoked or expired."


@dataclass(frozen=True)
class Principal:
    key_id: uuid.UUID
    project_id: uuid.UUID
    scopes: tuple[str, ...]
    kind: str = "secret"
    origins: tuple[str, ...] = ()
    expires_at: datetime | None = None

    def require(self, scope: str) -> None:
        """The one place that decides what each kind of key may do."""
        if self.kind == INSTANCE_KIND:
            allowed = scope == INSTANCE
        elif self.kind == PUBLISHABLE:
            allowed = scope == PUBLIC_SUBMIT
        elif self.kind == READ:
            allowed = scope.endswith(":read") and grants(self.scopes, scope)
        else:
            allowed = grants(self.scopes, scope)
        if not allowed:
            raise Forbidden(_refusal(self.kind, scope))


def _refusal(kind: str, scope: str) -> str:
    if scope == INSTANCE:
        return "Only an instance admin key may manage projects."
    if kind == PUBLISHABLE:
        return "A publishable key can only submit answers from its allowed origins."
    if kind == INSTANCE_KIND:
        return "An instance admin key manages projects and keys; it cannot use project data."
    if scope == PUBLIC_SUBMIT:
        return "Submit answers from a browser with a publishable (pk_) key."
    return f"This API key lacks the '{scope}' scope."


def hash_secret(secret: str) -> str:
    # Secrets are 256 random bits, so a fast hash is as strong as a slow one here.
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_origin(origin: str) -> str:
    """`https://shop.example` form: scheme and host (and port), nothing else."""
    parts = urlsplit(origin.strip())
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
        or "*" in origin
    ):
        raise InvalidInput(
            f"{origin!r} is not an origin; write it as https://host or https://host:port.",
            errors=[{"pointer": "#/allowed_origins", "detail": "expected scheme://host[:port]"}],
        )
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname.lower()}{port}"


def _checked_scopes(kind: str, scopes: list[str]) -> list[str]:
    if kind not in KINDS:
        raise InvalidInput(f"Unknown key kind {kind!r}. Known: {', '.join(KINDS)}.")
    if kind in (PUBLISHABLE, INSTANCE_KIND):
        if scopes:
            raise InvalidInput(f"A {kind} key takes no scopes; its kind decides what it may do.")
        return []
    scopes = scopes or list(DEFAULT_SCOPES.get(kind, ()))
    allowed = READ_SCOPES if kind == READ else SCOPES
    unknown = sorted(set(scopes) - set(allowed))
    if not scopes or unknown:
        raise InvalidInput(
            f"Scope(s) not allowed on a {kind} key: {', '.join(unknown)}. "
            f"Allowed: {', '.join(allowed)}."
            if unknown
            else "A key needs at least one scope."
        )
    return sorted(set(scopes))


async def create_key(
    session: AsyncSession,
    scopes: list[str],
    *,
    kind: str = "secret",
    name: str | None = None,
    project_id: uuid.UUID = DEFAULT_PROJECT_ID,
    expires_at: datetime | None = None,
    allowed_origins: list[str] | None = None,
) -> tuple[ApiKey, str]:
    """A new key and its secret: the only time the secret exists outside the caller."""
    scopes = _checked_scopes(kind, scopes)
    origins = sorted({normalise_origin(o) for o in allowed_origins or []})
    if kind == PUBLISHABLE and not origins:
        raise InvalidInput(
            "A publishable key needs allowed_origins: the sites whose pages may use it.",
            errors=[{"pointer": "#/allowed_origins", "detail": "at least one origin"}],
        )
    if kind != PUBLISHABLE and origins:
        raise InvalidInput("Only publishable keys have allowed_origins.")
    if len(origins) > MAX_ORIGINS:
        raise InvalidInput(f"At most {MAX_ORIGINS} allowed_origins per key.")
    if expires_at is not None and expires_at <= utcnow():
        raise InvalidInput(
            "expires_at must be in the future.",
            errors=[{"pointer": "#/expires_at", "detail": "in the past"}],
        )
    secret = KEY_PREFIXES[kind] + secrets.token_urlsafe(32)
    key = ApiKey(
        project_id=project_id,
        name=name,
        kind=kind,
        prefix=secret[:10],
        secret_hash=hash_secret(secret),
        scopes=scopes,
        allowed_origins=origins or None,
        expires_at=expires_at,
    )
    await repository.add(session, key)
    return key, secret


def looks_like_key(secret: str) -> bool:
    return secret.startswith(tuple(KEY_PREFIXES.values())) and len(secret) < 200


def key_digest(authorization: str | None) -> str:
    """The stored hash of the bearer secret in `Authorization`, or 401 when there is none."""
    scheme, _, secret = (authorization or "").partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise Unauthorized("Send an API key as 'Authorization: Bearer <key>'.")
    if not looks_like_key(secret):
        raise Unauthorized(UNKNOWN_KEY)
    return hash_secret(secret)


async def authenticate(session: AsyncSession, authorization: str | None) -> Principal:
    digest = key_digest(authorization)
    key = await repository.get_by_hash(session, digest)
    now = utcnow()
    if (
        key is None
        or not hmac.compare_digest(key.secret_hash, digest)
        or key.revoked_at is not None
        or (key.expires_at is not None and key.expires_at <= now)
    ):
        raise Unauthorized(UNKNOWN_KEY)
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        await repository.touch(session, key, now)
    return _principal(key)


def _principal(key: ApiKey) -> Principal:
    return Principal(
        key_id=key.id,
        project_id=key.project_id,
        scopes=tuple(key.scopes),
        kind=key.kind,
        origins=tuple(key.allowed_origins or ()),
        expires_at=key.expires_at,
    )


async def usable_key(
    session: AsyncSession, project_id: uuid.UUID, key_id: uuid.UUID
) -> Principal | None:
    """The principal of a project's key that still works (neither revoked nor expired), or
    None: for sign-ins made with a key, which end when the key does."""
    key = await repository.get(session, project_id, key_id, instance=False)
    if key is None or key.revoked_at is not None:
        return None
    if key.expires_at is not None and key.expires_at <= utcnow():
        return None
    return _principal(key)


async def list_keys(
    session: AsyncSession, project_id: uuid.UUID, *, include_revoked: bool, instance: bool
) -> list[ApiKey]:
    """A project's keys; instance admin keys only for an instance admin (`instance`)."""
    return await repository.list_for_project(
        session, project_id, include_revoked=include_revoked, instance=instance
    )


async def revoke_key(
    session: AsyncSession, project_id: uuid.UUID, key_id: uuid.UUID, *, instance: bool
) -> ApiKey:
    key = await repository.get(session, project_id, key_id, instance=instance)
    if key is None:
        raise NotFound(f"No API key {key_id} in this project.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        await session.flush()
    secret_hash = key.secret_hash
    after_commit(session, lambda: verified_keys.forget(secret_hash))
    return key


async def has_any_key(session: AsyncSession) -> bool:
    return await repository.count(session) > 0
