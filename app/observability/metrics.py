"""Prometheus metrics.

Counters and histograms live in each process. With several server workers, set
`PROMETHEUS_MULTIPROC_DIR` to an empty directory (`sentio serve --workers N` does this on
its own) so that `/metrics` adds up every worker's values; without it a scrape sees only the
worker that answered it. Gauges read from the database at scrape time (outbox backlog,
invitations by status) are the same whichever worker answers."""

import os
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client import multiprocess as _multiprocess
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import after_commit

CONTENT_TYPE = CONTENT_TYPE_LATEST
MULTIPROCESS = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
disable_created_metrics()  # the *_created series only add noise to every scrape

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)

http_requests = Counter(
    "sentio_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
http_duration = Histogram(
    "sentio_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status class (2xx, …).",
    ["method", "route", "status_class"],
    buckets=LATENCY_BUCKETS,
)
responses_recorded = Counter(
    "sentio_responses_recorded",
    "Answers recorded (committed), by survey kind and channel.",
    ["kind", "channel"],
)
webhook_attempts = Counter(
    "sentio_webhook_attempts", "Webhook HTTP attempts, by result.", ["result"]
)
webhook_latency = Histogram(
    "sentio_webhook_attempt_duration_seconds",
    "Time a webhook receiver took to answer.",
    buckets=LATENCY_BUCKETS,
)
webhook_deliveries_failed = Counter(
    "sentio_webhook_deliveries_failed",
    "Webhook deliveries given up after the whole retry schedule.",
)
webhook_endpoints_disabled = Counter(
    "sentio_webhook_endpoints_disabled",
    "Webhook endpoints disabled automatically after failing for days.",
)
outbox_backlog = Gauge(
    "sentio_webhook_backlog",
    "Webhook deliveries waiting to be delivered (all projects).",
    multiprocess_mode="mostrecent",
)
outbox_oldest_age = Gauge(
    "sentio_webhook_backlog_oldest_age_seconds",
    "Age of the oldest webhook delivery still waiting (0 when none).",
    multiprocess_mode="mostrecent",
)
invitations = Gauge(
    "sentio_invitations",
    "Invitations by status (all projects).",
    ["status"],
    multiprocess_mode="mostrecent",
)
db_pool = Gauge(
    "sentio_db_pool_connections",
    "Database connections of this worker's pool: in_use, idle, overflow.",
    ["state"],
    multiprocess_mode="livesum",
)
db_pool_size = Gauge(
    "sentio_db_pool_size",
    "Connections each worker keeps open (configured pool size).",
    multiprocess_mode="max",
)


def response_recorded(session: AsyncSession, kind: str, channel: str | None) -> None:
    """Count an answer once its transaction commits (a rolled-back one never counts)."""
    after_commit(session, lambda: responses_recorded.labels(kind, channel or "other").inc())


def webhook_attempt(succeeded: bool, latency_ms: int | None) -> None:
    webhook_attempts.labels("success" if succeeded else "failure").inc()
    if latency_ms is not None:
        webhook_latency.observe(latency_ms / 1000)


def webhook_exhausted() -> None:
    webhook_deliveries_failed.inc()


def webhook_endpoint_disabled() -> None:
    webhook_endpoints_disabled.inc()


def observe_pool(pool: Any) -> None:
    """Pool use of this worker; SQLite's pool has no such counters and is skipped."""
    if not all(hasattr(pool, name) for name in ("checkedout", "checkedin", "overflow", "size")):
        return
    db_pool.labels("in_use").set(pool.checkedout())
    db_pool.labels("idle").set(pool.checkedin())
    db_pool.labels("overflow").set(max(pool.overflow(), 0))
    db_pool_size.set(pool.size())


def render() -> bytes:
    if MULTIPROCESS:
        registry = CollectorRegistry()
        _multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest(REGISTRY)
