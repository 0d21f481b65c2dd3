"""Hardening: security headers on every answer, HSTS only over TLS (trusted proxies), CSV
that spreadsheets cannot run, no secret or token in logs or error bodies, body limits."""

import csv
import io
import logging
import secrets
from contextlib import asynccontextmanager

import httpx
import pytest
from conftest import Api, app_with, assert_problem

from app.csvutil import number_cell, text_cell, write_rows
from app.pages.templating import CSP as PAGE_CSP
from app.security import headers
from app.security.redact import redact

BASICS = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "no-referrer",
}


@asynccontextmanager
async def client_for(base_url: str = "http://test", peer: str = "127.0.0.1", **settings: str):
    transport = httpx.ASGITransport(app=app_with(**settings), client=(peer, 5000))
    async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
        yield client


async def test_headers_on_every_kind_of_answer(api, client):
    survey = await api.survey()
    answers = {
        "json": await api.get(f"/v1/surveys/{survey['id']}"),
        "problem 401": await client.get("/v1/surveys"),
        "problem 404": await api.get("/v1/nothing-here"),
        "csv": await api.get("/v1/scores", params={"survey_id": survey["id"], "format": "csv"}),
        "413": await api.post(
            "/v1/surveys", content=b"{}" * 600_000, headers={"Content-Type": "application/json"}
        ),
        "health": await client.get("/healthz"),
        "page 404": await client.get(f"/s/{secrets.token_urlsafe(24)}"),
    }
    for name, r in answers.items():
        for header, value in BASICS.items():
            assert r.headers.get(header) == value, (name, header, r.headers)
        assert "strict-transport-security" not in r.headers, name
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], name
    assert answers["json"].headers["cache-control"] == "no-store"
    assert answers["json"].headers["content-security-policy"] == (
        "default-src 'none'; frame-ancestors 'none'"
    )
    assert answers["413"].status_code == 413


async def test_pages_keep_their_own_stricter_csp(api, client):
    survey = await api.survey()
    r = await api.post(
        f"/v1/surveys/{survey['id']}/invitations", json={"recipients": [{"customer_id": "c"}]}
    )
    url = r.json()["data"][0]["survey_url"]
    page = await client.get(httpx.URL(url).path)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.headers.get_list("content-security-policy") == [PAGE_CSP]
    assert page.headers.get_list("x-frame-options") == ["DENY"]


async def test_docs_get_the_page_policy_and_may_read_this_server(client):
    r = await client.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-security-policy"] == headers.PAGE_CSP + "; connect-src 'self'"


async def test_hsts_only_over_tls():
    async with client_for("https://test") as client:
        r = await client.get("/healthz")
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")
    # Plain HTTP behind a proxy that is not trusted: its X-Forwarded-Proto is ignored.
    async with client_for() as client:
        r = await client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in r.headers
    # Behind a trusted proxy that terminated TLS.
    async with client_for(peer="10.9.9.9", trusted_proxies='["10.9.9.0/24"]') as client:
        r = await client.get("/healthz", headers={"X-Forwarded-Proto": "https"})
        assert "max-age=" in r.headers["strict-transport-security"]
    async with client_for("https://test", hsts_max_age_seconds="0") as client:
        assert "strict-transport-security" not in (await client.get("/healthz")).headers


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r", "\n"])
def test_text_cells_that_start_a_formula_are_neutralised(start):
    value = f'{start}HYPERLINK("https://evil.example","x")'
    assert text_cell(value) == "'" + value
    rows = list(csv.reader(io.StringIO(write_rows(["segment"], [[text_cell(value)]]))))
    assert rows[1] == ["'" + value]


def test_harmless_text_and_numbers_are_unchanged():
    for value in ("enterprise", "a=b", "1+1", " =x", "", "Ünïcode"):
        assert text_cell(value) == value
    assert text_cell(None) == ""
    assert [number_cell(v) for v in (-100.0, -3, 0, 12.5, None, True)] == [
        "-100.0",
        "-3",
        "0",
        "12.5",
        "",
        "true",
    ]


async def test_scores_csv_neutralises_labels_and_keeps_negative_scores(api):
    survey = await api.survey()
    evil = ["=1+2", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx"]
    for segment in evil:
        await api.answer(survey["id"], 0, segment=segment)
    r = await api.get(
        "/v1/scores", params={"survey_id": survey["id"], "group_by": "segment", "format": "csv"}
    )
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert sorted(row["segment"] for row in rows) == sorted("'" + s for s in evil)
    assert all(float(row["nps"]) == -100.0 and row["nps"].startswith("-") for row in rows)


async def test_secrets_and_tokens_stay_out_of_logs_and_error_bodies(api, client, caplog):
    caplog.set_level(logging.DEBUG)
    unknown_key = "sk_" + secrets.token_urlsafe(32)
    token = secrets.token_urlsafe(24)
    answers = [
        await client.get("/v1/surveys", headers={"Authorization": f"Bearer {unknown_key}"}),
        await client.get(f"/s/{token}"),
        await client.post(f"/s/{token}", data={"score": "5"}),
        await client.get(f"/u/{token}"),
        await client.post("/v1/public/responses", json={"token": token, "score": 5}),
        await client.post("/v1/public/responses", json={"token": token, "score": "x"}),
    ]
    logging.getLogger("sentio.test").warning("unhandled error on /s/%s with %s", token, api.key)
    for r in answers:
        assert r.status_code < 500
        assert token not in r.text and unknown_key not in r.text and api.key not in r.text
    assert caplog.records
    for record in caplog.records:
        text = record.getMessage()
        assert token not in text and unknown_key not in text and api.key not in text, text


def test_redaction_rules():
    key = "sk_" + "a" * 43
    assert redact(f"Authorization: Bearer {key}") == "Authorization: Bearer [redacted]"
    assert redact("GET /s/" + "b" * 32 + "/thanks") == "GET /s/[redacted]/thanks"
    assert redact('{"token": "' + "c" * 32 + '"}') == '{"token": "[redacted]"}'
    assert redact("/v1/surveys/0192a7c4-1111-7000-8000-000000000000") == (
        "/v1/surveys/0192a7c4-1111-7000-8000-000000000000"
    )


async def test_request_size_limit(api):
    big = {"name": "x" * 2_000_000, "kind": "nps"}
    assert_problem(await api.post("/v1/surveys", json=big), 413, "payload-too-large")
    r = await api.client.post("/v1/public/responses", json={"token": "t" * 2_000_000, "score": 1})
    assert_problem(r, 413)
    assert (await api.get("/v1/surveys")).json()["data"] == []


async def test_a_bare_api_key_header_echo_is_never_reflected(api: Api):
    r = await api.get("/v1/scores", params={"survey_id": api.key})
    assert r.status_code == 422 and api.key not in r.text


async def test_responses_export_neutralises_text_and_keeps_numbers(api):
    survey = await api.survey()
    evil = ["=1+2", "+cmd", "-2+3", "@SUM(A1)", "\tx", "\rx", 'plain, with "quotes"\nand lines']
    for i, comment in enumerate(evil):
        await api.answer(survey["id"], i, comment=comment, segment="-seg", customer_id=f"c{i}")
    bi = Api(
        api.client,
        api.project_id,
        (await api.post("/v1/keys", json={"kind": "read"})).json()["secret"],
    )
    r = await bi.get("/v1/exports/responses", params={"survey_id": survey["id"]})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert [row["comment"] for row in rows] == ["'" + c for c in evil[:6]] + [evil[6]]
    assert [row["score"] for row in rows] == [str(i) for i in range(len(evil))]
    assert {row["segment"] for row in rows} == {"'-seg"}

    first = await bi.get("/v1/exports/responses", params={"limit": 3})
    assert len(list(csv.DictReader(io.StringIO(first.text)))) == 3
    rest = await bi.get(
        "/v1/exports/responses", params={"cursor": first.headers["sentio-next-cursor"]}
    )
    assert len(list(csv.DictReader(io.StringIO(rest.text)))) == len(evil) - 3
    assert "sentio-next-cursor" not in rest.headers
