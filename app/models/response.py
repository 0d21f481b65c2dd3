import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import utcnow
from app.models.base import Base, JSONType, UTCDateTime, uuid7

LIVE_WITH_CUSTOMER = "deleted_at IS NULL AND score IS NOT NULL AND customer_id IS NOT NULL"


class Response(Base):
    """One answer. A deleted or erased answer stays as a tombstone (ids and times only, every
    answer field cleared) so that incremental readers learn that it is gone."""

    __tablename__ = "responses"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id"))
    survey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("surveys.id"))
    score: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    customer_id: Mapped[str | None] = mapped_column(String(200))
    segment: Mapped[str | None] = mapped_column(String(100))
    touchpoint: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str | None] = mapped_column(String(16))
    locale: Mapped[str | None] = mapped_column(String(35))
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    invitation_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("invitations.id"), unique=True
    )

    __table_args__ = (
        Index("ix_responses_survey_submitted", "survey_id", "submitted_at"),
        Index("ix_responses_project_updated", "project_id", "updated_at", "id"),
        Index("ix_responses_project_customer", "project_id", "customer_id"),
        # Customer reports (migration 0010): each customer's live answers to a survey in time
        # order, with what the reports read of them (PostgreSQL reads only the index).
        Index(
            "ix_responses_customer_latest",
            "project_id",
            "survey_id",
            "customer_id",
            "submitted_at",
            "id",
            postgresql_include=["score", "touchpoint", "segment", "channel", "locale"],
            postgresql_where=text(LIVE_WITH_CUSTOMER),
            sqlite_where=text(LIVE_WITH_CUSTOMER),
        ),
    )
