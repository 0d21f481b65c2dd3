from conftest import assert_problem


async def test_create_defaults_per_kind(api):
    nps = await api.survey(kind="nps")
    csat = await api.survey(kind="csat")
    ces = await api.survey(kind="ces")
    assert (nps["scale_min"], nps["scale_max"]) == (0, 10)
    assert (csat["scale_min"], csat["scale_max"]) == (1, 5)
    assert (ces["scale_min"], ces["scale_max"]) == (1, 7)
    assert "recommend" in nps["question"]
    assert nps["status"] == "active"


async def test_scales_allowed_per_kind(api):
    for kind, good, bad in [
        ("nps", [10], [5, 7]),
        ("csat", [3, 5, 7, 10], [4, 11]),
        ("ces", [5, 7], [3, 10]),
    ]:
        for scale in good:
            assert (await api.survey(kind=kind, scale_max=scale))["scale_max"] == scale
        for scale in bad:
            r = await api.post("/v1/surveys", json={"name": "x", "kind": kind, "scale_max": scale})
            body = assert_problem(r, 422, "validation-error")
            assert body["errors"][0]["pointer"] == "#/scale_max"


async def test_get_update_archive(api):
    survey = await api.survey(
        name="Onboarding CSAT",
        kind="csat",
        default_touchpoint="onboarding",
        texts={"de": {"question": "Wie zufrieden waren Sie?"}},
    )
    r = await api.get(f"/v1/surveys/{survey['id']}")
    assert (
        r.status_code == 200 and r.json()["texts"]["de"]["question"] == "Wie zufrieden waren Sie?"
    )
    r = await api.patch(f"/v1/surveys/{survey['id']}", json={"name": "Renamed", "status": "paused"})
    assert r.status_code == 200 and r.json()["name"] == "Renamed"
    assert r.json()["status"] == "paused"
    r = await api.post(f"/v1/surveys/{survey['id']}/archive")
    assert r.status_code == 200 and r.json()["status"] == "archived"
    listed = (await api.get("/v1/surveys")).json()["data"]
    assert survey["id"] not in [s["id"] for s in listed]
    archived = (await api.get("/v1/surveys?status=archived")).json()["data"]
    assert [s["id"] for s in archived] == [survey["id"]]


async def test_kind_and_scale_fixed_once_answered(api):
    survey = await api.survey(kind="csat")
    r = await api.patch(f"/v1/surveys/{survey['id']}", json={"scale_max": 7})
    assert r.status_code == 200 and r.json()["scale_max"] == 7
    await api.answer(survey["id"], 6)
    r = await api.patch(f"/v1/surveys/{survey['id']}", json={"scale_max": 5})
    assert_problem(r, 409, "survey-scale-locked")
    r = await api.patch(f"/v1/surveys/{survey['id']}", json={"kind": "ces"})
    assert_problem(r, 409, "survey-scale-locked")
    assert (await api.get(f"/v1/surveys/{survey['id']}")).json()["scale_max"] == 7
    # other fields still change
    r = await api.patch(f"/v1/surveys/{survey['id']}", json={"name": "Still editable"})
    assert r.status_code == 200


async def test_list_is_cursor_paged(api):
    ids = [(await api.survey(name=f"s{i}"))["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = (await api.get("/v1/surveys", params=params)).json()
        seen += [s["id"] for s in page["data"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            break
    assert seen == ids


async def test_bad_survey_input(api):
    cases = [
        {"name": "x", "kind": "star"},
        {"name": "", "kind": "nps"},
        {"kind": "nps"},
        {"name": "x", "kind": "nps", "scale_max": "10"},
        {"name": "x", "kind": "nps", "unknown": 1},
        {"name": "x", "kind": "nps", "texts": {"not a locale": {"question": "?"}}},
        {"name": "a\u0000b", "kind": "nps"},
    ]
    for body in cases:
        assert_problem(await api.post("/v1/surveys", json=body), 422, "validation-error")
    r = await api.get("/v1/surveys/00000000-0000-7000-8000-00000000dead")
    assert_problem(r, 404, "survey-not-found")
    assert_problem(await api.get("/v1/surveys/not-a-uuid"), 422)
    assert_problem(
        await api.get("/v1/surveys", params={"cursor": "garbage!"}), 400, "invalid-cursor"
    )
