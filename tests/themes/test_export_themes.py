"""The export carries each response's themes, filters by theme, and writes the same bytes
from PostgreSQL's COPY as from the Python formatting."""

import csv
import io

import pytest

from app.csvutil import text_cell
from app.db import get_engine, is_sqlite
from app.responses import export
from app.responses.repository import ResponseFilter
from tests.conftest import DATABASE_URL
from tests.themes.helpers import theme

NAMES = ["zeta", "Über", "=sum", "Ärger", "a;b", "Alpha", "émoji 😡", "b"]


async def test_export_has_themes_in_byte_order_and_filters(api):
    survey = await api.survey()
    for i, name in enumerate(NAMES):
        await theme(api, name, f"word{i}")
    everything = " ".join(f"word{i}" for i in range(len(NAMES)))
    all_themes = await api.answer(survey["id"], 3, comment=everything)
    one = await api.answer(survey["id"], 9, comment="word0")
    none = await api.answer(survey["id"], 9, comment="nothing")

    r = await api.get("/v1/exports/responses", params={"survey_id": survey["id"]})
    assert r.status_code == 200, r.text
    rows = {row["id"]: row for row in csv.DictReader(io.StringIO(r.text, newline=""))}
    expected = sorted(NAMES, key=str.encode)
    cell = text_cell("; ".join(expected))  # neutralised like every text cell
    assert cell.startswith("'=sum; ")
    assert rows[all_themes["id"]]["themes"] == cell
    assert rows[one["id"]]["themes"] == "zeta"
    assert rows[none["id"]]["themes"] == ""
    assert all_themes["themes"] == expected

    r = await api.get("/v1/exports/responses", params={"theme": "zeta"})
    ids = {row["id"] for row in csv.DictReader(io.StringIO(r.text, newline=""))}
    assert ids == {all_themes["id"], one["id"]}


@pytest.mark.skipif(is_sqlite(DATABASE_URL), reason="COPY is PostgreSQL's")
async def test_copy_and_python_write_the_same_theme_cells(api, monkeypatch):
    survey = await api.survey()
    for i, name in enumerate(NAMES):
        await theme(api, name, f"word{i}")
    for i in range(len(NAMES)):
        await api.answer(survey["id"], 5, comment=" ".join(f"word{j}" for j in range(i + 1)))
    await api.answer(survey["id"], 5)

    async def body(stream) -> bytes:
        chunks = stream(get_engine(), api.project_id, ResponseFilter(), None, None)
        return b"".join([chunk async for chunk in chunks])

    monkeypatch.setattr(export, "CHUNK", 3)
    copied, formatted = await body(export._copy), await body(export._chunks)
    assert copied == formatted
    assert b"'=sum" in copied
