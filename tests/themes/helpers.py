"""Shared steps of the theme tests: create themes, run the background re-tag to its end."""

from datetime import timedelta

from app.db import utcnow
from app.themes import tagging


async def theme(api, name: str, *phrases: str) -> dict:
    r = await api.post("/v1/themes", json={"name": name, "phrases": list(phrases)})
    assert r.status_code == 201, r.text
    return r.json()


def later():
    """A clock past every re-tag's hold (the final pass waits for stale caches)."""
    return utcnow() + timedelta(hours=1)


async def retag_all() -> int:
    """Every pending re-tag run to its end, as the background task would."""
    return await tagging.run_until_idle(clock=later)


async def themes_of(api, response_id: str) -> list[str]:
    r = await api.get(f"/v1/responses/{response_id}")
    assert r.status_code == 200, r.text
    return r.json()["themes"]
