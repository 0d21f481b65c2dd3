"""Figures read from the database at scrape time."""

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models import Base


async def invitations_by_status(session: AsyncSession) -> dict[str, int] | None:
    """None when this schema has no invitations (or they carry no status column)."""
    table = Base.metadata.tables.get("invitations")
    if table is None or "status" not in table.c:
        return None
    rows = await session.execute(select(table.c.status, func.count()).group_by(table.c.status))
    return {str(status): int(count) for status, count in rows}
