import asyncio

from sqlalchemy import text

from app.db import get_engine
from app.migrate import missing_heads

READY_TIMEOUT_SECONDS = 2.0


async def readiness() -> tuple[bool, str]:
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            async with get_engine().connect() as conn:
                current = set(await conn.scalars(text("SELECT version_num FROM alembic_version")))
    except Exception as error:  # any failure means "not ready", with the reason
        return False, f"database unreachable: {type(error).__name__}"
    try:
        missing = missing_heads(current)
    except KeyError:  # a revision this code does not know: the database is newer
        return False, f"unknown migrations {', '.join(sorted(current))}: upgrade Sentio"
    if missing:
        return False, f"migrations {', '.join(sorted(missing))} not applied: run `sentio migrate`"
    return True, "database reachable, migrations at head"
