import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import utcnow
from app.models.base import Base, JSONType, UTCDateTime, uuid7


class Theme(Base):
    """A topic customers write about, found in comments by its phrases (METRICS.md,
    "Comment themes"). The `tagging_*` columns are the state of the background re-tag that
    a new theme or a change of its phrases starts: resumable from its keyset position."""

    __tablename__ = "themes"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    project_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("projects.id"))
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(1000))
    phrases: Mapped[list[str]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    phrases_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Re-tag of the history: pending until every comment has been matched again.
    tagging_pending: Mapped[bool] = mapped_column(Boolean, default=True)
    tagging_done: Mapped[int] = mapped_column(Integer, default=0)
    tagging_total: Mapped[int] = mapped_column(Integer, default=0)
    tagging_after_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    tagging_after_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    tagging_final_pass: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (
        UniqueConstraint("project_id", "name"),
        Index("ix_themes_tagging_pending", "tagging_pending"),
    )


class ResponseTheme(Base):
    """A response whose comment mentions a theme (one row per response and theme)."""

    __tablename__ = "response_themes"

    response_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("responses.id"), primary_key=True)
    theme_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("themes.id", ondelete="CASCADE"), primary_key=True
    )

    __table_args__ = (Index("ix_response_themes_theme_id_response_id", "theme_id", "response_id"),)
