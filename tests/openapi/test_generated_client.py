"""A client generated from the API document by openapi-python-client, used against a live
server as a customer would: create a survey, answer it, read its scores as JSON and as
CSV, and page through an export. Every answer must parse into the documented model."""

import asyncio
import csv
import importlib
import io
import os
import sys
from datetime import datetime
from pathlib import Path

import httpx
from test_faults import free_port, server, wait_until_up

GENERATOR = Path(sys.executable).parent / "openapi-python-client"
PACKAGE = "sentio_client"


async def generate(port: int, into: Path) -> None:
    async with httpx.AsyncClient() as http:
        spec = await http.get(f"http://127.0.0.1:{port}/openapi.json")
    (into / "openapi.json").write_bytes(spec.content)
    env = {**os.environ, "PATH": f"{GENERATOR.parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    process = await asyncio.create_subprocess_exec(
        str(GENERATOR), "generate", "--path", str(into / "openapi.json"),
        "--meta", "none", "--output-path", str(into / PACKAGE),
        cwd=into, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=300)
    assert process.returncode == 0, output.decode(errors="replace")[-4000:]
    assert (into / PACKAGE / "api").is_dir(), output.decode(errors="replace")[-4000:]


def load(into: Path, name: str):
    return importlib.import_module(f"{PACKAGE}.{name}")


async def test_a_generated_client_creates_answers_reads_scores_and_pages_an_export(api, tmp_path):
    port = free_port()
    with server(port, grace=5) as proc:
        await wait_until_up(port, proc)
        await generate(port, tmp_path)
        sys.path.insert(0, str(tmp_path))
        try:
            await use_the_client(port, api.key, tmp_path)
        finally:
            sys.path.remove(str(tmp_path))
            for module in [m for m in sys.modules if m.split(".")[0] == PACKAGE]:
                del sys.modules[module]


async def use_the_client(port: int, key: str, into: Path) -> None:
    client_module = load(into, "client")
    models = load(into, "models")
    surveys = load(into, "api.surveys.create_survey")
    answers = load(into, "api.responses.create_response")
    scores = load(into, "api.scores.get_scores")
    scores_csv = load(into, "api.scores.get_scores_csv")
    export = load(into, "api.responses.export_responses")
    client = client_module.AuthenticatedClient(base_url=f"http://127.0.0.1:{port}", token=key)

    async with client:
        created = await surveys.asyncio_detailed(
            client=client,
            body=models.SurveyCreate(
                name="From a generated client", kind=models.SurveyCreateKind.NPS
            ),
        )
        assert created.status_code == 201, created.content
        survey = created.parsed
        assert isinstance(survey, models.SurveyOut) and survey.scale_max == 10

        for score, when in ((10, "2024-05-01T10:00:00Z"), (9, "2024-05-02T10:00:00Z"), (3, None)):
            body = models.ResponseCreate(score=score, segment="smb")
            if when:
                body.submitted_at = datetime.fromisoformat(when)
            answered = await answers.asyncio_detailed(survey.id, client=client, body=body)
            assert answered.status_code == 201, answered.content
            assert isinstance(answered.parsed, models.ResponseOut)
            assert answered.parsed.score == score

        report = await scores.asyncio_detailed(client=client, survey_id=[survey.id], min_n=1)
        assert report.status_code == 200, report.content
        assert isinstance(report.parsed, models.ScoreReport)
        (row,) = report.parsed.rows
        assert (row.n, row.promoters, row.detractors) == (3, 2, 1)
        assert row.nps == 100 * (2 - 1) / 3  # METRICS.md: (promoters - detractors) / n, full

        as_csv = await scores_csv.asyncio_detailed(client=client, survey_id=[survey.id], min_n=1)
        assert as_csv.status_code == 200, as_csv.content
        assert as_csv.headers["content-type"].startswith("text/csv")
        assert isinstance(as_csv.parsed, str)
        [csv_row] = list(csv.DictReader(io.StringIO(as_csv.parsed)))
        assert csv_row["n"] == "3"

        seen, cursor, pages = [], None, 0
        while True:
            extra = {"cursor": cursor} if cursor else {}
            page = await export.asyncio_detailed(
                client=client, survey_id=[survey.id], limit=2, **extra
            )
            assert page.status_code == 200, page.content
            assert isinstance(page.parsed, str)
            seen += [r["score"] for r in csv.DictReader(io.StringIO(page.parsed))]
            pages += 1
            cursor = page.headers.get("sentio-next-cursor")
            if not cursor:
                break
        assert pages == 2 and sorted(seen) == ["10", "3", "9"]
