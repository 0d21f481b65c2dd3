"""Schemathesis fuzzes every operation of the OpenAPI schema against a live server, with an
admin key: valid and invalid data, default checks plus negative-data rejection. Any server
error or response outside the schema fails the test.

The longer recorded run is in docs/bad-inputs.md."""

import asyncio
import sys
from pathlib import Path

from test_faults import free_port, server, wait_until_up

from app.auth.service import create_key
from app.db import sessionmaker

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


# Three runs, so that every operation gets credentials it accepts: the project's admin key
# for the project API; an instance key for project management; and, last, the operations
# that revoke keys (they would revoke the fuzzer's own key mid-run) and the browser
# endpoint (it takes only publishable keys, so it answers 403 here).
INSTANCE = "^(createProject|listProjects|getProject|createProjectKey|listProjectKeys)$"
LAST = "^(revokeKey|revokeProjectKey|submitBrowserResponse)$"


async def fuzz(port: int, key: str, cwd: Path, *selection: str) -> str:
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), "run", f"http://127.0.0.1:{port}/openapi.json",
        "-H", f"Authorization: Bearer {key}", *selection,
        "--checks", CHECKS, "--max-examples", "8", "--seed", "7", "--workers", "1",
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=600)
    report = output.decode(errors="replace")
    assert process.returncode == 0, report[-6000:]
    assert " passed" in report and "Tested: " in report, report[-2000:]
    return report


async def instance_key() -> str:
    async with sessionmaker()() as session, session.begin():
        _key, secret = await create_key(session, [], kind="instance")
        return secret


async def test_schemathesis_finds_no_server_errors_and_no_schema_violations(api, tmp_path):
    port = free_port()
    env = {"SENTIO_RATE_LIMIT_BACKEND": "off"}  # thousands of requests from one address
    with server(port, grace=5, env=env) as proc:
        await wait_until_up(port, proc)
        skip = ["--exclude-operation-id-regex", f"{INSTANCE}|{LAST}"]
        report = await fuzz(port, api.key, tmp_path, *skip)
        assert "Authentication failed" not in report, report[-3000:]
        only = ["--include-operation-id-regex", INSTANCE]
        report = await fuzz(port, await instance_key(), tmp_path, *only)
        assert "Authentication failed" not in report, report[-3000:]
        await fuzz(port, api.key, tmp_path, "--include-operation-id-regex", LAST)
