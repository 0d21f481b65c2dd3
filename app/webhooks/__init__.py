"""Signed webhooks through a transactional outbox. Other services call `emit` (or
`emit_response`) inside their own transaction."""

from app.webhooks.outbox import emit, emit_response, response_facets_now

__all__ = ["emit", "emit_response", "response_facets_now"]
