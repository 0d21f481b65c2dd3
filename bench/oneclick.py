"""One-click answers: the POST a link page's script sends once a person is plausibly
present (`POST /s/{token}/presence`, see survey.js), against the ingest endpoint, in the same
server, alternating.

Invitations are made by Sentio's own service, and each gets the open that a browser's GET of
one of its score links leaves (in the smoke run by real GETs through HTTP, whose pages give
the open id; in the full run the same rows written directly, as 100,000 GETs would take
minutes). `bench/oneclick.lua` then posts each invitation's score once, with a browser's
headers and body, so that nearly every request answers a fresh invitation. After each run
the answers stored must equal the answers the server said it recorded (give or take the
requests still in flight when wrk stopped), and at the end every stored answer must be the
score its invitation was sent, once."""

import asyncio
import json
import re
import statistics
import uuid
from datetime import timedelta
from pathlib import Path

import asyncpg
import httpx

# runner imports this module too: its names are looked up at call time.
from bench import report, runner
from bench.servers import LOAD_CPU, ROOT, Load, Server, pinned, wrk

ONECLICK_PORT = 18084
INVITATIONS, SMOKE_INVITATIONS = 100_000, 60
BATCH = 1000  # recipients per invitation request, the most it takes
TARGET = 0.9
NEVER_REFUSE = "1000000000/minute"
SEGMENTS = ("smb", "mid_market", "enterprise", "public_sector", "startup", "education", "health",
            "retail", "finance", "media", "travel", "other")  # fmt: skip
TOUCHPOINTS = ("checkout", "support_chat", "onboarding", "delivery", "billing", "returns",
               "mobile_app", "website")  # fmt: skip
_OPEN = re.compile(r'name="open" value="([0-9a-f-]{36})"')


async def oneclick(options, results) -> None:
    dsn = await runner.recreate(options.pg, f"sentio_bench_oneclick{options.suffix}")
    project_id, key, survey_ids = await runner.prepare(dsn, 2)
    ingest_path = f"/v1/surveys/{survey_ids[0]}/responses"
    count = SMOKE_INVITATIONS if options.smoke_run else INVITATIONS
    tokens = await invite(dsn, project_id, survey_ids[1], count)
    sentio = runner.sentio_server(dsn, ONECLICK_PORT)
    sentio.name = "sentio-oneclick"
    sentio.env["SENTIO_RATE_LIMIT_PUBLIC"] = NEVER_REFUSE
    linkfile = ROOT / "bench" / "out" / "oneclick-links.txt"
    conn = await asyncpg.connect(dsn)
    try:
        await sentio.start("/healthz")
        if options.smoke_run:
            links = await open_by_get(sentio, tokens)
        else:
            links = await open_directly(conn, tokens)
        linkfile.write_text("".join(f"{t} {o} {s}\n" for t, o, s in links))
        expected = {invitation_id: score_of(i) for i, (_t, invitation_id) in enumerate(tokens)}
        run_load = dict(seconds=options.seconds, connections=options.connections)
        cursor = 0
        clicks: list[Load] = []
        ingests: list[Load] = []
        wrong: list[str] = []

        async def click_run() -> Load:
            nonlocal cursor
            before = await answered(conn, survey_ids[1])
            load, sent, recorded = await wrk_oneclick(sentio, linkfile, cursor, **run_load)
            cursor += sent
            stored = await answered(conn, survey_ids[1]) - before
            # Requests still in flight when wrk stops are answered unseen: at most one per
            # connection. Past the end of the file requests are edits and store nothing new.
            fresh = max(0, min(recorded, len(links) - (cursor - sent)))
            if not fresh <= stored <= recorded + options.connections:
                wrong.append(f"{recorded} answers recorded by the server, {stored} stored")
            if recorded != load.requests:
                wrong.append(f"{load.requests - recorded} of {load.requests} not recorded")
            return load

        if not options.smoke_run:  # warm both up, as the ingest comparison does
            await click_run()
            await wrk(sentio, ingest_path, key, seconds=2, connections=options.connections)
        for _ in range(options.rounds):
            clicks.append(await click_run())
            ingests.append(await wrk(sentio, ingest_path, key, **run_load))
        wrong += await check_stored(conn, survey_ids[1], expected)
        results.failures += [f"one-click: {w}" for w in wrong[:5]]
        failed = sum(load.failures for load in clicks + ingests)
        if failed:
            results.failures.append(f"one-click: {failed} requests failed (non-2xx or errors)")
        if options.smoke_run:
            stored = await answered(conn, survey_ids[1])
            results.notes.append(f"One-click: {stored} link answers posted and checked.")
            return
        ratios = [c.rps / i.rps for c, i in zip(clicks, ingests, strict=True)]
        results.rows.append(
            report.Row(
                "One-click link POST throughput / ingest endpoint",
                f"≥ {TARGET}x",
                runner.spread(ratios),
                f"one-click {statistics.median(c.rps for c in clicks):,.0f} req/s, ingest "
                f"{statistics.median(i.rps for i in ingests):,.0f} req/s, same server",
                ok=statistics.median(ratios) >= TARGET,
            )
        )
    finally:
        sentio.stop()
        await conn.close()


async def invite(dsn: str, project_id: uuid.UUID, survey_id: uuid.UUID, count: int) -> list:
    """`count` invitations: (token, invitation id) each. The first batch is made by Sentio's
    own service (throttle, links, email blocks and all); the rest are copies of its rows with
    fresh tokens, customers, segments and touchpoints (rendering 100,000 email blocks nobody
    reads would take minutes)."""
    from sqlalchemy.ext.asyncio import async_sessionmaker

    from app.config import get_settings
    from app.db import build_engine
    from app.invitations import service
    from app.invitations.schemas import InvitationBatch
    from app.invitations.tokens import new_token
    from app.models.base import uuid7

    settings = get_settings().model_copy(update={"database_url": runner.sqlalchemy_url(dsn)})
    engine = build_engine(settings)
    first = min(count, BATCH)
    recipients = [
        {"customer_id": f"cust-{i}", "segment": segment, "touchpoint": touchpoint}
        for i in range(first)
        for segment, touchpoint in [labels(i)]
    ]
    try:
        async with async_sessionmaker(engine)() as session, session.begin():
            batch = InvitationBatch.model_validate({"recipients": recipients})
            out = await service.create(session, project_id, survey_id, batch)
    finally:
        await engine.dispose()
    made = [(i.survey_url.rsplit("/", 1)[1], i.id) for i in out.data if i.survey_url]
    if len(made) != first:
        raise RuntimeError(f"{first - len(made)} invitations were not created")
    conn = await asyncpg.connect(dsn)
    try:
        template = dict(await conn.fetchrow("SELECT * FROM invitations WHERE id = $1", made[0][1]))
        copies = []
        for i in range(first, count):
            token, digest = new_token()
            segment, touchpoint = labels(i)
            row = template | {"id": uuid7(), "customer_id": f"cust-{i}", "token_hash": digest,
                              "segment": segment, "touchpoint": touchpoint}  # fmt: skip
            copies.append(row)
            made.append((token, row["id"]))
        if copies:
            await conn.copy_records_to_table(
                "invitations", records=[tuple(r.values()) for r in copies], columns=list(template)
            )
    finally:
        await conn.close()
    return made


def labels(index: int) -> tuple[str, str]:
    """Segment and touchpoint: all 96 pairs, as bench/post.lua spreads the ingest answers."""
    return SEGMENTS[index % 12], TOUCHPOINTS[index // 12 % 8]


def score_of(index: int) -> int:
    return (0, 3, 6, 7, 8, 9, 9, 10, 10, 10)[index % 10]


async def open_by_get(server: Server, tokens: list) -> list[tuple[str, str, int]]:
    """Each invitation's score link opened as a browser opens it; the page names the open."""
    links = []
    async with httpx.AsyncClient(base_url=server.url) as client:
        for index, (token, _id) in enumerate(tokens):
            score = score_of(index)
            page = await client.get(f"/s/{token}", params={"score": score})
            found = _OPEN.search(page.text)
            if page.status_code != 200 or found is None:
                raise RuntimeError(f"score link answered {page.status_code} without an open")
            links.append((token, found.group(1), score))
    await asyncio.sleep(2.1)  # the page's script posts once its open is 2 s old
    return links


async def open_directly(conn: asyncpg.Connection, tokens: list) -> list[tuple[str, str, int]]:
    """The opens that the score links' GETs would leave, a minute old."""
    opens = [uuid.uuid4() for _ in tokens]
    await conn.execute(
        "INSERT INTO invitation_opens (id, invitation_id, score, opened_at) "
        "SELECT o, i, s, now() - $4::interval FROM unnest($1::uuid[], $2::uuid[], $3::int[]) "
        "AS t(o, i, s)",
        opens,
        [invitation_id for _t, invitation_id in tokens],
        [score_of(i) for i in range(len(tokens))],
        timedelta(minutes=1),
    )
    await conn.execute("ANALYZE")
    pairs = zip(tokens, opens, strict=True)
    return [(token, str(o), score_of(i)) for i, ((token, _id), o) in enumerate(pairs)]


async def answered(conn: asyncpg.Connection, survey_id: uuid.UUID) -> int:
    return await conn.fetchval(
        "SELECT count(*) FROM responses WHERE survey_id = $1 AND invitation_id IS NOT NULL",
        survey_id,
    )


async def check_stored(conn: asyncpg.Connection, survey_id: uuid.UUID, expected: dict) -> list:
    """Every stored link answer is its invitation's only one, with the score it was sent;
    the rollups count every answer."""
    wrong = []
    rows = await conn.fetch(
        "SELECT r.invitation_id, r.score, count(*) OVER (PARTITION BY r.invitation_id) AS n "
        "FROM responses r WHERE r.survey_id = $1",
        survey_id,
    )
    for row in rows:
        if row["n"] != 1:
            wrong.append(f"invitation {row['invitation_id']} has {row['n']} answers")
        elif row["score"] != expected.get(row["invitation_id"]):
            wrong.append(f"invitation {row['invitation_id']} stored score {row['score']}")
    live = await conn.fetchval("SELECT count(*) FROM responses WHERE deleted_at IS NULL")
    counted = await conn.fetchval(
        "SELECT sum(" + " + ".join(f"n{i}" for i in range(11)) + ") FROM score_rollups "
        "WHERE grain = 1"
    )
    if live != counted:
        wrong.append(f"rollups count {counted} answers, responses hold {live}")
    return wrong


async def wrk_oneclick(
    server: Server, links: Path, first: int, *, seconds: float, connections: int
) -> tuple[Load, int, int]:
    """One wrk run of bench/oneclick.lua from line `first`: the load, requests sent and the
    answers the server said it recorded."""
    command = pinned(
        LOAD_CPU,
        [
            *("wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s"),
            *("--timeout", "10s", "-s", str(ROOT / "bench" / "oneclick.lua"), server.url),
            *("--", str(links), str(first)),
        ],
    )
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), seconds + 60)
    line = next((ln for ln in stdout.decode().splitlines() if ln.startswith("JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {stdout.decode()} {stderr.decode()}")
    data = json.loads(line.removeprefix("JSON "))
    load = Load(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        requests=data["requests"],
        failures=data["errors"] + data["non2xx"],
        peak_rss_mb=server.rss_mb(),
    )
    return load, data["sent"], data["recorded"]
