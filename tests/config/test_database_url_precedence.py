"""Which database Sentio uses when several variables name one, in a shell and in the image.

The README documents `DATABASE_URL` (and `SENTIO_DATABASE_URL`). The Docker image sets its
SQLite default under the documented name, so `docker run -e DATABASE_URL=…` (which replaces
a variable of the same name) reaches PostgreSQL instead of keeping the image's SQLite file."""

import shlex
from pathlib import Path

import pytest

from app.config import Settings

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = "postgresql+asyncpg://sentio:secret@db.internal:5432/sentio"


def image_environment() -> dict[str, str]:
    """The ENV of the Dockerfile's final stage, as `docker run` starts the process with."""
    joined = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    final_stage = joined.split("\nFROM ")[-1]
    env: dict[str, str] = {}
    for line in final_stage.splitlines():
        if line.startswith("ENV "):
            for pair in shlex.split(line[4:]):
                name, _, value = pair.partition("=")
                env[name] = value
    return env


def settings_with(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> Settings:
    for name in ("DATABASE_URL", "SENTIO_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return Settings(_env_file=None)


def test_the_image_keeps_its_sqlite_file_in_the_data_volume(monkeypatch):
    image = image_environment()
    assert settings_with(monkeypatch, image).database_url == "sqlite+aiosqlite:////data/sentio.db"


def test_docker_run_with_database_url_uses_that_database(monkeypatch):
    # `docker run -e DATABASE_URL=…` replaces the image's variable of the same name
    env = {**image_environment(), "DATABASE_URL": POSTGRES}
    assert settings_with(monkeypatch, env).database_url == POSTGRES


def test_docker_run_with_sentio_database_url_uses_that_database(monkeypatch):
    env = {**image_environment(), "SENTIO_DATABASE_URL": POSTGRES}
    assert settings_with(monkeypatch, env).database_url == POSTGRES


def test_sentio_database_url_wins_when_both_are_set(monkeypatch):
    # The prefixed name is Sentio's own: a DATABASE_URL meant for another program in the
    # same shell does not move Sentio (nor its test suite) to that database.
    env = {"DATABASE_URL": "sqlite+aiosqlite:///other.db", "SENTIO_DATABASE_URL": POSTGRES}
    assert settings_with(monkeypatch, env).database_url == POSTGRES


def test_without_either_the_default_is_a_local_sqlite_file(monkeypatch):
    assert settings_with(monkeypatch, {}).database_url == "sqlite+aiosqlite:///./sentio.db"
