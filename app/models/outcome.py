import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, Numeric, PrimaryKeyConstraint, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import utcnow
from app.models.base import Base, JSONType, UTCDateTime, uuid7

AMOUNT = Numeric(18, 2)
"""Exact decimal money: 16 digits before the point, cents after it."""


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
    value: Mapped[Decimal | None] = mapped_column(AMOUNT)
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
