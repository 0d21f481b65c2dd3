"""Test set-up: a real database (SQLite file, or PostgreSQL from TEST_DATABASE_URL) whose
schema is built by the migrations, and the app called through httpx as clients call it.

Tests are isolated by project: each `api` fixture gets a fresh project and admin key, so no
test sees another's data and nothing needs cleaning between tests."""

import json
import os
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

# Imported a second time (as `tests.conftest`), this module must keep the session's database:
# a new SQLite path here would point every server a later test starts at an empty file.
_first = sys.modules.get("conftest")
if _first is not None and hasattr(_first, "DATABASE_URL"):
    DATABASE_URL = _first.DATABASE_URL
else:
    _tmp = tempfile.mkdtemp(prefix="sentio-test-")
    DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or f"sqlite+aiosqlite:///{_tmp}/test.db"
os.environ["SENTIO_DATABASE_URL"] = DATABASE_URL
os.environ.setdefault("SENTIO_LOG_LEVEL", "warning")
# Every test calls from one address; rate limits are tested with their own apps.
os.environ.setdefault("SENTIO_RATE_LIMIT_API", "1000000/minute")
os.environ.setdefault("SENTIO_RATE_LIMIT_PUBLIC", "1000000/minute")

import httpx  # noqa: E402
from sqlalchemy import (  # noqa: E402
    JSON,
    String,
    Text,
    cast,
    func,
    inspect,
    literal,
    or_,
    select,
    text,
)
from sqlalchemy import column as sql_column  # noqa: E402
from sqlalchemy import table as sql_table  # noqa: E402

from app.auth.service import create_key  # noqa: E402
from app.config import get_settings  # noqa: E402
from app.db import get_engine, is_sqlite, sessionmaker  # noqa: E402
from app.main import create_app  # noqa: E402
from app.migrate import upgrade  # noqa: E402
from app.models import Project  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
async def database() -> AsyncIterator[None]:
    engine = get_engine()
    if not is_sqlite(DATABASE_URL):
        async with engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
    await upgrade(engine)
    yield
    await engine.dispose()


def app_with(**settings: str):
    """An app built with these settings (`rate_limit_api="5/day"` is
    SENTIO_RATE_LIMIT_API), leaving the environment as it was."""
    saved = {f"SENTIO_{k.upper()}": os.environ.get(f"SENTIO_{k.upper()}") for k in settings}
    os.environ.update({f"SENTIO_{k.upper()}": v for k, v in settings.items()})
    get_settings.cache_clear()
    try:
        return create_app()
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        get_settings.cache_clear()


@pytest.fixture(scope="session")
def app():
    return create_app()


@pytest.fixture(scope="session")
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


async def new_project(name: str = "test") -> uuid.UUID:
    async with sessionmaker()() as session, session.begin():
        project = Project(name=name)
        session.add(project)
        await session.flush()
        return project.id


async def new_key(project_id: uuid.UUID, *scopes: str) -> str:
    async with sessionmaker()() as session, session.begin():
        _key, secret = await create_key(session, list(scopes), project_id=project_id)
        return secret


class Api:
    """An httpx client bound to one project's key."""

    def __init__(self, client: httpx.AsyncClient, project_id: uuid.UUID, key: str) -> None:
        self.client = client
        self.project_id = project_id
        self.key = key
        self.headers = {"Authorization": f"Bearer {key}"}

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        return await self.client.request(method, url, headers=headers, **kwargs)

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("GET", url, **kwargs)

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("POST", url, **kwargs)

    async def patch(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("PATCH", url, **kwargs)

    async def delete(self, url: str, **kwargs: Any) -> httpx.Response:
        return await self.request("DELETE", url, **kwargs)

    async def survey(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "Test survey", "kind": "nps", **fields}
        r = await self.post("/v1/surveys", json=body)
        assert r.status_code == 201, r.text
        return r.json()

    async def answer(self, survey_id: str, score: int, **fields: Any) -> dict[str, Any]:
        r = await self.post(f"/v1/surveys/{survey_id}/responses", json={"score": score, **fields})
        assert r.status_code == 201, r.text
        return r.json()

    async def with_scopes(self, *scopes: str) -> "Api":
        return Api(self.client, self.project_id, await new_key(self.project_id, *scopes))


@pytest.fixture
async def api(client: httpx.AsyncClient) -> Api:
    project_id = await new_project()
    return Api(client, project_id, await new_key(project_id, "admin"))


def assert_problem(response: httpx.Response, status: int, slug: str | None = None) -> dict:
    """An RFC 9457 problem with this status (and type)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    if slug:
        assert body["type"] == f"/problems/{slug}", body
    return body


async def database_text_containing(*needles: str) -> list[str]:
    """Every stored text or JSON value, in any table of the database (found by reflection,
    so tables added later are searched too), that contains one of these strings, as
    `table.column: value`. An erasure test asserts that this is empty for the erased values.

    JSON on SQLite is stored with non-ASCII characters escaped, so the escaped spelling of
    each needle is searched as well."""
    spellings = {n for needle in needles for n in (needle, json.dumps(needle)[1:-1])}
    engine = get_engine()
    sqlite = engine.dialect.name == "sqlite"

    def text_columns(sync_conn) -> dict[str, list[str]]:
        inspector = inspect(sync_conn)
        return {
            name: [c["name"] for c in inspector.get_columns(name) if _is_text(c["type"])]
            for name in inspector.get_table_names()
        }

    found: list[str] = []
    async with engine.connect() as conn:
        for table_name, columns in (await conn.run_sync(text_columns)).items():
            if not columns:
                continue
            table = sql_table(table_name, *(sql_column(c) for c in columns))
            for name in columns:
                value = cast(table.c[name], Text)
                contains = func.instr if sqlite else func.strpos
                query = select(value).where(
                    or_(*(contains(value, literal(s)) > 0 for s in spellings))
                )
                rows = (await conn.execute(query)).scalars().all()
                found += [f"{table_name}.{name}: {row}" for row in rows]
    return found


def _is_text(column_type) -> bool:
    return isinstance(column_type, String | JSON) or type(column_type).__name__ in {
        "JSONB",
        "JSON",
        "NullType",
    }
