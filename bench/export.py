"""Export: a million answers downloaded as CSV through HTTP (`GET /v1/exports/responses`,
following `Sentio-Next-Cursor`), every row counted against the database; rows per second
and the server's peak resident memory.

The data (`bench/data.py`'s generator) stays in `sentio_bench_export` for later runs. The
first download is untimed: it warms caches, parses every row, checks that no id repeats and
compares a sample of rows with the database, column by column. The timed downloads count
records only (cheaply, without parsing), and every count must equal the database's.
"""

import asyncio
import csv
import io
import statistics
import time
import uuid
from datetime import datetime

import asyncpg
import httpx

from app.csvutil import number_cell, text_cell

# runner imports this module too: its names are looked up at call time.
from bench import data, report, runner
from bench.servers import Server

EXPORT_PORT = 18082
ROWS, SMOKE_ROWS = 1_000_000, 3_000
PAGE = 100_000  # the largest `limit` the endpoint takes
TARGET_ROWS_PER_S, TARGET_MB = 100_000, 200
COLUMNS = (
    "id, survey_id, submitted_at, updated_at, score, customer_id, segment, touchpoint, "
    "channel, locale"
)


async def export(options, results) -> None:
    rows = SMOKE_ROWS if options.smoke_run else ROWS
    dsn, project_id, key = await dataset(options, rows, results)
    conn = await asyncpg.connect(dsn)
    sentio = runner.sentio_server(dsn, EXPORT_PORT)
    sentio.name = "sentio-export"  # its own log in bench/out
    try:
        expected = await conn.fetchval(
            "SELECT count(*) FROM responses WHERE project_id = $1 AND deleted_at IS NULL",
            project_id,
        )
        await sentio.start("/healthz")
        async with httpx.AsyncClient(base_url=sentio.url, timeout=120) as client:
            auth = {"Authorization": f"Bearer {key}"}
            wrong = await verify(client, auth, conn, expected)
            results.failures += [f"export: {w}" for w in wrong]
            if options.smoke_run:
                results.notes.append(f"Export: {expected:,} rows downloaded and checked.")
                return
            speeds, peaks = [], []
            for _ in range(options.rounds):
                counted, seconds, peak = await timed_download(client, auth, sentio)
                if counted != expected:
                    results.failures.append(f"export: {counted:,} rows, database {expected:,}")
                speeds.append(counted / seconds)
                peaks.append(peak)
        results.rows.append(
            report.Row(
                f"Export of {expected:,} responses as CSV through HTTP (rows/s)",
                f"≥ {TARGET_ROWS_PER_S:,} rows/s",
                runner.spread(speeds),
                f"pages of {PAGE:,} rows following Sentio-Next-Cursor; row count equals the "
                "database's",
                ok=statistics.median(speeds) >= TARGET_ROWS_PER_S,
                unit="rows/s",
            )
        )
        results.rows.append(
            report.Row(
                "Sentio worker resident memory during the export (peak)",
                f"< {TARGET_MB} MB",
                (max(peaks), min(peaks), max(peaks)),
                "one worker process, sampled every 0.1 s",
                ok=max(peaks) < TARGET_MB,
                unit="MB",
            )
        )
    finally:
        sentio.stop()
        await conn.close()


async def dataset(options, rows: int, results) -> tuple[str, uuid.UUID, str]:
    """The export database, generated once and kept (in smoke runs made afresh)."""
    name = f"sentio_bench_export{options.suffix}"
    dsn = f"{options.pg}/{name}"
    if not options.fresh and await runner.exists(options.pg, name):
        conn = await asyncpg.connect(dsn)
        try:
            meta = await conn.fetchrow("SELECT * FROM bench_meta WHERE rows = $1", rows)
        except asyncpg.UndefinedTableError:
            meta = None
        finally:
            await conn.close()
        if meta is not None:
            return dsn, meta["project_id"], meta["key"]
    print(f"Generating {rows:,} answers for the export (once; kept for later runs)…")
    dsn = await runner.recreate(options.pg, name)
    project_id, key, survey_ids = await runner.prepare(dsn, 4)
    conn = await asyncpg.connect(dsn)
    try:
        began = time.monotonic()
        await data.generate(conn, project_id, survey_ids, rows, runner.YEAR_START, runner.YEAR_END)
        await conn.execute("VACUUM ANALYZE responses")
        results.notes.append(
            f"Generated {rows:,} answers for the export in {time.monotonic() - began:.0f} s."
        )
        await conn.execute("CREATE TABLE bench_meta (rows bigint, project_id uuid, key text)")
        await conn.execute("INSERT INTO bench_meta VALUES ($1, $2, $3)", rows, project_id, key)
    finally:
        await conn.close()
    return dsn, project_id, key


async def pages(client: httpx.AsyncClient, auth: dict[str, str], page: int = PAGE):
    """Each page's response, open for streaming, until there is no next cursor."""
    params: dict[str, str | int] = {"limit": page}
    while True:
        async with client.stream("GET", "/v1/exports/responses", params=params,
                                 headers=auth) as r:  # fmt: skip
            if r.status_code != 200:
                await r.aread()
                raise RuntimeError(f"export answered {r.status_code}: {r.text[:300]}")
            yield r
            cursor = r.headers.get("sentio-next-cursor")
        if not cursor:
            return
        params = {"limit": page, "cursor": cursor}


def records(chunk: bytes, quoted: bool) -> tuple[int, bool]:
    """CSV records ended in `chunk` (line ends outside quotes), and whether it ends inside
    a quoted value."""
    if not quoted and b'"' not in chunk:
        return chunk.count(b"\n"), False
    count = 0
    for part in chunk.split(b'"'):
        if not quoted:
            count += part.count(b"\n")
        quoted = not quoted
    return count, not quoted


async def timed_download(
    client: httpx.AsyncClient, auth: dict[str, str], server: Server | None, page: int = PAGE
) -> tuple[int, float, float]:
    """Rows downloaded (headers excluded), seconds, and the server's peak memory."""
    rss = server.rss_mb if server is not None else lambda: 0.0
    peak = rss()
    done = asyncio.Event()

    async def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, rss())
            await asyncio.sleep(0.1)

    sampler = asyncio.create_task(sample())
    count, started = 0, time.perf_counter()
    try:
        async for r in pages(client, auth, page):
            quoted = False
            lines = 0
            async for chunk in r.aiter_raw(1 << 20):
                n, quoted = records(chunk, quoted)
                lines += n
            count += lines - 1  # the header
        seconds = time.perf_counter() - started
    finally:
        done.set()
        await sampler
    return count, seconds, max(peak, rss())


async def verify(
    client: httpx.AsyncClient,
    auth: dict[str, str],
    conn: asyncpg.Connection,
    expected: int,
    page: int = PAGE,
) -> list[str]:
    """Untimed: every row parsed, ids unique, the count and a sample of rows equal the
    database's."""
    wrong: list[str] = []
    seen: set[str] = set()
    sample: list[list[str]] = []
    header = None
    async for r in pages(client, auth, page):
        parsed = list(csv.reader(io.StringIO((await r.aread()).decode(), newline="")))
        header, rows = parsed[0], parsed[1:]
        seen.update(row[0] for row in rows)
        if len(rows) < len(parsed) - 1 or any(len(row) != len(header) for row in rows):
            wrong.append("a row has the wrong number of cells")
        sample += rows[:: max(1, len(rows) // 50)] + rows[-1:]
    if len(seen) != expected:
        wrong.append(f"{len(seen):,} distinct rows exported, database has {expected:,}")
    if header is None or not sample:
        return [*wrong, "the export is empty"]
    by_id = {
        str(row["id"]): row
        for row in await conn.fetch(
            f"SELECT {COLUMNS} FROM responses WHERE id = ANY($1::uuid[])", [r[0] for r in sample]
        )
    }
    for row in sample:
        got = dict(zip(header, row, strict=True))
        db = by_id.get(got["id"])
        if db is None or expected_cells(db) != {k: got[k] for k in expected_cells(db)}:
            wrong.append(f"row {got['id']} differs from the database: {got}")
    return wrong[:5]


def expected_cells(db: asyncpg.Record) -> dict[str, str]:
    texts = ("customer_id", "segment", "touchpoint", "channel", "locale")
    cells = {k: text_cell(db[k]) for k in texts}
    cells |= {"id": str(db["id"]), "survey_id": str(db["survey_id"])}
    cells["score"] = number_cell(db["score"])
    for k in ("submitted_at", "updated_at"):
        value: datetime = db[k]
        cells[k] = value.isoformat()
    return cells
