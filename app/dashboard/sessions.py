"""Dashboard sign-in: an API key that may read scores and responses is exchanged for a
random session id, kept by the browser in an HttpOnly cookie; the key itself is never
stored or sent again. Only a hash of the session id is stored. A session lasts
`SENTIO_DASHBOARD_SESSION_HOURS` and ends with sign-out or as soon as its key is revoked
or expires (the key is checked on every page)."""

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth
from app.config import get_settings
from app.dashboard import repository
from app.db import utcnow
from app.errors import ProblemError
from app.models import DashboardSession

COOKIE = "sentio_dashboard"
SIGN_IN_COOKIE = "sentio_dashboard_signin"
"""A random value the sign-in form repeats (double submit): another site cannot sign a
browser in with a key of its choosing."""
PATH = "/dashboard"
NEEDED = ("scores:read", "responses:read")


class SignInRefused(Exception):
    """Why a key cannot open the dashboard: `unknown` (no such usable key) or `kind`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Viewer:
    """Who is looking: the project of the key that signed in, and the session's CSRF
    token, which every state-changing form of the dashboard carries."""

    project_id: uuid.UUID
    key_id: uuid.UUID
    csrf: str
    expires_at: datetime


def hash_id(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def csrf_token(session_id: str) -> str:
    """Derived from the session id, which only the browser has: nothing more to store,
    and a copy of the sessions table cannot forge it."""
    return hmac.new(session_id.encode(), b"sentio-dashboard-csrf", hashlib.sha256).hexdigest()


def same_token(expected: str | None, given: str | None) -> bool:
    return bool(expected and given) and hmac.compare_digest(str(expected), str(given))


def new_sign_in_token() -> str:
    return secrets.token_urlsafe(32)


async def sign_in(session: AsyncSession, secret: str) -> tuple[str, Viewer]:
    """A new session for the key `secret`; raises SignInRefused."""
    secret = secret.strip()
    try:
        principal = await auth.authenticate(session, f"Bearer {secret}")
        for scope in NEEDED:
            principal.require(scope)
    except ProblemError as error:
        raise SignInRefused("unknown" if error.status == 401 else "kind") from None
    now = utcnow()
    await repository.purge_expired(session, now)
    session_id = secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=get_settings().dashboard_session_hours)
    await repository.add(
        session,
        DashboardSession(
            id_hash=hash_id(session_id),
            key_id=principal.key_id,
            project_id=principal.project_id,
            created_at=now,
            expires_at=expires_at,
        ),
    )
    return session_id, Viewer(
        principal.project_id, principal.key_id, csrf_token(session_id), expires_at
    )


async def current(session: AsyncSession, session_id: str | None) -> Viewer | None:
    """The viewer of a live session whose key still works, else None (and a session whose
    key was revoked is deleted)."""
    if not session_id or len(session_id) > 100:
        return None
    id_hash = hash_id(session_id)
    row = await repository.get_live(session, id_hash, utcnow())
    if row is None:
        return None
    principal = await auth.usable_key(session, row.project_id, row.key_id)
    if principal is None:
        await repository.remove_for_key(session, row.key_id)
        return None
    return Viewer(row.project_id, row.key_id, csrf_token(session_id), row.expires_at)


async def sign_out(session: AsyncSession, session_id: str) -> None:
    await repository.remove(session, hash_id(session_id))
