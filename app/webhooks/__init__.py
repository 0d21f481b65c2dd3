"""Signed webhooks through a transactional outbox. Other services call `emit` (or one of
its helpers) inside their own transaction."""

from app.webhooks.outbox import (
    emit,
    emit_invitations,
    emit_many,
    emit_new_responses,
    emit_response,
    emit_unsubscribe,
    response_facets_now,
    scrub_customer,
)

__all__ = [
    "emit",
    "emit_invitations",
    "emit_many",
    "emit_new_responses",
    "emit_response",
    "emit_unsubscribe",
    "response_facets_now",
    "scrub_customer",
]
