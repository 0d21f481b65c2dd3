"""How long one database statement may run (SENTIO_STATEMENT_TIMEOUT_SECONDS), on both
databases. A statement past the limit is cancelled and the request answers 503
`query-timeout` (app.problems), so no request holds a connection, or the event loop's
share of the database, for long.

A connection may lift the limit for itself with the execution option
`statement_timeout=0` (migrations do), set before its transaction begins."""

import math
import time
from typing import Any

from asyncpg import exceptions as asyncpg_errors
from sqlalchemy import event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

SQLITE_PROGRESS_STEPS = 10_000
"""SQLite calls the progress handler every this many virtual machine steps (well under a
millisecond of work), so a statement stops soon after its deadline."""


def _limit_of(conn: Any, default: float) -> float:
    return conn.get_execution_options().get("statement_timeout", default)


def bound_postgresql(engine: AsyncEngine, seconds: float) -> None:
    """`statement_timeout` for each transaction (SET LOCAL): it ends with the transaction,
    so it works behind PgBouncer too, and a COPY that streams at a slow client's pace in a
    transaction of its own outside SQLAlchemy's keeps its own longer limit."""
    if not seconds:
        return

    @event.listens_for(engine.sync_engine, "begin")
    def _limit(conn: Any) -> None:
        ms = int(_limit_of(conn, seconds) * 1000)
        conn.exec_driver_sql(f"SET LOCAL statement_timeout = {ms}")


def bound_sqlite(engine: AsyncEngine, seconds: float) -> None:
    """SQLite has no statement timeout: a progress handler aborts a statement that runs
    past its deadline (it fails with "interrupted"). The deadline is set as each statement
    starts and cleared as it ends (the driver has fetched every row by then), so a COMMIT
    or ROLLBACK is never cut short."""
    if not seconds:
        return

    @event.listens_for(engine.sync_engine, "connect")
    def _progress(dbapi_connection: Any, record: Any) -> None:
        deadline = record.info["statement_deadline"] = [math.inf]

        def past_deadline() -> int:  # runs in the driver's thread
            return 1 if time.monotonic() > deadline[0] else 0

        driver = dbapi_connection.driver_connection
        dbapi_connection.await_(driver.set_progress_handler(past_deadline, SQLITE_PROGRESS_STEPS))

    def _deadline(conn: Any) -> list[float] | None:
        return conn.connection.info.get("statement_deadline")

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def _start(conn: Any, *_args: Any) -> None:
        if (deadline := _deadline(conn)) is not None:
            limit = _limit_of(conn, seconds)
            deadline[0] = time.monotonic() + limit if limit else math.inf

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def _end(conn: Any, *_args: Any) -> None:
        if (deadline := _deadline(conn)) is not None:
            deadline[0] = math.inf

    @event.listens_for(engine.sync_engine, "handle_error")
    def _failed(context: Any) -> None:
        conn = context.connection
        if conn is not None and not conn.closed and (deadline := _deadline(conn)) is not None:
            deadline[0] = math.inf


def is_query_timeout(exc: BaseException) -> bool:
    """Whether an error is a statement stopped by the time limit."""
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    cause = getattr(orig, "__cause__", None)  # asyncpg's error, under SQLAlchemy's adapter
    if isinstance(orig, asyncpg_errors.QueryCanceledError) or isinstance(
        cause, asyncpg_errors.QueryCanceledError
    ):
        return "statement timeout" in str(orig)
    return str(orig) == "interrupted"  # SQLite, stopped by the progress handler
