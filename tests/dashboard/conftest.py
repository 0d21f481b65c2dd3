"""Dashboard tests: a browser-like client of its own per test (its own cookie jar), signed
in through the sign-in form as a person would be."""

import re
from collections.abc import AsyncIterator

import httpx
import pytest

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Browser:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def get(self, url: str, **kwargs) -> httpx.Response:
        return await self.client.get(url, **kwargs)

    async def post(self, url: str, **kwargs) -> httpx.Response:
        return await self.client.post(url, **kwargs)

    async def sign_in(self, key: str, tz: str = "") -> httpx.Response:
        form = await self.client.get("/dashboard/sign-in")
        assert form.status_code == 200, form.text
        token = CSRF.search(form.text).group(1)
        return await self.client.post(
            "/dashboard/sign-in", data={"key": key, "csrf": token, "tz": tz}
        )

    async def csrf(self) -> str:
        page = await self.client.get("/dashboard")
        assert page.status_code == 200, page.text
        return CSRF.search(page.text).group(1)


@pytest.fixture
async def browser(app) -> AsyncIterator[Browser]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield Browser(client)


@pytest.fixture
async def reader(api) -> str:
    """A read key (rk_) of the `api` fixture's project."""
    r = await api.post("/v1/keys", json={"kind": "read"})
    assert r.status_code == 201, r.text
    return r.json()["secret"]
