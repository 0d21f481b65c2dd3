"""`GET /v1/exports/responses?include_deleted=true` tells a BI tool which rows went: deleted
and erased answers come as tombstones (ids and times only, `deleted_at` set), as in
`GET /v1/responses`; without it they are left out. Every row carries its creation time and
its survey's kind and scale."""

import csv
import io
from datetime import UTC, datetime

from conftest import database_text_containing

from tests.privacy.customer import customer_data

KEPT = {"id", "survey_id", "submitted_at", "updated_at", "created_at", "deleted_at", "kind"}
KEPT |= {"scale_min", "scale_max"}


def rows(r) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text
    return list(csv.DictReader(io.StringIO(r.text, newline="")))


def utc(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(UTC).isoformat()


async def test_tombstones_are_exported_only_when_asked(api):
    who = customer_data()
    nps, ces = await api.survey(kind="nps"), await api.survey(kind="ces")
    erased = await api.answer(
        nps["id"],
        2,
        customer_id=who["customer_id"],
        comment=who["comment"],
        attributes={"plan": who["attribute"]},
        channel="web",
        segment="smb",
    )
    deleted = await api.answer(ces["id"], 6, comment="gone", channel="email")
    live = await api.answer(ces["id"], 7, comment="stays", channel="email")
    assert (await api.delete(f"/v1/responses/{deleted['id']}")).status_code == 204
    r = await api.post("/v1/erasures", json={"customer_id": who["customer_id"]})
    assert r.status_code == 200, r.text

    [only] = rows(await api.get("/v1/exports/responses"))
    assert only["id"] == live["id"] and only["deleted_at"] == ""
    assert (only["kind"], only["scale_min"], only["scale_max"]) == ("ces", "1", "7")
    assert only["created_at"] == utc(live["created_at"]) and only["channel"] == "email"

    everything = rows(await api.get("/v1/exports/responses", params={"include_deleted": "true"}))
    by_id = {row["id"]: row for row in everything}
    assert set(by_id) == {erased["id"], deleted["id"], live["id"]}
    listed = await api.get("/v1/responses", params={"include_deleted": "true"})
    tombstones = {t["id"]: t for t in listed.json()["data"] if t["deleted"]}
    for gone, kind, scale in ((erased, "nps", ("0", "10")), (deleted, "ces", ("1", "7"))):
        row = by_id[gone["id"]]
        assert row["deleted_at"] and row["deleted_at"] == row["updated_at"]
        assert row["updated_at"] == utc(tombstones[gone["id"]]["updated_at"])
        assert (row["kind"], (row["scale_min"], row["scale_max"])) == (kind, scale)
        assert row["created_at"] == utc(gone["created_at"])
        assert {name for name, cell in row.items() if cell} == KEPT
        # the list's tombstone is the same: ids and times only, channel cleared too
        assert tombstones[gone["id"]]["channel"] is None
        assert tombstones[gone["id"]]["segment"] is None
    assert await database_text_containing(*who.values()) == []


async def test_include_deleted_follows_the_cursor(api):
    survey = await api.survey()
    made = [(await api.answer(survey["id"], i))["id"] for i in range(5)]
    for rid in made[1::2]:
        assert (await api.delete(f"/v1/responses/{rid}")).status_code == 204
    seen, cursor = [], None
    while True:
        params = {"include_deleted": "true", "limit": 2, **({"cursor": cursor} if cursor else {})}
        r = await api.get("/v1/exports/responses", params=params)
        seen += [(row["id"], bool(row["deleted_at"])) for row in rows(r)]
        if (cursor := r.headers.get("sentio-next-cursor")) is None:
            break
    # deletions change updated_at: the tombstones come last, in the order they went
    expected = [(made[0], False), (made[2], False), (made[4], False)]
    expected += [(made[1], True), (made[3], True)]
    assert seen == expected
