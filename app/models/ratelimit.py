from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class RateLimitCounter(Base):
    """Hits counted in the current fixed window of one rate-limit bucket (`policy:who`).

    One row per bucket, rewritten when its window rolls over; `reset_at` (Unix seconds)
    lets expired rows be purged with one range delete."""

    __tablename__ = "rate_limit_counters"

    bucket: Mapped[str] = mapped_column(String(120), primary_key=True)
    window_start: Mapped[int] = mapped_column(BigInteger)
    hits: Mapped[int] = mapped_column(Integer)
    reset_at: Mapped[int] = mapped_column(BigInteger, index=True)
