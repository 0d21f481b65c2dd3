"""Standard Webhooks signatures: `v1,` + base64 HMAC-SHA256 over `id.timestamp.body`."""

import base64
import hashlib
import hmac
import secrets

SECRET_PREFIX = "whsec_"  # noqa: S105 (a format prefix, not a secret)


def new_secret() -> str:
    """A signing secret in the Standard Webhooks format: `whsec_` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{msg_id}.{timestamp}.".encode() + body
    digest = hmac.new(_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signature_header(secrets_: list[str], msg_id: str, timestamp: int, body: bytes) -> str:
    """Space-separated signatures, one per valid secret, so a receiver that knows either the
    new or the previous secret verifies the request during a rotation."""
    return " ".join(sign(secret, msg_id, timestamp, body) for secret in secrets_)


def verify(secret: str, msg_id: str, timestamp: str, body: bytes, header: str) -> bool:
    """What a receiver does (kept here for the tests and as the README's reference)."""
    expected = sign(secret, msg_id, int(timestamp), body).encode()
    return any(hmac.compare_digest(expected, sig.encode()) for sig in header.split())
