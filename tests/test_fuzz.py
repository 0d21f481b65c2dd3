"""Schemathesis fuzzes every operation of the OpenAPI schema against a live server, with an
admin key: valid and invalid data, default checks plus negative-data rejection. Any server
error or response outside the schema fails the test.

The longer recorded run is in docs/bad-inputs.md."""

import asyncio
import sys
from pathlib import Path

from test_faults import free_port, server, wait_until_up

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_headers_conformance",
        "response_schema_conformance",
        "negative_data_rejection",
    ]
)


async def test_schemathesis_finds_no_server_errors_and_no_schema_violations(api, tmp_path):
    port = free_port()
    with server(port, grace=5) as proc:
        await wait_until_up(port, proc)
        fuzz = await asyncio.create_subprocess_exec(
            str(SCHEMATHESIS), "run", f"http://127.0.0.1:{port}/openapi.json",
            "-H", f"Authorization: Bearer {api.key}",
            "--checks", CHECKS, "--max-examples", "8", "--seed", "7", "--workers", "1",
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        output, _ = await asyncio.wait_for(fuzz.communicate(), timeout=600)
    report = output.decode(errors="replace")
    assert fuzz.returncode == 0, report[-6000:]
    assert " passed" in report and "Tested: " in report, report[-2000:]
