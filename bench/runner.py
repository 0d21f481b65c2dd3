"""The benchmark run: preflight, databases, ingest, scores; then one table of ratios."""

import os
import shutil
import statistics
import subprocess
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx

from bench import data, export, oneclick, report, scores, sqlite
from bench.servers import BIN, ROOT, Load, Server, profile, summarize_profile, wrk

YEAR_END = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_START = YEAR_END - timedelta(days=364)  # 52 whole weeks, Monday to Monday
SENTIO_PORT, BASELINE_PORT = 18080, 18081


@dataclass
class Options:
    pg: str
    rows: int
    rounds: int
    seconds: float
    connections: int
    fresh: bool = False
    profile: bool = False
    smoke_run: bool = False
    suffix: str = ""
    sqlite: bool = False  # also the SQLite section (bench/sqlite.py)
    sqlite_only: bool = False  # only it: printed, BENCHMARKS.md left as it is
    sqlite_rows: int = 1_000_000

    def smoke(self) -> "Options":
        return replace(
            self,
            rows=20_000,
            rounds=1,
            seconds=1,
            connections=4,
            fresh=True,
            smoke_run=True,
            suffix="_smoke",
            sqlite_rows=20_000,
        )


@dataclass
class Results:
    rows: list[report.Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    profile: list[tuple[str, float]] = field(default_factory=list)


def preflight() -> None:
    if shutil.which("wrk") is None:
        if os.geteuid() == 0 and shutil.which("apt-get"):
            print("Installing wrk (apt-get install -y wrk)…")
            subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
        else:
            raise SystemExit("wrk is missing: install it (Debian/Ubuntu: apt-get install wrk).")


async def recreate(pg: str, name: str) -> str:
    conn = await asyncpg.connect(f"{pg}/postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    return f"{pg}/{name}"


async def exists(pg: str, name: str) -> bool:
    conn = await asyncpg.connect(f"{pg}/postgres")
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


def sqlalchemy_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+asyncpg://", 1)


async def prepare(dsn: str, surveys: int) -> tuple[uuid.UUID, str, list[uuid.UUID]]:
    """Migrate, then one project, an admin key and NPS surveys, made by Sentio's own code."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from app.auth.service import create_key
    from app.config import get_settings
    from app.db import build_engine
    from app.migrate import upgrade
    from app.models import Project, Survey

    settings = get_settings().model_copy(update={"database_url": sqlalchemy_url(dsn)})
    engine = build_engine(settings)
    try:
        await upgrade(engine)
        async with async_sessionmaker(engine)() as session, session.begin():
            project = Project(name="benchmark")
            session.add(project)
            await session.flush()
            _key, secret = await create_key(session, ["admin"], project_id=project.id)
            made = [
                Survey(
                    project_id=project.id,
                    name=f"Product {i} NPS",
                    kind="nps",
                    scale_max=10,
                    question="How likely are you to recommend us to a friend or colleague?",
                    texts={},
                )
                for i in range(surveys)
            ]
            session.add_all(made)
            await session.flush()
            return project.id, secret, [s.id for s in made]
    finally:
        await engine.dispose()


def sentio_server(dsn: str, port: int = SENTIO_PORT) -> Server:
    return Server(
        "sentio",
        [str(BIN / "sentio"), "serve", "--host", "127.0.0.1", "--port", str(port)],
        {
            "SENTIO_DATABASE_URL": sqlalchemy_url(dsn),
            "SENTIO_LOG_LEVEL": "warning",
            # Rate limits stay on (their counters cost what they cost) but never refuse.
            "SENTIO_RATE_LIMIT_API": "1000000000/minute",
        },
        port,
    )


def spread(values: list[float]) -> tuple[float, float, float]:
    return statistics.median(values), min(values), max(values)


async def run(options: Options) -> int:
    preflight()
    results = Results()
    started = time.monotonic()
    machine = report.machine(options.pg)
    if not options.sqlite_only:
        await ingest(options, results)
        await score_queries(options, results)
        await export.export(options, results)
        await oneclick.oneclick(options, results)
    if options.sqlite or options.sqlite_only:
        await sqlite.sqlite(options, results)
    elapsed = time.monotonic() - started
    text = report.render(options, machine, results, elapsed)
    print(text)
    if not options.smoke_run and not options.sqlite_only:
        report.write_benchmarks(ROOT / "BENCHMARKS.md", text)
    for failure in results.failures:
        print(f"FAILED: {failure}")
    return 1 if results.failures else 0


async def ingest(options: Options, results: Results) -> None:
    dsn = await recreate(options.pg, f"sentio_bench_ingest{options.suffix}")
    project_id, key, survey_ids = await prepare(dsn, 1)
    conn = await asyncpg.connect(dsn)
    await conn.execute(
        "CREATE TABLE baseline_responses (LIKE responses INCLUDING DEFAULTS INCLUDING INDEXES)"
    )
    path = f"/v1/surveys/{survey_ids[0]}/responses"
    sentio = sentio_server(dsn)
    baseline = Server(
        "baseline",
        [
            *(str(BIN / "uvicorn"), "bench.baseline:app", "--host", "127.0.0.1"),
            *("--port", str(BASELINE_PORT), "--no-access-log", "--log-level", "warning"),
        ],
        {"BENCH_DSN": dsn, "BENCH_PROJECT_ID": str(project_id)},
        BASELINE_PORT,
    )
    run_load = dict(seconds=options.seconds, connections=options.connections)
    try:
        await sentio.start("/healthz")
        await baseline.start("/")
        # Warm both up (connections, caches, JIT-free but lazy imports).
        await wrk(baseline, path, None, seconds=2, connections=options.connections)
        await wrk(sentio, path, key, seconds=2, connections=options.connections)

        base_max: list[Load] = []
        sentio_max: list[Load] = []
        for _ in range(options.rounds):
            base_max.append(await wrk(baseline, path, None, **run_load))
            sentio_max.append(await wrk(sentio, path, key, **run_load))
        ratios = [s.rps / b.rps for s, b in zip(sentio_max, base_max, strict=True)]
        results.rows.append(
            report.Row(
                "Ingest throughput, Sentio / bare baseline",
                "≥ 0.8x",
                spread(ratios),
                f"Sentio {statistics.median(s.rps for s in sentio_max):,.0f} req/s, baseline "
                f"{statistics.median(b.rps for b in base_max):,.0f} req/s",
                ok=statistics.median(ratios) >= 0.8,
            )
        )

        rate = 0.7 * statistics.median(b.rps for b in base_max)
        base_fixed: list[Load] = []
        sentio_fixed: list[Load] = []
        for _ in range(options.rounds):
            base_fixed.append(await wrk(baseline, path, None, rate=rate, **run_load))
            sentio_fixed.append(await wrk(sentio, path, key, rate=rate, **run_load))
        p99 = [s.p99_ms / b.p99_ms for s, b in zip(sentio_fixed, base_fixed, strict=True)]
        results.rows.append(
            report.Row(
                f"Ingest p99 latency at {rate:,.0f} req/s (70% of baseline max), Sentio / baseline",
                "≤ 2x",
                spread(p99),
                f"p99 Sentio {statistics.median(s.p99_ms for s in sentio_fixed):.1f} ms, "
                f"baseline {statistics.median(b.p99_ms for b in base_fixed):.1f} ms; achieved "
                f"{statistics.median(s.rps for s in sentio_fixed):,.0f} and "
                f"{statistics.median(b.rps for b in base_fixed):,.0f} req/s",
                ok=statistics.median(p99) <= 2,
            )
        )

        # One statement, one snapshot: answers still in flight when wrk stopped commit with
        # their rollups, and must not land between two separate counts.
        live, counted = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM responses WHERE deleted_at IS NULL), "
            "(SELECT sum(" + " + ".join(f"n{i}" for i in range(11)) + ") FROM score_rollups "
            "WHERE grain = 1)"
        )
        if live != counted:
            results.failures.append(f"rollups count {counted} answers, responses hold {live}")
        # Then the cost of rollups: these runs leave the rollups behind (trigger disabled).
        with_rollups: list[Load] = []
        without: list[Load] = []
        for _ in range(options.rounds):
            await conn.execute("ALTER TABLE responses DISABLE TRIGGER score_rollups_insert")
            without.append(await wrk(sentio, path, key, **run_load))
            await conn.execute("ALTER TABLE responses ENABLE TRIGGER score_rollups_insert")
            with_rollups.append(await wrk(sentio, path, key, **run_load))
        cost = [w.rps / o.rps for w, o in zip(with_rollups, without, strict=True)]
        results.rows.append(
            report.Row(
                "Ingest throughput with rollups / without (cost of rollups)",
                "≥ 0.9x",
                spread(cost),
                f"{statistics.median(w.rps for w in with_rollups):,.0f} vs "
                f"{statistics.median(o.rps for o in without):,.0f} req/s",
                ok=statistics.median(cost) >= 0.9,
            )
        )

        loads = sentio_max + sentio_fixed + with_rollups + without
        peak = max(load.peak_rss_mb for load in loads)
        results.rows.append(
            report.Row(
                "Sentio worker resident memory under ingest load (peak)",
                "< 150 MB",
                (peak, min(lo.peak_rss_mb for lo in loads), peak),
                "one worker process, sampled every 0.25 s",
                ok=peak < 150,
                unit="MB",
            )
        )
        failures = sum(load.failures for load in loads + base_max + base_fixed)
        if failures:
            results.failures.append(f"{failures} ingest requests failed (non-2xx or errors)")
        if options.profile and sentio.process is not None:
            out = ROOT / "bench" / "out" / "ingest-profile.txt"
            spy = profile(sentio.process.pid, options.seconds, out)
            if spy is not None:
                await wrk(sentio, path, key, **run_load)
                spy.wait(timeout=options.seconds + 30)
                results.profile = summarize_profile(out)
    finally:
        sentio.stop()
        baseline.stop()
        await conn.close()


async def score_queries(options: Options, results: Results) -> None:
    name = f"sentio_bench_scores{options.suffix}"
    dsn = f"{options.pg}/{name}"
    meta = None
    if not options.fresh and await exists(options.pg, name):
        conn = await asyncpg.connect(dsn)
        try:
            meta = await conn.fetchrow("SELECT * FROM bench_meta WHERE rows = $1", options.rows)
        except asyncpg.UndefinedTableError:
            meta = None
        finally:
            await conn.close()
    if meta is None:
        print(f"Generating {options.rows:,} answers (once; kept for later runs)…")
        dsn = await recreate(options.pg, name)
        project_id, key, survey_ids = await prepare(dsn, 4)
        conn = await asyncpg.connect(dsn)
        try:
            began = time.monotonic()
            await data.generate(conn, project_id, survey_ids, options.rows, YEAR_START, YEAR_END)
            await conn.execute("VACUUM ANALYZE responses")
            await conn.execute("VACUUM ANALYZE score_rollups")
            results.notes.append(
                f"Generated {options.rows:,} answers in {time.monotonic() - began:.0f} s."
            )
            await conn.execute(
                "CREATE TABLE bench_meta (rows bigint, project_id uuid, key text, surveys uuid[])"
            )
            await conn.execute(
                "INSERT INTO bench_meta VALUES ($1, $2, $3, $4)",
                options.rows,
                project_id,
                key,
                survey_ids,
            )
        finally:
            await conn.close()
    else:
        project_id, key, survey_ids = meta["project_id"], meta["key"], list(meta["surveys"])

    sentio = sentio_server(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await sentio.start("/healthz")
        async with httpx.AsyncClient(base_url=sentio.url) as client:
            month_start = YEAR_END - timedelta(days=30)
            cases = [
                ("weekly NPS by segment x touchpoint, one year, UTC", YEAR_START, "UTC"),
                ("weekly NPS by segment x touchpoint, one year, Europe/Berlin", YEAR_START,
                 "Europe/Berlin"),
                ("weekly NPS by segment x touchpoint, last 30 days, UTC", month_start, "UTC"),
            ]  # fmt: skip
            timings: dict[str, list[float]] = {}
            for label, start, tz in cases:
                api_times, raw_times = [], []
                # One untimed pass each: caches warm, and the answers compared.
                _t, api_table = await scores.api(client, key, survey_ids, start, YEAR_END,
                                                 "week", tz)  # fmt: skip
                _t, raw_table = await scores.raw(conn, project_id, survey_ids, start, YEAR_END,
                                                 "week", tz)  # fmt: skip
                wrong = scores.differences(api_table, raw_table)
                if wrong or not raw_table:
                    results.failures.append(
                        f"{label}: API and SQL differ in {len(wrong)} cells: {wrong[:3]}"
                    )
                for _ in range(max(3, options.rounds)):
                    t, _table = await scores.api(client, key, survey_ids, start, YEAR_END,
                                                 "week", tz)  # fmt: skip
                    api_times.append(t)
                    t, _table = await scores.raw(conn, project_id, survey_ids, start, YEAR_END,
                                                 "week", tz)  # fmt: skip
                    raw_times.append(t)
                timings[label] = api_times
                ratio = [a / r for a, r in zip(api_times, raw_times, strict=True)]
                results.rows.append(
                    report.Row(
                        f"Scores p50 time, API / raw GROUP BY: {label}",
                        "≤ 1/40 (0.025x)",
                        spread(ratio),
                        f"API {1000 * statistics.median(api_times):.0f} ms, SQL "
                        f"{1000 * statistics.median(raw_times):.0f} ms; "
                        f"{len(raw_table)} non-empty cells, identical: {not wrong}",
                        ok=statistics.median(ratio) <= 1 / 40 and not wrong,
                    )
                )
            year, month = timings[cases[0][0]], timings[cases[2][0]]
            results.rows.append(
                report.Row(
                    "Scores time, last 30 days / one year (UTC)",
                    "≈ 30/364 (0.08x)",
                    spread([m / y for m, y in zip(month, year, strict=True)]),
                    "proportionally faster for recent windows",
                    ok=statistics.median(month) / statistics.median(year) <= 0.25,
                )
            )
    finally:
        sentio.stop()
        await conn.close()
