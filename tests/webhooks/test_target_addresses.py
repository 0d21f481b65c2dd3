"""Webhook targets: IPv6 forms that carry a private IPv4 address (NAT64, 6to4,
IPv4-compatible, IPv4-mapped and translated, Teredo) and site-local addresses are refused,
when the URL is registered and when a delivery is sent; a refusal never names the address
a host name resolved to."""

import logging
import socket
from datetime import timedelta

import pytest
from conftest import assert_problem
from sqlalchemy import delete, update

from app.config import get_settings
from app.db import sessionmaker, utcnow
from app.models import WebhookDelivery, WebhookEndpoint
from app.webhooks import targets
from app.webhooks.dispatcher import Dispatcher

REFUSED = [
    ("64:ff9b::7f00:1", "NAT64 of 127.0.0.1"),
    ("64:ff9b::a9fe:a9fe", "NAT64 of 169.254.169.254 (cloud metadata)"),
    ("64:ff9b::a00:1", "NAT64 of 10.0.0.1"),
    ("64:ff9b:1:7f00:1:0::", "local-use NAT64 (/48) of 127.0.0.1"),
    ("::7f00:1", "IPv4-compatible 127.0.0.1"),
    ("::a9fe:a9fe", "IPv4-compatible 169.254.169.254"),
    ("::", "unspecified"),
    ("::1", "loopback"),
    ("2002:7f00:1::", "6to4 of 127.0.0.1"),
    ("2002:a9fe:a9fe::", "6to4 of 169.254.169.254"),
    ("2002:c0a8:101::1", "6to4 of 192.168.1.1"),
    ("::ffff:7f00:1", "IPv4-mapped 127.0.0.1"),
    ("::ffff:0:7f00:1", "IPv4-translated 127.0.0.1"),
    ("::ffff:0:a9fe:a9fe", "IPv4-translated 169.254.169.254"),
    ("2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo, client 127.0.0.1"),
    ("2001:0:a00:1:8000:63bf:3fff:fdd2", "Teredo, server 10.0.0.1"),
    ("fec0::1", "site-local"),
    ("fed0::1", "site-local"),
    ("fe80::1", "link-local"),
    ("fc00::1", "unique local"),
    ("ff02::1", "multicast"),
    ("100::1", "discard-only"),
    ("2001:db8::1", "documentation"),
]
ALLOWED = [
    ("2606:4700:4700::1111", "a public IPv6 address"),
    ("64:ff9b::808:808", "NAT64 of 8.8.8.8"),
    ("2002:808:808::1", "6to4 of 8.8.8.8"),
    ("2001:0:4136:e378:8000:63bf:f7f7:f7f7", "Teredo, public server and client"),
]


@pytest.mark.parametrize(("address", "why"), REFUSED)
async def test_registration_refuses_non_public_ipv6_forms(api, address, why):
    r = await api.post(
        "/v1/webhooks", json={"url": f"https://[{address}]/hooks", "events": ["response.created"]}
    )
    assert_problem(r, 422, "webhook-url-refused")


@pytest.mark.parametrize(("address", "why"), ALLOWED)
async def test_registration_takes_public_ipv6_forms(api, address, why):
    r = await api.post(
        "/v1/webhooks", json={"url": f"https://[{address}]/hooks", "events": ["response.created"]}
    )
    assert r.status_code == 201, (why, r.text)
    await api.delete(f"/v1/webhooks/{r.json()['id']}")


@pytest.mark.parametrize(("address", "why"), REFUSED)
async def test_sending_refuses_non_public_ipv6_forms(address, why):
    target = targets.parse(f"https://[{address}]/hooks")
    with pytest.raises(targets.TargetRefused):
        await targets.resolve(target, allow_private=False)


@pytest.mark.parametrize(("address", "why"), ALLOWED)
async def test_sending_takes_public_ipv6_forms(address, why):
    target = targets.parse(f"https://[{address}]/hooks")
    assert await targets.resolve(target, allow_private=False) == address


def _private_name() -> tuple[str, str]:
    """A name of this machine that resolves to a loopback or private address."""
    for name in (socket.gethostname(), "localhost.localdomain", "ip6-localhost"):
        try:
            address = socket.getaddrinfo(name, 80, type=socket.SOCK_STREAM)[0][4][0]
        except OSError:
            continue
        if name.lower() != "localhost" and not targets.is_public(targets.literal_address(address)):
            return name, address
    pytest.skip("no name of this machine resolves to a private address")


async def test_a_refused_delivery_does_not_name_the_resolved_address(api, caplog):
    name, address = _private_name()
    async with sessionmaker()() as session, session.begin():
        # Dispatchers claim deliveries of every project: park the others for this test.
        await session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.status == "pending", WebhookDelivery.project_id != api.project_id
            )
            .values(next_attempt_at=utcnow() + timedelta(days=36500))
        )
    r = await api.post(
        "/v1/webhooks", json={"url": f"http://{name}:9/hooks", "events": ["response.created"]}
    )
    assert r.status_code == 201, r.text  # a name is only resolved when sending
    hook = r.json()
    settings = get_settings().model_copy(update={"webhook_allow_private_targets": False})
    strict = Dispatcher(settings=settings)
    try:
        survey = await api.survey()
        await api.answer(survey["id"], 9)
        with caplog.at_level(logging.DEBUG):
            while await strict.run_once():
                pass
    finally:
        await strict.aclose()
    [log] = (await api.get(f"/v1/webhooks/{hook['id']}/deliveries")).json()["data"]
    error = log["attempts"][0]["error"]
    assert error.startswith("refused:") and "not an allowed target" in error, error
    assert address not in error
    assert address not in caplog.text
    async with sessionmaker()() as session, session.begin():
        await session.execute(
            delete(WebhookEndpoint).where(WebhookEndpoint.project_id == api.project_id)
        )
