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
def head_revisions() -> frozenset[str]:
    """Every head: migrations may branch, and `upgrade` applies them all."""
    return frozenset(ScriptDirectory.from_config(alembic_config()).get_heads())


def missing_heads(current: set[str]) -> set[str]:
    """Heads not yet applied, given the database's `alembic_version` rows.

    Alembic stores only the tips it reached: a revision that another one depends on
    (`depends_on`) is applied but not listed, so applied means "reachable from a row".
    Raises KeyError for a revision this code does not know."""
    parents = _parents()
    applied: set[str] = set()
    todo = list(current)
    while todo:
        revision = todo.pop()
        if revision not in applied:
            applied.add(revision)
            todo.extend(parents[revision])
    return set(head_revisions()) - applied


@lru_cache
def _parents() -> dict[str, tuple[str, ...]]:
    graph = {}
    for script in ScriptDirectory.from_config(alembic_config()).walk_revisions():
        found: list[str] = []
        for value in (script.down_revision, script.dependencies):
            found.extend([value] if isinstance(value, str) else value or ())
        graph[script.revision] = tuple(found)
    return graph


async def upgrade(engine: AsyncEngine) -> None:
    def run(connection) -> None:  # type: ignore[no-untyped-def]
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")

    async with engine.begin() as connection:
        await connection.run_sync(run)
