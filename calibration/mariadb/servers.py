"""MariaDB servers for the calibration: a primary and a replica, each a private `mariadbd`.

Each server has its own temporary datadir, socket, port (on 127.0.0.1 only), server id and error
log, and runs in its own process group so that stopping it (also from an atexit hook or a signal
handler, see `calibration.mariadb.processes`) never leaves a child behind. A system MariaDB
service, if any, is never touched: nothing here reads /etc/mysql (``--no-defaults``) or uses the
system datadir, port or socket.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pymysql

from calibration.mariadb.processes import Managed, free_port, start_managed


class MariadbUnavailable(RuntimeError):
    """MariaDB is not installed here (the smoke test skips on this, and only on this)."""


def find_mariadb() -> tuple[Path, Path]:
    """Return the paths of `mariadbd` and `mariadb-install-db`, or raise MariadbUnavailable."""
    server = shutil.which("mariadbd") or (
        "/usr/sbin/mariadbd" if os.access("/usr/sbin/mariadbd", os.X_OK) else None
    )
    install = shutil.which("mariadb-install-db")
    if server is None or install is None:
        raise MariadbUnavailable(
            "mariadbd / mariadb-install-db not found: install the Debian packages "
            "mariadb-server-core and mariadb-client-core (scripts/setup does)"
        )
    return Path(server), Path(install)


def server_version() -> str:
    """Return the `mariadbd --version` line."""
    server, _ = find_mariadb()
    return subprocess.run(
        [str(server), "--version"], capture_output=True, text=True, check=True
    ).stdout.strip()


@dataclass
class ServerConfig:
    """What differs between the primary and the replica, and the knobs the experiments turn."""

    name: str
    server_id: int
    # Durability: 1 = fsync the InnoDB log at every commit (the MariaDB default).
    flush_log_at_trx_commit: int = 1
    # 1 = fsync the binlog at every commit group; MariaDB's default is 0 (the OS decides).
    sync_binlog: int = 0
    # The CPUs it may run on (None: any).
    cpus: set[int] | None = None
    extra: list[str] = field(default_factory=list)


class MariadbServer:
    """One `mariadbd` on 127.0.0.1 with a datadir under `root`.

    REQUIRES: `template` is a datadir made by `init_template` (copied, so each server starts from
    a clean system schema in a fraction of a second).
    """

    def __init__(self, config: ServerConfig, root: Path, template: Path) -> None:
        """Set up; see the class docstring."""
        self.config = config
        self.dir = root / config.name
        self.datadir = self.dir / "data"
        self.socket = self.dir / "mariadb.sock"
        self.error_log = self.dir / "error.log"
        self.port = free_port()
        self.process: Managed | None = None
        shutil.copytree(template, self.datadir)

    def start(self, timeout_s: float = 60.0) -> None:
        """Start the server and waits until it accepts connections; raises with its error log."""
        server, _ = find_mariadb()
        c = self.config
        args = [
            str(server),
            "--no-defaults",
            f"--datadir={self.datadir}",
            f"--socket={self.socket}",
            f"--pid-file={self.dir / 'mariadb.pid'}",
            f"--log-error={self.error_log}",
            f"--port={self.port}",
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
            f"--server-id={c.server_id}",
            f"--log-bin={self.dir / 'binlog'}",
            f"--relay-log={self.dir / 'relay'}",
            "--binlog-format=ROW",
            f"--innodb-flush-log-at-trx-commit={c.flush_log_at_trx_commit}",
            f"--sync-binlog={c.sync_binlog}",
            "--innodb-buffer-pool-size=128M",
            "--max-connections=200",
            "--performance-schema=OFF",
            *c.extra,
        ]
        if os.geteuid() == 0:
            args.append("--user=root")
        self.process = start_managed(
            args, name=f"mariadbd-{c.name}", log=self.dir / "stdout.log", cpus=c.cpus
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"mariadbd {c.name} exited at start:\n{self.log_tail()}")
            try:
                self.connect().close()
                return
            except pymysql.err.OperationalError:
                time.sleep(0.1)
        raise RuntimeError(f"mariadbd {c.name} did not accept connections in {timeout_s}s")

    def connect(self, database: str | None = None, autocommit: bool = True) -> pymysql.Connection:
        """Return a new client connection over TCP to 127.0.0.1 (as root, no password)."""
        return pymysql.connect(
            host="127.0.0.1",
            port=self.port,
            user="root",
            password="",
            database=database,
            autocommit=autocommit,
            connect_timeout=5,
        )

    def stop(self) -> None:
        """Shuts the server down (SIGTERM to its process group, then SIGKILL after 30 s)."""
        if self.process is not None:
            self.process.stop(grace_s=30.0)
            self.process = None

    def log_tail(self, lines: int = 30) -> str:
        """Return the end of the server's error log, for error messages."""
        try:
            return "\n".join(self.error_log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no error log)"


def init_template(root: Path) -> Path:
    """Create a fresh system datadir under `root` with `mariadb-install-db` (a few seconds)."""
    _, install = find_mariadb()
    template = root / "template"
    args = [
        str(install),
        "--no-defaults",
        f"--datadir={template}",
        "--auth-root-authentication-method=normal",
        "--skip-test-db",
        "--skip-name-resolve",
    ]
    if os.geteuid() == 0:
        args.append("--user=root")
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"mariadb-install-db failed:\n{done.stdout}\n{done.stderr}")
    return template


def port_is_listening(port: int) -> bool:
    """Tell whether something accepts TCP connections on 127.0.0.1:port."""
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0
