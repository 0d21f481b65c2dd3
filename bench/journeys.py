"""`python -m bench.journeys`: the customer reports (churn, drivers, the stage view) over
ten million answers and a million outcomes on PostgreSQL, each over a year.

The data is generated inside PostgreSQL (INSERT … SELECT generate_series, in chunks, in
time order, the rollup triggers running as in production) into a database of its own
(`sentio_journeys_bench`, kept for later runs; `--fresh` makes it again): 500,000
customers answer a relationship NPS survey about four times a year and transactional
surveys (CSAT 1-5 twice, CES 1-7) at eight touchpoints about sixteen times; a tenth of the
outcomes are churns, the rest purchases. Each report is then called through its service
function (the code the API runs), several times; the median, min and max are printed and,
with --write, put into BENCHMARKS.md.
"""

import argparse
import asyncio
import os
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from app.journeys import service
from app.migrate import upgrade

START = datetime(2025, 1, 1, tzinfo=UTC)
END = datetime(2026, 1, 1, tzinfo=UTC)
PROJECT = uuid.UUID("00000000-0000-7000-8000-00000000b001")
RELATIONSHIP = uuid.UUID("00000000-0000-7000-8000-00000000b101")
TRANSACTIONAL = [
    (uuid.UUID("00000000-0000-7000-8000-00000000b102"), "csat", 5),
    (uuid.UUID("00000000-0000-7000-8000-00000000b103"), "csat", 5),
    (uuid.UUID("00000000-0000-7000-8000-00000000b104"), "ces", 7),
]
TOUCHPOINTS = [
    "awareness", "onboarding", "checkout", "delivery", "billing", "support", "returns",
    "renewal",
]  # fmt: skip
SEGMENTS = ["smb", "mid_market", "enterprise", "public_sector"]
CHUNK = 500_000
MARK = "<!-- bench.journeys -->"
LOADS: dict[str, float] = {}
CPU: dict[str, list[float]] = {}
"""CPU seconds the PostgreSQL backend spent on each run (from /proc): what the query costs
whatever else the shared machine is doing at the time."""
"""The machine's one-minute load average as each report began: the cores are shared."""

ANSWERS = """
INSERT INTO responses (id, project_id, survey_id, score, customer_id, segment, touchpoint,
                       channel, locale, submitted_at, created_at, updated_at)
SELECT
    (lpad(to_hex((extract(epoch FROM t) * 1000)::bigint), 12, '0') || '7'
        || lpad(to_hex(i % 4096), 3, '0') || '8' || lpad(to_hex(i), 15, '0'))::uuid,
    $1,
    CASE WHEN rel THEN $2 ELSE ($3::uuid[])[1 + k] END,
    CASE WHEN rel THEN least(10, (h / 11 % 12))::int
         WHEN k = 2 THEN 1 + (h / 13 % 7)::int
         ELSE 1 + (h / 13 % 5)::int END,
    'customer-' || (g % $4),
    ($5::text[])[1 + (g / 7 % cardinality($5::text[]))],
    CASE WHEN rel THEN NULL ELSE ($6::text[])[1 + (h / 1000 % cardinality($6::text[]))] END,
    'email', 'en', t, t, t
FROM (
    SELECT i, t, h, g, (h % 5) = 0 AS rel, (h / 5 % 3)::int AS k
    FROM (
        SELECT i, $7::timestamptz + (i * $8::double precision) * interval '1 second' AS t,
               abs(hashint8(i)::bigint) AS h, abs(hashint8(-1 - i)::bigint) AS g
        FROM generate_series($9::bigint, $10::bigint - 1) AS i
    ) AS numbered
) AS rows
"""

OUTCOMES = """
INSERT INTO outcomes (id, project_id, customer_id, type, occurred_at, value_cents, created_at)
SELECT gen_random_uuid(), $1, 'customer-' || (g % $2),
       CASE WHEN i % 10 = 0 THEN 'churned' ELSE 'purchase' END,
       t, CASE WHEN i % 10 = 0 THEN NULL ELSE 100 + g % 100000 END, t
FROM (
    SELECT i, $3::timestamptz + (i * $4::double precision) * interval '1 second' AS t,
           abs(hashint8(1000000000 + i)::bigint) AS g
    FROM generate_series($5::bigint, $6::bigint - 1) AS i
) AS numbered
"""


async def _ensure_database(server: str, name: str, fresh: bool) -> bool:
    """Whether the database has to be filled."""
    conn = await asyncpg.connect(f"{server}/postgres")
    try:
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if exists and fresh:
            await conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = False
        if not exists:
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    if not exists:
        return True
    conn = await asyncpg.connect(f"{server}/{name}")
    try:
        ready = await conn.fetchval("SELECT to_regclass('outcomes') IS NOT NULL")
        return not ready or not await conn.fetchval("SELECT count(*) FROM outcomes")
    finally:
        await conn.close()


async def generate(server: str, name: str, answers: int, outcomes: int, customers: int) -> None:
    engine = create_async_engine(
        f"{server.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    )
    await upgrade(engine)
    await engine.dispose()
    conn = await asyncpg.connect(f"{server}/{name}")
    try:
        now = datetime.now(UTC)
        await conn.execute(
            "INSERT INTO projects (id, name, created_at) VALUES ($1, 'journeys bench', $2)",
            PROJECT,
            now,
        )
        surveys = [(RELATIONSHIP, "nps", 10), *TRANSACTIONAL]
        for survey_id, kind, scale in surveys:
            await conn.execute(
                "INSERT INTO surveys (id, project_id, name, kind, scale_max, question, texts,"
                " status, created_at, updated_at)"
                " VALUES ($1, $2, $3, $4, $5, 'q', '{}', 'active', $6, $6)",
                survey_id,
                PROJECT,
                f"{kind} {survey_id.hex[-3:]}",
                kind,
                scale,
                now,
            )
        for position, touchpoint in enumerate(TOUCHPOINTS):
            await conn.execute(
                "INSERT INTO journey_stages (project_id, position, touchpoint) VALUES ($1, $2, $3)",
                PROJECT,
                position,
                touchpoint,
            )
        step = (END - START).total_seconds() / answers
        began = time.perf_counter()
        for first in range(0, answers, CHUNK):
            last = min(answers, first + CHUNK)
            await conn.execute(
                ANSWERS,
                PROJECT,
                RELATIONSHIP,
                [t[0] for t in TRANSACTIONAL],
                customers,
                SEGMENTS,
                TOUCHPOINTS,
                START,
                step,
                first,
                last,
            )
            print(f"  {last:,} of {answers:,} answers ({time.perf_counter() - began:.0f} s)")
        step = (END - START).total_seconds() / outcomes
        for first in range(0, outcomes, CHUNK):
            last = min(outcomes, first + CHUNK)
            await conn.execute(OUTCOMES, PROJECT, customers, START, step, first, last)
            print(f"  {last:,} of {outcomes:,} outcomes ({time.perf_counter() - began:.0f} s)")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def measure(
    server: str, name: str, runs: int, only: list[str] | None = None
) -> dict[str, list[float]]:
    url = f"{server.replace('postgresql://', 'postgresql+asyncpg://')}/{name}"
    engine = create_async_engine(url, connect_args={"server_settings": {"timezone": "UTC"}})
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    year = {"start": START.isoformat(), "end": END.isoformat()}
    as_of = (END + timedelta(days=120)).isoformat()
    reports = {
        "churn by NPS category": lambda s: service.churn_report(
            s,
            PROJECT,
            service.ChurnParams(survey_ids=[RELATIONSHIP], as_of=as_of, **year),
        ),
        "churn by segment and category": lambda s: service.churn_report(
            s,
            PROJECT,
            service.ChurnParams(
                survey_ids=[RELATIONSHIP], as_of=as_of, group_by=["segment"], **year
            ),
        ),
        "drivers (3 transactional surveys, 8 touchpoints)": lambda s: service.drivers_report(
            s,
            PROJECT,
            service.DriverParams(
                relationship_survey_ids=[RELATIONSHIP],
                transactional_survey_ids=[t[0] for t in TRANSACTIONAL],
                **year,
            ),
        ),
        "journey stage view (8 stages)": lambda s: service.journey_report(
            s,
            PROJECT,
            service.JourneyParams(as_of=as_of, **year),
        ),
    }
    timings: dict[str, list[float]] = {}
    try:
        for label, report in reports.items():
            if only and not any(label.startswith(prefix) for prefix in only):
                continue
            timings[label] = []
            CPU[label] = []
            LOADS[label] = os.getloadavg()[0]
            for _ in range(runs):
                async with sessions() as session, session.begin():
                    backend = await session.scalar(text("SELECT pg_backend_pid()"))
                    cpu = _cpu_seconds(backend)
                    began = time.perf_counter()
                    result = await report(session)
                    timings[label].append(time.perf_counter() - began)
                    CPU[label].append(_cpu_seconds(backend) - cpu)
            print(
                f"  {label}: {_summary(timings[label])}, PostgreSQL CPU "
                f"{statistics.median(CPU[label]):.2f} s  ({_size(result)})"
            )
    finally:
        await engine.dispose()
    return timings


def _cpu_seconds(pid: int) -> float:
    """User and system CPU time of a local process so far (0 where /proc cannot tell)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _size(report: dict) -> str:
    if "groups" in report:
        units = sum(r["customers"] for g in report["groups"] for r in g["rows"])
        return f"{units:,} customers in {len(report['groups'])} groups"
    if "stages" in report:
        return f"{len(report['stages'])} stages"
    pairs = sum(r["n_good"] + r["n_bad"] for r in report["rows"])
    return f"{len(report['rows'])} touchpoints, {pairs:,} customer-touchpoint pairs"


def _summary(values: list[float]) -> str:
    return (
        f"median {statistics.median(values):.2f} s "
        f"(min {min(values):.2f}, max {max(values):.2f}, {len(values)} runs)"
    )


def write(path: Path, timings: dict[str, list[float]], args: argparse.Namespace) -> None:
    lines = [
        MARK,
        "## Customer journeys at scale",
        "",
        "```sh",
        ".venv/bin/python -m bench.journeys --write   # add --fresh to generate the data again",
        "```",
        "",
        f"{args.answers:,} answers and {args.outcomes:,} outcomes of {args.customers:,} "
        "customers over one year, generated inside PostgreSQL (`bench/journeys.py`); each "
        "report over that year, called through its service function (the code behind the "
        f"API), {args.runs} runs each, on this machine (2 shared cores). Target: under 2 s.",
        "",
        "| report | median | min | max | PostgreSQL CPU (median) | load average (2 cores) |",
        "|---|---|---|---|---|---|",
    ]
    for label, values in timings.items():
        cpu = statistics.median(CPU[label]) if CPU.get(label) else 0.0
        lines.append(
            f"| {label} | {statistics.median(values):.2f} s | {min(values):.2f} s "
            f"| {max(values):.2f} s | {cpu:.2f} s | {LOADS.get(label, 0):.1f} |"
        )
    lines += [
        "",
        "Each report is one query. Where the time goes (EXPLAIN ANALYZE of the churn query on "
        "this data): every customer's latest answer is read from `ix_responses_customer_latest` "
        "(index only, in customer and time order: no sort of the two million answers of the "
        "year; before that index a parallel scan of the table and an external sort took over "
        "half the time), then the 500,000 units are hashed and joined to the million outcomes, "
        "and the joined rows are grouped per unit and per category. The drivers join each unit "
        "to its transactional answers through the same index (three index probes per unit). "
        "Work memory is raised to 256 MB for these queries: with the default 4 MB every sort "
        "and hash spilled to disk.",
        "",
        MARK,
    ]
    text = path.read_text() if path.exists() else ""
    if MARK in text:
        head, _old, tail = text.split(MARK, 2)
        text = head + "\n".join(lines) + tail
    else:
        text = text.rstrip() + "\n\n" + "\n".join(lines) + "\n"
    path.write_text(text)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.journeys", description=__doc__)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--db", default="sentio_journeys_bench")
    parser.add_argument("--answers", type=int, default=10_000_000)
    parser.add_argument("--outcomes", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=500_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--fresh", action="store_true", help="generate the data again")
    parser.add_argument("--write", action="store_true", help="put the figures in BENCHMARKS.md")
    parser.add_argument(
        "--only", action="append", help="reports whose name starts so (churn, drivers, journey)"
    )
    args = parser.parse_args()
    server = args.pg.rstrip("/")

    async def run() -> dict[str, list[float]]:
        if await _ensure_database(server, args.db, args.fresh):
            print(f"generating {args.answers:,} answers and {args.outcomes:,} outcomes")
            await generate(server, args.db, args.answers, args.outcomes, args.customers)
        print("measuring")
        return await measure(server, args.db, args.runs, args.only)

    timings = asyncio.run(run())
    if args.write:
        write(Path(__file__).resolve().parent.parent / "BENCHMARKS.md", timings, args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
