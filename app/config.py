"""One settings object for the whole service, read from the environment (and `.env`)."""

from functools import lru_cache
from typing import Literal

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SENTIO_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite+aiosqlite:///./sentio.db",
        validation_alias=AliasChoices("SENTIO_DATABASE_URL", "DATABASE_URL"),
        description="SQLAlchemy async URL: sqlite+aiosqlite:///path or postgresql+asyncpg://…",
    )
    db_pool_size: int = Field(10, description="Connections kept open per worker (PostgreSQL).")
    db_max_overflow: int = Field(10, description="Extra connections a worker may open under load.")
    db_pool_timeout: float = Field(
        2.0, description="Seconds a request waits for a free connection before answering 503."
    )
    db_connect_timeout: float = Field(
        2.0, description="Seconds to wait when opening a database connection."
    )
    sqlite_busy_timeout_ms: int = Field(5000, description="SQLite busy timeout in milliseconds.")
    statement_timeout_seconds: float = Field(
        30,
        ge=0,
        description="Longest a database statement may run before it is cancelled and the "
        "request answers 503 query-timeout (0: no limit).",
    )
    db_pgbouncer: bool = Field(
        False,
        description="The database URLs point at PgBouncer in transaction pooling mode: no "
        "cache of prepared statements, which a pooler's server connections do not keep.",
    )
    read_database_url: str | None = Field(
        None,
        description="PostgreSQL replica for reads that may lag (scores, lists, exports); "
        "unset: every read goes to the primary.",
    )
    read_fallback: Literal["primary", "fail"] = Field(
        "primary",
        description="While the replica cannot be reached, reads go to the primary, or fail "
        "with 503.",
    )
    read_retry_seconds: float = Field(
        5, ge=0, description="After the replica failed, reads stay on the primary this long."
    )
    max_body_bytes: int = Field(1_048_576, description="Largest accepted request body (413 above).")
    header_timeout_seconds: float = Field(
        10,
        ge=0,
        description="A client must send a request's line and headers within this time "
        "(from connecting, or from the request's first byte); else 408 and the connection "
        "closes (0: no limit).",
    )
    body_timeout_seconds: float = Field(
        30,
        ge=0,
        description="A client must send a request's body within this time of its headers; "
        "else the connection closes (0: no limit).",
    )
    shutdown_grace_seconds: int = Field(
        20, description="On SIGTERM, how long in-flight requests may take to finish."
    )
    log_level: str = Field("info", description="Log level of the service.")
    public_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Where respondents reach this service; invitation links start with it.",
    )
    response_edit_window_days: int = Field(
        7, ge=0, description="How long after the first answer an invitation's answer may change."
    )
    invitation_throttle_days: int = Field(
        30, ge=0, description="No new invitation for a customer invited within this many days."
    )
    throttle_across_surveys: bool = Field(
        False, description="Throttle on an invitation to any survey, not only the same one."
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description='Browser origins allowed to call /v1/public/* (JSON list: ["https://…"]).',
    )
    idempotency_ttl_hours: int = Field(
        24, ge=1, description="How long a stored Idempotency-Key outcome is replayed."
    )
    idempotency_cleanup_seconds: float = Field(
        300, ge=0, description="How often each worker deletes expired idempotency keys (0: never)."
    )
    log_format: Literal["auto", "json", "text"] = Field(
        "auto",
        description="Log lines as JSON (production) or readable text (development); "
        "auto: text on a terminal, JSON otherwise.",
    )
    metrics_token: str | None = Field(
        None, description="If set, /metrics requires 'Authorization: Bearer <token>'."
    )
    webhook_dispatcher: bool = Field(
        True, description="Run a webhook dispatcher inside each server worker."
    )
    webhook_timeout_seconds: float = Field(
        10, gt=0, description="A delivery counts only if a 2xx arrives within this time."
    )
    webhook_poll_seconds: float = Field(
        1, gt=0, description="How often an idle dispatcher looks for due deliveries."
    )
    webhook_disable_after_hours: float = Field(
        120, gt=0, description="An endpoint whose deliveries all failed this long is disabled."
    )
    webhook_allow_private_targets: bool = Field(
        False,
        description="Allow webhook URLs that resolve to private, loopback or link-local "
        "addresses (development and tests only: it opens the door to request forgery).",
    )
    rate_limit_backend: Literal["database", "redis", "off"] = Field(
        "database",
        description="Where rate-limit counters are shared between workers and servers.",
    )
    redis_url: str = Field(
        "redis://127.0.0.1:6379/0", description="Redis for rate limits (backend redis)."
    )
    rate_limit_api: str = Field(
        "6000/minute",
        description="Requests per API key (N/second|minute|hour|day); calls without a key "
        "count per client address.",
    )
    rate_limit_public: str = Field(
        "120/minute",
        description="Requests per client address to link pages and /v1/public/* "
        "(this is what slows down token guessing).",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Proxies (IPs or CIDRs, JSON list) whose X-Forwarded-For and "
        "X-Forwarded-Proto are believed.",
    )
    auth_cache_seconds: float = Field(
        5,
        ge=0,
        description="How long a worker remembers a verified API key (0: read it on every "
        "request). A key revoked on another worker stops working within this time.",
    )
    dashboard_session_hours: float = Field(
        12, gt=0, description="How long a dashboard sign-in lasts before signing in again."
    )
    hsts_max_age_seconds: int = Field(
        31_536_000, ge=0, description="Strict-Transport-Security max-age on HTTPS (0: none)."
    )
    theme_cache_seconds: float = Field(
        5,
        ge=0,
        description="How long a worker reuses a project's compiled theme phrases before "
        "reading them again (a change made on this worker applies at once).",
    )
    theme_tagging: bool = Field(
        True, description="Re-tag comments in the background inside each server worker."
    )
    theme_tagging_batch: int = Field(
        1000, ge=1, le=10_000, description="Comments re-tagged per short transaction."
    )
    theme_suggestion_sample: int = Field(
        5000,
        ge=100,
        le=100_000,
        description="Theme suggestions read at most this many recent unmatched comments.",
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
