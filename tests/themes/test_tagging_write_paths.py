"""Every write path tags the comment with the project's themes, and edits tag it again."""

import re

import httpx

from tests.themes.helpers import theme, themes_of

BROWSER = {
    "User-Agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0.0.0 Safari/537.36"
}


async def test_api_answer_is_tagged_and_its_201_names_the_themes(api):
    survey = await api.survey()
    await theme(api, "Late delivery", "late delivery", "lieferung verspätet")
    await theme(api, "Price", "too expensive")
    r = await api.post(
        f"/v1/surveys/{survey['id']}/responses",
        json={"score": 2, "comment": "LIEFERUNG VERSPATET und too expensive!"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["themes"] == ["Late delivery", "Price"]
    assert await themes_of(api, r.json()["id"]) == ["Late delivery", "Price"]
    plain = await api.answer(survey["id"], 9, comment="all good")
    assert plain["themes"] == [] and await themes_of(api, plain["id"]) == []
    silent = await api.answer(survey["id"], 9)
    assert await themes_of(api, silent["id"]) == []


async def test_idempotent_replay_shows_the_same_themes(api):
    survey = await api.survey()
    await theme(api, "Late delivery", "late delivery")
    headers = {"Idempotency-Key": "k-themes-1"}
    body = {"score": 3, "comment": "late delivery again"}
    first = await api.post(f"/v1/surveys/{survey['id']}/responses", json=body, headers=headers)
    again = await api.post(f"/v1/surveys/{survey['id']}/responses", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.json()["themes"] == ["Late delivery"]


async def test_edit_tags_the_new_comment(api):
    survey = await api.survey()
    await theme(api, "Late delivery", "late delivery")
    await theme(api, "Support", "support")
    answer = await api.answer(survey["id"], 4, comment="late delivery")
    r = await api.patch(f"/v1/responses/{answer['id']}", json={"comment": "support was rude"})
    assert r.status_code == 200 and r.json()["themes"] == ["Support"]
    assert await themes_of(api, answer["id"]) == ["Support"]
    r = await api.patch(f"/v1/responses/{answer['id']}", json={"score": 5})
    assert r.json()["themes"] == ["Support"]  # a new score keeps the comment's tags
    r = await api.patch(f"/v1/responses/{answer['id']}", json={"comment": None})
    assert r.json()["themes"] == []


async def test_browser_answer_is_tagged(api, client):
    survey = await api.survey()
    await theme(api, "Late delivery", "late delivery")
    r = await api.post(
        "/v1/keys", json={"kind": "publishable", "allowed_origins": ["https://shop.example.com"]}
    )
    assert r.status_code == 201, r.text
    key = r.json()["secret"]
    r = await client.post(
        f"/v1/browser/surveys/{survey['id']}/responses",
        json={"score": 1, "comment": "Late delivery."},
        headers={"Authorization": f"Bearer {key}", "Origin": "https://shop.example.com"},
    )
    assert r.status_code == 201, r.text
    assert await themes_of(api, r.json()["id"]) == ["Late delivery"]


async def invitation_token(api, survey_id: str) -> str:
    r = await api.post(
        f"/v1/surveys/{survey_id}/invitations", json={"recipients": [{"customer_id": "c-1"}]}
    )
    assert r.status_code in (200, 201), r.text
    url = r.json()["data"][0]["survey_url"]
    return re.search(r"/s/([^/?#]+)", url).group(1)


async def test_public_answer_and_its_edit_are_tagged(api, client: httpx.AsyncClient):
    survey = await api.survey()
    await theme(api, "Late delivery", "late delivery")
    await theme(api, "Support", "support")
    token = await invitation_token(api, survey["id"])
    r = await client.post(
        "/v1/public/responses", json={"token": token, "score": 3, "comment": "late delivery"}
    )
    assert r.status_code in (200, 201), r.text
    [answer] = (await api.get("/v1/responses", params={"survey_id": survey["id"]})).json()["data"]
    response_id = answer["id"]
    assert answer["themes"] == ["Late delivery"]
    r = await client.post(
        "/v1/public/responses", json={"token": token, "score": 3, "comment": "support helped"}
    )
    assert r.status_code in (200, 201), r.text
    assert await themes_of(api, response_id) == ["Support"]


async def test_link_page_answer_is_tagged(api, client: httpx.AsyncClient):
    survey = await api.survey()
    await theme(api, "Late delivery", "late delivery")
    token = await invitation_token(api, survey["id"])
    r = await client.post(
        f"/s/{token}", data={"score": "2", "comment": "late\n delivery :("}, headers=BROWSER
    )
    assert r.status_code in (200, 303), r.text
    r = await api.get("/v1/responses", params={"survey_id": survey["id"]})
    [answer] = r.json()["data"]
    assert answer["themes"] == ["Late delivery"]
