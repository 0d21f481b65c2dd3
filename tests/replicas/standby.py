"""A streaming replica of the test database's PostgreSQL server, on a free 127.0.0.1 port.

`pg_basebackup -R` copies the primary and writes the settings that make the copy follow it;
the copy runs from a temporary directory with its own configuration and is stopped and
deleted by `remove`. It needs the server binaries of the primary's major version, and a
primary that allows replication connections from 127.0.0.1 (`.ci/run` sets that up)."""

import asyncio
import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

# Copying a cluster larger than this would make the test slow: it is a test of routing, not
# of basebackup's speed.
MAX_CLUSTER_BYTES = 2 * 1024**3
# A standby refuses to start with less of these than its primary has.
MATCH_PRIMARY = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class CannotReplicate(Exception):
    """This primary cannot be copied here (the reason is the message)."""


class Standby:
    def __init__(self, primary_dsn: str) -> None:
        self.primary_dsn = primary_dsn  # postgresql://user@127.0.0.1:port/db
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="sentio-standby-"))
        self.data = self.workdir / "data"
        self.as_postgres: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
            owner = pwd.getpwnam("postgres")
            os.chown(self.workdir, owner.pw_uid, owner.pw_gid)
        self.bindir: Path | None = None

    def dsn(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    async def create(self) -> None:
        """Copy the primary and start the copy as its hot standby."""
        conn = await asyncpg.connect(self.primary_dsn)
        try:
            version = int(await conn.fetchval("SHOW server_version_num")) // 10000
            size = await conn.fetchval("SELECT sum(pg_database_size(oid)) FROM pg_database")
            settings = {name: await conn.fetchval(f"SHOW {name}") for name in MATCH_PRIMARY}
            wal_level = await conn.fetchval("SHOW wal_level")
        finally:
            await conn.close()
        if wal_level == "minimal":
            raise CannotReplicate("the primary has wal_level=minimal (replica is needed)")
        if size > MAX_CLUSTER_BYTES:
            raise CannotReplicate(f"the primary holds {size / 1024**3:.1f} GB: too long to copy")
        self.bindir = _bindir(version)
        primary = make_url(self.primary_dsn)
        host, port = primary.host or "127.0.0.1", primary.port or 5432
        copied = await asyncio.to_thread(
            subprocess.run,
            [*self.as_postgres, str(self.bindir / "pg_basebackup"), "-h", host, "-p", str(port),
             "-U", "postgres", "-D", str(self.data), "-R", "-X", "stream",
             "--checkpoint=fast", "--no-sync"],
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        if copied.returncode != 0:
            raise CannotReplicate(f"pg_basebackup failed: {copied.stderr.strip()}")
        # The copy brings no configuration of its own on Debian (it lives in /etc), and
        # must not take the primary's port or socket.
        conf = {
            "port": self.port,
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.workdir}'",
            "hot_standby": "on",
            "shared_buffers": "'32MB'",
            "fsync": "off",
            "hba_file": f"'{self.data / 'pg_hba.conf'}'",
            "ident_file": f"'{self.data / 'pg_ident.conf'}'",
            **settings,
        }
        self._write("postgresql.conf", "".join(f"{k} = {v}\n" for k, v in conf.items()))
        self._write("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n")
        self._write("pg_ident.conf", "")
        await asyncio.to_thread(self.start)

    def _write(self, name: str, text: str) -> None:
        path = self.data / name
        path.write_text(text)
        if self.as_postgres:
            owner = pwd.getpwnam("postgres")
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def _ctl(self, *args: str) -> None:
        assert self.bindir is not None
        subprocess.run(
            [*self.as_postgres, str(self.bindir / "pg_ctl"), "-D", str(self.data), *args],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip

    def start(self) -> None:
        self._ctl("-l", str(self.workdir / "standby.log"), "-w", "-t", "30", "start")

    def stop(self) -> None:
        self._ctl("-m", "immediate", "-w", "stop")

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


def _bindir(major: int) -> Path:
    """The server binaries of this major version (a standby must match its primary)."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin")]
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        found = subprocess.run(["pg_config", "--bindir"], capture_output=True, check=True)
        candidates.append(Path(found.stdout.decode().strip()))
    for path in candidates:
        if (path / "pg_basebackup").exists() and (path / "pg_ctl").exists():
            return path
    raise CannotReplicate(f"no PostgreSQL {major} server binaries (pg_basebackup, pg_ctl)")
