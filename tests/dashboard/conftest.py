"""Dashboard tests: a browser-like client of its own per test (its own cookie jar), signed
in through the sign-in form as a person would be."""

import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser

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


class _Rows(HTMLParser):
    """Rows of one table: each row's own data-* attributes and its cells' by data-field."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.inside = False
        self.rows: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table" and attrs.get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr" and any(k.startswith("data-") for k in attrs):
            self.rows.append({"row": attrs, "cells": {}})
        elif self.inside and tag in ("td", "th") and "data-field" in attrs and self.rows:
            self.rows[-1]["cells"][attrs["data-field"]] = attrs

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False


def table_rows(html: str, table_id: str) -> list[dict]:
    parser = _Rows(table_id)
    parser.feed(html)
    return parser.rows


def number(text: str) -> float | None:
    return None if text in ("", None) else float(text)
