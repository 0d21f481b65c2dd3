"""Re-tagging the history in the background: after a theme is created or its phrases
change, interrupted and resumed, with its progress in GET /v1/themes/{id}."""

import uuid
from datetime import timedelta

from sqlalchemy import select

from app.db import sessionmaker, utcnow
from app.models import ResponseTheme
from app.themes import tagging
from tests.themes.helpers import later, retag_all, theme


async def tagged(theme_id: str) -> set[str]:
    async with sessionmaker()() as session:
        wanted = uuid.UUID(theme_id)
        query = select(ResponseTheme.response_id).where(ResponseTheme.theme_id == wanted)
        return {str(r) for r in await session.scalars(query)}


async def test_new_theme_tags_the_history(api):
    survey = await api.survey()
    late = [await api.answer(survey["id"], 3, comment=f"late delivery #{i}") for i in range(5)]
    await api.answer(survey["id"], 9, comment="fine")
    await api.answer(survey["id"], 9)
    created = await theme(api, "Late", "late delivery")
    assert created["tagging"]["pending"] is True
    assert await tagged(created["id"]) == set()

    await retag_all()
    assert await tagged(created["id"]) == {a["id"] for a in late}
    r = await api.get(f"/v1/themes/{created['id']}")
    assert r.json()["tagging"] == {"done": 6, "total": 6, "pending": False}


async def test_phrase_change_retags_interrupted_and_resumed(api):
    survey = await api.survey()
    old = [await api.answer(survey["id"], 2, comment=f"late delivery {i}") for i in range(7)]
    new = [await api.answer(survey["id"], 4, comment=f"Paket verspätet {i}") for i in range(6)]
    created = await theme(api, "Late", "late delivery")
    await retag_all()  # this one, and any other test's
    assert await tagged(created["id"]) == {a["id"] for a in old}

    r = await api.patch(f"/v1/themes/{created['id']}", json={"phrases": ["paket verspatet"]})
    assert r.status_code == 200
    assert r.json()["tagging"] == {"done": 0, "total": 0, "pending": True}

    # Two batches of 4, then the worker stops (a restart): the position is saved.
    assert await tagging.run_until_idle(batch=4, clock=later, max_steps=2) == 2
    progress = (await api.get(f"/v1/themes/{created['id']}")).json()["tagging"]
    assert progress == {"done": 8, "total": 13, "pending": True}
    halfway = await tagged(created["id"])
    # Answers of the first 8 (in order of change) carry the new tags, the rest the old.
    assert halfway == {a["id"] for a in old[8:]} | {a["id"] for a in new[:1]}

    # Written meanwhile: tagged at once with the new phrases, and the resumed re-tag
    # keeps them.
    fresh = await api.answer(survey["id"], 1, comment="PAKET verspätet!")
    assert fresh["themes"] == ["Late"]

    await tagging.run_until_idle(batch=4, clock=later)
    assert await tagged(created["id"]) == {a["id"] for a in new} | {fresh["id"]}
    progress = (await api.get(f"/v1/themes/{created['id']}")).json()["tagging"]
    assert progress == {"done": 14, "total": 14, "pending": False}


async def test_final_pass_waits_for_stale_caches(api):
    """Until the cache time has passed since the change, a re-tag that reached the end
    stays pending (a worker may still tag with the old phrases); then it goes again over
    what changed since just before the change, and is done."""
    survey = await api.survey()
    created = await theme(api, "Late", "late delivery")
    await api.answer(survey["id"], 3, comment="late delivery")
    await tagging.run_until_idle(clock=utcnow)
    assert (await api.get(f"/v1/themes/{created['id']}")).json()["tagging"]["pending"] is True
    soon = utcnow() + tagging.hold() + timedelta(seconds=1)
    await tagging.run_until_idle(clock=lambda: soon)
    assert (await api.get(f"/v1/themes/{created['id']}")).json()["tagging"]["pending"] is False


async def test_a_deleted_theme_takes_its_tags(api):
    survey = await api.survey()
    created = await theme(api, "Late", "late delivery")
    answer = await api.answer(survey["id"], 3, comment="late delivery")
    assert await tagged(created["id"]) == {answer["id"]}
    assert (await api.delete(f"/v1/themes/{created['id']}")).status_code == 204
    assert await tagged(created["id"]) == set()
    assert (await api.get(f"/v1/responses/{answer['id']}")).json()["themes"] == []
