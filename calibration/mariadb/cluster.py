"""A primary, a replica and the delay proxy between them, replicating one table.

    primary (server-id 1, binlog ROW) <-- delay proxy (one-way delay both ways) <-- replica I/O
                                                                                   thread, SQL
                                                                                   thread(s)

The replica reaches the primary only through the proxy, so every binlog event and every semi-sync
ack crosses the delayed link. The written table `calib.w` carries the commit-side `SYSDATE(6)`
of each row (`src_ts`, evaluated on the primary while the INSERT runs); on the replica a trigger
(fired for row events by ``slave_run_triggers_for_rbr=YES``) records `SYSDATE(6)` at apply time
in `calib.lag`. `SYSDATE(6)` is the real clock on both servers (the same machine clock); `NOW(6)`
would replay the source's event timestamp. dst_ts - src_ts is each write's true lag.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pymysql

from calibration.mariadb.delay_proxy import ProxyControl
from calibration.mariadb.processes import (
    Managed,
    cpu_plan,
    free_port,
    start_managed,
    wait_for_port,
)
from calibration.mariadb.servers import MariadbServer, ServerConfig, init_template

SCHEMA = """
CREATE TABLE calib.w (
  id BIGINT NOT NULL PRIMARY KEY,
  k BIGINT NOT NULL,
  src_ts DATETIME(6) NOT NULL,
  payload VARCHAR(200) NOT NULL
) ENGINE=InnoDB
"""

LAG_TABLE = """
CREATE TABLE calib.lag (
  id BIGINT NOT NULL PRIMARY KEY,
  src_ts DATETIME(6) NOT NULL,
  dst_ts DATETIME(6) NOT NULL
) ENGINE=InnoDB
"""

TRIGGER = """
CREATE TRIGGER calib.w_applied AFTER INSERT ON calib.w FOR EACH ROW
  INSERT INTO calib.lag (id, src_ts, dst_ts) VALUES (NEW.id, NEW.src_ts, SYSDATE(6))
"""


@dataclass
class ClusterOptions:
    """How the servers are set up (the fsync settings are part of what is calibrated)."""

    delay_ms: float = 15.0
    connect_retry_s: int = 60
    semi_sync_timeout_ms: int = 10_000
    primary_flush_log_at_trx_commit: int = 1
    primary_sync_binlog: int = 0
    # A replica ready to take over: it binlogs what it applies (log_slave_updates) and fsyncs
    # both its binlog and its InnoDB log at every commit.
    replica_flush_log_at_trx_commit: int = 1
    replica_sync_binlog: int = 1
    replica_log_slave_updates: bool = True
    # Give the replica a CPU of its own (processes.cpu_plan).
    pin_cpus: bool = True


class Cluster:
    """The three processes, started by `start` and stopped by `stop` (and by processes.stop_all).

    REQUIRES: `root` (the primary, the proxy's log) and `replica_root` (the replica) are empty
    temporary directories the cluster may fill; they may be the same.
    """

    def __init__(self, root: Path, replica_root: Path, options: ClusterOptions) -> None:
        """Set up; see the class docstring."""
        self.root = root
        self.options = options
        template = init_template(root)
        replica_cpus, other_cpus = cpu_plan() if options.pin_cpus else (None, None)
        self.other_cpus = other_cpus
        self.primary = MariadbServer(
            ServerConfig(
                "primary",
                1,
                flush_log_at_trx_commit=options.primary_flush_log_at_trx_commit,
                sync_binlog=options.primary_sync_binlog,
                cpus=other_cpus,
                extra=[
                    f"--rpl-semi-sync-master-timeout={options.semi_sync_timeout_ms}",
                    "--binlog-commit-wait-count=0",
                ],
            ),
            root,
            template,
        )
        self.replica = MariadbServer(
            ServerConfig(
                "replica",
                2,
                flush_log_at_trx_commit=options.replica_flush_log_at_trx_commit,
                sync_binlog=options.replica_sync_binlog,
                cpus=replica_cpus,
                extra=[
                    "--slave-run-triggers-for-rbr=YES",
                    "--skip-slave-start",
                    f"--log-slave-updates={'ON' if options.replica_log_slave_updates else 'OFF'}",
                ],
            ),
            replica_root,
            template,
        )
        self.proxy_port = free_port()
        self.control_port = free_port()
        self.proxy: Managed | None = None
        self.control: ProxyControl | None = None

    # --- lifecycle ----------------------------------------------------------------------------
    def start(self) -> None:
        """Start both servers and the proxy, sets up replication, schema and trigger."""
        self.primary.start()
        self.replica.start()
        self.proxy = start_managed(
            [
                sys.executable,
                str(Path(__file__).with_name("delay_proxy.py")),
                f"--listen-port={self.proxy_port}",
                f"--upstream-port={self.primary.port}",
                f"--control-port={self.control_port}",
                f"--delay-ms={self.options.delay_ms}",
            ],
            name="delay-proxy",
            log=self.root / "proxy.log",
            cpus=self.other_cpus,
        )
        wait_for_port(self.control_port)
        self.control = ProxyControl(self.control_port)
        self._setup()

    def stop(self) -> None:
        """Stop the replica, the primary and the proxy (each at most once)."""
        if self.control is not None:
            self.control.close()
            self.control = None
        self.replica.stop()
        self.primary.stop()
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None

    def _setup(self) -> None:
        with self.primary.connect() as p, p.cursor() as c:
            c.execute("CREATE USER 'repl'@'127.0.0.1' IDENTIFIED BY 'repl'")
            c.execute("GRANT REPLICATION SLAVE ON *.* TO 'repl'@'127.0.0.1'")
            c.execute("CREATE DATABASE calib")
            c.execute(SCHEMA)
        self.change_master()
        with self.replica.connect() as r, r.cursor() as c:
            c.execute("START SLAVE")
        self.wait_for_table()
        with self.replica.connect() as r, r.cursor() as c:
            c.execute(LAG_TABLE)
            c.execute(TRIGGER)

    def change_master(self) -> None:
        """CHANGE MASTER TO the proxy, GTID positioning, the options' connect retry."""
        with self.replica.connect() as r, r.cursor() as c:
            c.execute(
                "CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=%s, MASTER_USER='repl', "
                "MASTER_PASSWORD='repl', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=%s",
                (self.proxy_port, self.options.connect_retry_s),
            )

    def wait_for_table(self, timeout_s: float = 60.0) -> None:
        """Wait until calib.w has replicated (DDL crosses the proxy too)."""
        deadline = time.monotonic() + timeout_s
        with self.replica.connect() as r, r.cursor() as c:
            while time.monotonic() < deadline:
                c.execute(
                    "SELECT COUNT(*) FROM information_schema.tables "
                    "WHERE table_schema='calib' AND table_name='w'"
                )
                if c.fetchone()[0] == 1:
                    return
                time.sleep(0.1)
        raise RuntimeError(f"calib.w did not reach the replica:\n{self.replica.log_tail()}")

    # --- reconfiguration between experiments --------------------------------------------------
    def configure_replica(self, parallel_threads: int, semi_sync: bool) -> None:
        """STOP SLAVE, set the applier threads and semi-sync, START SLAVE."""
        with self.replica.connect() as r, r.cursor() as c:
            c.execute("STOP SLAVE")
            c.execute(f"SET GLOBAL slave_parallel_threads={int(parallel_threads)}")
            c.execute("SET GLOBAL slave_parallel_mode='optimistic'")
            c.execute(f"SET GLOBAL rpl_semi_sync_slave_enabled={'ON' if semi_sync else 'OFF'}")
            c.execute("START SLAVE")
        with self.primary.connect() as p, p.cursor() as c:
            c.execute(f"SET GLOBAL rpl_semi_sync_master_enabled={'ON' if semi_sync else 'OFF'}")
        self.wait_io_running()

    def set_connect_retry(self, seconds: int) -> None:
        """MASTER_CONNECT_RETRY = seconds (the replica's threads are restarted)."""
        self.options.connect_retry_s = seconds
        with self.replica.connect() as r, r.cursor() as c:
            c.execute("STOP SLAVE")
        self.change_master()
        with self.replica.connect() as r, r.cursor() as c:
            c.execute("START SLAVE")
        self.wait_io_running()

    def wait_io_running(self, timeout_s: float = 30.0) -> None:
        """Wait until the replica's I/O thread is connected (Slave_IO_Running: Yes)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            status = self.slave_status()
            if status.get("Slave_IO_Running") == "Yes" and status.get("Slave_SQL_Running") == "Yes":
                return
            time.sleep(0.1)
        raise RuntimeError(f"replication did not start: {self.slave_status()}")

    def slave_status(self) -> dict:
        """SHOW SLAVE STATUS as a dict."""
        with self.replica.connect() as r, r.cursor(pymysql.cursors.DictCursor) as c:
            c.execute("SHOW SLAVE STATUS")
            return c.fetchone() or {}

    def primary_status(self, like: str) -> dict[str, str]:
        """SHOW GLOBAL STATUS LIKE `like` on the primary."""
        with self.primary.connect() as p, p.cursor() as c:
            c.execute("SHOW GLOBAL STATUS LIKE %s", (like,))
            return dict(c.fetchall())

    def clear(self) -> None:
        """Empty both tables (on the primary, replicated; the lag table on the replica)."""
        self.wait_caught_up()
        with self.primary.connect() as p, p.cursor() as c:
            c.execute("TRUNCATE TABLE calib.w")
        self.wait_caught_up()
        with self.replica.connect() as r, r.cursor() as c:
            c.execute("TRUNCATE TABLE calib.lag")

    def wait_caught_up(self, timeout_s: float = 300.0) -> None:
        """Wait until the replica has applied everything the primary has binlogged."""
        with self.primary.connect() as p, p.cursor() as c:
            c.execute("SELECT @@gtid_binlog_pos")
            target = c.fetchone()[0]
        if not target:
            return
        with self.replica.connect() as r, r.cursor() as c:
            c.execute("SELECT MASTER_GTID_WAIT(%s, %s)", (target, timeout_s))
            if c.fetchone()[0] != 0:
                raise RuntimeError(f"replica did not catch up with {target} in {timeout_s}s")

    def fetch_lags(self) -> list[tuple[int, float, float]]:
        """(id, src_s, dst_s) of every applied row, in id order; times in epoch seconds."""
        with self.replica.connect() as r, r.cursor() as c:
            c.execute(
                "SELECT id, UNIX_TIMESTAMP(src_ts), UNIX_TIMESTAMP(dst_ts) FROM calib.lag "
                "ORDER BY id"
            )
            return [(int(i), float(s), float(d)) for i, s, d in c.fetchall()]
