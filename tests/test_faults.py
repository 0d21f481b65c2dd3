"""Faults: an unreachable or silent database, its return, pool exhaustion, SIGTERM."""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from conftest import DATABASE_URL, assert_problem
from sqlalchemy import select, text
from sqlalchemy.engine import make_url

import app.db as db
from app.config import get_settings
from app.migrate import head_revision
from app.models import Response

ROOT = Path(__file__).resolve().parent.parent
on_postgres = pytest.mark.skipif(db.is_sqlite(DATABASE_URL), reason="needs PostgreSQL")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.asynccontextmanager
async def database(url: str, **settings) -> AsyncIterator[None]:
    """Point the running app at another database (or pool settings) for the test's duration."""
    saved = db._engine, db._sessionmaker
    engine = db.build_engine(get_settings().model_copy(update={"database_url": url, **settings}))
    db._engine, db._sessionmaker = engine, db.async_sessionmaker(engine, expire_on_commit=False)
    try:
        yield
    finally:
        await engine.dispose()
        db._engine, db._sessionmaker = saved


def postgres_at(port: int) -> str:
    if db.is_sqlite(DATABASE_URL):
        return f"postgresql+asyncpg://postgres@127.0.0.1:{port}/sentio"
    return make_url(DATABASE_URL).set(host="127.0.0.1", port=port).render_as_string(False)


class Proxy:
    """A TCP forwarder to the real database that can be stopped (all connections cut) and
    started again on the same port, as a database restart looks to the service."""

    def __init__(self, port: int, target: tuple[str, int]) -> None:
        self.port, self.target = port, target
        self.server: asyncio.Server | None = None
        self.writers: set[asyncio.StreamWriter] = set()

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", self.port)

    async def stop(self) -> None:
        assert self.server is not None
        self.server.close()
        for writer in list(self.writers):
            writer.transport.abort()
        await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self.target)
        self.writers |= {writer, up_writer}

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(OSError):
                while data := await src.read(65536):
                    dst.write(data)
                    await dst.drain()
            dst.transport.abort()

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


async def test_unreachable_database_answers_503_quickly(api):
    async with database(postgres_at(free_port())):
        r = await api.get("/v1/surveys")
        assert_problem(r, 503, "service-unavailable")
        assert int(r.headers["retry-after"]) > 0
        r = await api.post("/v1/surveys", json={"name": "x", "kind": "nps"})
        assert_problem(r, 503, "service-unavailable")
        ready = await api.get("/readyz")
        assert ready.status_code == 503 and ready.headers["retry-after"]
        assert ready.json()["status"] == "unavailable"
        assert (await api.get("/healthz")).status_code == 200
    assert (await api.get("/v1/surveys")).status_code == 200


async def test_silent_database_answers_503_after_the_connect_timeout(api):
    """A host that accepts connections and never answers must not hang requests."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        async with database(postgres_at(port), db_connect_timeout=0.3):
            r = await asyncio.wait_for(api.get("/v1/surveys"), timeout=30)
            assert_problem(r, 503, "service-unavailable")
            ready = await asyncio.wait_for(api.get("/readyz"), timeout=30)
            assert ready.status_code == 503
    finally:
        for writer in held:
            writer.transport.abort()
        server.close()
        await server.wait_closed()


async def test_database_starting_up_answers_503(api):
    """While PostgreSQL restarts it answers connections with 'starting up' (57P03)."""
    fields = b"SFATAL\0VFATAL\0C57P03\0Mthe database system is starting up\0\0"
    error = b"E" + (len(fields) + 4).to_bytes(4, "big") + fields

    async def starting_up(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while True:
                size = int.from_bytes(await reader.readexactly(4), "big")
                payload = await reader.readexactly(size - 4)
                if payload[:4] == (80877103).to_bytes(4, "big"):  # SSLRequest: no TLS here
                    writer.write(b"N")
                else:  # StartupMessage
                    writer.write(error)
                    await writer.drain()
                    break
        writer.close()

    server = await asyncio.start_server(starting_up, "127.0.0.1", 0)
    try:
        async with database(postgres_at(server.sockets[0].getsockname()[1])):
            assert_problem(await api.get("/v1/surveys"), 503, "service-unavailable")
            assert (await api.get("/readyz")).status_code == 503
    finally:
        server.close()
        await server.wait_closed()


@on_postgres
async def test_service_recovers_by_itself_when_the_database_returns(api):
    survey = await api.survey()
    url = make_url(DATABASE_URL)
    proxy = Proxy(free_port(), (url.host or "127.0.0.1", url.port or 5432))
    async with database(postgres_at(proxy.port)):
        assert_problem(await api.get("/v1/surveys"), 503)
        await proxy.start()
        assert (await api.get("/readyz")).status_code == 200
        r = await api.post(f"/v1/surveys/{survey['id']}/responses", json={"score": 9})
        assert r.status_code == 201
        # The database goes away with connections open in the pool, then comes back.
        await proxy.stop()
        assert (await api.get("/readyz")).status_code == 503
        assert_problem(await api.get(f"/v1/surveys/{survey['id']}"), 503)
        await proxy.start()
        assert (await api.get("/readyz")).status_code == 200
        r = await api.post(f"/v1/surveys/{survey['id']}/responses", json={"score": 7})
        assert r.status_code == 201
        await proxy.stop()


async def test_pool_exhaustion_answers_503_instead_of_queuing(api):
    async with database(DATABASE_URL, db_pool_size=1, db_max_overflow=0, db_pool_timeout=0.2):
        async with db.get_engine().connect():  # the only connection is busy
            r = await api.get("/v1/surveys")
            body = assert_problem(r, 503, "service-unavailable")
            assert "capacity" in body["detail"]
            assert r.headers["retry-after"] == "1"
        assert (await api.get("/v1/surveys")).status_code == 200


async def test_readiness_needs_the_schema_at_head(client):
    head = head_revision()
    assert (await client.get("/readyz")).status_code == 200
    async with db.get_engine().begin() as conn:
        await conn.execute(text("UPDATE alembic_version SET version_num = '0001'"))
    try:
        r = await client.get("/readyz")
        assert r.status_code == 503 and "sentio migrate" in r.json()["detail"]
    finally:
        async with db.get_engine().begin() as conn:
            await conn.execute(
                text("UPDATE alembic_version SET version_num = :head"), {"head": head}
            )
    assert (await client.get("/readyz")).status_code == 200


# --- SIGTERM -----------------------------------------------------------------------------


@contextlib.contextmanager
def server(port: int, grace: int, env: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    env = {
        **os.environ,
        **(env or {}),
        "SENTIO_DATABASE_URL": DATABASE_URL,
        "SENTIO_SHUTDOWN_GRACE_SECONDS": str(grace),
        "SENTIO_LOG_LEVEL": "warning",
    }
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port)], cwd=ROOT, env=env
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


async def wait_until_up(port: int, proc: subprocess.Popen) -> None:
    async with httpx.AsyncClient() as client:
        for _ in range(300):
            assert proc.poll() is None, "the server exited"
            with contextlib.suppress(httpx.TransportError):
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise AssertionError("the server did not start")


async def refuses_connections(port: int) -> bool:
    for _ in range(300):
        try:
            _r, w = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            return True
        w.close()
        await asyncio.sleep(0.05)
    return False


async def test_sigterm_finishes_in_flight_requests_then_exits_cleanly(api):
    survey = await api.survey()
    port = free_port()
    body = b'{"score": 9, "comment": "sent slowly"}'
    with server(port, grace=20) as proc:
        await wait_until_up(port, proc)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        head = (
            f"POST /v1/surveys/{survey['id']}/responses HTTP/1.1\r\nHost: test\r\n"
            f"Authorization: Bearer {api.key}\r\nContent-Type: application/json\r\n"
            f"Idempotency-Key: {uuid.uuid4()}\r\nContent-Length: {len(body)}\r\n\r\n"
        ).encode()
        writer.write(head + body[:10])  # a request in flight: headers and half a body
        await writer.drain()
        await asyncio.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        assert await refuses_connections(port), "still accepting after SIGTERM"
        assert proc.poll() is None, "exited with a request in flight"
        writer.write(body[10:])
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), timeout=30)
        assert status_line.startswith(b"HTTP/1.1 201"), status_line
        writer.close()
        assert await asyncio.to_thread(proc.wait, 30) == 0
    async with db.sessionmaker()() as session:
        stored = await session.scalars(
            select(Response.comment).where(Response.survey_id == uuid.UUID(survey["id"]))
        )
        assert list(stored) == ["sent slowly"]


async def test_sigterm_grace_is_bounded(api):
    port = free_port()
    with server(port, grace=1) as proc:
        await wait_until_up(port, proc)
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST /v1/surveys HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Authorization: Bearer " + api.key.encode() + b"\r\nContent-Length: 100\r\n\r\n{"
        )  # a body that never completes
        await writer.drain()
        await asyncio.sleep(0.5)
        proc.send_signal(signal.SIGTERM)
        assert await asyncio.to_thread(proc.wait, 30) is not None
        writer.close()
