"""Fault injection: nothing Sentio acknowledges is lost or stored twice.

Runs `sentio serve --workers 2` on a private, throwaway PostgreSQL cluster on 127.0.0.1,
drives concurrent clients that submit answers with Idempotency-Keys and retry every failure,
restarts PostgreSQL and restarts the server with SIGTERM while they run, then checks the
stored rows:

- every acknowledged submission is stored exactly once, with what was sent;
- nothing half-stored is visible (every answer has its idempotency record and vice versa);
- `/v1/scores` equals a recount from the raw rows.

    python faults/no_loss.py --short        # about 30 seconds, as CI runs it
    python faults/no_loss.py --duration 600 --clients 32
    python faults/no_loss.py --short --pgbouncer   # the server reaches PostgreSQL through
                                                   # PgBouncer in transaction pooling

It prints one summary line and exits 1 if anything was lost or duplicated. Everything runs on
loopback; the cluster and its data are deleted at the end.
"""

import argparse
import asyncio
import contextlib
import os
import pwd
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from faults.pgbouncer import PgBouncer  # noqa: E402


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bindir() -> Path:
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, check=True)
        path = Path(found.stdout.decode().strip())
        if (path / "initdb").exists():
            return path
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if not candidates:
        raise SystemExit("PostgreSQL server binaries (initdb, pg_ctl) not found")
    return candidates[-1].parent


class Cluster:
    """A private PostgreSQL cluster: restarting it disturbs no one else."""

    def __init__(self, workdir: Path) -> None:
        self.bindir = postgres_bindir()
        self.data = workdir / "pgdata"
        self.socket_dir = workdir
        self.port = free_port()
        self.user: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.user = ["runuser", "-u", "postgres", "--"]
            uid = pwd.getpwnam("postgres")
            os.chown(workdir, uid.pw_uid, uid.pw_gid)

    def _pg(self, *args: str) -> None:
        subprocess.run([*self.user, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        self._pg(
            str(self.bindir / "initdb"), "-D", str(self.data), "-U", "postgres",
            "--auth=trust", "-E", "UTF8", "--no-sync",
        )  # fmt: skip

    def _ctl(self, action: str) -> None:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=200 -c fsync=on"
        )
        self._pg(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-o", options,
            "-l", str(self.socket_dir / "postgres.log"), "-m", "fast", "-w", action,
        )  # fmt: skip

    def start(self) -> None:
        self._ctl("start")

    def restart(self) -> None:
        self._ctl("restart")

    def stop(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError):
            self._ctl("stop")

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"


class Server:
    def __init__(self, env: dict[str, str], workers: int) -> None:
        self.env, self.workers = env, workers
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.base_url = f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "app.cli", "serve", "--port", str(self.port),
             "--workers", str(self.workers)],
            cwd=ROOT, env=self.env, start_new_session=True,
        )  # fmt: skip

    async def wait_ready(self, limit: float = 60) -> None:
        deadline = time.monotonic() + limit
        async with httpx.AsyncClient(timeout=2) as client:
            while time.monotonic() < deadline:
                assert self.proc is not None and self.proc.poll() is None, "server exited"
                with contextlib.suppress(httpx.HTTPError):
                    if (await client.get(self.base_url + "/readyz")).status_code == 200:
                        return
                await asyncio.sleep(0.2)
        raise SystemExit("the server did not become ready")

    async def terminate(self, limit: float = 60) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return await asyncio.to_thread(self.proc.wait, limit)
        except subprocess.TimeoutExpired:
            self.kill()
            raise SystemExit("the server did not stop within the grace period") from None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@dataclass
class Stats:
    requests: int = 0
    acknowledged: int = 0
    retried: int = 0
    replays: int = 0
    replay_mismatches: int = 0
    abandoned: int = 0
    statuses: Counter = field(default_factory=Counter)
    acked: dict[str, dict] = field(default_factory=dict)  # customer_id -> what was sent + id
    one_click: dict[str, int] = field(default_factory=dict)  # invitation id -> acked score
    invited: set[str] = field(default_factory=set)  # acknowledged invitation ids


async def submit(
    client: httpx.AsyncClient, server: Server, url: str, body: dict, key: str | None,
    stats: Stats, deadline: float, form: bool = False,
) -> dict | None:  # fmt: skip
    """Send until acknowledged, retrying every failure with the same key and body.

    `form`: a one-click answer, posted as the survey page's form is; acknowledged by the
    redirect to the thank-you page. It needs no key: one answer per invitation."""
    delay = 0.05
    first = True
    while time.monotonic() < deadline:
        if not first:
            stats.retried += 1
        first = False
        stats.requests += 1
        try:
            if form:
                r = await client.post(server.base_url + url, data=body)
            else:
                r = await client.post(
                    server.base_url + url, json=body, headers={"Idempotency-Key": str(key)}
                )
        except httpx.HTTPError as error:
            stats.statuses[type(error).__name__] += 1
        else:
            stats.statuses[r.status_code] += 1
            if form and r.status_code == 303:
                return {"location": r.headers["location"]}
            if r.status_code in (200, 201):
                return r.json()
            if r.status_code < 500 and r.status_code not in (408, 409, 429):
                raise SystemExit(f"unexpected {r.status_code} for {url}: {r.text}")
        await asyncio.sleep(delay * (0.5 + random.random()))
        delay = min(delay * 2, 1.0)
    return None


async def client_loop(
    n: int, server: Server, key: str, survey_id: str, stats: Stats,
    stop: asyncio.Event, drain_deadline: list[float],
) -> None:  # fmt: skip
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(headers=headers, timeout=5) as client:
        i = 0
        while not stop.is_set():
            i += 1
            if i % 2 == 0:
                await one_click(client, server, survey_id, f"i{n}-{i}", stats, drain_deadline)
                continue
            customer = f"c{n}-{i}-{uuid.uuid4().hex[:8]}"
            body = {"score": random.randint(0, 10), "customer_id": customer, "segment": f"s{n % 3}"}
            key_value = str(uuid.uuid4())
            url = f"/v1/surveys/{survey_id}/responses"
            result = await submit(client, server, url, body, key_value, stats, drain_deadline[0])
            if result is None:
                stats.abandoned += 1
                continue
            stats.acknowledged += 1
            stats.acked[customer] = {**body, "id": result["id"]}
            if random.random() < 0.1:  # a client that lost the answer sends it again
                again = await submit(client, server, url, body, key_value, stats, drain_deadline[0])
                if again is not None:
                    stats.replays += 1
                    stats.replay_mismatches += again["id"] != result["id"]


async def one_click(
    client: httpx.AsyncClient, server: Server, survey_id: str, name: str, stats: Stats,
    drain_deadline: list[float],
) -> None:  # fmt: skip
    """Invite a customer (with an Idempotency-Key), then answer through a score link."""
    customer = f"{name}-{uuid.uuid4().hex[:8]}"
    url = f"/v1/surveys/{survey_id}/invitations"
    body = {"recipients": [{"customer_id": customer}]}
    batch = await submit(client, server, url, body, str(uuid.uuid4()), stats, drain_deadline[0])
    if batch is None:
        stats.abandoned += 1
        return
    [invitation] = batch["data"]
    if invitation["status"] != "created":
        raise SystemExit(f"invitation not created: {invitation}")
    stats.acknowledged += 1
    stats.invited.add(invitation["id"])
    token = invitation["survey_url"].rsplit("/s/", 1)[1].split("?")[0]
    score = random.randint(0, 10)
    form = {"score": str(score)}
    answered = await submit(
        client, server, f"/s/{token}", form, None, stats, drain_deadline[0], form=True
    )
    if answered is None:
        stats.abandoned += 1
        return
    stats.acknowledged += 1
    stats.one_click[invitation["id"]] = score


async def faults(
    cluster: Cluster, servers: list[Server], duration: float, cycles: int, stop: asyncio.Event
) -> None:
    step = duration / (2 * cycles + 1)
    for cycle in range(cycles):
        await asyncio.sleep(step)
        log(f"fault {cycle + 1}/{cycles}: restarting PostgreSQL")
        await asyncio.to_thread(cluster.restart)
        await asyncio.sleep(step)
        log(f"fault {cycle + 1}/{cycles}: SIGTERM to the server, then starting it again")
        old = servers[0]
        code = await old.terminate()
        log(f"server exited with status {code}")
        new = Server(old.env, old.workers)
        new.port, new.base_url = old.port, old.base_url  # clients keep their address
        new.start()
        servers[0] = new
        await new.wait_ready()
    await asyncio.sleep(step)
    stop.set()


async def verify(cluster: Cluster, server: Server, key: str, survey_id: str, stats: Stats) -> dict:
    conn = await asyncpg.connect(cluster.url("sentio", "postgresql"))
    try:
        rows = await conn.fetch(
            "SELECT id::text, customer_id, score, invitation_id::text FROM responses "
            "WHERE survey_id = $1 AND deleted_at IS NULL",
            uuid.UUID(survey_id),
        )
        invitations = await conn.fetch(
            "SELECT id::text, customer_id FROM invitations WHERE survey_id = $1",
            uuid.UUID(survey_id),
        )
        records = await conn.fetch(
            "SELECT body->>'id' AS id FROM idempotency_keys WHERE route = $1",
            "POST /v1/surveys/{survey_id}/responses",
        )
        invitation_records = await conn.fetch(
            "SELECT body->'data'->0->>'id' AS id FROM idempotency_keys WHERE route = $1",
            "POST /v1/surveys/{survey_id}/invitations",
        )
    finally:
        await conn.close()
    direct = [r for r in rows if r["invitation_id"] is None]
    linked = [r for r in rows if r["invitation_id"] is not None]
    by_customer = Counter(r["customer_id"] for r in direct)
    stored = {r["customer_id"]: r for r in direct}
    by_invitation = Counter(r["invitation_id"] for r in linked)
    answer_of = {r["invitation_id"]: r["score"] for r in linked}
    invited = Counter(r["customer_id"] for r in invitations)
    invitation_ids = {r["id"] for r in invitations}
    lost = (
        len(stats.invited - invitation_ids)
        + sum(
            1
            for invitation_id, score in stats.one_click.items()
            if answer_of.get(invitation_id) != score
        )
        + sum(
            1
            for customer, sent in stats.acked.items()
            if customer not in stored
            or stored[customer]["id"] != sent["id"]
            or stored[customer]["score"] != sent["score"]
        )
    )
    duplicated = (
        sum(c - 1 for c in by_customer.values() if c > 1)
        + sum(c - 1 for c in by_invitation.values() if c > 1)
        + sum(c - 1 for c in invited.values() if c > 1)
        + stats.replay_mismatches
    )
    response_ids = {r["id"] for r in direct}
    record_ids = Counter(r["id"] for r in records)
    half_stored = (
        len(response_ids ^ set(record_ids))
        + sum(c - 1 for c in record_ids.values() if c > 1)
        + len(invitation_ids ^ {r["id"] for r in invitation_records})
    )

    async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}, timeout=30) as c:
        report = await c.get(f"{server.base_url}/v1/scores", params={"survey_id": survey_id})
        report.raise_for_status()
    [row] = report.json()["rows"] or [{"n": 0, "distribution": {}, "nps": None}]
    scores = [r["score"] for r in rows]
    promoters = sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    recount_nps = 100 * (promoters - detractors) / len(scores) if scores else None
    recount_dist = {str(v): scores.count(v) for v in range(11)}
    scores_match = (
        row["n"] == len(scores)
        and {k: v for k, v in row["distribution"].items()} == recount_dist
        and (recount_nps is None or abs(row["nps"] - recount_nps) < 1e-9)
    )
    return {
        "stored": len(rows),
        "lost": lost,
        "duplicated": duplicated,
        "half_stored": half_stored,
        "scores_match": scores_match,
    }


async def main(args: argparse.Namespace) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="sentio-faults-"))
    cluster = Cluster(workdir)
    servers: list[Server] = []
    bouncer: PgBouncer | None = None
    try:
        log(f"starting a private PostgreSQL on 127.0.0.1:{cluster.port} ({cluster.bindir})")
        cluster.init()
        cluster.start()
        conn = await asyncpg.connect(cluster.url("postgres", "postgresql"))
        await conn.execute("CREATE DATABASE sentio")
        await conn.close()
        database_url = cluster.url("sentio")
        if args.pgbouncer:
            # Fewer server connections than the two workers open: transactions of one
            # worker connection run on different server connections.
            bouncer = PgBouncer(cluster.port, pool_size=4)
            bouncer.start()
            database_url = bouncer.url("sentio")
            log(f"PgBouncer (transaction pooling) on 127.0.0.1:{bouncer.port}")
        env = {
            **os.environ,
            "SENTIO_DATABASE_URL": database_url,
            "SENTIO_DB_PGBOUNCER": "true" if args.pgbouncer else "false",
            "SENTIO_SHUTDOWN_GRACE_SECONDS": "10",
            "SENTIO_LOG_LEVEL": "error",
            "SENTIO_DB_CONNECT_TIMEOUT": "1",
            "SENTIO_WEBHOOK_DISPATCHER": "false",
            "SENTIO_RATE_LIMIT_BACKEND": "off",  # the clients are one address, many times over
        }
        env.pop("DATABASE_URL", None)
        created = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "app.cli", "create-api-key", "--scope", "admin"],
            cwd=ROOT, env=env, capture_output=True, text=True, check=True, timeout=120,
        )  # fmt: skip
        key = created.stdout.strip().splitlines()[-1]
        servers.append(Server(env, args.workers))
        servers[0].start()
        await servers[0].wait_ready()
        async with httpx.AsyncClient(headers={"Authorization": f"Bearer {key}"}) as c:
            r = await c.post(
                servers[0].base_url + "/v1/surveys", json={"name": "Faults NPS", "kind": "nps"}
            )
            r.raise_for_status()
            survey_id = r.json()["id"]

        log(f"{args.clients} clients for {args.duration:.0f}s, {args.cycles} fault cycle(s)")
        stats, stop = Stats(), asyncio.Event()
        drain_deadline = [time.monotonic() + args.duration + 120]

        class Proxy:  # clients always reach whichever server is current
            def __getattr__(self, name: str):
                return getattr(servers[0], name)

        clients = [
            asyncio.create_task(
                client_loop(n, Proxy(), key, survey_id, stats, stop, drain_deadline)  # type: ignore[arg-type]
            )
            for n in range(args.clients)
        ]
        await faults(cluster, servers, args.duration, args.cycles, stop)
        await asyncio.gather(*clients)
        result = await verify(cluster, servers[0], key, survey_id, stats)
        code = await servers[0].terminate()
        print(
            f"requests={stats.requests} acknowledged={stats.acknowledged} "
            f"retried={stats.retried} replays={stats.replays} abandoned={stats.abandoned} "
            f"stored={result['stored']} lost={result['lost']} "
            f"duplicated={result['duplicated']} half_stored={result['half_stored']} "
            f"scores_match={result['scores_match']} server_exit={code}",
            flush=True,
        )
        outcomes = sorted(stats.statuses.items(), key=str)
        log("outcomes: " + ", ".join(f"{k}={v}" for k, v in outcomes))
        ok = (
            result["lost"] == 0
            and result["duplicated"] == 0
            and result["half_stored"] == 0
            and result["scores_match"]
            and stats.acknowledged > 0
            and stats.abandoned == 0
        )
        return 0 if ok else 1
    finally:
        for server in servers:
            server.kill()
        if bouncer is not None:
            bouncer.stop()
        cluster.stop()
        shutil.rmtree(workdir, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--short", action="store_true", help="the CI run: 20 s, one cycle")
    parser.add_argument("--duration", type=float, default=300, help="seconds of load")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients")
    parser.add_argument("--cycles", type=int, default=None, help="fault cycles (default ~1/min)")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument(
        "--pgbouncer", action="store_true", help="PgBouncer (transaction pooling) in front"
    )
    args = parser.parse_args(argv)
    if args.short:
        args.duration, args.clients, args.cycles = 20, 8, 1
    if args.cycles is None:
        args.cycles = max(1, int(args.duration // 60))
    return args


if __name__ == "__main__":
    raise SystemExit(asyncio.run(main(parse_args())))
