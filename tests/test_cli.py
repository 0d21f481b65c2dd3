"""The `sentio` command as an operator runs it, against a throwaway SQLite file."""

import os
import socket
import subprocess
import sys
import time

import httpx

SENTIO = [sys.executable, "-m", "app.cli"]


def run(args, db_url, **kwargs):
    env = {**os.environ, "SENTIO_DATABASE_URL": db_url}
    return subprocess.run(
        [*SENTIO, *args], env=env, capture_output=True, text=True, timeout=60, check=False, **kwargs
    )


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_create_api_key_prints_secret_last(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    result = run(["create-api-key", "--scope", "surveys:read", "--scope", "scores:read"], url)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert lines[-1].startswith("sk_") and len(lines[-1]) > 40
    assert "scores:read, surveys:read" in result.stdout
    bad = run(["create-api-key", "--scope", "everything"], url)
    assert bad.returncode != 0 and "invalid choice" in bad.stderr


def test_migrate_is_repeatable(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/m.db"
    assert run(["migrate"], url).returncode == 0
    assert run(["migrate"], url).returncode == 0


def test_serve_migrates_explains_first_key_and_serves(tmp_path):
    url = f"sqlite+aiosqlite:///{tmp_path}/serve.db"
    port = free_port()
    env = {**os.environ, "SENTIO_DATABASE_URL": url}
    proc = subprocess.Popen(
        [*SENTIO, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        ready = None
        while time.monotonic() < deadline:
            try:
                ready = httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert ready is not None and ready.status_code == 200, ready and ready.text
        secret = run(["create-api-key", "--scope", "admin"], url).stdout.strip().splitlines()[-1]
        r = httpx.post(
            f"http://127.0.0.1:{port}/v1/surveys",
            headers={"Authorization": f"Bearer {secret}"},
            json={"name": "From the CLI test", "kind": "ces"},
            timeout=5,
        )
        assert r.status_code == 201, r.text
    finally:
        proc.terminate()
        _out, err = proc.communicate(timeout=30)
    assert "sentio create-api-key --scope admin" in err
    assert proc.returncode == 0
