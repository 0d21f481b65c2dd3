"""Responses as CSV for BI tools and spreadsheets (`responses:read`, so a read-only BI key
can export), each with its survey's kind and scale. Text cells are quoted and neutralised
against formula injection (`app.csvutil`); numbers stay numbers. Large exports continue
with the `Sentio-Next-Cursor` header, which is the same cursor `GET /v1/responses` takes.
With `include_deleted=true` tombstones come too (ids and times, `deleted_at` set), so that
an incremental reader learns which rows to drop.

The body is streamed, so memory stays flat whatever `limit` is. The next cursor is a
header, sent before the body: one index read finds the page's last row first, and the
stream then reads up to it. On PostgreSQL the rows are formatted by the database
(`COPY … TO STDOUT (FORMAT csv)`, three to four times faster than formatting them in
Python); on SQLite in Python, a chunk of rows per short read. Both write the same bytes:
tests compare them.
"""

import asyncio
import contextlib
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query
from sqlalchemy import Select, Text, case, cast, func, literal, literal_column, select, tuple_
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from starlette.responses import StreamingResponse

from app.auth.dependencies import ReadSessionDep, require
from app.auth.service import Principal
from app.csvutil import (
    BREAKS_PATTERN,
    FORMULA_START,
    PIECE_START_PATTERN,
    number_cell,
    row_text,
    text_cell,
)
from app.models import Response, ResponseTheme, Survey, Theme
from app.pagination import decode_cursor, encode_cursor
from app.responses.repository import ResponseFilter, filtered
from app.themes.schemas import ThemeValue
from app.timeparams import check_range, parse_time

router = APIRouter(tags=["responses"])

COLUMNS = [
    "id",
    "survey_id",
    "submitted_at",
    "updated_at",
    "score",
    "comment",
    "customer_id",
    "segment",
    "touchpoint",
    "channel",
    "locale",
    "attributes",
    "created_at",
    "deleted_at",
    "kind",
    "scale_min",
    "scale_max",
    "themes",
]
TEXTS = ("comment", "customer_id", "segment", "touchpoint", "channel", "locale")
QUOTED = (*TEXTS, "attributes", "kind", "themes")
THEME_SEPARATOR = "; "  # theme names in one cell, in byte order of the names
CHUNK = 5000  # rows per read and per piece of the body, outside PostgreSQL
# COPY hands over about 10 kB at a time; pieces of the body this large cost the
# middleware, the server and the client far less.
BATCH = 256 * 1024
COPY_TIMEOUT = 600  # seconds a client may take to read one page from PostgreSQL


@router.get(
    "/v1/exports/responses",
    operation_id="exportResponses",
    response_class=StreamingResponse,
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def export_responses(
    session: ReadSessionDep,
    caller: Annotated[Principal, Depends(require("responses:read"))],
    survey_id: Annotated[list[uuid.UUID] | None, Query()] = None,
    from_: Annotated[
        str | None, Query(alias="from", description="Submitted at or after (ISO 8601).")
    ] = None,
    to: Annotated[str | None, Query(description="Submitted before (ISO 8601).")] = None,
    updated_since: Annotated[str | None, Query(description="Changed at or after.")] = None,
    include_deleted: Annotated[
        bool,
        Query(
            description="Include tombstones of deleted and erased responses (ids and times "
            "only, `deleted_at` set), as `GET /v1/responses` does."
        ),
    ] = False,
    theme: Annotated[
        list[ThemeValue] | None,
        Query(description="Comments that mention this theme (id or name); repeatable: any."),
    ] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 10_000,
):
    """Answers of the key's project as CSV, oldest change first, at most `limit` rows."""
    filters = ResponseFilter(
        themes=theme,
        survey_ids=survey_id,
        submitted_from=parse_time(from_, "from"),
        submitted_to=parse_time(to, "to"),
        updated_since=parse_time(updated_since, "updated_since"),
        include_deleted=include_deleted,
    )
    next_cursor, body = await export_page(session, caller.project_id, filters, cursor, limit)
    headers = {"Content-Disposition": 'attachment; filename="responses.csv"'}
    if next_cursor:
        headers["Sentio-Next-Cursor"] = next_cursor
    return StreamingResponse(body, media_type="text/csv; charset=utf-8", headers=headers)


async def export_page(
    session: AsyncSession,
    project_id: uuid.UUID,
    filters: ResponseFilter,
    cursor: str | None,
    limit: int,
) -> tuple[str | None, AsyncIterator[bytes]]:
    """The next cursor (None at the end) and the page's CSV, to be streamed.

    The body reads on a connection of its own, from the server the session reads from (the
    replica, when there is one): the request's session is closed before the response
    starts."""
    check_range(filters.submitted_from, filters.submitted_to)
    after = decode_cursor(cursor, with_time=True) if cursor else None
    keys = _rows(select(Response.updated_at, Response.id), project_id, filters, after)
    found = (await session.execute(keys.offset(limit - 1).limit(2))).all()
    last = tuple(found[0]) if len(found) == 2 else None
    next_cursor = encode_cursor(t=last[0].isoformat(), id=last[1]) if last else None
    stream = _copy if session.bind.dialect.name == "postgresql" else _chunks
    return next_cursor, stream(session.bind, project_id, filters, after, last)


def _rows(
    query: Select,
    project_id: uuid.UUID,
    filters: ResponseFilter,
    after: tuple[Any, uuid.UUID] | None,
    upto: tuple[datetime, uuid.UUID] | None = None,
) -> Select:
    """Rows of the project that pass the filters (tombstones too with `include_deleted`),
    after one key and up to another, in order of last change (that of `GET /v1/responses`)."""
    key = tuple_(Response.updated_at, Response.id)
    query = query.where(Response.project_id == project_id)
    if not filters.include_deleted:
        query = query.where(Response.deleted_at.is_(None))
    query = filtered(query, filters)
    if after is not None:
        query = query.where(key > tuple(after))  # a plain tuple: binds typed as the columns
    if upto is not None:
        query = query.where(key <= tuple(upto))
    return query.order_by(Response.updated_at, Response.id)


def _header() -> bytes:
    return (",".join(COLUMNS) + "\r\n").encode()


# --- anywhere: rows formatted in Python ----------------------------------------------


def _with_survey(columns: list[Any]) -> Select:
    return select(*columns).join(Survey, Survey.id == Response.survey_id)


SURVEY_COLUMNS = {
    "kind": Survey.kind,
    "scale_min": Survey.scale_min.label("scale_min"),
    "scale_max": Survey.scale_max,
}


def _cells(row: Sequence[Any], themes: dict[uuid.UUID, list[str]]) -> str:
    rid, survey_id, submitted_at, updated_at, score, *texts, attributes = row[:12]
    created_at, deleted_at, kind, scale_min, scale_max = row[12:]
    attributes = _json(attributes) if attributes else None
    return row_text(
        [
            str(rid),
            str(survey_id),
            submitted_at.isoformat(),
            updated_at.isoformat(),
            number_cell(score),
            *map(text_cell, texts),
            text_cell(attributes),
            created_at.isoformat(),
            deleted_at.isoformat() if deleted_at else "",
            text_cell(kind),
            number_cell(scale_min),
            number_cell(scale_max),
            text_cell(THEME_SEPARATOR.join(themes.get(rid, ()))),
        ]
    )


def _json(attributes: Any) -> str:
    """JSON as PostgreSQL prints a jsonb object, so that both databases export the same
    text: keys shortest first, then bytewise; numbers in plain notation (1e+20 is
    100000000000000000000)."""
    if not isinstance(attributes, dict):
        return json.dumps(attributes, ensure_ascii=False)
    keys = sorted(attributes, key=lambda k: (len(k.encode()), k.encode()))
    return "{" + ", ".join(f"{_dumps(k)}: {_dumps(attributes[k])}" for k in keys) + "}"


def _dumps(value: Any) -> str:
    if isinstance(value, float):
        return format(Decimal(repr(value + 0.0)), "f")  # + 0.0: jsonb has no -0.0
    return json.dumps(value, ensure_ascii=False)


async def _chunks(
    engine: AsyncEngine,
    project_id: uuid.UUID,
    filters: ResponseFilter,
    after: tuple[Any, uuid.UUID] | None,
    upto: tuple[datetime, uuid.UUID] | None,
) -> AsyncIterator[bytes]:
    """CHUNK rows per read, each read a short transaction of its own (on SQLite a reader
    holds the write lock, so it must not hold it while a client downloads)."""
    columns = [
        SURVEY_COLUMNS[n] if n in SURVEY_COLUMNS else getattr(Response, n)
        for n in COLUMNS
        if n != "themes"  # read per chunk: one query, names in byte order
    ]
    yield _header()
    while True:
        query = _rows(_with_survey(columns), project_id, filters, after, upto).limit(CHUNK)
        async with engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        if not rows:
            return
        async with engine.connect() as conn:
            themes = await _theme_names(conn, [row.id for row in rows])
        yield "".join(_cells(row, themes) for row in rows).encode()
        after = (rows[-1].updated_at, rows[-1].id)


async def _theme_names(conn: Any, ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Each response's theme names, in byte order (as COLLATE "C" sorts them)."""
    query = (
        select(ResponseTheme.response_id, Theme.name)
        .join(Theme, Theme.id == ResponseTheme.theme_id)
        .where(ResponseTheme.response_id.in_(ids))
    )
    found: dict[uuid.UUID, list[str]] = {}
    for response_id, name in (await conn.execute(query)).all():
        found.setdefault(response_id, []).append(name)
    for names in found.values():
        names.sort(key=str.encode)
    return found


# --- PostgreSQL: rows formatted by the database ---------------------------------------

# What app.csvutil.text_cell neutralises, as code points: ascii() is cheaper than left().
FORMULA_CODES = [ord(c) for c in FORMULA_START]
ISO = literal_column("""'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"'""")


def _text(column: Any, name: str) -> Any:
    """`text_cell` in SQL, as the output column `name` (COPY quotes those: FORCE_QUOTE).
    '' becomes NULL: COPY would quote it, `text_cell` writes nothing."""
    pieces = func.regexp_replace(column, literal(PIECE_START_PATTERN), literal("\\1'"), "g")
    first = func.ascii(column).in_(FORMULA_CODES)
    return case(
        (column.op("~")(literal(BREAKS_PATTERN)), case((first, "'" + pieces), else_=pieces)),
        (first, "'" + column),
        (column != "", column),
    ).label(name)


def _time(column: Any) -> Any:
    """`datetime.isoformat()` of the UTC time: microseconds only when there are some (one
    to_char and a replace cost a third less than two to_char)."""
    utc = column.op("AT TIME ZONE")(literal_column("'UTC'"))
    return func.replace(func.to_char(utc, ISO, type_=Text), ".000000+", "+", type_=Text)


def _cells_sql() -> list[Any]:
    empty = literal_column("'{}'::jsonb"), literal_column("'null'::jsonb")
    attributes = case((Response.attributes.in_(empty), None), else_=Response.attributes)
    return [
        Response.id,
        Response.survey_id,
        _time(Response.submitted_at),
        _time(Response.updated_at),
        Response.score,
        *(_text(getattr(Response, name), name) for name in TEXTS),
        _text(cast(attributes, Text), "attributes"),
        _time(Response.created_at),
        _time(Response.deleted_at),
        _text(Survey.kind, "kind"),
        SURVEY_COLUMNS["scale_min"],
        Survey.scale_max,
        _text(_theme_list(), "themes"),
    ]


def _theme_list() -> Any:
    order = aggregate_order_by(literal(THEME_SEPARATOR), Theme.name.collate("C"))
    names = func.string_agg(Theme.name, order, type_=Text)
    return (
        select(names)
        .select_from(ResponseTheme)
        .join(Theme, Theme.id == ResponseTheme.theme_id)
        .where(ResponseTheme.response_id == Response.id)
        .scalar_subquery()
    )


def _crlf(chunk: bytes, quoted: bool) -> tuple[bytes, bool]:
    """COPY ends lines with LF, the csv module (RFC 4180) with CRLF: every LF outside a
    quoted value becomes CRLF. Returns the chunk and whether it ends inside quotes."""
    if not quoted and b'"' not in chunk:
        return chunk.replace(b"\n", b"\r\n"), False
    parts = chunk.split(b'"')
    for i in range(1 if quoted else 0, len(parts), 2):
        parts[i] = parts[i].replace(b"\n", b"\r\n")
    return b'"'.join(parts), quoted != (len(parts) % 2 == 0)


async def _copy(
    engine: AsyncEngine,
    project_id: uuid.UUID,
    filters: ResponseFilter,
    after: tuple[Any, uuid.UUID] | None,
    upto: tuple[datetime, uuid.UUID] | None,
) -> AsyncIterator[bytes]:
    query = _rows(_with_survey(_cells_sql()), project_id, filters, after, upto)
    yield _header()
    queue: asyncio.Queue[bytes | BaseException | None] = asyncio.Queue(maxsize=4)
    conn = await engine.connect()
    task: asyncio.Task | None = None
    finished = False
    try:
        compiled = query.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        args = [compiled.params[name] for name in compiled.positiontup or ()]
        driver = (await conn.get_raw_connection()).driver_connection

        batch: list[bytes] = []

        async def output(data: bytes) -> None:
            batch.append(bytes(data))
            if sum(map(len, batch)) >= BATCH:
                await queue.put(b"".join(batch))
                batch.clear()

        async def produce() -> None:
            # The queue is small: when the client reads slowly, COPY waits.
            try:
                async with driver.transaction(readonly=True):
                    await driver.execute("SET LOCAL jit = off")  # compiling costs more
                    await driver.copy_from_query(
                        str(compiled), *args, output=output, format="csv",
                        force_quote=QUOTED, timeout=COPY_TIMEOUT,
                    )  # fmt: skip
                if batch:
                    await queue.put(b"".join(batch))
                await queue.put(None)
            except Exception as error:
                await queue.put(error)

        task = asyncio.create_task(produce())
        quoted = False
        while (item := await queue.get()) is not None:
            if isinstance(item, BaseException):
                raise item
            chunk, quoted = _crlf(item, quoted)
            yield chunk
        finished = True
    finally:
        # When the client goes away Starlette cancels the stream; the clean-up still runs
        # to its end (shielded), and a COPY cut short leaves its connection inside a
        # transaction, so that connection is discarded rather than pooled.
        with anyio.CancelScope(shield=True):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            if not finished:
                await conn.invalidate()
            await conn.close()
