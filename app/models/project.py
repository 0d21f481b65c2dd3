import uuid
from datetime import datetime

from sqlalchemy import String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.db import utcnow
from app.models.base import Base, UTCDateTime, uuid7

DEFAULT_PROJECT_ID = uuid.UUID("00000000-0000-7000-8000-000000000001")


class Project(Base):
    """A tenant: every survey, response and key belongs to exactly one project."""

    __tablename__ = "projects"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid7)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # What respondents see on the link pages (all optional; see app/projects/branding.py)
    display_name: Mapped[str | None] = mapped_column(String(200))
    website: Mapped[str | None] = mapped_column(String(2000))
    logo_url: Mapped[str | None] = mapped_column(String(2000))
    accent_color: Mapped[str | None] = mapped_column(String(7))
