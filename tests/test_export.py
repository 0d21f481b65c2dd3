"""The CSV export (`GET /v1/exports/responses`) as a BI tool sees it: the exact text of the
cells, formula neutralisation, continuation with `Sentio-Next-Cursor`, filters and
authorization. The expected text is written out here, so SQLite and PostgreSQL are held to
the same bytes; on PostgreSQL (rows formatted by COPY) a test also compares the database's
formatting with the Python one on awkward rows, and the benchmark's export check runs."""

import csv
import io
import uuid
from datetime import UTC, datetime

import anyio
import asyncpg
import pytest
from conftest import DATABASE_URL, Api, assert_problem, new_key, new_project
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from app.db import get_engine, is_sqlite, sessionmaker
from app.models import Response, Survey
from app.responses import export
from app.responses.repository import ResponseFilter
from bench import data
from bench import export as bench_export

HEADER = (
    "id,survey_id,submitted_at,updated_at,score,comment,customer_id,segment,touchpoint,"
    "channel,locale,attributes,created_at,deleted_at,kind,scale_min,scale_max,themes\r\n"
)
postgresql_only = pytest.mark.skipif(is_sqlite(DATABASE_URL), reason="PostgreSQL only")


def rows(r) -> list[dict[str, str]]:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    return list(csv.DictReader(io.StringIO(r.text, newline="")))


def utc(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(UTC).isoformat()


async def test_cells_are_exact_text_on_every_database(api: Api):
    survey = await api.survey()
    sid = survey["id"]
    a = await api.answer(
        sid, 9, comment='says "hi", then\r\nleaves', customer_id="=cmd|' /C calc'!A0",
        segment="-seg", touchpoint="checkout", channel="web", locale="de",
        attributes={"zeta": 1.5, "b": True, "aa": "x\ny", "n": -3, "nz": -0.0, "big": 1e20,
                    "tiny": 1.5e-7},
        submitted_at="2025-03-01T12:00:00+01:00",
    )  # fmt: skip
    b = await api.answer(sid, 0, submitted_at="2025-03-02T00:00:00.000250Z")
    c = await api.answer(
        sid, 5, attributes={}, comment="@SUM(A1)", submitted_at="2025-03-03T00:00:00Z"
    )

    r = await api.get("/v1/exports/responses", params={"survey_id": sid})

    assert r.headers["content-disposition"] == 'attachment; filename="responses.csv"'
    assert "sentio-next-cursor" not in r.headers
    attributes = (
        '"{""b"": true, ""n"": -3, ""aa"": ""x\\ny"", ""nz"": 0.0, ""big"": 100000000000000000000, '
        '""tiny"": 0.00000015, ""zeta"": 1.5}"'
    )
    survey_cells = '"nps",0,10,\r\n'  # no theme
    assert r.text == (
        HEADER
        + f"{a['id']},{sid},2025-03-01T11:00:00+00:00,{utc(a['updated_at'])},9,"
        + '"says ""hi"", then\r\nleaves","\'=cmd|\' /C calc\'!A0","\'-seg","checkout","web","de",'
        + f"{attributes},{utc(a['created_at'])},,{survey_cells}"
        + f"{b['id']},{sid},2025-03-02T00:00:00.000250+00:00,{utc(b['updated_at'])},0,,,,,"
        + f'"api",,,{utc(b["created_at"])},,{survey_cells}'
        + f'{c["id"]},{sid},2025-03-03T00:00:00+00:00,{utc(c["updated_at"])},5,"\'@SUM(A1)",'
        + f',,,"api",,,{utc(c["created_at"])},,{survey_cells}'
    )


async def test_pages_continue_with_the_cursor_until_none_is_left(api: Api):
    survey = await api.survey()
    made = [(await api.answer(survey["id"], i % 11))["id"] for i in range(7)]
    seen, cursor, sizes = [], None, []
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        r = await api.get("/v1/exports/responses", params=params)
        page = rows(r)
        sizes.append(len(page))
        seen += [row["id"] for row in page]
        cursor = r.headers.get("sentio-next-cursor")
        if cursor is None:
            break
    assert sizes == [3, 3, 1] and seen == made

    # A page that ends exactly at the last row says there is no more.
    r = await api.get("/v1/exports/responses", params={"limit": 7})
    assert len(rows(r)) == 7 and "sentio-next-cursor" not in r.headers
    # The cursor is the one GET /v1/responses takes.
    r = await api.get("/v1/exports/responses", params={"limit": 2})
    listed = await api.get("/v1/responses", params={"cursor": r.headers["sentio-next-cursor"]})
    assert [x["id"] for x in listed.json()["data"]] == made[2:]


async def test_filters_deletes_and_bad_parameters(api: Api):
    one, two = await api.survey(), await api.survey()
    early = await api.answer(one["id"], 1, submitted_at="2025-01-01T00:00:00Z")
    late = await api.answer(one["id"], 2, submitted_at="2025-06-01T00:00:00Z")
    other = await api.answer(two["id"], 3, submitted_at="2025-06-01T00:00:00Z")
    gone = await api.answer(two["id"], 4)
    assert (await api.delete(f"/v1/responses/{gone['id']}")).status_code == 204

    def ids(r):
        return [row["id"] for row in rows(r)]

    everything = await api.get("/v1/exports/responses")
    assert ids(everything) == [early["id"], late["id"], other["id"]]
    by_survey = await api.get("/v1/exports/responses", params={"survey_id": one["id"]})
    assert ids(by_survey) == [early["id"], late["id"]]
    since = await api.get("/v1/exports/responses", params={"from": "2025-03-01T00:00:00Z"})
    assert ids(since) == [late["id"], other["id"]]
    before = await api.get("/v1/exports/responses", params={"to": "2025-03-01"})
    assert ids(before) == [early["id"]]
    changed = await api.get("/v1/exports/responses", params={"updated_since": other["updated_at"]})
    assert ids(changed) == [other["id"]]

    bad = await api.get("/v1/exports/responses", params={"cursor": "not-a-cursor"})
    assert_problem(bad, 400, "invalid-cursor")
    backwards = {"from": "2025-06-01T00:00:00Z", "to": "2025-01-01T00:00:00Z"}
    assert_problem(await api.get("/v1/exports/responses", params=backwards), 422)
    assert (await api.get("/v1/exports/responses", params={"limit": 0})).status_code == 422


async def test_only_responses_read_keys_of_the_project_export(api: Api):
    survey = await api.survey()
    await api.answer(survey["id"], 7)
    anonymous = await api.client.get("/v1/exports/responses")
    assert_problem(anonymous, 401)
    scores_only = await api.with_scopes("scores:read")
    assert_problem(await scores_only.get("/v1/exports/responses"), 403)
    reader = await api.with_scopes("responses:read")
    assert len(rows(await reader.get("/v1/exports/responses"))) == 1
    stranger_project = await new_project("stranger")
    stranger = Api(api.client, stranger_project, await new_key(stranger_project, "admin"))
    assert (await stranger.get("/v1/exports/responses")).text == HEADER


def test_line_ends_become_crlf_outside_quotes_however_the_stream_is_cut():
    text = b'a,"x\ny ""q"" \r\nz",b\n"",c\nd,"\n"\n'
    whole, quoted = export._crlf(text, False)
    assert whole == b'a,"x\ny ""q"" \r\nz",b\r\n"",c\r\nd,"\n"\r\n' and not quoted
    for cut in range(len(text) + 1):
        head, quoted = export._crlf(text[:cut], False)
        tail, quoted = export._crlf(text[cut:], quoted)
        assert head + tail == whole and not quoted


@postgresql_only
async def test_postgresql_copy_writes_what_the_python_formatting_writes(monkeypatch):
    project_id = await new_project("awkward")
    awkward = [
        "", " ", "plain", "=1+2", "+x", "-1", "@a", "\tt", "\rr", "a,b", 'q"q', "l\nl",
        "crlf\r\n", "\\.", "ünï©ødé ✓", "'already", "NULL", '"', ",",
        "a;=1+1", "x\t-y", "\n=z", ";\n;\t@", '"=1', ';"=1', "\n", "\t\t=",
    ]  # fmt: skip
    times = [
        datetime(2025, 1, 1, tzinfo=UTC),
        datetime(2025, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ]
    attributes = [
        None, {}, {"a": 1}, {"long_key": "v", "k": 0.1, "z": False, "m": 1e-5, "n": 12345678.9},
        {"s": "tab\there \"quoted\" \\ back\u0001\u001f", "u": "é✓"}, {"neg": -2.5},
    ]  # fmt: skip
    async with sessionmaker()() as session, session.begin():
        survey = Survey(project_id=project_id, name="s", kind="nps", scale_max=10,
                        question="?", texts={})  # fmt: skip
        session.add(survey)
        await session.flush()
        for i, value in enumerate(awkward):
            when = times[i % len(times)]
            session.add(
                Response(
                    id=uuid.UUID(int=i + 1), project_id=project_id, survey_id=survey.id,
                    score=None if i % 5 == 0 else i % 11, comment=value, customer_id=value,
                    segment=value[:100], touchpoint=value[::-1], channel=value[:16],
                    locale=value[:35], attributes=attributes[i % len(attributes)],
                    submitted_at=when, created_at=when, updated_at=when,
                )
            )  # fmt: skip

    async def body(stream) -> bytes:
        chunks = stream(get_engine(), project_id, ResponseFilter(), None, None)
        return b"".join([chunk async for chunk in chunks])

    monkeypatch.setattr(export, "CHUNK", 4)  # several reads
    copied, formatted = await body(export._copy), await body(export._chunks)
    assert copied == formatted
    assert len(list(csv.reader(io.StringIO(copied.decode(), newline="")))) == len(awkward) + 1


@postgresql_only
async def test_benchmark_export_check_passes_and_catches_a_wrong_count(client):
    """The export part of `python -m bench`, in-process on a tiny history."""
    project_id = await new_project("bench export smoke")
    key = await new_key(project_id, "responses:read")
    async with sessionmaker()() as session, session.begin():
        surveys = [Survey(project_id=project_id, name=f"P{i}", kind="nps", scale_max=10,
                          question="?", texts={}) for i in range(2)]  # fmt: skip
        session.add_all(surveys)
        await session.flush()
        survey_ids = [s.id for s in surveys]
    dsn = make_url(DATABASE_URL).set(drivername="postgresql").render_as_string(False)
    conn = await asyncpg.connect(dsn)
    try:
        start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 3, 1, tzinfo=UTC)
        await data.generate(conn, project_id, survey_ids, 2500, start, end, progress=print)
        live = await conn.fetchval(
            "SELECT count(*) FROM responses WHERE project_id = $1 AND deleted_at IS NULL",
            project_id,
        )
        auth = {"Authorization": f"Bearer {key}"}
        assert await bench_export.verify(client, auth, conn, live, page=1000) == []
        counted, _seconds, _peak = await bench_export.timed_download(client, auth, None, 1000)
        assert counted == live
        assert await bench_export.verify(client, auth, conn, live + 1, page=1000) != []
    finally:
        await conn.close()


@postgresql_only
async def test_a_download_cut_short_leaves_the_pool_usable(api: Api):
    survey = await api.survey()
    dsn = make_url(DATABASE_URL).set(drivername="postgresql").render_as_string(False)
    conn = await asyncpg.connect(dsn)
    try:  # enough rows that COPY is still running when the client goes
        start, end = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)  # own ids
        await data.generate(conn, api.project_id, [uuid.UUID(survey["id"])], 20_000, start, end)
    finally:
        await conn.close()
    for wait in [0.001 * 2**i for i in range(8)] * 2:  # more than the pool holds
        stream = export._copy(get_engine(), api.project_id, ResponseFilter(), None, None)
        # The client goes away: Starlette cancels the task that reads the stream.
        with anyio.move_on_after(wait):
            async for _chunk in stream:
                pass
        await stream.aclose()
    r = await api.get("/v1/exports/responses", params={"limit": 100_000})
    assert len(rows(r)) == await live_count(api.project_id)


async def live_count(project_id: uuid.UUID) -> int:
    async with sessionmaker()() as session:
        return await session.scalar(
            select(func.count()).where(Response.project_id == project_id,
                                       Response.deleted_at.is_(None))
        )  # fmt: skip
