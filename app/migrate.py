"""Running Alembic from the service itself (`sentio migrate`, `sentio serve`, tests)."""

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine

import migrations

SCRIPTS = Path(migrations.__file__).resolve().parent


def alembic_config() -> Config:
    """Built in code so an installed service (no alembic.ini at hand) can migrate itself."""
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["configure_logging"] = False
    return config


@lru_cache
def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(engine: AsyncEngine) -> None:
    def run(connection) -> None:  # type: ignore[no-untyped-def]
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.connect() as connection:
        # A migration may rewrite a large table: no statement time limit (app.querytime).
        await connection.execution_options(statement_timeout=0)
        async with connection.begin():
            await connection.run_sync(run)
