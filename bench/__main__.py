"""`python -m bench`: Sentio against bare baselines, on this machine, in one run.

Starts PostgreSQL-backed Sentio and the baselines on 127.0.0.1, drives them with wrk,
alternates the two sides of every comparison, and prints one table of ratios (medians with
min-max). Without --smoke it also writes the results into BENCHMARKS.md.
"""

import argparse
import asyncio
import sys

from bench.runner import Options, run


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--pg",
        default="postgresql://postgres@127.0.0.1:5432",
        help="PostgreSQL server (databases sentio_bench_* are created there)",
    )
    parser.add_argument("--rows", type=int, default=10_000_000, help="answers for the scores")
    parser.add_argument("--rounds", type=int, default=3, help="alternations per comparison")
    parser.add_argument("--seconds", type=float, default=10, help="length of each load run")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--fresh", action="store_true", help="regenerate the scores data")
    parser.add_argument("--profile", action="store_true", help="py-spy profile of ingest")
    parser.add_argument(
        "--sqlite", action="store_true", help="also the SQLite section (1M answers, ingest)"
    )
    parser.add_argument(
        "--sqlite-only", action="store_true", help="only the SQLite section; prints it only"
    )
    parser.add_argument("--sqlite-rows", type=int, default=1_000_000, help="SQLite answers")
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny and quick: checks the benchmark works and scores are right, no timings",
    )
    args = parser.parse_args()
    options = Options(
        pg=args.pg.rstrip("/"),
        rows=args.rows,
        rounds=args.rounds,
        seconds=args.seconds,
        connections=args.connections,
        fresh=args.fresh,
        profile=args.profile,
        sqlite=args.sqlite,
        sqlite_only=args.sqlite_only,
        sqlite_rows=args.sqlite_rows,
    )
    if args.smoke:
        options = options.smoke()
    return asyncio.run(run(options))


if __name__ == "__main__":
    sys.exit(main())
