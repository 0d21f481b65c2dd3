"""An erasure scrubs the replies stored for Idempotency-Key retries: a replay after it shows
only what is left (a tombstone, an invitation without contact details), a replay through a
closed link is refused as the link is, and nothing stored keeps the erased values."""

import uuid

from conftest import Api, assert_problem, database_text_containing, new_key, new_project
from test_invitations import token_of

from tests.privacy.customer import customer_data, leaks


async def test_replays_after_an_erasure_show_no_erased_data(api):
    who = customer_data("link_comment")
    survey = await api.survey(kind="nps")
    answer = {
        "score": 9,
        "customer_id": who["customer_id"],
        "comment": who["comment"],
        "attributes": {"plan": who["attribute"]},
        "channel": "web",
    }
    answer_url = f"/v1/surveys/{survey['id']}/responses"
    first = await api.post(answer_url, json=answer, headers={"Idempotency-Key": "answer-1"})
    assert first.status_code == 201, first.text

    batch = {
        "recipients": [
            {"customer_id": who["customer_id"], "email": who["email"], "name": who["name"]},
            {"customer_id": "someone-else", "email": "else@example.com", "name": "Else"},
        ]
    }
    invite_url = f"/v1/surveys/{survey['id']}/invitations"
    invited = await api.post(invite_url, json=batch, headers={"Idempotency-Key": "invite-1"})
    assert invited.status_code == 201, invited.text
    token = token_of(invited.json()["data"][0])
    link_answer = {"token": token, "score": 4, "comment": who["link_comment"]}
    public = await api.client.post(
        "/v1/public/responses", json=link_answer, headers={"Idempotency-Key": "link-1"}
    )
    assert public.status_code == 201, public.text

    erasure = {"customer_id": who["customer_id"]}
    erased = await api.post("/v1/erasures", json=erasure, headers={"Idempotency-Key": "erase-1"})
    assert erased.status_code == 200 and erased.json()["erased"] == 2, erased.text

    assert await database_text_containing(*who.values()) == []

    replay = await api.post(answer_url, json=answer, headers={"Idempotency-Key": "answer-1"})
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert not leaks(replay.text, who)
    body = replay.json()
    assert body["id"] == first.json()["id"] and body["deleted"] is True
    assert body["customer_id"] is body["comment"] is body["attributes"] is None
    assert body["score"] is body["channel"] is None

    replay = await api.post(invite_url, json=batch, headers={"Idempotency-Key": "invite-1"})
    assert replay.status_code == 201 and replay.headers["Idempotent-Replayed"] == "true"
    assert not leaks(replay.text, who)
    mine, other = replay.json()["data"]
    assert mine["id"] == invited.json()["data"][0]["id"]
    assert mine["customer_id"] is mine["email"] is mine["name"] is None
    assert mine["survey_url"] is mine["score_urls"] is mine["email_text"] is None
    assert other == invited.json()["data"][1]  # another customer's invitation is untouched

    replay = await api.client.post(
        "/v1/public/responses", json=link_answer, headers={"Idempotency-Key": "link-1"}
    )
    assert_problem(replay, 404)

    # the erasure's own reply is replayed as it was, though it is not stored with the id
    replay = await api.post("/v1/erasures", json=erasure, headers={"Idempotency-Key": "erase-1"})
    assert replay.status_code == 200 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == erased.json()
    assert await database_text_containing(*who.values()) == []


async def test_replays_of_other_projects_are_untouched(api, client):
    other_project = await new_project()
    other = Api(client, other_project, await new_key(other_project, "admin"))
    shared_id = f"cust-{uuid.uuid4().hex[:12]}"
    body = {"score": 7, "customer_id": shared_id, "comment": "kept elsewhere"}
    key = {"Idempotency-Key": "same-key"}
    urls, firsts = [], []
    for project in (api, other):
        survey = await project.survey()
        urls.append(f"/v1/surveys/{survey['id']}/responses")
        r = await project.post(urls[-1], json=body, headers=key)
        assert r.status_code == 201, r.text
        firsts.append(r.json())
    r = await api.post("/v1/erasures", json={"customer_id": shared_id})
    assert r.status_code == 200, r.text

    replay = await api.post(urls[0], json=body, headers=key)
    assert replay.json()["customer_id"] is None
    replay = await other.post(urls[1], json=body, headers=key)
    assert replay.headers["Idempotent-Replayed"] == "true" and replay.json() == firsts[1]
