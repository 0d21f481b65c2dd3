"""Slow clients are timed out (`sentio serve`, real sockets): a connection that sends
nothing, or its headers a byte at a time, is answered 408 and closed after
SENTIO_HEADER_TIMEOUT_SECONDS; one that sends its body too slowly is closed after
SENTIO_BODY_TIMEOUT_SECONDS and nothing of it is stored. Other clients are served
meanwhile."""

import asyncio
import contextlib

import httpx
import pytest
from test_faults import free_port, server, wait_until_up

SLOW_HEAD = (
    b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: a-very-slow-client/1.0\r\n"
    b"Accept: */*\r\nX-Padding: " + b"x" * 200 + b"\r\n\r\n"
)


@pytest.fixture
async def timed_server():
    port = free_port()
    env = {
        "SENTIO_HEADER_TIMEOUT_SECONDS": "1",
        "SENTIO_BODY_TIMEOUT_SECONDS": "1",
        "SENTIO_WEBHOOK_DISPATCHER": "false",
        "SENTIO_RATE_LIMIT_BACKEND": "off",
    }
    with server(port, grace=2, env=env) as proc:
        await wait_until_up(port, proc)
        yield port


async def _trickle(port: int, data: bytes, pause: float) -> bytes:
    """Send `data` a byte at a time; return what the server sent back before it closed
    the connection (or b"<sent>" if it let every byte through and answered nothing)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    answer = asyncio.create_task(reader.read())
    try:
        for i in range(len(data)):
            if answer.done():
                return answer.result()
            try:
                writer.write(data[i : i + 1])
                await writer.drain()
            except (ConnectionError, OSError):
                return await answer
            await asyncio.sleep(pause)
        return b"<sent>"
    finally:
        answer.cancel()
        writer.close()
        with contextlib.suppress(Exception):
            await writer.wait_closed()


async def test_fifty_clients_sending_headers_a_byte_at_a_time_are_timed_out(timed_server):
    port = timed_server
    # 250 bytes at 0.1 s each would take 25 s; the header timeout is 1 s.
    slow = [asyncio.create_task(_trickle(port, SLOW_HEAD, 0.1)) for _ in range(50)]
    await asyncio.sleep(0.3)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        assert (await client.get("/healthz")).status_code == 200  # others are served
    answers = await asyncio.wait_for(asyncio.gather(*slow), timeout=20)
    for answer in answers:
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
        assert b"request-timeout" in answer


async def test_a_connection_that_sends_nothing_is_closed(timed_server):
    reader, writer = await asyncio.open_connection("127.0.0.1", timed_server)
    try:
        answer = await asyncio.wait_for(reader.read(), timeout=10)
        assert answer.startswith(b"HTTP/1.1 408 ")
    finally:
        writer.close()


async def test_a_body_sent_too_slowly_is_cut_off_and_not_stored(timed_server, api):
    survey = await api.survey()
    body = b'{"score": 9, "comment": "' + b"s" * 100 + b'"}'
    head = (
        f"POST /v1/surveys/{survey['id']}/responses HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: Bearer {api.key}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    reader, writer = await asyncio.open_connection("127.0.0.1", timed_server)
    try:
        writer.write(head)
        await writer.drain()
        closed = asyncio.create_task(reader.read())
        for i in range(len(body)):  # 120 bytes at 0.1 s: 12 s; the body timeout is 1 s
            if closed.done():
                break
            with contextlib.suppress(ConnectionError, OSError):
                writer.write(body[i : i + 1])
                await writer.drain()
            await asyncio.sleep(0.1)
        assert closed.done(), "the server waited for the whole slow body"
        assert not closed.result().startswith(b"HTTP/1.1 201")
    finally:
        writer.close()
    listed = await api.get("/v1/responses", params={"survey_id": survey["id"]})
    assert listed.json()["data"] == []


async def test_requests_at_a_normal_pace_are_unaffected(timed_server, api):
    survey = await api.survey()
    headers = {"Authorization": f"Bearer {api.key}"}
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{timed_server}") as client:
        for score in (9, 10):  # one kept-alive connection, idle a while between requests
            r = await client.post(
                f"/v1/surveys/{survey['id']}/responses", json={"score": score}, headers=headers
            )
            assert r.status_code == 201, r.text
            await asyncio.sleep(1.5)  # longer than the header timeout, shorter than keep-alive
