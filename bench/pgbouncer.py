"""`python -m bench.pgbouncer`: Sentio behind PgBouncer (transaction pooling) against
PostgreSQL directly, and what `SENTIO_DB_PGBOUNCER`'s statement handling costs.

Two measurements, each side alternated `--rounds` times, medians printed as one table:

1. Statements (in process, no HTTP): 16 clients each running transactions of three small
   queries like a request's, for `--seconds`; transactions per second for
   - direct, asyncpg and SQLAlchemy caching prepared statements (Sentio's default);
   - direct, no statement cache, statements unnamed (the setting, without PgBouncer);
   - PgBouncer, no statement cache, statements unnamed (what the setting does);
   - PgBouncer, no statement cache, a unique name per statement (SQLAlchemy's documented
     alternative: every statement stays on its server connection until that closes).
   PgBouncer before 1.21 (Debian 12 ships 1.18) cannot keep prepared statements across
   transactions at all, so the cached configuration cannot run through it.
2. Ingest (wrk against one Sentio worker, every feature on): directly with the default,
   directly with the setting, and through PgBouncer with the setting.

Nothing is written to BENCHMARKS.md: docs/scaling.md quotes the figures.
"""

import argparse
import asyncio
import statistics
import time
import uuid

from sqlalchemy import text

from bench.servers import wrk
from faults.pgbouncer import PgBouncer, free_port

QUERIES = [
    "SELECT id, status FROM surveys WHERE id = :survey",
    "SELECT count(*) FROM responses WHERE survey_id = :survey AND score > :score",
    "SELECT name FROM projects WHERE id = (SELECT project_id FROM surveys WHERE id = :survey)",
]


async def statements(url: str, connect_args: dict, survey: uuid.UUID, seconds: float) -> float:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, pool_size=16, max_overflow=0, connect_args=connect_args)
    done = 0
    deadline = time.monotonic() + seconds

    async def client() -> None:
        nonlocal done
        async with engine.connect() as conn:
            while time.monotonic() < deadline:
                for i, query in enumerate(QUERIES):
                    await conn.execute(text(query), {"survey": survey, "score": i})
                await conn.commit()
                done += 1

    try:
        await asyncio.gather(*(client() for _ in range(16)))
    finally:
        await engine.dispose()
    return done / seconds


async def fresh_key(dsn: str, project_id: uuid.UUID) -> str:
    """A new admin key: Idempotency-Keys belong to their API key, so the keys wrk makes up
    in one run cannot meet those of an earlier run (post.lua's run ids may repeat)."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from app.auth.service import create_key
    from app.config import get_settings
    from app.db import build_engine

    url = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    engine = build_engine(get_settings().model_copy(update={"database_url": url}))
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            _key, secret = await create_key(session, ["admin"], project_id=project_id)
            return secret
    finally:
        await engine.dispose()


def unnamed() -> str:
    return ""


def unique_name() -> str:
    return f"__asyncpg_{uuid.uuid4()}__"


UNCACHED = {"statement_cache_size": 0, "prepared_statement_cache_size": 0}


async def main(args: argparse.Namespace) -> None:
    from bench.runner import preflight, prepare, recreate, sentio_server

    preflight()
    dsn = await recreate(args.pg, args.database)
    project, _key, [survey] = await prepare(dsn, 1)
    port = int(dsn.rsplit(":", 1)[1].split("/")[0])
    bouncer = PgBouncer(port, pool_size=args.servers)
    bouncer.start()
    direct = dsn.replace("postgresql://", "postgresql+asyncpg://", 1)
    pooled = bouncer.url(args.database)
    try:
        variants = {
            "direct, statements cached (default)": (direct, {}),
            "direct, uncached, unnamed (SENTIO_DB_PGBOUNCER)": (
                direct,
                {**UNCACHED, "prepared_statement_name_func": unnamed},
            ),
            "PgBouncer, uncached, unnamed (SENTIO_DB_PGBOUNCER)": (
                pooled,
                {**UNCACHED, "prepared_statement_name_func": unnamed},
            ),
            "PgBouncer, uncached, unique names": (
                pooled,
                {**UNCACHED, "prepared_statement_name_func": unique_name},
            ),
        }
        tps: dict[str, list[float]] = {name: [] for name in variants}
        for _ in range(0 if args.skip_statements else args.rounds):
            for name, (url, connect_args) in variants.items():
                tps[name].append(await statements(url, connect_args, survey, args.seconds))
        if not args.skip_statements:
            print(f"\nStatements: 16 clients, transactions of {len(QUERIES)} queries (tx/s)")
        for name, values in tps.items() if not args.skip_statements else ():
            print(f"  {name:55} {statistics.median(values):8,.0f}  ({min(values):,.0f}-"
                  f"{max(values):,.0f})")  # fmt: skip

        sides = {
            "direct (default)": (dsn, "false"),
            "direct, SENTIO_DB_PGBOUNCER=true": (dsn, "true"),
            "through PgBouncer, SENTIO_DB_PGBOUNCER=true": (
                bouncer.url(args.database, "postgresql"),
                "true",
            ),
        }
        rps: dict[str, list[float]] = {name: [] for name in sides}
        p99: dict[str, list[float]] = {name: [] for name in sides}
        failed = dict.fromkeys(sides, 0)
        path = f"/v1/surveys/{survey}/responses"
        for _ in range(args.rounds):
            for name, (url, flag) in sides.items():
                server = sentio_server(url, free_port())
                server.name = "sentio-" + "-".join(name.replace(",", "").split()[:2]).lower()
                server.env["SENTIO_DB_PGBOUNCER"] = flag
                server.env["SENTIO_LOG_LEVEL"] = args.log_level
                await server.start("/healthz")
                key = await fresh_key(dsn, project)
                try:
                    await wrk(server, path, key, seconds=1, connections=args.connections)
                    load = await wrk(
                        server, path, key, seconds=args.seconds, connections=args.connections
                    )
                finally:
                    server.stop()
                failed[name] += load.failures
                rps[name].append(load.rps)
                p99[name].append(load.p99_ms)
        print(f"\nIngest: one worker, wrk -c{args.connections}, {args.seconds:.0f} s runs")
        for name in sides:
            print(f"  {name:55} {statistics.median(rps[name]):8,.0f} req/s  p99 "
                  f"{statistics.median(p99[name]):.1f} ms, {failed[name]} failed")  # fmt: skip
    finally:
        if args.keep_log:
            print((bouncer.workdir / "pgbouncer.log").read_text()[-args.keep_log :])
        bouncer.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(prog="python -m bench.pgbouncer", description=__doc__)
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="sentio_bench_pgbouncer", help="(re)created")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--servers", type=int, default=10, help="PgBouncer server connections")
    parser.add_argument("--log-level", default="warning", help="of the Sentio servers")
    parser.add_argument("--skip-statements", action="store_true")
    parser.add_argument("--keep-log", type=int, default=0, help="print PgBouncer's log tail")
    asyncio.run(main(parser.parse_args()))
