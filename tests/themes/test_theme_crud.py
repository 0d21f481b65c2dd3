"""Themes: create, read, change and delete; what is refused, and that nothing is stored."""

from sqlalchemy import func, select

from app.db import sessionmaker
from app.models import Theme
from tests.conftest import assert_problem


async def stored_themes(project_id) -> int:
    async with sessionmaker()() as session:
        query = select(func.count()).select_from(Theme).where(Theme.project_id == project_id)
        return await session.scalar(query)


async def test_create_read_update_delete(api):
    body = {"name": "Late delivery", "phrases": ["late delivery", "arrived late", "retraso"]}
    r = await api.post("/v1/themes", json=body)
    assert r.status_code == 201, r.text
    theme = r.json()
    assert theme["name"] == "Late delivery"
    assert theme["phrases"] == body["phrases"]
    assert theme["description"] is None
    assert theme["tagging"] == {"done": 0, "total": 0, "pending": True}

    r = await api.get(f"/v1/themes/{theme['id']}")
    assert r.status_code == 200 and r.json()["id"] == theme["id"]
    r = await api.get("/v1/themes")
    assert [t["name"] for t in r.json()["data"]] == ["Late delivery"]

    r = await api.patch(f"/v1/themes/{theme['id']}", json={"description": "Parcels"})
    assert r.status_code == 200 and r.json()["description"] == "Parcels"
    assert r.json()["phrases"] == body["phrases"]

    r = await api.delete(f"/v1/themes/{theme['id']}")
    assert r.status_code == 204
    assert_problem(await api.get(f"/v1/themes/{theme['id']}"), 404, "theme-not-found")
    assert await stored_themes(api.project_id) == 0


async def test_bad_phrases_are_refused_and_nothing_is_stored(api):
    bad = [
        {"name": "x", "phrases": [""]},
        {"name": "x", "phrases": ["late", ""]},
        {"name": "x", "phrases": [f"phrase {i}" for i in range(10_000)]},
        {"name": "x", "phrases": ["?!..."]},
        {"name": "x", "phrases": ["  \n "]},
        {"name": "x", "phrases": ["😡😡"]},
        {"name": "x", "phrases": []},
        {"name": "", "phrases": ["late"]},
        {"name": "x", "phrases": "late"},
        {"name": "x", "phrases": ["a" * 201]},
    ]
    for body in bad:
        assert_problem(await api.post("/v1/themes", json=body), 422)
    assert await stored_themes(api.project_id) == 0

    r = await api.post("/v1/themes", json={"name": "Price", "phrases": ["price"]})
    theme_id = r.json()["id"]
    for body in ({"phrases": ["--"]}, {"phrases": []}, {"phrases": None}, {"name": None}, {}):
        assert_problem(await api.patch(f"/v1/themes/{theme_id}", json=body), 422)
    assert (await api.get(f"/v1/themes/{theme_id}")).json()["phrases"] == ["price"]


async def test_only_punctuation_points_at_the_phrase(api):
    r = await api.post("/v1/themes", json={"name": "x", "phrases": ["late", "...", "ok"]})
    body = assert_problem(r, 422)
    assert body["errors"] == [
        {"pointer": "#/phrases/1", "detail": "must contain a letter or a digit"}
    ]


async def test_names_are_unique_per_project(api):
    assert (await api.post("/v1/themes", json={"name": "A", "phrases": ["a"]})).status_code == 201
    assert_problem(
        await api.post("/v1/themes", json={"name": "A", "phrases": ["b"]}), 409, "theme-exists"
    )
    r = await api.post("/v1/themes", json={"name": "B", "phrases": ["b"]})
    assert_problem(
        await api.patch(f"/v1/themes/{r.json()['id']}", json={"name": "A"}), 409, "theme-exists"
    )


async def test_at_most_200_themes(api):
    for i in range(200):
        r = await api.post("/v1/themes", json={"name": f"t{i}", "phrases": [f"word{i}"]})
        assert r.status_code == 201, r.text
    r = await api.post("/v1/themes", json={"name": "one more", "phrases": ["more"]})
    assert_problem(r, 409, "too-many-themes")
    assert await stored_themes(api.project_id) == 200


async def test_another_projects_theme_is_not_found(api, client):
    from tests.conftest import Api, new_key, new_project

    other_project = await new_project()
    other = Api(client, other_project, await new_key(other_project, "admin"))
    r = await other.post("/v1/themes", json={"name": "Theirs", "phrases": ["theirs"]})
    theme_id = r.json()["id"]
    assert_problem(await api.get(f"/v1/themes/{theme_id}"), 404, "theme-not-found")
    assert_problem(await api.delete(f"/v1/themes/{theme_id}"), 404, "theme-not-found")
    assert (await api.get("/v1/themes")).json()["data"] == []


async def test_read_keys_read_themes_but_do_not_write(api):
    reader = await api.with_scopes("themes:read")
    assert (await reader.get("/v1/themes")).status_code == 200
    r = await reader.post("/v1/themes", json={"name": "A", "phrases": ["a"]})
    assert_problem(r, 403)
