"""The bare baseline: Starlette and an asyncpg pool, one INSERT of the same row in autocommit.

What a hand-written endpoint that does nothing else costs; Sentio's ingest is measured
against it. It parses the same JSON body and stores the same columns in a copy of the `responses`
table (same columns and indexes), without auth, validation, idempotency or rollups.
Run: BENCH_DSN=postgresql://… uvicorn bench.baseline:app
"""

import json
import os
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import asyncpg
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.models.base import uuid7

TABLE = os.environ.get("BENCH_TABLE", "baseline_responses")  # a copy of responses
INSERT = f"""
INSERT INTO {TABLE} (id, project_id, survey_id, score, comment, customer_id, segment,
                       touchpoint, channel, locale, attributes, submitted_at, created_at,
                       updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $12, $12)
"""

pool: asyncpg.Pool | None = None
PROJECT_ID = uuid.UUID(os.environ.get("BENCH_PROJECT_ID", "00000000-0000-0000-0000-000000000000"))


async def create_response(request: Request) -> Response:
    body = json.loads(await request.body())
    response_id = uuid7()
    now = datetime.now(UTC)
    attributes = body.get("attributes")
    assert pool is not None
    await pool.execute(
        INSERT,
        response_id,
        PROJECT_ID,
        uuid.UUID(request.path_params["survey_id"]),
        body["score"],
        body.get("comment"),
        body.get("customer_id"),
        body.get("segment"),
        body.get("touchpoint"),
        body.get("channel", "api"),
        body.get("locale"),
        json.dumps(attributes) if attributes is not None else None,
        now,
    )
    out = {"id": str(response_id), "score": body["score"], "submitted_at": now.isoformat()}
    return Response(json.dumps(out), status_code=201, media_type="application/json")


@asynccontextmanager
async def lifespan(_app: Starlette):
    global pool
    pool = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=10, max_size=10)
    yield
    await pool.close()


app = Starlette(
    routes=[Route("/v1/surveys/{survey_id}/responses", create_response, methods=["POST"])],
    lifespan=lifespan,
)
