"""Schemathesis runs every check it has (`--checks all`) over every operation of the API
document against a live server: examples, fuzzing, and stateful sequences that follow the
document's links (a create, then its reads and changes). Any server error, undocumented
status or header, body outside its schema, refused valid request or accepted invalid one
fails the test.

The rules no JSON Schema can state (a cursor must be one the server issued, `from` before
`to`, a new Idempotency-Key per request, ...) are in `schemathesis_hooks.py`, each with
why. `SENTIO_FUZZ_EXAMPLES` raises the examples per operation and `SENTIO_FUZZ_PHASES` adds
the coverage phase for a longer run (the defaults keep the suite's run short); the longer
recorded run is in docs/bad-inputs.md."""

import asyncio
import os
import re
import sys
from pathlib import Path

from test_faults import free_port, server, wait_until_up

from app.auth.service import create_key
from app.db import sessionmaker

SCHEMATHESIS = Path(sys.executable).parent / "schemathesis"
HOOKS = Path(__file__).resolve().parent
EXAMPLES = os.environ.get("SENTIO_FUZZ_EXAMPLES", "3")
PHASES = os.environ.get("SENTIO_FUZZ_PHASES", "examples,fuzzing,stateful")
"""The coverage phase (every boundary of every parameter, unexpected methods) takes minutes
whatever the examples: `SENTIO_FUZZ_PHASES=examples,coverage,fuzzing,stateful` adds it."""
CONFIG = """\
[phases.stateful.inference]
algorithms = []  # only the document's own links: they are what is under test
"""

# Three runs, so that every operation gets credentials it accepts: the project's admin key
# for the project API; an instance key for project management; and, last, the operations
# that revoke keys (the coverage phase reuses ids from earlier answers, such as the
# fuzzer's own key from listKeys) and the browser endpoint (it takes only publishable keys,
# so it answers 403 here).
INSTANCE = "^(createProject|listProjects|getProject|createProjectKey|listProjectKeys)$"
LAST = "^(revokeKey|revokeProjectKey|submitBrowserResponse)$"


async def fuzz(port: int, key: str, cwd: Path, *selection: str, phases: str = PHASES) -> str:
    (cwd / "schemathesis.toml").write_text(CONFIG)
    env = {**os.environ, "PYTHONPATH": str(HOOKS), "SCHEMATHESIS_HOOKS": "schemathesis_hooks"}
    process = await asyncio.create_subprocess_exec(
        str(SCHEMATHESIS), "--config-file", str(cwd / "schemathesis.toml"), "run",
        f"http://127.0.0.1:{port}/openapi.json",
        "-H", f"Authorization: Bearer {key}", *selection,
        "--checks", "all", "--phases", phases, "--max-examples", EXAMPLES,
        "--seed", "7", "--workers", "2",
        cwd=cwd,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    output, _ = await asyncio.wait_for(process.communicate(), timeout=900)
    report = output.decode(errors="replace")
    assert process.returncode == 0, findings(report)
    assert " passed" in report, findings(report)
    print(*[line for line in report.splitlines() if FIGURES.search(line)], sep="\n")
    return report


def findings(report: str) -> str:
    """Each failing operation, its failures and the answers, from schemathesis's report."""
    keep = ("___", "- ST", "    `", "Test cases", "  ", "Error")
    lines = [line[:300] for line in report.splitlines() if line.startswith(keep)]
    return "\n".join(lines[:400]) or report[-6000:]


FIGURES = re.compile(r"Operations:|Selected:|generated|Tested:|API Links:|Scenarios:|in [0-9.]+s")


async def instance_key() -> str:
    async with sessionmaker()() as session, session.begin():
        _key, secret = await create_key(session, [], kind="instance")
        return secret


async def test_schemathesis_with_every_check_and_stateful_links_finds_nothing(api, tmp_path):
    port = free_port()
    env = {
        "SENTIO_RATE_LIMIT_BACKEND": "off",  # thousands of requests from one address
        "SENTIO_WEBHOOK_DISPATCHER": "false",  # no deliveries to the fuzzer's made-up hosts
        "SENTIO_SQLITE_BUSY_TIMEOUT_MS": "30000",  # two workers' writes on a busy machine
    }
    with server(port, grace=5, env=env) as proc:
        await wait_until_up(port, proc)
        skip = ["--exclude-operation-id-regex", f"{INSTANCE}|{LAST}"]
        report = await fuzz(port, api.key, tmp_path, *skip)
        assert "Authentication failed" not in report, report[-3000:]
        only = ["--include-operation-id-regex", INSTANCE]
        report = await fuzz(port, await instance_key(), tmp_path, *only)
        assert "Authentication failed" not in report, report[-3000:]
        alone = ",".join(p for p in PHASES.split(",") if p != "stateful")  # no links among them
        await fuzz(port, api.key, tmp_path, "--include-operation-id-regex", LAST, phases=alone)
