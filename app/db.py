"""Engine, sessions and every difference between SQLite and PostgreSQL, in one place."""

import logging
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from typing import Any

from asyncpg import exceptions as asyncpg_errors
from sqlalchemy import (
    BigInteger,
    Text,
    case,
    cast,
    event,
    func,
    literal_column,
    select,
    text,
)
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql.elements import ColumnElement

from app import querytime
from app.config import Settings, get_settings

_engine: AsyncEngine | None = None
_sessionmaker: async_sessionmaker[AsyncSession] | None = None
_log = logging.getLogger("sentio.db")


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def build_engine(settings: Settings, url: str | None = None) -> AsyncEngine:
    """The engine of the primary (`url` None) or of another server such as a replica."""
    url = url or settings.database_url
    if is_sqlite(url):
        engine = create_async_engine(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            pool_timeout=settings.db_pool_timeout,
            connect_args={"timeout": settings.sqlite_busy_timeout_ms / 1000},
        )
        _configure_sqlite(engine, settings.sqlite_busy_timeout_ms)
        querytime.bound_sqlite(engine, settings.statement_timeout_seconds)
        return engine
    limit = settings.statement_timeout_seconds
    engine = create_async_engine(
        url,
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_max_overflow,
        pool_timeout=settings.db_pool_timeout,
        pool_pre_ping=True,
        connect_args={
            "timeout": settings.db_connect_timeout,
            # A backstop only: the server cancels a statement first (app.querytime).
            "command_timeout": limit + 5 if limit else None,
            "server_settings": {"timezone": "UTC"},
            **(_PGBOUNCER_CONNECT_ARGS if settings.db_pgbouncer else {}),
        },
    )
    querytime.bound_postgresql(engine, limit)
    return engine


def _unnamed() -> str:
    return ""


# PgBouncer in transaction pooling gives each transaction whichever server connection is
# free: a statement prepared by name in one transaction may be missing from the next one's
# server, or its name already taken there by another client. So no cache of prepared
# statements (asyncpg's nor SQLAlchemy's), and every statement prepared unnamed: the
# unnamed statement lives on its server only until the next one, always inside the same
# transaction (SQLAlchemy runs every statement in one, its pre-ping too), so nothing
# collides and nothing piles up on the servers. Unique names would work as well but leave
# every statement behind on a server until it closes (bench/pgbouncer.py measured both).
_PGBOUNCER_CONNECT_ARGS = {
    "statement_cache_size": 0,
    "prepared_statement_cache_size": 0,
    "prepared_statement_name_func": _unnamed,
}


def _configure_sqlite(engine: AsyncEngine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # The driver's own transaction handling is turned off so that SQLAlchemy's BEGIN
        # is the only one. Transactions start with BEGIN IMMEDIATE: a writer takes the lock
        # up front and waits for it (busy timeout) instead of failing half-way when it tries
        # to upgrade a read lock that another writer got first.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        # A read session (`open_read_session`) never writes: a deferred BEGIN, so that in
        # WAL mode a long read (a year of scores, an export) neither waits for the writers
        # nor makes them wait.
        if conn.get_execution_options().get("sentio_reads_only"):
            conn.exec_driver_sql("BEGIN")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")


def get_engine() -> AsyncEngine:
    global _engine, _sessionmaker
    if _engine is None:
        _engine = build_engine(get_settings())
        _sessionmaker = async_sessionmaker(_engine, expire_on_commit=False)
    return _engine


def sessionmaker() -> async_sessionmaker[AsyncSession]:
    get_engine()
    assert _sessionmaker is not None
    return _sessionmaker


async def dispose_engine() -> None:
    global _engine, _sessionmaker
    await dispose_read_engine()
    if _engine is not None:
        await _engine.dispose()
    _engine = None
    _sessionmaker = None


async def get_session() -> AsyncIterator[AsyncSession]:
    """One unit of work per request: commit on success, roll back on any error.

    Routes use it with `Depends(..., scope="function")`, so the commit happens before the
    response is sent: a 2xx always means the change is durable.
    """
    async with sessionmaker()() as session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


# --- reads that may lag: the replica ----------------------------------------------------

_replica: tuple[str, AsyncEngine, async_sessionmaker[AsyncSession]] | None = None
_primary_reads: tuple[AsyncEngine, async_sessionmaker[AsyncSession]] | None = None
_replica_down_until = 0.0


def _replica_sessions(settings: Settings) -> async_sessionmaker[AsyncSession] | None:
    global _replica
    url = settings.read_database_url
    if not url:
        return None
    if _replica is None or _replica[0] != url:
        engine = build_engine(settings, url)
        reads = engine.execution_options(postgresql_readonly=True)
        _replica = (url, engine, async_sessionmaker(reads, expire_on_commit=False))
    return _replica[2]


def _primary_read_sessions() -> async_sessionmaker[AsyncSession]:
    """Read-only transactions on the primary's pool (SQLite: deferred, not IMMEDIATE)."""
    global _primary_reads
    engine = get_engine()
    if _primary_reads is None or _primary_reads[0] is not engine:
        if engine.dialect.name == "sqlite":
            reads = engine.execution_options(sentio_reads_only=True)
        else:
            reads = engine.execution_options(postgresql_readonly=True)
        _primary_reads = (engine, async_sessionmaker(reads, expire_on_commit=False))
    return _primary_reads[1]


async def open_read_session() -> AsyncSession:
    """A session for reads that may see the data of a moment ago, connected already.

    With `SENTIO_READ_DATABASE_URL` it is on the replica. A replica that cannot be reached
    is noticed here, before any read: with `SENTIO_READ_FALLBACK=primary` (the default) the
    session is then on the primary, and reads stay there for `SENTIO_READ_RETRY_SECONDS`
    before the replica is tried again; with `fail` the error propagates (503). On
    PostgreSQL the transaction is READ ONLY wherever it runs, so a read route that tried to
    write fails in every test, replica or not."""
    global _replica_down_until
    settings = get_settings()
    replica = _replica_sessions(settings)
    failover = settings.read_fallback == "primary"
    if replica is not None and (not failover or time.monotonic() >= _replica_down_until):
        session = replica()
        try:
            await session.connection()
            return session
        except Exception as error:
            await session.close()
            if not failover or not is_unavailable(error):
                raise
            _replica_down_until = time.monotonic() + settings.read_retry_seconds
            _log.warning("read replica unavailable, reading from the primary: %s", error)
    return _primary_read_sessions()()


async def get_read_session() -> AsyncIterator[AsyncSession]:
    """The session of a route that only reads and may lag the primary by the replica's
    replay delay (see `ReadSessionDep`)."""
    session = await open_read_session()
    async with session:
        try:
            yield session
            await session.commit()
        except BaseException:
            await session.rollback()
            raise


async def dispose_read_engine() -> None:
    global _replica, _primary_reads, _replica_down_until
    if _replica is not None:
        await _replica[1].dispose()
    _replica, _primary_reads, _replica_down_until = None, None, 0.0


async def try_transaction_lock(session: AsyncSession, lock_id: int) -> bool:
    """Take a lock held until the session's transaction ends, without waiting.

    PostgreSQL uses a transaction-level advisory lock (`lock_id` is a signed 64-bit number).
    SQLite needs none: every transaction there starts with BEGIN IMMEDIATE, so writers
    already run one at a time."""
    if session.bind.dialect.name == "sqlite":
        return True
    return bool(await session.scalar(select(func.pg_try_advisory_xact_lock(lock_id))))


async def expect_small_reads(session: AsyncSession) -> None:
    """No JIT compilation, no parallel workers, and hashing rather than sorting for the
    rest of the transaction (one round trip): for reads of a few thousand rows that
    PostgreSQL's estimate wrongly calls expensive (starting JIT or workers costs more than
    the query) or, joined to a table of literals, wrongly calls tiny (it then sorts the
    groups by text, several times slower than hashing them)."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(
            text(
                "SELECT set_config('jit', 'off', true), "
                "set_config('max_parallel_workers_per_gather', '0', true), "
                "set_config('enable_sort', 'off', true)"
            )
        )


async def expect_large_reads(session: AsyncSession) -> None:
    """Room to hash and sort a million rows in memory (256 MB of work memory per step
    instead of 4) and no JIT compilation, for the rest of the transaction: for the
    customer reports, which join every customer's latest answer to their outcomes.
    Spilling those joins and sorts to disk cost them several times over (bench/journeys)."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(
            text("SELECT set_config('work_mem', '256MB', true), set_config('jit', 'off', true)")
        )


def is_unavailable(exc: BaseException) -> bool:
    """Whether an error means the database cannot be used right now (503, retry), as opposed
    to a statement that failed on its own."""
    if isinstance(exc, (PoolTimeout, OSError, *_ASYNCPG_UNAVAILABLE)):
        return True
    if not isinstance(exc, DBAPIError):
        return False
    if exc.connection_invalidated or isinstance(exc, OperationalError):
        return True
    text = str(exc.orig).lower()
    return any(
        word in text
        for word in (
            "connection",
            "cannot connect",
            "terminat",
            "shutdown",
            "shutting down",
            "starting up",
            "recovery mode",
            "locked",
            "busy",
        )
    )


_ASYNCPG_UNAVAILABLE = (
    asyncpg_errors.OperatorInterventionError,
    asyncpg_errors.PostgresConnectionError,
    asyncpg_errors.InsufficientResourcesError,
)


def utcnow() -> datetime:
    return datetime.now(UTC)


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Run `callback` once the session's current transaction commits; drop it on rollback.

    For side effects that must follow durable state only: counting an answer in metrics,
    waking the webhook dispatcher. Callbacks run synchronously and must not raise."""
    info = session.sync_session.info
    info.setdefault("after_commit", []).append(callback)
    if not info.get("after_commit_listening"):
        info["after_commit_listening"] = True
        event.listen(session.sync_session, "after_commit", _run_after_commit)
        event.listen(session.sync_session, "after_rollback", _drop_after_commit)


def _run_after_commit(sync_session: Any) -> None:
    for callback in sync_session.info.pop("after_commit", []):
        callback()


def _drop_after_commit(sync_session: Any) -> None:
    sync_session.info.pop("after_commit", None)


# --- dialect-specific SQL -------------------------------------------------------------

SLOT_SECONDS = 900
"""Scores group raw times into 15-minute UTC slots. Every local midnight of every current
IANA zone falls on a slot boundary, so slots map exactly onto local-time buckets."""


def time_slot(column: ColumnElement[Any], dialect: str) -> ColumnElement[int]:
    if dialect == "sqlite":
        return cast(func.strftime("%s", column), BigInteger) // SLOT_SECONDS
    return cast(func.floor(func.extract("epoch", column) / SLOT_SECONDS), BigInteger)


def plus_days(column: ColumnElement[Any], days: int, dialect: str) -> ColumnElement[Any]:
    """A time column moved by a whole number of days (24 hours each, exactly, to the
    microsecond), comparable with other time columns on both databases.

    SQLite keeps times as 'YYYY-MM-DD HH:MM:SS.ffffff' text: the date and clock are moved
    by strftime and the microseconds carried over, so the result sorts like the column."""
    days = int(days)  # inlined in the SQL
    if dialect == "sqlite":
        moved = func.strftime("%Y-%m-%d %H:%M:%S", column, literal_column(f"'{days:+d} days'"))
        return moved.op("||")(func.substr(column, 20))
    return column + literal_column(f"interval '{days * 86400} seconds'")


def json_text(column: ColumnElement[Any], key: str, dialect: str) -> ColumnElement[str]:
    """The value under `key` of a flat JSON object, as text, the same on both databases.

    `key` is inlined in the SQL (a bound parameter would make PostgreSQL see the SELECT and
    GROUP BY expressions as different), so callers pass only validated identifiers.
    """
    if not key.isidentifier() or not key.isascii():
        raise ValueError(f"not an attribute key: {key!r}")
    if dialect == "sqlite":
        path = literal_column(f"'$.{key}'")
        kind = func.json_type(column, path)
        return case(
            (kind == "true", "true"),
            (kind == "false", "false"),
            else_=cast(func.json_extract(column, path), Text),
        )
    return column.op("->>")(literal_column(f"'{key}'"))


def upsert(table: Any, dialect: str) -> Any:
    """`INSERT … ON CONFLICT` for the dialect: both spell `on_conflict_do_update` alike."""
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    else:
        from sqlalchemy.dialects.postgresql import insert
    return insert(table)
