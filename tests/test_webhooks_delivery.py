"""Deliveries end to end: a real HTTP receiver on 127.0.0.1, dispatchers run by the test
(with a clock the test moves, so retries need no waiting), signatures checked with the
Standard Webhooks reference library."""

import asyncio
import json
import threading
import time
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import delete, select, update
from standardwebhooks import Webhook

from app.config import get_settings
from app.db import sessionmaker, utcnow
from app.models import WebhookDelivery, WebhookEndpoint
from app.responses import service as responses
from app.responses.schemas import ResponseCreate
from app.webhooks.dispatcher import RETRY_DELAYS, Dispatcher


class Receiver:
    """A tiny webhook receiver in a thread. `plan` holds the statuses of the next answers
    (then 200); `delay` makes it slow. Every request is recorded."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.plan: list[int] = []
        self.delay = 0.0
        self.lock = threading.Lock()
        self.port = 0
        self.server: ThreadingHTTPServer | None = None
        self.start()

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body})
                    status = receiver.plan.pop(0) if receiver.plan else 200
                if receiver.delay:
                    time.sleep(receiver.delay)
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        assert self.server is not None
        self.server.shutdown()
        self.server.server_close()
        self.server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def events(self) -> list[dict]:
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests]

    def ids(self) -> list[str]:
        with self.lock:
            return [r["headers"]["webhook-id"] for r in self.requests]


class Clock:
    def __init__(self) -> None:
        self.offset = timedelta()

    def __call__(self):
        return utcnow() + self.offset

    def advance(self, delta: timedelta) -> None:
        self.offset += delta


@pytest.fixture
def allow_loopback(monkeypatch):
    monkeypatch.setattr(get_settings(), "webhook_allow_private_targets", True)


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    if r.server is not None:
        r.stop()


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def dispatcher(clock):
    settings = get_settings().model_copy(
        update={"webhook_allow_private_targets": True, "webhook_timeout_seconds": 5}
    )
    d = Dispatcher(settings=settings, clock=clock)
    yield d
    await d.aclose()


@pytest.fixture(autouse=True)
async def _only_this_test(api):
    """Dispatchers claim deliveries of every project. Deliveries other tests left pending
    are parked far in the future for the length of this test, and this test's endpoints
    (with their deliveries) are dropped after it."""
    async with sessionmaker()() as session, session.begin():
        await session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.status == "pending",
                WebhookDelivery.project_id != api.project_id,
            )
            .values(next_attempt_at=utcnow() + timedelta(days=36500))
        )
    yield
    async with sessionmaker()() as session, session.begin():
        await session.execute(
            delete(WebhookEndpoint).where(WebhookEndpoint.project_id == api.project_id)
        )


async def register(api, url: str, **fields) -> dict:
    body = {"url": url, "events": ["response.created"], **fields}
    r = await api.post("/v1/webhooks", json=body)
    assert r.status_code == 201, r.text
    return r.json()


async def drain(dispatcher: Dispatcher) -> int:
    total = 0
    while sent := await dispatcher.run_once():
        total += sent
    return total


async def deliveries(api, webhook_id: str) -> list[dict]:
    r = await api.get(f"/v1/webhooks/{webhook_id}/deliveries")
    assert r.status_code == 200, r.text
    return r.json()["data"]


async def test_signed_delivery_verifies(api, allow_loopback, receiver, dispatcher):
    hook = await register(api, receiver.url)
    survey = await api.survey(kind="nps")
    answer = await api.answer(survey["id"], 3, segment="enterprise", comment="Too slow")
    assert await drain(dispatcher) == 1

    [request] = receiver.requests
    payload = Webhook(hook["secret"]).verify(request["body"], request["headers"])
    assert payload["type"] == "response.created" and payload["version"] == 1
    assert payload["id"] == request["headers"]["webhook-id"]
    assert payload["data"]["response"]["id"] == answer["id"]
    assert payload["data"]["response"]["comment"] == "Too slow"
    assert payload["data"]["survey"]["id"] == survey["id"]
    assert payload["data"]["survey"]["kind"] == "nps"
    # a different secret does not verify
    other = (await register(api, receiver.url, events=["response.deleted"]))["secret"]
    with pytest.raises(Exception, match="signature"):
        Webhook(other).verify(request["body"], request["headers"])

    [log] = await deliveries(api, hook["id"])
    assert log["status"] == "succeeded" and log["event_type"] == "response.created"
    assert log["event_id"] == payload["id"]
    [attempt] = log["attempts"]
    assert attempt["succeeded"] and attempt["status_code"] == 200
    assert attempt["latency_ms"] is not None and attempt["latency_ms"] >= 0


async def test_retries_after_failures_in_order(api, allow_loopback, receiver, dispatcher, clock):
    hook = await register(api, receiver.url)
    survey = await api.survey()
    receiver.plan = [500, 503, 302]
    await api.answer(survey["id"], 9)

    assert await drain(dispatcher) == 1
    assert await drain(dispatcher) == 0  # not due again before its backoff
    for _ in range(3):
        clock.advance(timedelta(hours=1))
        assert await drain(dispatcher) == 1
    assert await drain(dispatcher) == 0

    ids = receiver.ids()
    assert len(ids) == 4 and len(set(ids)) == 1  # the same event, four times
    [log] = await deliveries(api, hook["id"])
    assert log["status"] == "succeeded"
    attempts = log["attempts"]
    assert [a["number"] for a in attempts] == [1, 2, 3, 4]
    assert [a["status_code"] for a in attempts] == [500, 503, 302, 200]
    assert [a["succeeded"] for a in attempts] == [False, False, False, True]
    times = [a["attempted_at"] for a in attempts]
    assert times == sorted(times)
    assert "only a 2xx" in attempts[2]["error"]


async def test_backoff_grows_and_gives_up_after_about_a_day(
    api, allow_loopback, receiver, dispatcher, clock
):
    hook = await register(api, receiver.url)
    survey = await api.survey()
    receiver.plan = [500] * 20
    await api.answer(survey["id"], 9)
    waits = []
    for _ in range(len(RETRY_DELAYS) + 1):
        assert await drain(dispatcher) == 1
        async with sessionmaker()() as session:
            delivery = await session.scalar(
                select(WebhookDelivery).where(WebhookDelivery.endpoint_id == uuid.UUID(hook["id"]))
            )
        if delivery.status == "pending":
            waits.append(delivery.next_attempt_at - clock())
            clock.advance(delivery.next_attempt_at - clock() + timedelta(seconds=1))
    assert delivery.status == "failed" and delivery.attempts == len(RETRY_DELAYS) + 1
    for wait, planned in zip(waits, RETRY_DELAYS, strict=True):  # the schedule, with jitter
        assert planned * 0.8 - timedelta(seconds=1) <= wait <= planned * 1.2
    assert waits[0] < timedelta(minutes=1) < waits[1] < waits[2] < waits[3]
    assert timedelta(hours=20) < sum(waits, timedelta()) < timedelta(hours=36)
    clock.advance(timedelta(days=3))
    assert await drain(dispatcher) == 0
    assert len(receiver.requests) == len(RETRY_DELAYS) + 1


async def test_receiver_down_then_back_gets_every_event_once(
    api, allow_loopback, receiver, dispatcher, clock
):
    await register(api, receiver.url)
    survey = await api.survey()
    receiver.stop()
    answers = [await api.answer(survey["id"], score) for score in (1, 5, 10)]
    assert await drain(dispatcher) == 3  # all refused: nobody listens
    assert receiver.requests == []

    receiver.start()  # same port
    clock.advance(timedelta(minutes=1))
    assert await drain(dispatcher) == 3
    clock.advance(timedelta(days=2))
    assert await drain(dispatcher) == 0
    got = [e["data"]["response"]["id"] for e in receiver.events()]
    assert sorted(got) == sorted(a["id"] for a in answers)


async def test_two_dispatchers_never_send_one_event_twice(api, allow_loopback, receiver, clock):
    await register(api, receiver.url)
    survey = await api.survey()
    for i in range(30):
        await api.answer(survey["id"], i % 11)
    receiver.delay = 0.01  # keep sends in flight while the other worker claims
    settings = get_settings().model_copy(update={"webhook_allow_private_targets": True})
    workers = [Dispatcher(settings=settings, clock=clock, batch_size=4) for _ in range(2)]
    try:
        counts = await asyncio.gather(*(drain(w) for w in workers))
    finally:
        for w in workers:
            await w.aclose()
    assert sum(counts) == 30
    ids = receiver.ids()
    assert len(ids) == 30 and len(set(ids)) == 30


async def test_rolled_back_change_sends_nothing(api, allow_loopback, receiver, dispatcher):
    await register(api, receiver.url)
    survey = await api.survey()

    async with sessionmaker()() as session:
        await session.begin()
        await responses.create(
            session, api.project_id, uuid.UUID(survey["id"]), ResponseCreate(score=2)
        )
        await session.rollback()
    # a request that fails validation stores and sends nothing either
    r = await api.post(f"/v1/surveys/{survey['id']}/responses", json={"score": 11})
    assert r.status_code == 422
    assert await drain(dispatcher) == 0
    assert receiver.requests == []

    async with sessionmaker()() as session, session.begin():
        await responses.create(
            session, api.project_id, uuid.UUID(survey["id"]), ResponseCreate(score=4)
        )
    assert await drain(dispatcher) == 1
    assert [e["data"]["response"]["score"] for e in receiver.events()] == [4]


async def test_filters_and_event_types(api, allow_loopback, receiver, dispatcher):
    detractors = await register(
        api,
        receiver.url,
        events=["response.created"],
        filters={"segments": ["enterprise"], "score_max": 6, "kinds": ["nps"]},
    )
    survey = await api.survey(kind="nps")
    csat = await api.survey(kind="csat")
    wanted = await api.answer(survey["id"], 3, segment="enterprise")
    await api.answer(survey["id"], 9, segment="enterprise")
    await api.answer(survey["id"], 3, segment="smb")
    await api.answer(csat["id"], 1, segment="enterprise")
    await api.patch(f"/v1/responses/{wanted['id']}", json={"comment": "not subscribed"})
    assert await drain(dispatcher) == 1
    [event] = receiver.events()
    assert event["data"]["response"]["id"] == wanted["id"]
    assert len(await deliveries(api, detractors["id"])) == 1


async def test_update_delete_and_erasure_events(api, allow_loopback, receiver, dispatcher):
    await register(
        api,
        receiver.url,
        events=["response.updated", "response.deleted"],
        filters={"score_max": 6},
    )
    survey = await api.survey()
    one = await api.answer(survey["id"], 5, customer_id="c-1", comment="secret plan")
    two = await api.answer(survey["id"], 2, customer_id="c-1")
    three = await api.answer(survey["id"], 4, customer_id="c-2")
    assert (await api.patch(f"/v1/responses/{three['id']}", json={"score": 6})).status_code == 200
    assert (await api.delete(f"/v1/responses/{three['id']}")).status_code == 204
    r = await api.post("/v1/erasures", json={"customer_id": "c-1"})
    assert r.status_code == 200 and r.json()["erased"] == 2
    assert await drain(dispatcher) == 4

    events = receiver.events()
    assert [e["type"] for e in events].count("response.updated") == 1
    updated = next(e for e in events if e["type"] == "response.updated")
    assert updated["data"]["response"]["score"] == 6
    deleted = {e["data"]["response"]["id"]: e for e in events if e["type"] == "response.deleted"}
    assert set(deleted) == {one["id"], two["id"], three["id"]}
    for event in deleted.values():
        tombstone = event["data"]["response"]
        assert tombstone["deleted"] is True
        assert tombstone["score"] is None and tombstone["comment"] is None
        assert tombstone["customer_id"] is None
    assert "secret plan" not in json.dumps(events)


async def test_rotated_secret_signs_with_both_until_expiry(
    api, allow_loopback, receiver, dispatcher
):
    hook = await register(api, receiver.url)
    survey = await api.survey()
    r = await api.post(f"/v1/webhooks/{hook['id']}/rotate-secret", json={})
    assert r.status_code == 200 and r.json()["secret"] != hook["secret"]
    new = r.json()["secret"]
    assert r.json()["previous_secret_expires_at"] is not None
    await api.answer(survey["id"], 9)
    await drain(dispatcher)
    [request] = receiver.requests
    assert len(request["headers"]["webhook-signature"].split()) == 2
    Webhook(hook["secret"]).verify(request["body"], request["headers"])
    Webhook(new).verify(request["body"], request["headers"])

    r = await api.post(f"/v1/webhooks/{hook['id']}/rotate-secret", json={"previous_valid_hours": 0})
    newest = r.json()["secret"]
    await api.answer(survey["id"], 8)
    await drain(dispatcher)
    request = receiver.requests[-1]
    Webhook(newest).verify(request["body"], request["headers"])
    for stale in (hook["secret"], new):
        with pytest.raises(Exception, match="signature"):
            Webhook(stale).verify(request["body"], request["headers"])


async def test_private_targets_refused_at_send_time(api, allow_loopback, receiver, clock):
    """Registered while allowed (as in development), sent by a dispatcher that is not:
    the request is refused before any connection is made, by address and by name."""
    survey = await api.survey()
    hooks = [
        await register(api, receiver.url),
        await register(api, f"http://localhost:{receiver.port}/hooks"),
    ]
    settings = get_settings().model_copy(update={"webhook_allow_private_targets": False})
    strict = Dispatcher(settings=settings, clock=clock)
    try:
        await api.answer(survey["id"], 9)
        assert await drain(strict) == 2
    finally:
        await strict.aclose()
    assert receiver.requests == []
    for hook in hooks:
        [log] = await deliveries(api, hook["id"])
        assert log["status"] == "pending"
        assert log["attempts"][0]["error"].startswith("refused:")
        assert "private, loopback or reserved" in log["attempts"][0]["error"]


async def test_slow_receiver_is_a_failure(api, allow_loopback, receiver, clock):
    hook = await register(api, receiver.url)
    survey = await api.survey()
    receiver.delay = 1.0
    settings = get_settings().model_copy(
        update={"webhook_allow_private_targets": True, "webhook_timeout_seconds": 0.2}
    )
    impatient = Dispatcher(settings=settings, clock=clock)
    try:
        await api.answer(survey["id"], 9)
        assert await drain(impatient) == 1
    finally:
        await impatient.aclose()
    [log] = await deliveries(api, hook["id"])
    assert log["status"] == "pending" and not log["attempts"][0]["succeeded"]
    assert "timed out" in log["attempts"][0]["error"]


async def test_endpoint_failing_for_days_is_disabled_and_says_so(
    api, allow_loopback, receiver, dispatcher, clock
):
    hook = await register(api, receiver.url)
    survey = await api.survey()
    receiver.plan = [500] * 5
    await api.answer(survey["id"], 9)
    await drain(dispatcher)
    body = (await api.get(f"/v1/webhooks/{hook['id']}")).json()
    assert body["status"] == "active" and body["failing_since"] is not None

    async with sessionmaker()() as session, session.begin():
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == uuid.UUID(hook["id"]))
            .values(failing_since=utcnow() - timedelta(days=6))
        )
    clock.advance(timedelta(hours=1))
    await drain(dispatcher)
    body = (await api.get(f"/v1/webhooks/{hook['id']}")).json()
    assert body["status"] == "disabled"
    assert "failed since" in body["disabled_reason"]

    # disabled: new answers queue nothing, held deliveries wait
    await api.answer(survey["id"], 8)
    clock.advance(timedelta(days=1))
    assert await drain(dispatcher) == 0
    assert len(await deliveries(api, hook["id"])) == 1

    receiver.plan = []  # the receiver is fixed
    r = await api.patch(f"/v1/webhooks/{hook['id']}", json={"status": "active"})
    assert r.status_code == 200 and r.json()["disabled_reason"] is None
    assert await drain(dispatcher) == 1
    [log] = await deliveries(api, hook["id"])
    assert log["status"] == "succeeded"
    assert (await api.get(f"/v1/webhooks/{hook['id']}")).json()["failing_since"] is None


async def test_redeliver_sends_the_event_again(api, allow_loopback, receiver, dispatcher):
    hook = await register(api, receiver.url)
    survey = await api.survey()
    await api.answer(survey["id"], 9)
    await drain(dispatcher)
    [first] = await deliveries(api, hook["id"])
    r = await api.post(f"/v1/webhooks/{hook['id']}/deliveries/{first['id']}/redeliver")
    assert r.status_code == 202 and r.json()["status"] == "pending"
    assert await drain(dispatcher) == 1
    ids = receiver.ids()
    assert len(ids) == 2 and ids[0] == ids[1] == first["event_id"]
    logs = await deliveries(api, hook["id"])
    assert [d["status"] for d in logs] == ["succeeded", "succeeded"]

    missing = uuid.uuid4()
    r = await api.post(f"/v1/webhooks/{hook['id']}/deliveries/{missing}/redeliver")
    assert r.status_code == 404
    assert r.json()["type"] == "/problems/webhook-delivery-not-found"


async def test_link_answers_invitations_and_unsubscribes(api, allow_loopback, receiver, dispatcher):
    """The path a newcomer takes: invite, answer through the link, receive signed events."""
    hook = await register(
        api,
        receiver.url,
        events=[
            "invitation.created",
            "response.created",
            "response.updated",
            "unsubscribe.created",
        ],
    )
    survey = await api.survey(kind="nps")
    r = await api.post(
        f"/v1/surveys/{survey['id']}/invitations",
        json={"recipients": [{"customer_id": "c-7", "email": "ana@example.com", "segment": "smb"}]},
    )
    assert r.status_code == 201, r.text
    [invitation] = r.json()["data"]
    token = invitation["survey_url"].rsplit("/s/", 1)[1].split("?")[0]
    r = await api.client.post("/v1/public/responses", json={"token": token, "score": 4})
    assert r.status_code in (200, 201), r.text
    r = await api.client.post("/v1/public/responses", json={"token": token, "score": 4})
    assert r.status_code in (200, 201), r.text  # the same answer again: no event
    r = await api.client.post("/v1/public/responses", json={"token": token, "score": 6})
    assert r.status_code in (200, 201), r.text
    assert (await api.post("/v1/unsubscribes", json={"customer_id": "c-7"})).status_code == 201
    assert (await api.post("/v1/unsubscribes", json={"customer_id": "c-7"})).status_code == 200
    assert await drain(dispatcher) == 4

    events = []
    for request in receiver.requests:
        events.append(Webhook(hook["secret"]).verify(request["body"], request["headers"]))
    by_type = {e["type"]: e["data"] for e in events}
    assert sorted(by_type) == [
        "invitation.created",
        "response.created",
        "response.updated",
        "unsubscribe.created",
    ]
    sent = by_type["invitation.created"]["invitation"]
    assert sent["id"] == invitation["id"] and sent["segment"] == "smb"
    assert token not in json.dumps(events)  # link tokens never leave in events
    assert by_type["invitation.created"]["survey"]["id"] == survey["id"]
    assert by_type["response.created"]["response"]["score"] == 4
    assert by_type["response.created"]["response"]["customer_id"] == "c-7"
    assert by_type["response.updated"]["response"]["score"] == 6
    assert by_type["unsubscribe.created"]["unsubscribe"]["customer_id"] == "c-7"
