"""The ASGI application: routers, error handlers, middleware."""

import asyncio
import logging
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app import problems
from app.config import get_settings
from app.db import dispose_engine, get_engine
from app.health.router import router as health_router
from app.idempotency.cleanup import purge_periodically
from app.middleware import RequestGuard
from app.responses.router import router as responses_router
from app.scores.router import router as scores_router
from app.surveys.router import router as surveys_router

DESCRIPTION = """\
Sentio issues NPS, CSAT and CES surveys, collects the answers and returns correct scores
with 95% confidence intervals per segment, touchpoint and time bucket, as JSON and CSV.

Every `/v1` call needs `Authorization: Bearer <API key>`. Errors are RFC 9457
`application/problem+json`.
"""


@asynccontextmanager
async def lifespan(_app: FastAPI):
    get_engine()
    interval = get_settings().idempotency_cleanup_seconds
    purger = asyncio.create_task(purge_periodically(interval)) if interval else None
    yield
    if purger is not None:
        purger.cancel()
    await dispose_engine()


def create_app() -> FastAPI:
    settings = get_settings()
    logging.basicConfig(level=settings.log_level.upper())
    app = FastAPI(
        title="Sentio",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "surveys", "description": "Define NPS, CSAT and CES surveys."},
            {"name": "responses", "description": "Record, read, change and erase answers."},
            {"name": "scores", "description": "Scores with intervals, as JSON or CSV."},
            {"name": "health", "description": "Liveness and readiness probes."},
        ],
    )
    problems.install(app)
    for router in (health_router, surveys_router, responses_router, scores_router):
        app.include_router(router)
    app.add_middleware(
        RequestGuard, max_body_bytes=settings.max_body_bytes, json_prefixes=("/v1/",)
    )
    return app


app = create_app()
