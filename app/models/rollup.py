import uuid

from sqlalchemy import BigInteger, Integer, SmallInteger, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base

NO_VALUE = ""
"""Stands for a null segment or touchpoint in a rollup key (labels are never empty)."""

DAY, WEEK = 1, 7
"""Rollup grains, in days. A week starts on Monday 00:00 UTC."""

SCORES = range(11)
"""Every score any scale allows (NPS 0-10, CSAT up to 1-10, CES up to 1-7)."""


class ScoreRollup(Base):
    """The distribution of live answers in one UTC day or week, per survey, segment and
    touchpoint: `n<s>` answers had score s. Scores read it instead of the raw responses.

    Database triggers (migration 0006) keep it in step with every write to `responses` in
    the same transaction, whatever code path made the write. `period` is the first day of
    the day or week, counted in days since 1970-01-01. Rows that drop to zero stay."""

    __tablename__ = "score_rollups"

    project_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    survey_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    grain: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    period: Mapped[int] = mapped_column(Integer, primary_key=True)
    segment: Mapped[str] = mapped_column(String(100), primary_key=True)
    touchpoint: Mapped[str] = mapped_column(String(100), primary_key=True)
    n0: Mapped[int] = mapped_column(BigInteger, default=0)
    n1: Mapped[int] = mapped_column(BigInteger, default=0)
    n2: Mapped[int] = mapped_column(BigInteger, default=0)
    n3: Mapped[int] = mapped_column(BigInteger, default=0)
    n4: Mapped[int] = mapped_column(BigInteger, default=0)
    n5: Mapped[int] = mapped_column(BigInteger, default=0)
    n6: Mapped[int] = mapped_column(BigInteger, default=0)
    n7: Mapped[int] = mapped_column(BigInteger, default=0)
    n8: Mapped[int] = mapped_column(BigInteger, default=0)
    n9: Mapped[int] = mapped_column(BigInteger, default=0)
    n10: Mapped[int] = mapped_column(BigInteger, default=0)
