from datetime import UTC, datetime, timedelta

from conftest import assert_problem


async def scores(api, survey_id, **params):
    r = await api.get("/v1/scores", params={"survey_id": survey_id, **params})
    assert r.status_code == 200, r.text
    return r.json()


async def test_create_and_read_back(api):
    survey = await api.survey(kind="csat", default_touchpoint="checkout")
    created = await api.answer(
        survey["id"],
        4,
        comment="Quick and easy",
        customer_id="cus_1",
        segment="smb",
        channel="email",
        locale="de-DE",
        attributes={"plan": "pro", "seats": 12, "trial": False},
    )
    assert created["touchpoint"] == "checkout"  # the survey's default
    fetched = (await api.get(f"/v1/responses/{created['id']}")).json()
    assert fetched == created
    assert fetched["attributes"] == {"plan": "pro", "seats": 12, "trial": False}
    assert fetched["deleted"] is False


async def test_history_import_keeps_submitted_at(api):
    survey = await api.survey()
    when = "2025-03-30T00:30:00+01:00"
    created = await api.answer(survey["id"], 9, submitted_at=when)
    assert datetime.fromisoformat(created["submitted_at"]) == datetime.fromisoformat(when)
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    r = await api.post(
        f"/v1/surveys/{survey['id']}/responses", json={"score": 9, "submitted_at": future}
    )
    assert assert_problem(r, 422)["errors"][0]["pointer"] == "#/submitted_at"
    r = await api.post(
        f"/v1/surveys/{survey['id']}/responses",
        json={"score": 9, "submitted_at": "2025-03-30T00:30:00"},
    )
    assert_problem(r, 422)  # no offset: ambiguous


async def test_bad_scores_store_nothing(api):
    survey = await api.survey(kind="nps")
    bad = [11, -1, 7.5, 7.0, "9", True, None, [9], {"v": 9}, 10**30]
    for score in bad:
        r = await api.post(f"/v1/surveys/{survey['id']}/responses", json={"score": score})
        body = assert_problem(r, 422, "validation-error")
        assert body["errors"][0]["pointer"] == "#/score", body
    r = await api.post(f"/v1/surveys/{survey['id']}/responses", json={})
    assert_problem(r, 422)
    csat = await api.survey(kind="csat")
    assert_problem(await api.post(f"/v1/surveys/{csat['id']}/responses", json={"score": 0}), 422)
    listed = (await api.get("/v1/responses")).json()
    assert listed["data"] == []
    assert (await scores(api, survey["id"]))["rows"][0]["n"] == 0


async def test_bad_bodies(api):
    survey = await api.survey()
    url = f"/v1/surveys/{survey['id']}/responses"
    r = await api.post(url, content=b'{"score": 9,', headers={"Content-Type": "application/json"})
    assert_problem(r, 400, "malformed-json")
    r = await api.post(
        url, content=b"score=9", headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert_problem(r, 415, "unsupported-media-type")
    r = await api.post(url, content=b"{}", headers={"Content-Type": "text/plain"})
    assert_problem(r, 415)
    big = b'{"score": 9, "comment": "' + b"x" * 1_100_000 + b'"}'
    r = await api.post(url, content=big, headers={"Content-Type": "application/json"})
    assert_problem(r, 413, "payload-too-large")

    async def chunks():
        yield b'{"score": 9, "comment": "'
        for _ in range(12):
            yield b"y" * 100_000
        yield b'"}'

    r = await api.post(url, content=chunks(), headers={"Content-Type": "application/json"})
    assert_problem(r, 413, "payload-too-large")
    for body in (
        {"score": 9, "comment": "x" * 5001},
        {"score": 9, "comment": "nul\u0000here"},
        {"score": 9, "segment": "a\u0000"},
        {"score": 9, "channel": "pigeon"},
        {"score": 9, "attributes": {"nested": {"a": 1}}},
        {"score": 9, "attributes": {"list": [1, 2]}},
        {"score": 9, "attributes": {f"k{i}": i for i in range(51)}},
        {"score": 9, "attributes": {"bad key": 1}},
        {"score": 9, "attributes": {"v": None}},
        {"score": 9, "locale": "not a locale"},
        {"score": 9, "extra": "field"},
    ):
        assert_problem(await api.post(url, json=body), 422, "validation-error")
    # A lone surrogate, sent as a JSON escape.
    r = await api.post(
        url,
        content=b'{"score": 9, "comment": "a\\ud800b"}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422), r.text
    r = await api.post(
        url,
        content=b'{"score": 9, "attributes": {"x": NaN}}',
        headers={"Content-Type": "application/json"},
    )
    assert r.status_code in (400, 422), r.text
    assert (await api.get("/v1/responses")).json()["data"] == []


async def test_unknown_paused_archived_surveys(api):
    r = await api.post(
        "/v1/surveys/00000000-0000-7000-8000-00000000beef/responses", json={"score": 9}
    )
    assert_problem(r, 404, "survey-not-found")
    survey = await api.survey()
    await api.patch(f"/v1/surveys/{survey['id']}", json={"status": "paused"})
    r = await api.post(f"/v1/surveys/{survey['id']}/responses", json={"score": 9})
    assert "paused" in assert_problem(r, 409, "survey-not-accepting")["detail"]
    await api.post(f"/v1/surveys/{survey['id']}/archive")
    r = await api.post(f"/v1/surveys/{survey['id']}/responses", json={"score": 9})
    assert "archived" in assert_problem(r, 409, "survey-not-accepting")["detail"]


async def test_update_counts_once_with_latest_score(api):
    survey = await api.survey()
    response = await api.answer(survey["id"], 3)
    r = await api.patch(f"/v1/responses/{response['id']}", json={"score": 10, "comment": "Fixed!"})
    assert r.status_code == 200 and r.json()["score"] == 10 and r.json()["comment"] == "Fixed!"
    assert r.json()["submitted_at"] == response["submitted_at"]
    assert r.json()["updated_at"] > response["updated_at"]
    row = (await scores(api, survey["id"]))["rows"][0]
    assert (row["n"], row["promoters"], row["detractors"], row["nps"]) == (1, 1, 0, 100.0)
    assert_problem(await api.patch(f"/v1/responses/{response['id']}", json={"score": 11}), 422)
    assert_problem(await api.patch(f"/v1/responses/{response['id']}", json={"score": None}), 422)
    assert_problem(await api.patch(f"/v1/responses/{response['id']}", json={}), 422)
    assert (await api.get(f"/v1/responses/{response['id']}")).json()["score"] == 10


async def test_delete_counts_nowhere_and_leaves_tombstone(api):
    survey = await api.survey()
    keep = await api.answer(survey["id"], 9)
    gone = await api.answer(survey["id"], 0, comment="private", customer_id="cus_9")
    r = await api.delete(f"/v1/responses/{gone['id']}")
    assert r.status_code == 204
    assert_problem(await api.get(f"/v1/responses/{gone['id']}"), 404, "response-not-found")
    assert_problem(await api.delete(f"/v1/responses/{gone['id']}"), 404)
    row = (await scores(api, survey["id"]))["rows"][0]
    assert (row["n"], row["nps"]) == (1, 100.0)
    listed = (await api.get("/v1/responses")).json()["data"]
    assert [x["id"] for x in listed] == [keep["id"]]
    with_deleted = (await api.get("/v1/responses", params={"include_deleted": True})).json()
    tomb = next(x for x in with_deleted["data"] if x["id"] == gone["id"])
    assert tomb["deleted"] is True
    assert tomb["score"] is None and tomb["comment"] is None and tomb["customer_id"] is None


async def test_erase_customer(api):
    survey = await api.survey()
    other = await api.survey(kind="csat")
    await api.answer(survey["id"], 2, customer_id="alice", comment="mine")
    await api.answer(other["id"], 5, customer_id="alice")
    bob = await api.answer(survey["id"], 10, customer_id="bob")
    r = await api.post("/v1/erasures", json={"customer_id": "alice"})
    assert r.status_code == 200 and r.json() == {"customer_id": "alice", "erased": 2}
    listed = (await api.get("/v1/responses")).json()["data"]
    assert [x["id"] for x in listed] == [bob["id"]]
    assert (await api.get("/v1/responses", params={"customer_id": "alice"})).json()["data"] == []
    assert (await scores(api, survey["id"]))["rows"][0]["n"] == 1
    assert (await scores(api, other["id"]))["rows"][0]["n"] == 0
    r = await api.post("/v1/erasures", json={"customer_id": "alice"})
    assert r.json()["erased"] == 0


async def test_list_filters(api):
    survey = await api.survey()
    other = await api.survey()
    a = await api.answer(
        survey["id"],
        9,
        segment="smb",
        touchpoint="checkout",
        channel="web",
        customer_id="c1",
        submitted_at="2026-01-10T12:00:00Z",
    )
    b = await api.answer(
        survey["id"],
        5,
        segment="enterprise",
        touchpoint="support",
        channel="email",
        customer_id="c2",
        submitted_at="2026-02-10T12:00:00Z",
    )
    c = await api.answer(other["id"], 7, segment="smb", channel="web")

    async def ids(**params):
        r = await api.get("/v1/responses", params=params)
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()["data"]}

    assert await ids(survey_id=survey["id"]) == {a["id"], b["id"]}
    assert await ids(segment="smb") == {a["id"], c["id"]}
    assert await ids(touchpoint="support") == {b["id"]}
    assert await ids(channel="email") == {b["id"]}
    assert await ids(customer_id="c1") == {a["id"]}
    assert await ids(survey_id=survey["id"], **{"from": "2026-02-01", "to": "2026-03-01"}) == {
        b["id"]
    }
    assert_problem(
        await api.get("/v1/responses", params={"from": "2026-03-01", "to": "2026-02-01"}), 422
    )
    assert_problem(await api.get("/v1/responses", params={"from": "yesterday"}), 422)
    assert_problem(await api.get("/v1/responses", params={"limit": 1001}), 422)
    assert_problem(
        await api.get("/v1/responses", params={"cursor": "bm90IGpzb24"}), 400, "invalid-cursor"
    )


async def test_incremental_sync_by_last_change(api):
    survey = await api.survey()
    first = [await api.answer(survey["id"], s) for s in (1, 2, 3, 4, 5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/v1/responses", params=params)).json()
        seen += [x["id"] for x in page["data"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == [x["id"] for x in first]
    # Later: one new answer, one edit, one delete. Resuming from the saved cursor returns
    # exactly those changes, in order of change.
    await api.patch(f"/v1/responses/{first[1]['id']}", json={"score": 9})
    new = await api.answer(survey["id"], 8)
    await api.delete(f"/v1/responses/{first[3]['id']}")
    page = (
        await api.get("/v1/responses", params={"cursor": cursor, "include_deleted": True})
    ).json()
    assert [x["id"] for x in page["data"]] == [first[1]["id"], new["id"], first[3]["id"]]
    assert [x["deleted"] for x in page["data"]] == [False, False, True]
    assert page["data"][0]["score"] == 9
    since = page["data"][1]["updated_at"]
    page = (
        await api.get("/v1/responses", params={"updated_since": since, "include_deleted": True})
    ).json()
    assert [x["id"] for x in page["data"]] == [new["id"], first[3]["id"]]


async def test_auth_and_scopes(api, client):
    survey = await api.survey()
    url = f"/v1/surveys/{survey['id']}/responses"
    assert_problem(await client.post(url, json={"score": 9}), 401, "unauthorized")
    r = await client.post(url, json={"score": 9}, headers={"Authorization": "Bearer sk_nope"})
    assert_problem(r, 401)
    assert r.headers["www-authenticate"].startswith("Bearer")
    reader = await api.with_scopes("responses:read", "scores:read")
    assert_problem(await reader.post(url, json={"score": 9}), 403, "forbidden")
    assert (await reader.get("/v1/responses")).status_code == 200
    writer = await api.with_scopes("responses:write")
    assert (await writer.post(url, json={"score": 9})).status_code == 201
    assert (await writer.get("/v1/responses")).status_code == 200  # write implies read
    assert_problem(await writer.get("/v1/scores", params={"survey_id": survey["id"]}), 403)
    assert_problem(await writer.post("/v1/surveys", json={"name": "x", "kind": "nps"}), 403)
