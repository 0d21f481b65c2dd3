"""Comment themes, measured: suggestion quality, tagging cost on ingest, re-tag and scores
grouped by theme speed (BENCHMARKS.md, "Comment themes").

    python -m bench.themes quality [--comments 5000] [--seed 7]
    python -m bench.themes ingest  [--rounds 3] [--seconds 10]
    python -m bench.themes retag   [--rows 1000000] [--fresh]
    python -m bench.themes scores  [--rows 10000000] [--fresh]

The last three use PostgreSQL (--pg, databases sentio_bench_themes_*); ingest drives a
Sentio server on 127.0.0.1 with wrk, alternating a project without themes and one with 50
themes of 20 phrases in the same run.
"""

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg

from bench import data
from bench.runner import exists, prepare, recreate, sqlalchemy_url
from bench.servers import BIN, LOAD_CPU, ROOT, Load, Server, pinned
from bench.themes_data import PHRASES, generate, shares

OUT = ROOT / "bench" / "out"
YEAR_END = datetime(2026, 1, 1, tzinfo=UTC)
YEAR_START = YEAR_END - timedelta(days=364)
PORT = 18090


def sentio_server(dsn: str) -> Server:
    command = [str(BIN / "sentio"), "serve", "--host", "127.0.0.1", "--port", str(PORT)]
    env = {
        "SENTIO_DATABASE_URL": sqlalchemy_url(dsn),
        "SENTIO_LOG_LEVEL": "warning",
        "SENTIO_RATE_LIMIT_API": "1000000000/minute",
    }
    return Server("sentio-themes", command, env, PORT)


# --- quality -------------------------------------------------------------------------


def quality(comments: int, seed: int, limit: int = 10) -> int:
    from app.themes.suggestions import find_topics

    labelled = generate(comments, seed)
    started = time.perf_counter()
    topics = find_topics([c.text for c in labelled], limit)
    seconds = time.perf_counter() - started
    print(f"{comments:,} comments (seed {seed}), top {limit} suggestions in {seconds:.1f} s\n")
    print("| planted theme | share | best suggestion (label) | precision | recall | recovered |")
    print("|---|---|---|---|---|---|")
    missed = 0
    for theme, share in sorted(shares(labelled).items(), key=lambda kv: -kv[1]):
        total = sum(theme in c.themes for c in labelled)
        best = None
        for topic in topics:
            hits = sum(theme in labelled[i].themes for i in topic.covered)
            precision, recall = hits / len(topic.covered), hits / total
            key = (precision >= 0.8, recall if precision >= 0.8 else precision)
            if best is None or key > best[0]:
                best = (key, topic.label, precision, recall)
        assert best is not None
        _key, label, precision, recall = best
        target = share >= 3
        ok = precision >= 0.8
        missed += target and not ok
        verdict = ("yes" if ok else "**no**") if target else "(below 3%)"
        print(f"| {theme} | {share:.1f}% | {label} | {precision:.2f} | {recall:.2f} | {verdict} |")
    print("\nSuggestions:")
    for topic in topics:
        print(f"- {topic.label}: {len(topic.covered)} comments, phrases {topic.phrases}")
    return 1 if missed else 0


# --- shared set-up -------------------------------------------------------------------

WORDS = [
    "checkout", "invoice", "password", "login", "battery", "screen", "driver", "courier",
    "warranty", "coupon", "discount", "voucher", "subscription", "newsletter", "cancel",
    "upgrade", "install", "update", "sync", "export", "report", "dashboard", "search",
    "filter", "size", "color", "fabric", "seam", "zipper", "strap", "lid", "handle",
]  # fmt: skip
ADJECTIVES = ["broken", "missing", "wrong", "slow", "confusing", "expired", "lost", "noisy"]


def fifty_themes() -> list[tuple[str, list[str]]]:
    """50 themes of 20 phrases: the planted themes' own phrases in four languages (the
    comments mention them), then synthetic ones that rarely match."""
    themes = []
    for name, languages in PHRASES.items():
        phrases = [p for listed in languages.values() for p in listed][:20]
        themes.append((name, phrases))
    i = 0
    while len(themes) < 50:
        phrases = [
            f"{ADJECTIVES[(i + j) % len(ADJECTIVES)]} {WORDS[(3 * i + j) % len(WORDS)]}"
            for j in range(20)
        ]
        themes.append((f"synthetic {i}", phrases))
        i += 1
    return [(name, (phrases * 2)[:20]) for name, phrases in themes]


async def add_themes(dsn: str, project_id: uuid.UUID, themes) -> list[uuid.UUID]:
    """Themes written as the API writes them, with no re-tag pending (no history yet, or
    tags written by the caller)."""
    conn = await asyncpg.connect(dsn)
    ids = []
    try:
        now = datetime.now(UTC)
        for name, phrases in themes:
            theme_id = uuid.uuid4()
            await conn.execute(
                "INSERT INTO themes (id, project_id, name, phrases, created_at, updated_at, "
                "phrases_changed_at, tagging_pending, tagging_done, tagging_total, "
                "tagging_final_pass) VALUES ($1, $2, $3, $4::jsonb, $5, $5, $5, false, 0, 0, "
                "true)",
                theme_id, project_id, name, _json(phrases), now - timedelta(days=1),
            )  # fmt: skip
            ids.append(theme_id)
    finally:
        await conn.close()
    return ids


def _json(values: list[str]) -> str:
    import json

    return json.dumps(values)


# --- ingest --------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process (Linux /proc)."""
    import os

    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def wrk_comments(url: str, path: str, key: str, comments: Path, seconds: float) -> Load:
    command = pinned(
        LOAD_CPU,
        [
            *("wrk", "-t1", "-c32", f"-d{max(1, round(seconds))}s", "--timeout", "10s"),
            *("-s", str(ROOT / "bench" / "post_comments.lua"), url, "--", path, key),
            str(comments),
        ],
    )
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await process.communicate()
    line = next((ln for ln in stdout.decode().splitlines() if ln.startswith("JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {stdout.decode()} {stderr.decode()}")
    import json

    found = json.loads(line[5:])
    return Load(
        rps=found["requests"] / (found["duration_us"] / 1e6),
        p50_ms=found["p50_us"] / 1000,
        p99_ms=found["p99_us"] / 1000,
        requests=found["requests"],
        failures=found["errors"] + found["non2xx"],
    )


async def ingest(pg: str, rounds: int, seconds: float) -> int:
    dsn = await recreate(pg, "sentio_bench_themes_ingest")
    _plain_project, plain_key, [plain_survey] = await prepare(dsn, 1)
    themed_project, themed_key, [themed_survey] = await prepare(dsn, 1)
    await add_themes(dsn, themed_project, fifty_themes())
    OUT.mkdir(exist_ok=True)
    comments = OUT / "comments.txt"
    comments.write_text("\n".join(c.text for c in generate(2000, seed=1)) + "\n")
    server = sentio_server(dsn)
    plain = f"/v1/surveys/{plain_survey}/responses"
    themed = f"/v1/surveys/{themed_survey}/responses"
    try:
        await server.start("/healthz")
        await wrk_comments(server.url, plain, plain_key, comments, 2)  # warm up
        await wrk_comments(server.url, themed, themed_key, comments, 2)
        without, with_themes = [], []
        cpu_without, cpu_with = [], []  # server CPU seconds per request, less noisy
        assert server.process is not None
        pid = server.process.pid
        for _ in range(rounds):
            before = cpu_seconds(pid)
            without.append(await wrk_comments(server.url, plain, plain_key, comments, seconds))
            middle = cpu_seconds(pid)
            load = await wrk_comments(server.url, themed, themed_key, comments, seconds)
            with_themes.append(load)
            cpu_without.append((middle - before) / without[-1].requests)
            cpu_with.append((cpu_seconds(pid) - middle) / load.requests)
    finally:
        server.stop()
    conn = await asyncpg.connect(dsn)
    try:
        tags = await conn.fetchval("SELECT count(*) FROM response_themes")
        answers = await conn.fetchval(
            "SELECT count(*) FROM responses WHERE project_id = $1", themed_project
        )
    finally:
        await conn.close()
    ratios = [w.rps / o.rps for w, o in zip(with_themes, without, strict=True)]
    failures = sum(load.failures for load in without + with_themes)
    print(f"ingest with comments, {rounds} alternations of {seconds:.0f} s, 32 connections")
    print(f"  without themes:     {[round(o.rps) for o in without]} req/s")
    print(f"  50 themes x 20:     {[round(w.rps) for w in with_themes]} req/s")
    print(
        f"  ratio with/without: median {statistics.median(ratios):.3f} "
        f"(min {min(ratios):.3f}, max {max(ratios):.3f}); overhead "
        f"{100 * (1 - statistics.median(ratios)):.1f}%"
    )
    cpu = [w / o for w, o in zip(cpu_with, cpu_without, strict=True)]
    print(
        f"  server CPU per request: {statistics.median(cpu_without) * 1000:.2f} ms without, "
        f"{statistics.median(cpu_with) * 1000:.2f} ms with themes; ratio median "
        f"{statistics.median(cpu):.3f} (min {min(cpu):.3f}, max {max(cpu):.3f})"
    )
    print(f"  {answers:,} themed answers written with {tags:,} tags; {failures} failures")
    return 1 if failures else 0


# --- history with comments, generated in PostgreSQL --------------------------------

COMMENTED = data.INSERT.replace(
    "    NULL,\n    CASE WHEN deleted THEN NULL ELSE 'customer-'",
    "    CASE WHEN deleted OR h % 3 = 0 THEN NULL\n"
    "         ELSE ($10::text[])[1 + (h / 17 % cardinality($10::text[]))] END,\n"
    "    CASE WHEN deleted THEN NULL ELSE 'customer-'",
)
assert COMMENTED != data.INSERT
TEXTS = [c.text for c in generate(400, seed=2)]


async def history(dsn: str, rows: int, progress=print) -> tuple[uuid.UUID, list[uuid.UUID]]:
    """A project with `rows` answers over a year, two in three with a comment."""
    project_id, _key, survey_ids = await prepare(dsn, 4)
    conn = await asyncpg.connect(dsn)
    try:
        step = (YEAR_END - YEAR_START).total_seconds() / rows
        thresholds = data.cumulative(data.SCORE_WEIGHTS)
        for first in range(0, rows, data.CHUNK):
            last = min(rows, first + data.CHUNK)
            await conn.execute(
                COMMENTED, project_id, survey_ids, thresholds, data.SEGMENTS,
                data.TOUCHPOINTS, YEAR_START, step, first, last, TEXTS,
            )  # fmt: skip
            progress(f"  generated {last:,} of {rows:,} answers")
        await conn.execute("ANALYZE")
    finally:
        await conn.close()
    return project_id, survey_ids


# --- re-tag --------------------------------------------------------------------------


async def retag(pg: str, rows: int, fresh: bool = True) -> int:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from app.config import get_settings
    from app.db import build_engine, utcnow
    from app.themes import tagging
    from app.themes.matching import Matcher

    name, phrases = fifty_themes()[0]
    if fresh or not await exists(pg, "sentio_bench_themes_retag"):
        dsn = await recreate(pg, "sentio_bench_themes_retag")
        print(f"generating {rows:,} answers…")
        project_id, _surveys = await history(dsn, rows)
        [theme_id] = await add_themes(dsn, project_id, [(name, phrases)])
        conn = await asyncpg.connect(dsn)
    else:  # the same history again: its tags removed, the theme's re-tag started anew
        dsn = f"{pg}/sentio_bench_themes_retag"
        conn = await asyncpg.connect(dsn)
        await conn.execute("DELETE FROM response_themes")
        await conn.execute("VACUUM ANALYZE")
        theme_id = await conn.fetchval("SELECT id FROM themes")
        await conn.execute(
            "UPDATE themes SET tagging_done = 0, tagging_total = 0, tagging_after_at = NULL, "
            "tagging_after_id = NULL WHERE id = $1",
            theme_id,
        )
    await conn.execute(
        "UPDATE themes SET tagging_pending = true, tagging_final_pass = false, "
        "phrases_changed_at = now() WHERE id = $1",
        theme_id,
    )
    settings = get_settings().model_copy(update={"database_url": sqlalchemy_url(dsn)})
    engine = build_engine(settings)
    later = utcnow() + timedelta(hours=1)
    started = time.perf_counter()
    batches = await tagging.run_until_idle(async_sessionmaker(engine), clock=lambda: later)
    seconds = time.perf_counter() - started
    await engine.dispose()
    tags = await conn.fetchval("SELECT count(*) FROM response_themes")
    comments = await conn.fetch(
        "SELECT comment, count(*) AS n FROM responses WHERE deleted_at IS NULL "
        "AND comment IS NOT NULL AND score IS NOT NULL GROUP BY comment"
    )
    await conn.close()
    matcher = Matcher.build([(theme_id, name, phrases)])
    expected = sum(r["n"] for r in comments if matcher.match(r["comment"]))
    total = sum(r["n"] for r in comments)
    print(
        f"re-tag of {total:,} comments ({rows:,} answers) for one theme of 20 phrases: "
        f"{seconds:.1f} s in {batches} batches ({total / seconds:,.0f} comments/s); "
        f"{tags:,} tags, expected {expected:,}"
    )
    return 0 if tags == expected else 1


# --- scores grouped by theme ---------------------------------------------------------


async def scores(pg: str, rows: int, fresh: bool, repeats: int = 3) -> int:
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from app.config import get_settings
    from app.db import build_engine
    from app.scores.service import ScoreParams, compute
    from app.themes.matching import Matcher

    name = f"sentio_bench_themes_scores_{rows}"
    dsn = f"{pg}/{name}"
    if fresh or not await exists(pg, name):
        dsn = await recreate(pg, name)
        print(f"generating {rows:,} answers…")
        project_id, _surveys = await history(dsn, rows)
        await add_themes(dsn, project_id, fifty_themes())
    conn = await asyncpg.connect(dsn)
    if not await conn.fetchval("SELECT count(*) FROM response_themes"):
        # Tags as the re-tag would write them: each distinct comment matched once here.
        found = await conn.fetch("SELECT id, name, phrases FROM themes")
        matcher = Matcher.build([(r["id"], r["name"], json.loads(r["phrases"])) for r in found])
        pairs = sorted({(text, t) for text in TEXTS for t in matcher.match(text)})
        print(f"tagging: {len(pairs)} (comment, theme) pairs…")
        await conn.execute(
            "INSERT INTO response_themes (response_id, theme_id) "
            "SELECT r.id, m.theme_id FROM responses r "
            "JOIN unnest($1::text[], $2::uuid[]) AS m(comment, theme_id) "
            "ON r.comment = m.comment WHERE r.deleted_at IS NULL",
            [p[0] for p in pairs], [p[1] for p in pairs],
        )  # fmt: skip
        await conn.execute("ANALYZE")
    await conn.close()
    conn = await asyncpg.connect(dsn)
    project_id = await conn.fetchval("SELECT id FROM projects WHERE name = 'benchmark'")
    survey_ids = [r["id"] for r in await conn.fetch("SELECT id FROM surveys ORDER BY id")]
    tags = await conn.fetchval("SELECT count(*) FROM response_themes")
    await conn.close()
    settings = get_settings().model_copy(update={"database_url": sqlalchemy_url(dsn)})
    engine = build_engine(settings)
    sessions = async_sessionmaker(engine)
    timings: dict[str, list[float]] = {}
    params = {
        "group_by=theme, whole year": ScoreParams(survey_ids=survey_ids, group_by=["theme"]),
        "group_by=theme, one survey, one month": ScoreParams(
            survey_ids=survey_ids[:1], group_by=["theme"], start="2025-06-01", end="2025-07-01"
        ),
        "theme=delivery filter, one survey, one month": ScoreParams(
            survey_ids=survey_ids[:1],
            equals={"theme": ["delivery"]},
            start="2025-06-01",
            end="2025-07-01",
        ),
        "no theme (rollups), whole year": ScoreParams(survey_ids=survey_ids),
    }
    for label, p in params.items():
        for _ in range(repeats):
            async with sessions() as session:
                started = time.perf_counter()
                report = await compute(session, project_id, p)
                timings.setdefault(label, []).append(time.perf_counter() - started)
        timings[label].sort()
        print(
            f"{label}: median {statistics.median(timings[label]) * 1000:,.0f} ms "
            f"(min {timings[label][0] * 1000:,.0f}), {len(report['rows'])} rows"
        )
    await engine.dispose()
    print(f"{rows:,} answers, {tags:,} tags")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.themes", description=__doc__)
    parser.add_argument("what", choices=["quality", "ingest", "retag", "scores"])
    parser.add_argument("--pg", default="postgresql://postgres@127.0.0.1:5432")
    parser.add_argument("--comments", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    if args.what == "quality":
        return quality(args.comments, args.seed)
    if args.what == "ingest":
        return asyncio.run(ingest(args.pg, args.rounds, args.seconds))
    if args.what == "retag":
        return asyncio.run(retag(args.pg, args.rows, args.fresh))
    return asyncio.run(scores(args.pg, args.rows, args.fresh))


if __name__ == "__main__":
    sys.exit(main())
