import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    UniqueConstraint,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import utcnow
from app.models.base import Base, JSONType, UTCDateTime, uuid7


class IdempotencyRecord(Base):
    """The stored outcome of one create request sent with an `Idempotency-Key`.

    It is written in the same transaction as the change it guards: a committed change always
    has its record and a rolled-back one never does. The unique constraint on (scope, route,
    key) is what decides between racing requests."""

    __tablename__ = "idempotency_keys"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    scope: Mapped[str] = mapped_column(String(100))
    route: Mapped[str] = mapped_column(String(200))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[Any] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)

    __table_args__ = (
        UniqueConstraint("scope", "route", "key"),
        Index("ix_idempotency_keys_expires_at", "expires_at"),
    )


class IdempotencyCustomer(Base):
    """A customer whose data a stored reply shows (a response's or an invitation's
    `customer_id`): how an erasure finds the replies it must scrub. Goes with its record."""

    __tablename__ = "idempotency_customers"

    customer_id: Mapped[str] = mapped_column(String(200))
    record_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("idempotency_keys.id", ondelete="CASCADE"), index=True
    )

    __table_args__ = (PrimaryKeyConstraint("customer_id", "record_id"),)
