"""Idempotency keys (IETF httpapi Idempotency-Key draft) for every create POST."""
