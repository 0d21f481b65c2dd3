import asyncio

from sqlalchemy import text

from app.db import get_engine
from app.migrate import head_revision

READY_TIMEOUT_SECONDS = 2.0


async def readiness() -> tuple[bool, str]:
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            async with get_engine().connect() as conn:
                current = await conn.scalar(text("SELECT version_num FROM alembic_version"))
    except Exception as error:  # any failure means "not ready", with the reason
        return False, f"database unreachable: {type(error).__name__}"
    head = head_revision()
    if current != head:
        return False, f"schema at {current}, this version needs {head}: run `sentio migrate`"
    return True, "database reachable, migrations at head"
