"""/docs works without internet: Swagger UI's files come from Sentio itself, the page runs
under the strict page CSP (no inline script, nothing from another origin), and a real
Chromium renders the operations while every request it makes stays on the server's origin."""

import httpx
import pytest

from app.security.headers import DOCS_CSP
from tests.e2e.test_browser import ARTIFACTS, CHROMIUM, FLAGS, server  # noqa: F401


async def test_docs_page_loads_only_files_of_this_server(client):
    r = await client.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    assert '<script src="/docs/assets/swagger-ui-bundle.js"></script>' in html
    assert '<script src="/docs/assets/swagger-init.js"></script>' in html
    assert "<script>" not in html  # nothing inline: the CSP allows script files only


async def test_docs_page_has_the_strict_page_policy(client):
    csp = (await client.get("/docs")).headers["content-security-policy"]
    assert csp == DOCS_CSP
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'none'"
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["connect-src"] == "'self'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in csp


@pytest.mark.parametrize(
    ("name", "kind", "marker"),
    [
        ("swagger-ui-bundle.js", "javascript", "SwaggerUIBundle"),
        ("swagger-ui.css", "text/css", ".swagger-ui"),
        ("swagger-init.js", "javascript", "/openapi.json"),
    ],
)
async def test_docs_assets_are_served(client, name, kind, marker):
    r = await client.get(f"/docs/assets/{name}")
    assert r.status_code == 200 and kind in r.headers["content-type"]
    assert marker in r.text


async def test_unknown_docs_asset_is_404(client):
    assert (await client.get("/docs/assets/..%2Fapp%2Fconfig.py")).status_code == 404
    assert (await client.get("/docs/assets/redoc.standalone.js")).status_code == 404


@pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium")
async def test_docs_render_the_operations_in_chromium_offline(server):  # noqa: F811
    playwright_api = pytest.importorskip("playwright.async_api")
    origin = str(httpx.URL(server)).rstrip("/")
    elsewhere: list[str] = []
    blocked: list[str] = []
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        context = await browser.new_context()
        try:
            page = await context.new_page()

            async def only_this_origin(route):
                # no internet here: anything for another origin is recorded and refused
                if route.request.url.startswith(origin + "/"):
                    await route.continue_()
                else:
                    elsewhere.append(route.request.url)
                    await route.abort()

            await context.route("**/*", only_this_origin)
            page.on(
                "console",
                lambda m: blocked.append(m.text) if "Content Security" in m.text else None,
            )
            await page.goto(f"{server}/docs")
            operations = page.locator(".opblock")
            await operations.first.wait_for(timeout=20_000)
            assert await operations.count() > 20
            await playwright_api.expect(
                page.locator(".opblock-summary-path", has_text="/v1/surveys").first
            ).to_be_visible()
            await page.locator(".opblock-summary", has_text="/healthz").first.click()
            await playwright_api.expect(page.get_by_text("Try it out").first).to_be_visible()
            ARTIFACTS.mkdir(exist_ok=True)
            await page.screenshot(path=str(ARTIFACTS / "docs.png"))
        finally:
            await context.close()
            await browser.close()
    assert elsewhere == [], elsewhere
    assert blocked == [], blocked
