"""The embedded default at scale: SQLite (`python -m bench --sqlite`).

- **Scores**: one million answers over the bench's year, written straight into a database
  built by the migrations (the rollup triggers run for every row, as in production) and
  kept in `bench/out/sqlite-scores.db` for later runs (`--fresh` makes it again). Through a
  Sentio server on that file, `GET /v1/scores` against SQLite's own GROUP BY over
  `responses` of the same file, alternated; every cell compared first. Weekly NPS over the
  year by segment x touchpoint, by channel, by locale and by `attributes.plan` in UTC, and
  the README quickstart's query (one survey, weekly by segment x touchpoint in
  Europe/Berlin, which SQLite's GROUP BY buckets with the zone's offsets written out).
- **Ingest**: Sentio on a fresh SQLite file against `bench/baseline_sqlite.py` (Starlette
  and one aiosqlite connection, one autocommit INSERT per request, the same PRAGMAs).
"""

import asyncio
import random
import sqlite3
import statistics
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx

from bench import report
from bench.data import SEGMENTS, TOUCHPOINTS, cumulative
from bench.pgbouncer import fresh_key
from bench.servers import BIN, ROOT, Server, wrk
from faults.pgbouncer import free_port

OUT = ROOT / "bench" / "out"
ROWS = 1_000_000
CHANNELS = ["email", "email", "email", "web", "web", "in_app"]
LOCALES = ["en", "en", "de", "fr", "es"]
PLANS = ["free", "free", "pro", "enterprise"]
SCORE_WEIGHTS = [2, 1, 1, 2, 2, 4, 13, 12, 18, 20, 25]
Table = dict[tuple, dict[int, int]]


def url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def stamp(moment: datetime) -> str:
    """How the UTC columns are stored on SQLite (naive UTC text that sorts correctly)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


async def generate(path: Path, rows: int, start: datetime, end: datetime) -> dict:
    """A migrated database with one project, a key, four NPS surveys and `rows` answers."""
    from bench.runner import prepare

    await asyncio.to_thread(path.unlink, missing_ok=True)
    project_id, key, surveys = await prepare(url(path), 4)
    began = time.monotonic()
    await asyncio.to_thread(_insert, path, project_id, surveys, rows, start, end)
    return {
        "project_id": project_id,
        "key": key,
        "surveys": surveys,
        "seconds": time.monotonic() - began,
    }


def _insert(
    path: Path,
    project_id: uuid.UUID,
    surveys: list[uuid.UUID],
    rows: int,
    start: datetime,
    end: datetime,
) -> None:
    rng = random.Random(20260101)
    weights = cumulative(SCORE_WEIGHTS)
    step = (end - start).total_seconds() / rows
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    insert = (
        "INSERT INTO responses (id, project_id, survey_id, score, customer_id, segment, "
        "touchpoint, channel, locale, attributes, submitted_at, created_at, updated_at, "
        "deleted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    )
    chunk: list[tuple] = []
    for i in range(rows):
        moment = start + timedelta(seconds=i * step)
        ms = int(moment.timestamp() * 1000)
        rid = uuid.UUID(int=(ms << 80) | (0x7 << 76) | ((i % 4096) << 64) | (0b10 << 62) | i)
        when = stamp(moment)
        deleted = rng.random() < 0.01
        pick = rng.randrange(100)
        score = sum(pick >= w for w in weights)  # how many thresholds it reaches
        row = (
            rid.hex, project_id.hex, surveys[i % len(surveys)].hex,
            None if deleted else score,
            None if deleted else f"customer-{rng.randrange(200_000)}",
            None if deleted else rng.choice(SEGMENTS),
            None if deleted else rng.choice(TOUCHPOINTS),
            rng.choice(CHANNELS), None if deleted else rng.choice(LOCALES),
            None if deleted else f'{{"plan": "{rng.choice(PLANS)}"}}',
            when, when, when, when if deleted else None,
        )  # fmt: skip
        chunk.append(row)
        if len(chunk) == 50_000 or i == rows - 1:
            db.execute("BEGIN IMMEDIATE")
            db.executemany(insert, chunk)
            db.execute("COMMIT")
            chunk.clear()
    db.execute("ANALYZE")
    db.close()


def _local(column: str, tz: str, start: datetime, end: datetime) -> str:
    """`column` (naive UTC text) moved to local time in `tz`: SQLite knows no zones, so the
    zone's offsets over the range are written out, as a hand-written query would (changes
    found hour by hour: the zones measured change their offset on whole UTC hours)."""
    zone = ZoneInfo(tz)

    def minutes(moment: datetime) -> int:
        offset = moment.astimezone(zone).utcoffset()
        return int(offset.total_seconds() // 60) if offset else 0

    cases, current, moment = [], minutes(start), start
    while moment < end:
        following = moment + timedelta(hours=1)
        if minutes(following) != current:
            cases.append(f"WHEN {column} < '{stamp(following)}' THEN '{current:+d} minutes'")
            current = minutes(following)
        moment = following
    return f"datetime({column}, CASE {' '.join(cases)} ELSE '{current:+d} minutes' END)"


def raw_query(groups: list[str], tz: str, start: datetime, end: datetime, surveys: int) -> str:
    local = "submitted_at" if tz == "UTC" else _local("submitted_at", tz, start, end)
    week = f"date({local}, 'weekday 0', '-6 days')"  # the Monday of the local week
    columns = [
        f"json_extract(attributes, '$.{g.split('.', 1)[1]}')" if g.startswith("attributes.") else g
        for g in groups
    ]
    marks = ", ".join("?" * surveys)
    return (
        f"SELECT {', '.join(columns)}, {week} AS bucket, score, count(*) FROM responses "
        f"WHERE project_id = ? AND survey_id IN ({marks}) AND deleted_at IS NULL "
        f"AND submitted_at >= ? AND submitted_at < ? "
        f"GROUP BY {', '.join(str(n + 1) for n in range(len(groups) + 2))}"
    )


def raw(path: Path, query: str, project_id, surveys, start, end) -> tuple[float, Table]:
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        params = [project_id.hex, *(s.hex for s in surveys), stamp(start), stamp(end)]
        began = time.perf_counter()
        rows = db.execute(query, params).fetchall()
        elapsed = time.perf_counter() - began
    finally:
        db.close()
    table: Table = defaultdict(dict)
    for *group, bucket, score, count in rows:
        table[(*group, bucket)][score] = count
    return elapsed, dict(table)


async def api(client, key, groups, tz, surveys, start, end) -> tuple[float, Table]:
    params = {
        "survey_id": [str(s) for s in surveys],
        "group_by": ",".join(groups),
        "interval": "week",
        "tz": tz,
        "from": start.isoformat(),
        "to": end.isoformat(),
    }
    began = time.perf_counter()
    r = await client.get(
        "/v1/scores", params=params, headers={"Authorization": f"Bearer {key}"}, timeout=300
    )
    elapsed = time.perf_counter() - began
    r.raise_for_status()
    table: Table = {}
    for row in r.json()["rows"]:
        if row["n"]:
            cell = (*(row["group"][g] for g in groups), row["bucket"])
            table[cell] = {int(k): v for k, v in row["distribution"].items() if v}
    return elapsed, table


def differences(api_table: Table, raw_table: Table) -> list[str]:
    return [
        f"{cell}: API {api_table.get(cell)} vs SQL {raw_table.get(cell)}"
        for cell in sorted(set(api_table) | set(raw_table), key=str)
        if api_table.get(cell) != raw_table.get(cell)
    ]


async def scores(options, results, start: datetime, end: datetime) -> None:
    OUT.mkdir(exist_ok=True)
    path = OUT / "sqlite-scores.db"
    meta_path = OUT / "sqlite-scores.meta"
    meta = None
    if not options.fresh and path.exists() and meta_path.exists():
        saved = meta_path.read_text().split()
        if saved and int(saved[0]) == options.sqlite_rows:
            meta = {
                "project_id": uuid.UUID(saved[1]),
                "key": saved[2],
                "surveys": [uuid.UUID(s) for s in saved[3:]],
            }
    if meta is None:
        print(f"Generating {options.sqlite_rows:,} answers on SQLite (once; kept)…")
        meta = await generate(path, options.sqlite_rows, start, end)
        results.notes.append(
            f"SQLite: generated {options.sqlite_rows:,} answers with the rollup triggers in "
            f"{meta['seconds']:.0f} s."
        )
        meta_path.write_text(
            " ".join(
                [str(options.sqlite_rows), str(meta["project_id"]), meta["key"]]
                + [str(s) for s in meta["surveys"]]
            )
        )
    project_id, key, surveys = meta["project_id"], meta["key"], meta["surveys"]
    cases = [
        ("weekly NPS by segment x touchpoint, one year, UTC", ["segment", "touchpoint"], "UTC",
         surveys),
        ("weekly NPS by channel, one year, UTC", ["channel"], "UTC", surveys),
        ("weekly NPS by locale, one year, UTC", ["locale"], "UTC", surveys),
        ("weekly NPS by attributes.plan, one year, UTC", ["attributes.plan"], "UTC", surveys),
        ("README quickstart: one survey, weekly by segment x touchpoint, Europe/Berlin",
         ["segment", "touchpoint"], "Europe/Berlin", surveys[:1]),
    ]  # fmt: skip
    sentio = _sentio(path, free_port())
    try:
        await sentio.start("/healthz")
        async with httpx.AsyncClient(base_url=sentio.url) as client:
            for label, groups, tz, chosen in cases:
                try:
                    await _case(client, key, path, project_id, label, groups, tz, chosen,
                                start, end, options, results)  # fmt: skip
                except httpx.HTTPError as error:
                    results.failures.append(f"SQLite {label}: {error}")
    finally:
        sentio.stop()


async def _case(client, key, path, project_id, label, groups, tz, chosen, start, end,
                options, results) -> None:  # fmt: skip
    """One score query: compared cell by cell once, then timed against the GROUP BY."""
    query = raw_query(groups, tz, start, end, len(chosen))
    # One untimed pass each: caches warm, and the answers compared.
    _t, api_table = await api(client, key, groups, tz, chosen, start, end)
    _t, raw_table = await asyncio.to_thread(raw, path, query, project_id, chosen, start, end)
    wrong = differences(api_table, raw_table)
    if wrong or not raw_table:
        results.failures.append(
            f"SQLite {label}: API and SQL differ in {len(wrong)} cells: {wrong[:3]}"
        )
    api_times, raw_times = [], []
    for _ in range(max(3, options.rounds)):
        api_times.append((await api(client, key, groups, tz, chosen, start, end))[0])
        raw_times.append(
            (await asyncio.to_thread(raw, path, query, project_id, chosen, start, end))[0]
        )
    ratio = [a / r for a, r in zip(api_times, raw_times, strict=True)]
    results.rows.append(
        report.Row(
            f"SQLite scores p50 time, API / raw GROUP BY: {label}",
            "≤ 1/10 (0.1x)",
            _spread(ratio),
            f"API {1000 * statistics.median(api_times):.0f} ms, SQL "
            f"{1000 * statistics.median(raw_times):.0f} ms; "
            f"{len(raw_table)} non-empty cells, identical: {not wrong}",
            ok=statistics.median(ratio) <= 0.1 and not wrong,
        )
    )


async def ingest(options, results) -> None:
    OUT.mkdir(exist_ok=True)
    path = OUT / "sqlite-ingest.db"
    for suffix in ("", "-wal", "-shm"):
        await asyncio.to_thread(Path(f"{path}{suffix}").unlink, missing_ok=True)
    from bench.runner import prepare

    project_id, _key, [survey] = await prepare(url(path), 1)
    db = sqlite3.connect(path)
    table = db.execute("SELECT sql FROM sqlite_master WHERE name = 'responses'").fetchone()[0]
    db.execute(table.replace("responses", "baseline_responses", 1))
    for (index,) in db.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'responses' "
        "AND sql IS NOT NULL"
    ).fetchall():
        copy = index.replace(" ix_", " baseline_ix_", 1)
        db.execute(copy.replace(" ON responses", " ON baseline_responses"))
    db.commit()
    db.close()
    sentio = _sentio(path, free_port())
    port = free_port()
    baseline = Server(
        "baseline-sqlite",
        [
            *(str(BIN / "uvicorn"), "bench.baseline_sqlite:app", "--host", "127.0.0.1"),
            *("--port", str(port), "--no-access-log", "--log-level", "warning"),
        ],
        {"BENCH_SQLITE": str(path), "BENCH_PROJECT_ID": str(project_id)},
        port,
    )
    route = f"/v1/surveys/{survey}/responses"
    load = dict(seconds=options.seconds, connections=options.connections)
    try:
        await sentio.start("/healthz")
        await baseline.start("/")
        base, mine = [], []
        for _ in range(options.rounds):
            key = await fresh_key(url(path), project_id)
            await wrk(sentio, route, key, seconds=1, connections=options.connections)
            base.append(await wrk(baseline, route, None, **load))
            mine.append(await wrk(sentio, route, key, **load))
        ratios = [s.rps / b.rps for s, b in zip(mine, base, strict=True)]
        failed = sum(s.failures for s in mine) + sum(b.failures for b in base)
        results.rows.append(
            report.Row(
                "SQLite ingest throughput, Sentio / bare aiosqlite INSERT",
                "≥ 0.8x",
                _spread(ratios),
                f"Sentio {statistics.median(s.rps for s in mine):,.0f} req/s, baseline "
                f"{statistics.median(b.rps for b in base):,.0f} req/s; {failed} failed",
                ok=statistics.median(ratios) >= 0.8 and not failed,
            )
        )
    finally:
        sentio.stop()
        baseline.stop()


def _sentio(path: Path, port: int) -> Server:
    from bench.runner import sentio_server

    server = sentio_server(url(path), port)
    # The raw GROUP BY it is compared with runs without a limit; a slow answer is measured
    # rather than cut off at the default limit.
    server.env["SENTIO_STATEMENT_TIMEOUT_SECONDS"] = "600"
    return server


def _spread(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


async def sqlite(options, results) -> None:
    from bench.runner import YEAR_END, YEAR_START

    await scores(options, results, YEAR_START, YEAR_END)
    await ingest(options, results)
