"""A private PgBouncer in transaction pooling mode, on a free 127.0.0.1 port, in front of one
PostgreSQL server: for the PgBouncer tests, the fault run (`no_loss.py --pgbouncer`) and the
bench. It needs the `pgbouncer` binary (Debian package `pgbouncer`); as root it runs as the
`postgres` user (PgBouncer refuses to run as root). Everything is deleted by `stop`."""

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def pgbouncer_binary() -> str | None:
    return shutil.which("pgbouncer") or next(
        (p for p in ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer") if os.access(p, os.X_OK)), None
    )


class PgBouncer:
    def __init__(self, server_port: int, *, pool_size: int = 4, server_host: str = "127.0.0.1"):
        binary = pgbouncer_binary()
        if binary is None:
            raise FileNotFoundError("pgbouncer is not installed (apt-get install pgbouncer)")
        self.binary = binary
        self.server_host, self.server_port = server_host, server_port
        self.pool_size = pool_size
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="sentio-pgbouncer-"))
        self.proc: subprocess.Popen | None = None
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
            owner = pwd.getpwnam("postgres")
            os.chown(self.workdir, owner.pw_uid, owner.pw_gid)

    def url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        return f"{driver}://postgres@127.0.0.1:{self.port}/{database}"

    def start(self, limit: float = 10) -> None:
        config = self.workdir / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"* = host={self.server_host} port={self.server_port} user=postgres\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            # Every client logs in as the server's postgres user (loopback only).
            "auth_type = any\nadmin_users = postgres\n"
            # Each transaction may run on any server connection: what Sentio must survive.
            f"pool_mode = transaction\ndefault_pool_size = {self.pool_size}\n"
            "max_client_conn = 2000\nserver_reset_query =\n"
            # After PostgreSQL restarts, PgBouncer refuses every client until its next login
            # try (15 s by default), and a Sentio server starting then cannot migrate.
            "server_login_retry = 1\n"
            f"logfile = {self.workdir / 'pgbouncer.log'}\n"
        )
        self.proc = subprocess.Popen(
            [*self.as_postgres, self.binary, "-q", str(config)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )  # fmt: skip
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                log = (self.workdir / "pgbouncer.log").read_text(errors="replace")
                raise RuntimeError(f"pgbouncer exited: {log[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return
            time.sleep(0.05)
        self.stop()
        raise RuntimeError("pgbouncer did not start listening")

    def show(self, what: str) -> list[dict[str, str]]:
        """`SHOW <what>` on PgBouncer's admin console (it speaks only the simple query
        protocol, so through psql)."""
        done = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", "-d",
             "pgbouncer", "-X", "-A", "-F", "\t", "-P", "footer=off", "-c", f"SHOW {what}"],
            capture_output=True, text=True, check=True, timeout=10,
        )  # fmt: skip
        header, *rows = done.stdout.splitlines()
        names = header.split("\t")
        return [dict(zip(names, row.split("\t"), strict=True)) for row in rows]

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, 15)  # SIGTERM: immediate shutdown
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)
