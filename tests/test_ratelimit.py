"""Rate limits: per key on the API, per client address on link pages and public endpoints,
429 with Retry-After and RateLimit headers, state shared through the database (default) or
Redis, holding across two worker processes."""

import asyncio
import itertools
import os
import secrets
import signal
import socket
import sys
import time
from collections import Counter
from contextlib import asynccontextmanager

import httpx
import pytest
from conftest import DATABASE_URL, Api, app_with, assert_problem, new_key, new_project
from sqlalchemy import select

from app.db import sessionmaker
from app.models import RateLimitCounter
from app.ratelimit.limiter import Limiter
from app.ratelimit.policy import Policy, address_bucket

_addresses = itertools.count(1)


def fresh_address() -> str:
    n = next(_addresses) + os.getpid() % 1000 * 1000
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


@asynccontextmanager
async def limited_client(address: str | None = None, **settings: str):
    """A client of an app built with these settings (`rate_limit_api="5/day"`), calling
    from its own address so that no other test shares its buckets."""
    transport = httpx.ASGITransport(
        app=app_with(**settings), client=(address or fresh_address(), 40000)
    )
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=0.5):
            return True
    except OSError:
        return False


def header_params(value: str) -> dict[str, str]:
    name, *params = value.split(";")
    return {"name": name, **dict(p.split("=", 1) for p in params)}


@pytest.mark.parametrize("backend", ["database", "redis"])
async def test_per_key_limit_answers_429_with_headers(backend):
    if backend == "redis" and not redis_reachable():
        pytest.skip("no Redis at 127.0.0.1:6379")
    project = await new_project()
    key, other_key = await new_key(project, "admin"), await new_key(project, "admin")
    async with limited_client(rate_limit_api="5/day", rate_limit_backend=backend) as client:
        first = Api(client, project, key)
        for expected_remaining in (4, 3, 2, 1, 0):
            r = await first.get("/v1/surveys")
            assert r.status_code == 200, r.text
            assert header_params(r.headers["ratelimit-policy"]) == {
                "name": '"api"',
                "q": "5",
                "w": "86400",
            }
            assert header_params(r.headers["ratelimit"])["r"] == str(expected_remaining)
        r = await first.get("/v1/surveys")
        body = assert_problem(r, 429, "rate-limited")
        assert key not in r.text and "instance" not in body
        retry_after = int(r.headers["retry-after"])
        assert 0 < retry_after <= 86400
        limit = header_params(r.headers["ratelimit"])
        assert limit["r"] == "0" and 0 < int(limit["t"]) <= 86400
        # Refused requests do nothing, and other keys have their own budget.
        assert_problem(await first.post("/v1/surveys", json={"name": "x", "kind": "nps"}), 429)
        assert (await Api(client, project, other_key).get("/v1/surveys")).status_code == 200
        surveys = (await Api(client, project, other_key).get("/v1/surveys")).json()["data"]
        assert surveys == []
        # Health probes are never limited.
        assert (await client.get("/healthz")).status_code == 200


async def test_database_counters_hold_no_secrets():
    project = await new_project()
    key = await new_key(project, "surveys:read")
    async with limited_client(rate_limit_api="5/day") as client:
        for _ in range(3):
            await Api(client, project, key).get("/v1/surveys")
    async with sessionmaker()() as session:
        rows = (await session.scalars(select(RateLimitCounter))).all()
    assert rows and all(key not in row.bucket and key[3:20] not in row.bucket for row in rows)
    assert any(row.bucket.startswith("api:key:") and row.hits == 3 for row in rows)


async def test_link_page_token_guessing_is_limited_per_address():
    address = fresh_address()
    async with limited_client(address, rate_limit_public="4/day") as client:
        statuses = [
            (await client.get(f"/s/{secrets.token_urlsafe(24)}")).status_code for _ in range(6)
        ]
        assert statuses[:4] == [404] * 4 and statuses[4:] == [429, 429]
        r = await client.post("/v1/public/responses", json={"token": "x" * 32, "score": 5})
        assert_problem(r, 429)
        assert "x" * 32 not in r.text and "/s/" not in r.text
    # Another address is not affected.
    async with limited_client(rate_limit_public="4/day") as client:
        assert (await client.get(f"/s/{secrets.token_urlsafe(24)}")).status_code == 404


async def test_forwarded_addresses_count_only_from_trusted_proxies():
    proxy = fresh_address()
    async with limited_client(
        proxy, rate_limit_public="2/day", trusted_proxies=f'["{proxy}"]'
    ) as client:
        one, two = fresh_address(), fresh_address()
        for _ in range(2):
            r = await client.get("/s/unknown", headers={"X-Forwarded-For": f"{one}, {proxy}"})
            assert r.status_code == 404
        assert (await client.get("/s/unknown", headers={"X-Forwarded-For": one})).status_code == 429
        assert (await client.get("/s/unknown", headers={"X-Forwarded-For": two})).status_code == 404
    # From an untrusted peer the header is ignored: changing it does not buy a new budget.
    async with limited_client(rate_limit_public="2/day") as client:
        codes = [
            (
                await client.get("/s/unknown", headers={"X-Forwarded-For": fresh_address()})
            ).status_code
            for _ in range(3)
        ]
        assert codes == [404, 404, 429]


async def test_calls_without_a_key_count_per_address():
    async with limited_client(rate_limit_api="3/day") as client:
        codes = [(await client.get("/v1/surveys")).status_code for _ in range(4)]
        assert codes == [401, 401, 401, 429]


def test_address_buckets():
    assert address_bucket("203.0.113.9") == "203.0.113.9"
    assert address_bucket("::ffff:203.0.113.9") == "203.0.113.9"
    assert address_bucket("2001:db8:1:2:3:4:5:6") == address_bucket("2001:db8:1:2::99")
    assert address_bucket("2001:db8:1:2::1") != address_bucket("2001:db8:1:3::1")
    assert address_bucket(None) == "unknown"
    with pytest.raises(ValueError):
        Policy.parse("api", "10 per minute")
    assert Policy.parse("api", "10/hour") == Policy("api", 10, 3600)


class SharedStore:
    """Stands for the database: one total per bucket and window, shared by limiters."""

    def __init__(self) -> None:
        self.totals: Counter[tuple[str, int]] = Counter()
        self.calls = 0
        self.down = False

    async def add(self, bucket: str, window_start: int, reset_at: int, hits: int) -> int:
        self.calls += 1
        await asyncio.sleep(0)  # let other requests interleave, as a round trip would
        if self.down:
            raise ConnectionError("store down")
        self.totals[bucket, window_start] += hits
        return self.totals[bucket, window_start]

    async def purge(self, now: int) -> None:
        return None

    async def close(self) -> None:
        return None


@pytest.mark.parametrize("limit", [1, 7, 20, 100])
async def test_limiters_sharing_a_store_never_admit_more_than_the_limit(limit):
    store = SharedStore()
    workers = [Limiter(store), Limiter(store)]
    policy = Policy("t", limit, 86400)
    start = time.time() // 86400

    async def burst(worker: Limiter) -> list[bool]:
        return [(await worker.hit(policy, "k")).allowed for _ in range(limit * 2)]

    results = await asyncio.gather(*(burst(w) for w in workers))
    if time.time() // 86400 != start:
        pytest.skip("the window rolled over during the test")
    admitted = sum(sum(r) for r in results)
    assert admitted == limit


async def test_far_from_the_limit_most_hits_need_no_round_trip():
    store = SharedStore()
    limiter = Limiter(store)
    policy = Policy("t", 10_000, 86400)
    decisions = [await limiter.hit(policy, "k") for _ in range(1000)]
    assert all(d.allowed for d in decisions)
    assert store.calls < 30


async def test_exhausted_bucket_is_refused_without_a_round_trip():
    store = SharedStore()
    limiter = Limiter(store)
    policy = Policy("t", 3, 86400)
    for _ in range(4):
        await limiter.hit(policy, "k")
    calls = store.calls
    assert not any([(await limiter.hit(policy, "k")).allowed for _ in range(50)])
    assert store.calls == calls


async def test_store_outage_lets_requests_through(caplog):
    store = SharedStore()
    store.down = True
    limiter = Limiter(store)
    decisions = [await limiter.hit(Policy("t", 2, 60), "k") for _ in range(3)]
    assert all(d.allowed for d in decisions)
    assert "rate-limit store unavailable" in caplog.text


# --- two worker processes -------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("backend", ["database", "redis"])
async def test_limit_holds_across_two_worker_processes(backend):
    if backend == "redis" and not redis_reachable():
        pytest.skip("no Redis at 127.0.0.1:6379")
    limit = 20
    port = free_port()
    env = {
        **os.environ,
        "SENTIO_DATABASE_URL": DATABASE_URL,
        "SENTIO_RATE_LIMIT_API": f"{limit}/day",
        "SENTIO_RATE_LIMIT_BACKEND": backend,
        "SENTIO_WEBHOOK_DISPATCHER": "false",
        "SENTIO_LOG_LEVEL": "warning",
    }
    server = await asyncio.create_subprocess_exec(
        sys.executable,
        *("-m", "app.cli", "serve", "--workers", "2", "--port", str(port)),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient(base_url=base, timeout=10) as probe:
            deadline = time.monotonic() + 45
            while True:
                try:
                    if (await probe.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.returncode is not None:
                    pytest.fail((await server.stderr.read()).decode()[-2000:])
                assert time.monotonic() < deadline, "server did not start"
                await asyncio.sleep(0.2)
        pgrep = await asyncio.create_subprocess_exec(
            "pgrep", "-P", str(server.pid), stdout=asyncio.subprocess.PIPE
        )
        workers = (await pgrep.communicate())[0].split()
        assert len(workers) >= 2, "expected a supervisor with two worker processes"

        project = await new_project()
        key = await new_key(project, "surveys:read")
        day = time.time() // 86400
        # A new connection per request, so the kernel spreads them over both workers.
        limits = httpx.Limits(max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=base, timeout=20, limits=limits) as client:

            async def call() -> int:
                r = await client.get("/v1/surveys", headers={"Authorization": f"Bearer {key}"})
                return r.status_code

            codes: Counter[int] = Counter()
            for _ in range(6):
                codes.update(await asyncio.gather(*(call() for _ in range(10))))
        if time.time() // 86400 != day:
            pytest.skip("the window rolled over during the test")
        # Never over the limit, whichever worker answers. A worker may still hold a lease of
        # one or two requests that the kernel sent it no more traffic for, so the client can
        # be refused that much early (see app/ratelimit/limiter.py), never let through late.
        assert set(codes) <= {200, 429}, codes
        assert limit - 3 <= codes[200] <= limit, codes
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(server.wait(), timeout=30)
        except TimeoutError:
            os.killpg(server.pid, signal.SIGKILL)
            await asyncio.wait_for(server.wait(), timeout=10)


async def test_an_address_spraying_made_up_keys_is_stopped():
    project = await new_project()
    key = await new_key(project, "surveys:read")
    async with limited_client(rate_limit_public="3/day") as client:
        codes = []
        for _ in range(5):
            made_up = {"Authorization": f"Bearer sk_{secrets.token_urlsafe(32)}"}
            codes.append((await client.get("/v1/surveys", headers=made_up)).status_code)
        assert codes == [401, 401, 401, 429, 429]
        # Only failed authentications are refused: a valid key from the same address is
        # limited by its own budget alone (tests/hardening/test_failed_auth_bucket.py).
        assert (await Api(client, project, key).get("/v1/surveys")).status_code == 200
