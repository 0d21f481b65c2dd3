"""Signing in to the dashboard: which keys may, the session cookie, expiry, revocation,
sign-out, CSRF on every state-changing form, and failed sign-ins in the rate limit."""

import hashlib
import uuid
from datetime import timedelta

import httpx
from conftest import app_with, database_text_containing, new_key
from sqlalchemy import select, update

from app.auth.service import create_key
from app.config import get_settings
from app.db import sessionmaker, utcnow
from app.models import DashboardSession

from .conftest import CSRF, Browser


def session_cookie(response: httpx.Response) -> str:
    [header] = [
        v for v in response.headers.get_list("set-cookie") if v.startswith("sentio_dashboard=")
    ]
    return header


async def stored_sessions(key_id_or_hash: str | None = None) -> list[DashboardSession]:
    async with sessionmaker()() as session:
        query = select(DashboardSession)
        if key_id_or_hash:
            query = query.where(DashboardSession.id_hash == key_id_or_hash)
        return list(await session.scalars(query))


async def test_a_read_key_signs_in_with_an_httponly_strict_cookie(browser, reader):
    r = await browser.sign_in(reader)
    assert r.status_code == 303 and r.headers["location"] == "/dashboard"
    cookie = session_cookie(r)
    flags = [part.strip().lower() for part in cookie.split(";")]
    assert "httponly" in flags and "samesite=strict" in flags and "path=/dashboard" in flags
    assert "secure" not in flags  # plain HTTP here: a Secure cookie would never come back
    assert f"max-age={12 * 3600 - 1}" in flags or f"max-age={12 * 3600}" in flags
    session_id = cookie.split(";")[0].split("=", 1)[1]
    assert reader not in cookie and len(session_id) >= 40

    # Only a hash of the session id is stored, never the id nor the key.
    digest = hashlib.sha256(session_id.encode()).hexdigest()
    assert len(await stored_sessions(digest)) == 1
    assert await database_text_containing(session_id, reader) == []

    page = await browser.get("/dashboard")
    assert page.status_code == 200 and "<h1>Surveys</h1>" in page.text


async def test_the_cookie_is_secure_over_https(app, reader):
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://test") as client:
        r = await Browser(client).sign_in(reader)
    assert r.status_code == 303
    assert "secure" in [p.strip().lower() for p in session_cookie(r).split(";")]


async def test_https_behind_a_trusted_proxy_makes_the_cookie_secure(reader):
    app = app_with(trusted_proxies='["127.0.0.1"]')
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
    headers = {"X-Forwarded-Proto": "https"}
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", headers=headers
    ) as client:
        form = await client.get("/dashboard/sign-in")
        token = CSRF.search(form.text).group(1)
        assert "secure" in form.headers["set-cookie"].lower()
        client.cookies.clear()  # a Secure cookie: sent back by hand over this plain client
        r = await client.post(
            "/dashboard/sign-in",
            data={"key": reader, "csrf": token},
            headers={"Cookie": f"sentio_dashboard_signin={token}"},
        )
    assert r.status_code == 303
    assert "secure" in [p.strip().lower() for p in session_cookie(r).split(";")]


async def test_a_secret_key_needs_both_read_scopes(api, browser):
    both = await new_key(api.project_id, "scores:read", "responses:read")
    assert (await browser.sign_in(both)).status_code == 303
    admin_browser = browser
    await admin_browser.post("/dashboard/sign-out", data={"csrf": await browser.csrf()})
    for scopes in (("scores:read",), ("responses:read",), ("surveys:read",)):
        r = await browser.sign_in(await new_key(api.project_id, *scopes))
        assert r.status_code == 422, r.text
        assert "cannot open the dashboard" in r.text
        assert "sentio_dashboard=" not in r.headers.get("set-cookie", "")


async def test_publishable_and_instance_keys_are_refused(api, browser):
    async with sessionmaker()() as session, session.begin():
        _k, publishable = await create_key(
            session,
            [],
            kind="publishable",
            project_id=api.project_id,
            allowed_origins=["https://shop.example"],
        )
        _k, instance = await create_key(session, [], kind="instance", project_id=api.project_id)
    for key in (publishable, instance):
        r = await browser.sign_in(key)
        assert r.status_code == 422 and "cannot open the dashboard" in r.text
        assert (await browser.get("/dashboard")).status_code == 303


async def test_unknown_keys_are_refused_without_saying_more(browser):
    for key in ("rk_" + "x" * 43, "not a key", ""):
        r = await browser.sign_in(key)
        assert r.status_code == 422
        assert "This key is unknown, revoked or expired." in r.text or key == ""
    assert (await browser.get("/dashboard")).headers["location"] == "/dashboard/sign-in"


async def test_every_page_needs_a_session(api, browser):
    survey = await api.survey()
    for path in (
        "/dashboard",
        f"/dashboard/surveys/{survey['id']}",
        f"/dashboard/surveys/{survey['id']}/scores.csv",
    ):
        for cookie in ({}, {"Cookie": "sentio_dashboard=made-up"}):
            browser.client.cookies.clear()
            r = await browser.client.get(path, headers={**api.headers, **cookie})
            assert r.status_code == 303, (path, r.status_code)
            assert r.headers["location"] == "/dashboard/sign-in"


async def test_a_session_expires(browser, reader):
    r = await browser.sign_in(reader)
    session_id = session_cookie(r).split(";")[0].split("=", 1)[1]
    digest = hashlib.sha256(session_id.encode()).hexdigest()
    assert (await browser.get("/dashboard")).status_code == 200
    async with sessionmaker()() as session, session.begin():
        await session.execute(
            update(DashboardSession)
            .where(DashboardSession.id_hash == digest)
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    r = await browser.get("/dashboard")
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/sign-in"


async def test_the_session_lifetime_is_a_setting(browser, reader, monkeypatch):
    monkeypatch.setenv("SENTIO_DASHBOARD_SESSION_HOURS", "2")
    get_settings.cache_clear()
    try:
        r = await browser.sign_in(reader)
    finally:
        monkeypatch.delenv("SENTIO_DASHBOARD_SESSION_HOURS")
        get_settings.cache_clear()
    flags = [p.strip().lower() for p in session_cookie(r).split(";")]
    assert "max-age=7200" in flags or "max-age=7199" in flags
    session_id = session_cookie(r).split(";")[0].split("=", 1)[1]
    [row] = await stored_sessions(hashlib.sha256(session_id.encode()).hexdigest())
    assert timedelta(hours=1, minutes=59) < row.expires_at - utcnow() <= timedelta(hours=2)


async def test_revoking_the_key_ends_its_sessions(api, browser):
    r = await api.post("/v1/keys", json={"kind": "read"})
    key = r.json()
    assert (await browser.sign_in(key["secret"])).status_code == 303
    assert (await browser.get("/dashboard")).status_code == 200
    assert (await api.delete(f"/v1/keys/{key['id']}")).status_code in (200, 204)
    r = await browser.get("/dashboard")
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/sign-in"
    async with sessionmaker()() as session:
        rows = await session.scalars(
            select(DashboardSession).where(DashboardSession.key_id == uuid.UUID(key["id"]))
        )
        assert list(rows) == []


async def test_sign_out_needs_the_csrf_token_and_ends_the_session(browser, reader):
    r = await browser.sign_in(reader)
    session_id = session_cookie(r).split(";")[0].split("=", 1)[1]
    digest = hashlib.sha256(session_id.encode()).hexdigest()
    token = await browser.csrf()
    assert token != session_id

    for wrong in ("", "0" * 64, token[:-1]):
        r = await browser.post("/dashboard/sign-out", data={"csrf": wrong})
        assert r.status_code == 403
        assert (await browser.get("/dashboard")).status_code == 200

    r = await browser.post("/dashboard/sign-out", data={"csrf": token})
    assert r.status_code == 303 and r.headers["location"] == "/dashboard/sign-in?signed_out=1"
    assert 'sentio_dashboard=""' in r.headers["set-cookie"]
    assert await stored_sessions(digest) == []
    # The old cookie opens nothing any more, even if a browser kept it.
    browser.client.cookies.clear()
    r = await browser.client.get("/dashboard", headers={"Cookie": f"sentio_dashboard={session_id}"})
    assert r.status_code == 303
    assert "You are signed out." in (await browser.get("/dashboard/sign-in?signed_out=1")).text


async def test_the_sign_in_form_needs_its_csrf_token(browser, reader):
    await browser.get("/dashboard/sign-in")  # sets the form's cookie
    for token in ("", "forged"):
        r = await browser.post("/dashboard/sign-in", data={"key": reader, "csrf": token})
        assert r.status_code == 400 and "The form had expired" in r.text
        assert "sentio_dashboard=" not in r.headers.get("set-cookie", "").replace(
            "sentio_dashboard_signin=", ""
        )
    # Without the form's cookie (another site posting the form), the token cannot match.
    form = await browser.get("/dashboard/sign-in")
    token = CSRF.search(form.text).group(1)
    browser.client.cookies.clear()
    r = await browser.post("/dashboard/sign-in", data={"key": reader, "csrf": token})
    assert r.status_code == 400


async def test_failed_sign_ins_count_in_the_failed_authentication_limit(reader):
    app = app_with(rate_limit_public="20/hour")  # one window for the whole test
    address = f"198.51.100.{uuid.uuid4().int % 250 + 1}"
    transport = httpx.ASGITransport(app=app, client=(address, 4000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        browser = Browser(client)
        # 401s to made-up API keys from this address and failed sign-ins share one bucket.
        for i in range(15):
            made_up = {"Authorization": f"Bearer sk_{i:02d}" + "y" * 41}
            assert (await client.get("/v1/surveys", headers=made_up)).status_code == 401
        statuses = [(await browser.sign_in("rk_" + "z" * 43)).status_code for _ in range(7)]
        assert statuses[:3] == [422] * 3 and statuses[-1] == 429, statuses
        assert statuses.index(429) <= 5, statuses  # never more than the limit
        assert "Too many failed sign-ins" in (await browser.sign_in("rk_" + "z" * 43)).text
        # A valid key from the same address still signs in.
        assert (await browser.sign_in(reader)).status_code == 303
