"""The results table, the machine it ran on, and the section of BENCHMARKS.md it fills."""

import os
import platform
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path

START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
PACKAGES = ("fastapi", "starlette", "uvicorn", "pydantic", "sqlalchemy", "asyncpg", "uvloop")


@dataclass
class Row:
    name: str
    target: str
    ratio: tuple[float, float, float]  # median, min, max
    detail: str
    ok: bool
    unit: str = "x"


def _run(*command: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "?"
    return (done.stdout or done.stderr).strip()


def machine(pg: str) -> dict[str, str]:
    cpu = "?"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    settings = _run(
        "psql",
        f"{pg}/postgres",
        "-tAc",
        "SELECT string_agg(name || '=' || setting || coalesce(unit, ''), ', ' ORDER BY name) "
        "FROM pg_settings WHERE name IN ('shared_buffers', 'work_mem', 'synchronous_commit', "
        "'max_parallel_workers_per_gather', 'jit', 'max_connections')",
    )
    busy = _run("ps", "-eo", "pcpu,comm", "--sort=-pcpu", "--no-headers").splitlines()[:5]
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{cpu}, {os.cpu_count()} CPUs, {int(memory) // 1024} MB RAM, "
        f"{platform.system()} {platform.release()}",
        "load before the run": _run("cat", "/proc/loadavg"),
        "busiest processes before the run": "; ".join(" ".join(b.split()) for b in busy),
        "PostgreSQL": _run("psql", f"{pg}/postgres", "-tAc", "SHOW server_version"),
        "PostgreSQL settings": settings,
        "Python": platform.python_version(),
        "packages": ", ".join(f"{p} {version(p)}" for p in PACKAGES),
        "wrk": _run("wrk", "-v").splitlines()[0] if _run("wrk", "-v") else "?",
    }


def _cell(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.3g}x"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:,.0f} {unit}"


def render(options, machine: dict[str, str], results, elapsed: float) -> str:
    lines = [f"Run of `python -m bench` ({elapsed / 60:.1f} min):", ""]
    lines += [f"- **{k}**: {v}" for k, v in machine.items()]
    lines += [
        f"- **settings**: {options.rounds} alternations per comparison, {options.seconds:g} s "
        f"per load run, wrk 1 thread x {options.connections} connections pinned to CPU 1, "
        "each server one worker pinned to CPU 0, PostgreSQL unpinned; "
        f"{options.rows:,} answers for the scores"
        + (
            f"; SQLite section: {options.sqlite_rows:,} answers, one file"
            if options.sqlite or options.sqlite_only
            else ""
        ),
        "",
        "| comparison | target | median | min-max | met | measured |",
        "|---|---|---|---|---|---|",
    ]
    for row in results.rows:
        median, low, high = row.ratio
        fmt = lambda v, unit=row.unit: _cell(v, unit)  # noqa: E731
        lines.append(
            f"| {row.name} | {row.target} | {fmt(median)} | {fmt(low)}-{fmt(high)} | "
            f"{'yes' if row.ok else '**no**'} | {row.detail} |"
        )
    if results.profile:
        lines += ["", "Ingest profile (py-spy, share of samples with the function on the stack):"]
        lines += [""] + [f"- {share:.0f}% {name}" for name, share in results.profile]
    if results.notes:
        lines += [""] + [f"- {note}" for note in results.notes]
    if results.failures:
        lines += [""] + [f"- FAILED: {failure}" for failure in results.failures]
    return "\n".join(lines) + "\n"


def write_benchmarks(path: Path, text: str) -> None:
    """Replace the results section of BENCHMARKS.md, keeping the prose around it."""
    current = path.read_text() if path.exists() else f"# Benchmarks\n\n{START}\n{END}\n"
    if START not in current:
        current += f"\n{START}\n{END}\n"
    head, _, rest = current.partition(START)
    _, _, tail = rest.partition(END)
    path.write_text(f"{head}{START}\n{text}{END}{tail}")
