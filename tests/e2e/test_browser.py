"""End to end in a real headless Chromium: a respondent opens a score link from the email
block, sees the score chosen, comments, submits, sees the thank-you page, and the answer
counts once in /v1/scores. Saves a screenshot of the survey page under test-artifacts/."""

import asyncio
import os
import socket
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from conftest import new_key, new_project

CHROMIUM = Path("/usr/bin/chromium")
ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
RESPONDENT = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
)

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium"
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, env: dict[str, str], log_path: Path) -> subprocess.Popen:
    with log_path.open("wb") as log:
        return subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "app.main:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


@pytest.fixture
async def server() -> AsyncIterator[str]:
    """A real uvicorn serving the app on the test database."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "SENTIO_PUBLIC_BASE_URL": base, "SENTIO_WEBHOOK_DISPATCHER": "false"}
    ARTIFACTS.mkdir(exist_ok=True)
    log_path = ARTIFACTS / "e2e-server.log"
    process = start_server(port, env, log_path)
    try:
        async with httpx.AsyncClient(base_url=base) as client:
            for _ in range(200):  # up to 20 s to start
                if process.poll() is not None:
                    pytest.fail(f"the server exited early; see {log_path}")
                try:
                    if (await client.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
            else:
                pytest.fail("the server did not start")
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


async def test_respondent_answers_from_the_email(server):
    playwright_api = pytest.importorskip("playwright.async_api")
    project = await new_project("e2e")
    headers = {"Authorization": f"Bearer {await new_key(project, 'admin')}"}
    async with httpx.AsyncClient(base_url=server, headers=headers) as api:
        r = await api.post("/v1/surveys", json={"name": "E2E", "kind": "nps"})
        survey = r.json()["id"]
        r = await api.post(
            f"/v1/surveys/{survey}/invitations",
            json={"recipients": [{"customer_id": "e2e-1", "name": "Ana"}]},
        )
        [invitation] = r.json()["data"]
        email = ARTIFACTS / "email.html"
        email.write_text(
            '<!doctype html><html><head><meta charset="utf-8"><title>Email</title></head>'
            f"<body>{invitation['email_html']}</body></html>",
            encoding="utf-8",
        )

        async with playwright_api.async_playwright() as p:
            # launch() gives the browser a fresh, throw-away profile of its own
            browser = await p.chromium.launch(
                executable_path=str(CHROMIUM), args=FLAGS, headless=True
            )
            context = await browser.new_context(user_agent=RESPONDENT)
            try:
                await answer_in_browser(context, email, playwright_api.expect)
            finally:
                await context.close()
                await browser.close()

        r = await api.get("/v1/scores", params={"survey_id": survey})
        assert r.status_code == 200, r.text
        report = r.json()
        assert '"n":1' in r.text.replace(" ", ""), report
        assert "'nps': 100" in str(report) or '"nps":100' in r.text.replace(" ", "")
        [response] = (await api.get("/v1/responses", params={"survey_id": survey})).json()["data"]
        assert response["score"] == 9 and response["comment"] == "Fast & friendly <3"
        assert response["customer_id"] == "e2e-1" and response["channel"] == "email"


async def answer_in_browser(context, email: Path, expect) -> None:
    blocked: list[str] = []
    context.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    mail = await context.new_page()
    await mail.goto(email.as_uri())
    await mail.screenshot(path=str(ARTIFACTS / "email.png"))
    async with context.expect_page() as opened:
        await mail.get_by_role("link", name="9 out of 10").click()
    page = await opened.value
    await page.wait_for_load_state()
    assert "/s/" in page.url and page.url.endswith("?score=9")
    assert await page.get_by_role("radio", name="9 out of 10").is_checked()
    assert await page.get_by_role("radio", checked=True).count() == 1
    await page.screenshot(path=str(ARTIFACTS / "survey-page.png"), full_page=True)

    await page.get_by_label("Anything you would like to add?").fill("Fast & friendly <3")
    # typing is an interaction: the page saves the chosen score at once
    await expect(page.locator("#saved")).to_be_visible()
    await page.get_by_role("button", name="Send my answer").click()
    await page.wait_for_url("**/thanks")
    await expect(page.get_by_role("heading")).to_have_text("Thank you!")
    await page.screenshot(path=str(ARTIFACTS / "thanks-page.png"))
    assert blocked == [], blocked  # the page's own script and styles pass its CSP
