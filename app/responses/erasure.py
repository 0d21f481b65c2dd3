"""Privacy erasure of one customer (`POST /v1/erasures`), in one transaction: their answers
become tombstones, their invitations lose contact details and links, and every stored copy
that Sentio could send or replay is scrubbed with them: webhook event bodies (pending
deliveries and redeliveries read those) and the replies kept for Idempotency-Key retries.

A scrubbed copy shows what is left after the erasure, in the shape it had: an answer as its
tombstone (ids and times only, `deleted` true), an invitation without the customer's id,
email, name, attributes and links."""

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app import webhooks
from app.auth import service as auth
from app.idempotency import service as idempotency
from app.idempotency.dependencies import token_scope_of_hash
from app.responses.repository import ERASED

INVITATION_PERSONAL = ("customer_id", "email", "name", "attributes")
INVITATION_LINKS = ("survey_url", "score_urls", "unsubscribe_url", "email_html", "email_text")


def redact(value: Any, customer_id: str) -> Any:
    """A JSON value with every object of this customer (an answer, an invitation, an
    unsubscribe) in its erased form; everything else as it was. Returns a new value."""
    if isinstance(value, list):
        return [redact(item, customer_id) for item in value]
    if not isinstance(value, dict):
        return value
    if value.get("customer_id") == customer_id:
        return _erased(value)
    return {key: redact(item, customer_id) for key, item in value.items()}


def _erased(shown: dict[str, Any]) -> dict[str, Any]:
    if "deleted" in shown:  # an answer (ResponseOut)
        return {**shown, **{k: None for k in ERASED if k in shown}, "deleted": True}
    cleared = (*INVITATION_PERSONAL, *INVITATION_LINKS)
    return {**shown, **{k: None for k in cleared if k in shown}}


async def scrub_copies(
    session: AsyncSession, project_id: uuid.UUID, customer_id: str, closed_links: list[str]
) -> None:
    """Scrub the stored copies of an erased customer's data; `closed_links` are the token
    hashes of the invitations the erasure closed."""

    def scrubbed(value: Any) -> Any:
        return redact(value, customer_id)

    await webhooks.scrub_customer(session, project_id, customer_id, scrubbed)
    keys = await auth.list_keys(session, project_id, include_revoked=True, instance=True)
    await idempotency.scrub_customer(session, customer_id, [str(k.id) for k in keys], scrubbed)
    # Replies to a closed link go: a retry is then refused as the link itself is (404).
    await idempotency.drop_scopes(session, [token_scope_of_hash(h) for h in closed_links])
