"""Processes the benchmark runs: servers pinned to one CPU, wrk on the other, py-spy."""

import asyncio
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
SERVER_CPU, LOAD_CPU = "0", "1"


def pinned(cpu: str, command: list[str]) -> list[str]:
    if shutil.which("taskset") and (os.cpu_count() or 1) > 1:
        return ["taskset", "-c", cpu, *command]
    return command


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    process: subprocess.Popen | None = None
    log: Path = field(default_factory=lambda: Path("/dev/null"))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, health_path: str, wait: float = 60) -> None:
        self.log = ROOT / "bench" / "out" / f"{self.name}.log"
        self.log.parent.mkdir(exist_ok=True)
        self.process = subprocess.Popen(  # noqa: ASYNC220 - started once, not awaited
            pinned(SERVER_CPU, self.command),
            env={**os.environ, **self.env},
            cwd=ROOT,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + wait
        async with httpx.AsyncClient(base_url=self.url) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"{self.name} exited; see {self.log}")
                try:
                    r = await client.get(health_path, timeout=1)
                    if r.status_code < 500:
                        return
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not start within {wait}s; see {self.log}")

    def rss_mb(self) -> float:
        """Resident memory of the server process (one worker: the process itself)."""
        if self.process is None:
            return 0.0
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return 0.0
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)
        self.process = None


@dataclass
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    failures: int
    peak_rss_mb: float = 0.0


async def wrk(
    server: Server,
    path: str,
    token: str | None,
    *,
    seconds: float,
    connections: int,
    rate: float = 0,
) -> Load:
    """One wrk run (one thread, on the load CPU); rate 0 means as fast as possible."""
    command = pinned(
        LOAD_CPU,
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "10s",
            "-s",
            str(ROOT / "bench" / "post.lua"),
            server.url,
            "--",
            path,
            token or "-",
            str(rate),
        ],
    )
    process = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    peak = 0.0
    communicate = asyncio.ensure_future(process.communicate())
    while not communicate.done():
        peak = max(peak, server.rss_mb())
        await asyncio.wait([communicate], timeout=0.25)
    stdout, stderr = communicate.result()
    text = stdout.decode()
    line = next((ln for ln in text.splitlines() if ln.startswith("JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk failed: {text} {stderr.decode()}")
    data = json.loads(line.removeprefix("JSON "))
    return Load(
        rps=data["requests"] / (data["duration_us"] / 1e6),
        p50_ms=data["p50_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        requests=data["requests"],
        failures=data["errors"] + data["non2xx"],
        peak_rss_mb=peak,
    )


def profile(pid: int, seconds: float, out: Path) -> subprocess.Popen | None:
    """py-spy record of `pid` in collapsed-stack form, when py-spy is installed."""
    spy = shutil.which("py-spy") or str(BIN / "py-spy")
    if not Path(spy).exists():
        return None
    command = [spy, "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "200"]
    return subprocess.Popen(
        [*command, "-f", "raw", "-o", str(out), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def summarize_profile(path: Path, top: int = 14) -> list[tuple[str, float]]:
    """Where ingest time goes: the share of samples in which each of Sentio's own functions
    is on the stack (inclusive; the middleware and server frames every request passes
    through are left out), then the share of samples spent in each library (self time)."""
    inclusive: dict[str, int] = {}
    libraries: dict[str, int] = {}
    samples = 0
    if not path.exists():
        return []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        samples += int(count)
        frames = stack.split(";")
        seen = set()
        for frame in frames:
            name, _, where = frame.partition(" (")
            module = where.split(":")[0]
            if module.startswith("app/"):
                label = f"{name} ({module})"
                if label not in seen:
                    seen.add(label)
                    inclusive[label] = inclusive.get(label, 0) + int(count)
        leaf = frames[-1].partition(" (")[2].split(":")[0]
        package = leaf.split("/")[0] if "/" in leaf else "other"
        libraries[package] = libraries.get(package, 0) + int(count)
    if not samples:
        return []
    own = [
        (label, 100 * n / samples)
        for label, n in sorted(inclusive.items(), key=lambda item: -item[1])
        if n < 0.45 * samples  # every request passes the middleware chain
    ][:top]
    spent = [
        (f"self time in {package}", 100 * n / samples)
        for package, n in sorted(libraries.items(), key=lambda item: -item[1])[:8]
    ]
    return own + spent
