"""compose.yaml starts Sentio on PostgreSQL: valid by the Compose Specification's schema
(the copy check-jsonschema ships; no Docker engine is needed), the database healthy before
Sentio starts, and Sentio pointed at it through the variable the README documents."""

from pathlib import Path

import jsonschema
import yaml
from check_jsonschema.builtin_schemas import get_builtin_schema

ROOT = Path(__file__).resolve().parents[2]


def compose() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())


def test_compose_file_follows_the_compose_specification():
    schema = get_builtin_schema("vendor.compose-spec")
    errors = sorted(
        jsonschema.Draft202012Validator(schema).iter_errors(compose()), key=lambda e: e.path
    )
    assert errors == [], [f"{list(e.path)}: {e.message}" for e in errors]


def test_sentio_waits_for_a_healthy_postgresql():
    services = compose()["services"]
    assert services["db"]["image"].startswith("postgres:")
    assert "pg_isready" in services["db"]["healthcheck"]["test"]
    assert services["sentio"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_sentio_uses_the_postgresql_service_with_the_documented_variable():
    sentio = compose()["services"]["sentio"]
    url = sentio["environment"]["DATABASE_URL"]
    assert url.startswith("postgresql+asyncpg://sentio:") and "@db:5432/sentio" in url
    # the image's default starts the server itself, which applies pending migrations
    assert "command" not in sentio and sentio["build"] == "."
    assert "/readyz" in " ".join(sentio["healthcheck"]["test"])


def test_the_database_password_must_be_given():
    db = compose()["services"]["db"]
    assert db["environment"]["POSTGRES_PASSWORD"].startswith("${POSTGRES_PASSWORD:?")
