import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, PrimaryKeyConstraint, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import utcnow
from app.models.base import Base, JSONType, UTCDateTime, uuid7


class Invitation(Base):
    """One request to survey one customer, and the decision taken on it (`status`).

    Only `created` invitations have a token, and only its SHA-256 hash is stored: the links
    are shown once, in the answer to the request that created them."""

    __tablename__ = "invitations"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id"))
    survey_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("surveys.id"))
    customer_id: Mapped[str | None] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    name: Mapped[str | None] = mapped_column(String(200))
    segment: Mapped[str | None] = mapped_column(String(100))
    touchpoint: Mapped[str | None] = mapped_column(String(100))
    channel: Mapped[str] = mapped_column(String(16))
    locale: Mapped[str | None] = mapped_column(String(35))
    attributes: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    __table_args__ = (
        Index("ix_invitations_project_customer", "project_id", "customer_id", "created_at"),
        Index("ix_invitations_project_survey", "project_id", "survey_id", "id"),
    )


class InvitationOpen(Base):
    """A GET or HEAD of an invitation's link: never an answer, but the evidence that tells a
    person from a mail scanner (which opens every score link within seconds)."""

    __tablename__ = "invitation_opens"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    invitation_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("invitations.id"), index=True)
    score: Mapped[int | None] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Unsubscribe(Base):
    """A customer who receives no more invitations from this project."""

    __tablename__ = "unsubscribes"

    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id"))
    customer_id: Mapped[str] = mapped_column(String(200))
    source: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (PrimaryKeyConstraint("project_id", "customer_id"),)
