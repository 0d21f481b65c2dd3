"""The ASGI application: routers, error handlers, middleware."""

import asyncio
from contextlib import asynccontextmanager

from fastapi import APIRouter, Depends, FastAPI
from fastapi.routing import APIRoute

from app import openapi, problems
from app.config import get_settings
from app.dashboard.router import assets as dashboard_assets
from app.dashboard.router import router as dashboard_router
from app.db import dispose_engine, get_engine
from app.docs.router import router as docs_router
from app.fastpath import FastPath
from app.health.router import router as health_router
from app.idempotency.cleanup import purge_periodically
from app.invitations.cors import PublicCORS
from app.invitations.router import public_router
from app.invitations.router import router as invitations_router
from app.journeys.router import router as journeys_router
from app.middleware import RequestGuard
from app.observability import logs
from app.observability.middleware import ObservabilityMiddleware
from app.observability.router import router as metrics_router
from app.outcomes.router import router as outcomes_router
from app.pages import fastpath as presence_fast
from app.pages.router import assets
from app.pages.router import router as pages_router
from app.projects.router import router as projects_router
from app.responses import fastpath as ingest_fast
from app.responses.browser import router as browser_router
from app.responses.export import router as export_router
from app.responses.router import router as responses_router
from app.scores.router import router as scores_router
from app.security import install as security
from app.surveys.router import router as surveys_router
from app.themes import tagging as theme_tagging
from app.themes.router import router as themes_router
from app.validation import single_valued_query
from app.webhooks import dispatcher
from app.webhooks.router import router as webhooks_router

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
    stop_dispatch = asyncio.Event()
    dispatch = (
        asyncio.create_task(dispatcher.run(stop_dispatch))
        if get_settings().webhook_dispatcher
        else None
    )
    stop_tagging = asyncio.Event()
    retag = (
        asyncio.create_task(theme_tagging.run(stop_tagging))
        if get_settings().theme_tagging
        else None
    )
    yield
    if retag is not None:
        stop_tagging.set()  # a batch under way commits or rolls back; the next resumes it
        await asyncio.wait([retag], timeout=5)
        retag.cancel()
    if dispatch is not None:
        stop_dispatch.set()
        await asyncio.wait([dispatch], timeout=get_settings().webhook_timeout_seconds + 1)
        dispatch.cancel()
    if purger is not None:
        purger.cancel()
    await dispose_engine()


def create_app() -> FastAPI:
    settings = get_settings()
    logs.configure(settings.log_level, settings.log_format)
    app = FastAPI(
        title="Sentio",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,  # served by app.docs from installed files, not FastAPI's CDN page
        redoc_url=None,
        # Sentio has its own request metrics and logs (app.observability); FastAPI's
        # OpenTelemetry hooks would cost every request a look-up for nothing.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        dependencies=[Depends(single_valued_query)],
        openapi_tags=[
            {"name": "surveys", "description": "Define NPS, CSAT and CES surveys."},
            {"name": "responses", "description": "Record, read, change and erase answers."},
            {"name": "scores", "description": "Scores with intervals, as JSON or CSV."},
            {"name": "invitations", "description": "Invite customers; links, email blocks."},
            {"name": "public", "description": "Answer an invitation from a browser (no key)."},
            {"name": "webhooks", "description": "Signed event deliveries to your systems."},
            {"name": "outcomes", "description": "What happened to customers: churn, purchases."},
            {"name": "customers", "description": "Churn, touchpoint drivers, journeys."},
            {"name": "themes", "description": "Comment themes: tags, impact, suggestions."},
            {"name": "projects and keys", "description": "Tenants and their API keys."},
            {"name": "health", "description": "Liveness and readiness probes."},
        ],
    )
    problems.install(app)
    openapi.install(app)
    for router in (health_router, surveys_router, responses_router, scores_router):
        app.include_router(router)
    app.include_router(webhooks_router)
    app.include_router(metrics_router)
    app.include_router(docs_router)
    app.include_router(invitations_router)
    app.include_router(public_router)
    app.include_router(pages_router)
    app.include_router(projects_router)
    app.include_router(browser_router)
    app.include_router(export_router)
    app.include_router(themes_router)
    app.include_router(outcomes_router)
    app.include_router(journeys_router)
    app.include_router(dashboard_router)
    app.mount("/dashboard/assets", dashboard_assets, name="dashboard-assets")
    app.mount("/assets", assets, name="assets")
    for router, fast in ((responses_router, ingest_fast), (pages_router, presence_fast)):
        app.add_middleware(  # innermost: every other middleware still applies
            FastPath,
            route=_route(router, "POST", fast.ROUTE),
            pattern=fast.PATH,
            handle=fast.handle,
        )
    app.add_middleware(
        RequestGuard, max_body_bytes=settings.max_body_bytes, json_prefixes=("/v1/",)
    )
    if settings.cors_origins:
        app.add_middleware(PublicCORS, origins=settings.cors_origins)
    security.install(app, settings)  # proxies, headers, rate limits
    app.add_middleware(ObservabilityMiddleware)  # outermost: sees every answer
    return app


def _route(router: APIRouter, method: str, path: str) -> APIRoute:
    return next(
        r
        for r in router.routes
        if isinstance(r, APIRoute) and r.path == path and method in r.methods
    )


app = create_app()
