"""An erasure removes a comment's tags with the comment; a deleted response's too."""

from sqlalchemy import func, select

from app.db import sessionmaker
from app.models import ResponseTheme
from tests.conftest import database_text_containing
from tests.themes.helpers import theme


async def tag_count(response_id: str) -> int:
    import uuid

    async with sessionmaker()() as session:
        query = select(func.count()).where(ResponseTheme.response_id == uuid.UUID(response_id))
        return await session.scalar(query)


async def test_erasure_removes_the_tags(api):
    survey = await api.survey()
    await theme(api, "Late", "late delivery")
    mine = await api.answer(
        survey["id"], 2, comment="late delivery, Zyx-erase-me", customer_id="c-erase-themes"
    )
    theirs = await api.answer(survey["id"], 2, comment="late delivery", customer_id="c-other")
    assert await tag_count(mine["id"]) == 1
    r = await api.post("/v1/erasures", json={"customer_id": "c-erase-themes"})
    assert r.status_code == 200, r.text
    assert await tag_count(mine["id"]) == 0
    assert await tag_count(theirs["id"]) == 1
    assert await database_text_containing("Zyx-erase-me") == []
    r = await api.get("/v1/analytics/themes", params={"survey_id": survey["id"]})
    assert r.json()["rows"][0]["mentions"] == 1
    r = await api.get("/v1/scores", params={"survey_id": survey["id"], "group_by": "theme"})
    assert [(row["group"]["theme"], row["n"]) for row in r.json()["rows"]] == [("Late", 1)]


async def test_deleted_response_loses_its_tags(api):
    survey = await api.survey()
    await theme(api, "Late", "late delivery")
    answer = await api.answer(survey["id"], 2, comment="late delivery")
    assert (await api.delete(f"/v1/responses/{answer['id']}")).status_code == 204
    assert await tag_count(answer["id"]) == 0
