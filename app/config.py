"""One settings object for the whole service, read from the environment (and `.env`)."""

from functools import lru_cache

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
    max_body_bytes: int = Field(1_048_576, description="Largest accepted request body (413 above).")
    shutdown_grace_seconds: int = Field(
        20, description="On SIGTERM, how long in-flight requests may take to finish."
    )
    log_level: str = Field("info", description="Log level of the service.")
    idempotency_ttl_hours: int = Field(
        24, ge=1, description="How long a stored Idempotency-Key outcome is replayed."
    )
    idempotency_cleanup_seconds: float = Field(
        300, ge=0, description="How often each worker deletes expired idempotency keys (0: never)."
    )


@lru_cache
def get_settings() -> Settings:
    return Settings()
