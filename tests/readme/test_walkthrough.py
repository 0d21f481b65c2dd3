"""The README's walkthrough, run as written: every shell example against a live server.

The convention (README authors: keep your examples to it):

- Every ```sh block runs, in document order, in ONE bash session, so variables and
  `export`s carry over from block to block. Each block is sourced from a file with its
  standard input on /dev/null, in a fresh temporary directory that is the working directory
  of the whole walkthrough: the files a reader's steps create (`invitations.json`,
  `email.html`, ...) land there, never in the repository. `.venv` in that directory is a
  link to the virtualenv running this test, so `.venv/bin/sentio` resolves as it does for
  a reader in their clone.
- The server is a real `sentio serve` on a fresh embedded SQLite database (`./sentio.db` of
  that directory), on a free port, with no `SENTIO_*` or `DATABASE_URL` variable from the
  test's own environment. `http://127.0.0.1:8000` is rewritten to its address (in commands
  and in expected output), and `SENTIO_PUBLIC_BASE_URL` points at it so that invitation
  links reach it. The webhook receiver's port 9000 is rewritten to a free port too.
- A ```text block right after a ```sh block is what that block prints on standard output:
  compared line by line (trailing spaces aside), where `…` matches any run of characters
  within a line. A block that exits with a non-zero status, or writes anything to standard
  error (`command not found`, a Python traceback), fails the walkthrough.
- ```json and ```python blocks are not run, except the one that the README tells the reader
  to save as `receiver.py`: the walkthrough saves it there (the block after the sentence
  naming the file), and the shell blocks run it.

Blocks with an explicit treatment, because a test cannot do what they do as written:

- Starting the server: a block whose command is `[NAME=value ...] .venv/bin/sentio serve`
  (the quickstart's, after its one-time `python3 -m venv .venv && .venv/bin/pip install`,
  which is not repeated: the test runs from an installed tree) stops the running server,
  if any, and starts `sentio serve` again with those variables, waiting for `/readyz`.
  This is exactly the README's "stop it (Ctrl+C) and start it again".
- `xdg-open FILE` (opening a page in a browser) only checks that FILE exists and is not
  empty; tests/e2e drives a real browser through the same pages.
- The blocks in `NOT_RUN` below are not run, each for the reason it gives (Docker has no
  engine here, and its files are checked by tests/config; production examples name remote
  hosts; the test suite and the long fault and benchmark runs are CI steps of their own).
  Each entry must match at least one block, so that an entry cannot outlive its block.

Every wait is bounded: a block has `BLOCK_TIMEOUT` seconds, the server `START_TIMEOUT` to
become ready. Background processes a block starts (the webhook receiver) are ended with the
session's process group."""

import contextlib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
ARTIFACTS = ROOT / "test-artifacts"
README_BASE = "http://127.0.0.1:8000"
RECEIVER = ("127.0.0.1:9000", '("127.0.0.1", 9000)')  # as a URL, and as receiver.py binds
BLOCK_TIMEOUT = 90.0
START_TIMEOUT = 60.0

NOT_RUN = {
    "docker build -t sentio .": "Docker: no engine here; the Dockerfile and compose.yaml are "
    "linted, and the image's settings tested, in tests/config",
    "docker compose": "Docker Compose: no engine here; compose.yaml is validated against the "
    "Compose Specification in tests/config and in CI",
    "@db.internal:5432": "production: a remote PostgreSQL at db.internal",
    "faults/no_loss.py": "the fault-injection run is a CI step of its own (.ci/run)",
    "-m bench": "benchmarks need wrk and minutes; tests/test_bench_smoke.py covers them",
    ".venv/bin/pytest": "the test suite itself",
}

SERVE = re.compile(
    r"^(?P<env>(?:[A-Z][A-Z0-9_]*=\S*\s+)*)\.venv/bin/sentio serve(?P<args>(?:\s+[-\w.=]+)*)$"
)
INSTALL = "python3 -m venv .venv && .venv/bin/pip install -q . && "
SAVE_AS = re.compile(r"[Ss]ave (?:this|it)[^`]* as `(?P<name>[\w.-]+)`")


@dataclass
class Block:
    lang: str
    line: int  # 1-based line of the opening fence
    text: str
    prose: str = ""  # the text between the previous block and this one
    output: "Block | None" = field(default=None, repr=False)


def blocks(markdown: str) -> list[Block]:
    found: list[Block] = []
    lines = markdown.splitlines()
    prose: list[str] = []
    i = 0
    while i < len(lines):
        opening = re.match(r"^```(\w*)\s*$", lines[i])
        if not opening:
            prose.append(lines[i])
            i += 1
            continue
        start = i
        i += 1
        body: list[str] = []
        while i < len(lines) and not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        block = Block(opening.group(1), start + 1, "\n".join(body) + "\n", "\n".join(prose))
        if block.lang == "text" and found and found[-1].lang == "sh" and not prose_between(prose):
            found[-1].output = block
        found.append(block)
        prose = []
        i += 1
    return found


def prose_between(prose: list[str]) -> bool:
    return any(line.strip() for line in prose)


def matches(expected: str, actual: str) -> bool:
    pattern = "[^\n]*".join(re.escape(part) for part in expected.split("…"))
    return re.fullmatch(pattern, actual) is not None


def compare(expected: str, actual: str) -> list[str]:
    want = [line.rstrip() for line in expected.rstrip("\n").splitlines()]
    got = [line.rstrip() for line in actual.rstrip("\n").splitlines()]
    problems = [
        f"line {n}: expected {w!r}\n          printed  {g!r}"
        for n, (w, g) in enumerate(zip(want, got, strict=False), 1)
        if not matches(w, g)
    ]
    if len(want) != len(got):
        problems.append(f"expected {len(want)} lines, printed {len(got)}:\n{actual}")
    return problems


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def clean_environment(workdir: Path) -> dict[str, str]:
    """The reader's shell: none of this test run's Sentio or database settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("SENTIO_") and k not in ("DATABASE_URL", "TEST_DATABASE_URL")
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env["PWD"] = str(workdir)
    return env


class Server:
    """`.venv/bin/sentio serve` in the walkthrough's directory, restartable with new env."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.env = env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen | None = None
        self.log = workdir.parent / "server.log"

    def start(self, extra_env: dict[str, str], args: list[str]) -> None:
        self.stop()
        env = {**self.env, "SENTIO_PUBLIC_BASE_URL": self.base, **extra_env}
        command = [".venv/bin/sentio", "serve", *args, "--host", "127.0.0.1"]
        command += ["--port", str(self.port)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"sentio serve exited early:\n{self.log.read_text()[-3000:]}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"sentio serve was not ready in {START_TIMEOUT} s")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.send_signal(signal.SIGTERM)  # what Ctrl+C in its terminal does, drained
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


class Shell:
    """One bash session; each block is sourced, and a marker line ends its output."""

    def __init__(self, workdir: Path, env: dict[str, str]) -> None:
        self.workdir = workdir
        self.process = subprocess.Popen(
            ["bash", "--norc", "--noprofile"],
            cwd=workdir,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            bufsize=1,
            start_new_session=True,
        )
        self.stdout: list[str] = []
        self.stderr: list[str] = []
        self.changed = threading.Condition()
        streams = ((self.process.stdout, self.stdout), (self.process.stderr, self.stderr))
        for stream, sink in streams:
            threading.Thread(target=self._pump, args=(stream, sink), daemon=True).start()
        # opening a page in a browser: the page must exist (tests/e2e uses a real browser)
        self.send('xdg-open() { test -s "$1"; }\n')

    def _pump(self, stream, sink: list[str]) -> None:
        for chunk in iter(lambda: stream.read(1), ""):
            with self.changed:
                sink.append(chunk)
                self.changed.notify_all()

    def send(self, command: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(command)
        self.process.stdin.flush()

    def run(self, number: int, script: str) -> tuple[int, str, str]:
        path = self.workdir.parent / f"block-{number}.sh"
        path.write_text(script)
        marker = f"__walkthrough_block_{number}_status="
        with self.changed:
            self.stdout.clear()
            self.stderr.clear()
        self.send(f'source {shlex.quote(str(path))} < /dev/null; echo "{marker}$?"\n')
        deadline = time.monotonic() + BLOCK_TIMEOUT
        with self.changed:
            while True:
                printed = "".join(self.stdout)
                found = re.search(re.escape(marker) + r"(\d+)\n", printed)
                if found:
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self.process.poll() is not None:
                    return -1, printed, "".join(self.stderr) + "\n(block timed out)"
                self.changed.wait(remaining)
        time.sleep(0.05)  # what the block wrote to stderr may arrive just after its marker
        with self.changed:
            errors = "".join(self.stderr)
        return int(found.group(1)), printed[: found.start()], errors

    def close(self) -> None:
        with contextlib.suppress(ProcessLookupError):  # and background jobs (receiver.py)
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)


def treatment(block: Block) -> str | None:
    """Why this sh block is not run as written (None: it is)."""
    for needle, reason in NOT_RUN.items():
        if needle in block.text:
            return reason
    return None


def server_start(block: Block) -> tuple[dict[str, str], list[str]] | None:
    command = " ".join(block.text.replace("\\\n", " ").split())
    command = command.removeprefix(INSTALL)
    found = SERVE.match(command)
    if not found:
        return None
    env = dict(pair.split("=", 1) for pair in found.group("env").split())
    return env, found.group("args").split()


def test_the_walkthrough_runs_as_written(tmp_path_factory):
    readme = README.read_text(encoding="utf-8")
    every = blocks(readme)
    shells = [b for b in every if b.lang == "sh"]
    assert shells, "the README has no shell examples"
    for needle in NOT_RUN:
        assert any(needle in b.text for b in shells), f"NOT_RUN entry without a block: {needle}"

    base = tmp_path_factory.mktemp("walkthrough")
    workdir = base / "clone"
    workdir.mkdir()
    (workdir / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    env = clean_environment(workdir)
    server = Server(workdir, env)
    port = free_port()

    def rewrite(text: str) -> str:
        text = text.replace(README_BASE, server.base).replace(RECEIVER[0], f"127.0.0.1:{port}")
        return text.replace(RECEIVER[1], f'("127.0.0.1", {port})')

    saved: set[str] = set()
    transcript: list[str] = []  # kept under test-artifacts/ to read what each block printed
    failures: list[str] = []
    shell = Shell(workdir, env)
    try:
        for number, block in enumerate(every, 1):
            where = f"README.md line {block.line}"
            name = SAVE_AS.search(block.prose.strip().split("\n\n")[-1])
            if block.lang != "sh":
                if name and block.lang in ("python", "sh"):
                    (workdir / name.group("name")).write_text(rewrite(block.text))
                    saved.add(name.group("name"))
                continue
            if treatment(block):
                continue
            started = server_start(block)
            if started is not None:
                server.start(*started)
                continue
            status, printed, errors = shell.run(number, rewrite(block.text))
            transcript.append(f"$ [{where}] status {status}\n{printed}{errors}")
            if status != 0 or errors:
                failures.append(f"{where}: exit status {status}\n{block.text}{errors}")
                continue
            if block.output is not None:
                problems = compare(rewrite(block.output.text), printed)
                if problems:
                    failures.append(f"{where}: output differs\n  " + "\n  ".join(problems))
        assert server.process is not None, "no block started the server"
    finally:
        shell.close()
        server.stop()
        ARTIFACTS.mkdir(exist_ok=True)
        (ARTIFACTS / "readme-walkthrough.log").write_text("\n".join(transcript))
    assert "receiver.py" in saved, "the webhook receiver was not saved as receiver.py"
    assert not failures, "\n\n".join(failures)


def test_the_walkthrough_leaves_only_ignored_files(tmp_path):
    """The files the steps create are covered by .gitignore, so a reader's clone stays clean."""
    created = ["sentio.db", "invitations.json", "email.html", "links.txt", "receiver.py"]
    created += ["webhook.json", "receiver.log"]
    written = [name for name in created if name in README.read_text(encoding="utf-8")]
    assert set(written) >= {"invitations.json", "email.html", "links.txt", "receiver.py"}
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *written],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    ignored = set(result.stdout.split())
    assert ignored == set(written), f"not ignored: {sorted(set(written) - ignored)}"


def test_readme_fences_parse_as_the_convention_says():
    sample = (
        "intro\n```sh\necho hi\n```\n```text\nh…\n```\nprose\n```sh\ntrue\n```\n\n"
        "then\n```text\nnot an output\n```\n"
    )
    first, output, second, other = blocks(sample)
    assert first.output is output and second.output is None and other.lang == "text"
    assert compare("h…\n", "hi\n") == []
    assert compare("a…c\n", "abc\nmore\n") != []
    assert not matches("a…c", "a\nc")
