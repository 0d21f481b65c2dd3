import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    TypeDecorator,
    Uuid,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import utcnow
from app.models.base import Base, JSONType, UTCDateTime, uuid7


class Cents(TypeDecorator[Decimal]):
    """An exact decimal amount with two decimal places, stored as a whole number of cents.

    Exact on both databases, sums included: SQLite has no decimal type (a NUMERIC column
    holds binary floats there), and integer sums are exact everywhere. SQL sums of the
    column are cents; `from_cents` turns them back into an amount."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value: Decimal | None, dialect: Any) -> int | None:
        if value is None:
            return None
        cents = value * 100
        if cents != cents.to_integral_value():
            raise ValueError(f"{value} has fractions of a cent")
        return int(cents)

    def process_result_value(self, value: int | None, dialect: Any) -> Decimal | None:
        return None if value is None else from_cents(value)


def from_cents(cents: int | Decimal) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


class Outcome(Base):
    """What happened to a customer (churned, renewed, purchase, ...), at `occurred_at`.

    Outcomes join a customer's answers by `customer_id`; a privacy erasure of the customer
    deletes them."""

    __tablename__ = "outcomes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id"))
    customer_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(16))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[Decimal | None] = mapped_column("value_cents", Cents)
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        # The reports' join: a customer's outcomes of one type, in time order.
        Index("ix_outcomes_project_customer", "project_id", "customer_id", "type", "occurred_at"),
        Index("ix_outcomes_project_occurred", "project_id", "occurred_at", "id"),
    )


class JourneyStage(Base):
    """One stage of a project's declared customer journey: a touchpoint, in order."""

    __tablename__ = "journey_stages"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id"))
    position: Mapped[int] = mapped_column(Integer)
    touchpoint: Mapped[str] = mapped_column(String(100))

    __table_args__ = (PrimaryKeyConstraint("project_id", "position"),)
