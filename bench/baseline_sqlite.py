"""The bare SQLite baseline: Starlette and one aiosqlite connection, one INSERT of the same
row per request in autocommit, into a copy of the `responses` table with its indexes.

The SQLite counterpart of `bench/baseline.py`, with the PRAGMAs Sentio's SQLite uses (WAL,
synchronous=NORMAL, busy timeout), and no auth, validation, idempotency or rollups.
Run: BENCH_SQLITE=/path/to.db uvicorn bench.baseline_sqlite:app
"""

import json
import os
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import aiosqlite
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.models.base import uuid7

TABLE = "baseline_responses"
INSERT = f"""
INSERT INTO {TABLE} (id, project_id, survey_id, score, comment, customer_id, segment,
                       touchpoint, channel, locale, attributes, submitted_at, created_at,
                       updated_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
"""
PROJECT_ID = uuid.UUID(os.environ.get("BENCH_PROJECT_ID", "00000000-0000-0000-0000-000000000000"))
conn: aiosqlite.Connection | None = None


async def create_response(request: Request) -> Response:
    body = json.loads(await request.body())
    response_id = uuid7()
    now = datetime.now(UTC)
    stamp = now.replace(tzinfo=None).isoformat(" ", "microseconds")
    attributes = body.get("attributes")
    assert conn is not None
    await conn.execute(
        INSERT,
        (
            response_id.hex, PROJECT_ID.hex, uuid.UUID(request.path_params["survey_id"]).hex,
            body["score"], body.get("comment"), body.get("customer_id"), body.get("segment"),
            body.get("touchpoint"), body.get("channel", "api"), body.get("locale"),
            json.dumps(attributes) if attributes is not None else None, stamp, stamp, stamp,
        ),
    )  # fmt: skip
    out = {"id": str(response_id), "score": body["score"], "submitted_at": now.isoformat()}
    return Response(json.dumps(out), status_code=201, media_type="application/json")


@asynccontextmanager
async def lifespan(_app: Starlette):
    global conn
    conn = await aiosqlite.connect(os.environ["BENCH_SQLITE"], isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "busy_timeout=5000"):
        await conn.execute(f"PRAGMA {pragma}")
    yield
    await conn.close()


app = Starlette(
    routes=[Route("/v1/surveys/{survey_id}/responses", create_response, methods=["POST"])],
    lifespan=lifespan,
)
