import asyncio

from sqlalchemy import text

from app.db import get_engine
from app.migrate import head_revisions

READY_TIMEOUT_SECONDS = 2.0


async def readiness() -> tuple[bool, str]:
    try:
        async with asyncio.timeout(READY_TIMEOUT_SECONDS):
            async with get_engine().connect() as conn:
                current = set(await conn.scalars(text("SELECT version_num FROM alembic_version")))
    except Exception as error:  # any failure means "not ready", with the reason
        return False, f"database unreachable: {type(error).__name__}"
    heads = head_revisions()
    if current != heads:
        return False, (
            f"migrations at {', '.join(sorted(current)) or 'none'}, expected "
            f"{', '.join(sorted(heads))}: run `sentio migrate`"
        )
    return True, "database reachable, migrations at head"
