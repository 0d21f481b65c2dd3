"""Link tokens: 192 random bits each, shown once, stored only as a SHA-256 hash.

Random tokens need no signing key to manage or rotate, and a copy of the database holds
nothing that opens a link. A fast hash is enough for 192 random bits."""

import hashlib
import re
import secrets

TOKEN_BYTES = 24
_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}")


def new_token() -> tuple[str, str]:
    """A fresh token and the hash to store."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    return token, _digest(token)


def token_hash(token: str) -> str | None:
    """The stored hash of a token, or None for anything that cannot be a token."""
    if not _SHAPE.fullmatch(token):
        return None
    return _digest(token)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()
