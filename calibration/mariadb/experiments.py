"""The calibration experiments: each measures the real replica and asks geodes for the same thing.

Every experiment returns a dict for the results JSON with its conditions, what was measured and
what geodes predicted; `rows` of the table are built from them by `calibration.mariadb.report`.
Times on the real side come from SYSDATE(6) (epoch seconds) and CLOCK_MONOTONIC (the driver, the
proxy's event log); they are never mixed without the offset measured between them (`clock_offset`).
"""

from __future__ import annotations

import multiprocessing
import os
import socket
import threading
import time
from dataclasses import dataclass

import numpy as np

from calibration.mariadb import analysis, driver, predict
from calibration.mariadb.cluster import Cluster
from calibration.mariadb.delay_proxy import ProxyControl
from calibration.mariadb.visibility import VisibilityReader, Visible


@dataclass
class Plan:
    """How long and how hard: the full run and the smoke test differ only here."""

    loads: tuple[float, ...] = (0.2, 0.5, 0.7, 0.85)
    parallel_loads: tuple[float, ...] = (0.2, 0.5, 0.7, 0.85)
    run_s: float = 120.0
    trim_s: float = 10.0
    drain_writes: int = 6000
    semi_sync_s: float = 40.0
    fallback: bool = True
    cut: bool = True
    cut_s: float = 30.0
    connect_retry_s: int = 7
    predict_s: float = 600.0
    seed: int = 1
    pings: int = 2000
    # When set, the Poisson runs use this rate instead of fractions of the capacity (the smoke
    # test: a replica on tmpfs has a capacity no Python driver can approach).
    fixed_rate: float | None = None
    processes: int = 2
    threads: int = 4
    # The backlog of the loaded drain run just before each Poisson run, at its rate (its service
    # time is that run's prediction input; see Harness.loaded_drain). 0: none, the start's drain.
    loaded_drain_backlog: int = 1500
    # What a Poisson run's load is a fraction of: "loaded", the capacity the applier has under
    # that load (the rate is searched so that rate x the loaded drain's mean service = the
    # fraction; needs loaded drains), or "idle", the idle drain's capacity at the start.
    load_reference: str = "loaded"
    # The loaded-capacity search: at most this many loaded drains, done when the rate moves less
    # than rate_tolerance (relative).
    rate_search_drains: int = 4
    rate_tolerance: float = 0.03
    # The visibility reader's polling interval.
    poll_s: float = 0.001


def _quantiles_ms(ms: np.ndarray) -> dict:
    """Return samples, min, mean, p50, p99 and max of a sample in ms (None where empty)."""
    if not len(ms):
        return {"samples": 0, "min": None, "mean": None, "p50": None, "p99": None, "max": None}
    return {
        "samples": int(len(ms)),
        "min": float(ms.min()),
        "mean": float(ms.mean()),
        "p50": float(np.quantile(ms, 0.5)),
        "p99": float(np.quantile(ms, 0.99)),
        "max": float(ms.max()),
    }


def _stalls_summary(stalls: np.ndarray) -> dict:
    """How many late binlog chunks (the proxy's stalls), their total and longest time late."""
    late = (stalls[:, 1] - stalls[:, 0]) * 1e3 if len(stalls) else np.zeros(0)
    return {
        "count": int(len(late)),
        "total_ms": float(late.sum()),
        "max_ms": float(late.max()) if len(late) else None,
    }


def loadavg() -> list[float]:
    """Return the 1, 5 and 15 minute load averages."""
    return list(os.getloadavg())


def steal_ticks() -> list[int]:
    """Per CPU, /proc/stat's `steal` in USER_HZ ticks ([] where the kernel does not say).

    Steal is the time the hypervisor ran something else while this virtual CPU had work.
    """
    try:
        with open("/proc/stat") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    out = []
    for line in lines:
        f = line.split()
        if f and f[0].startswith("cpu") and f[0] != "cpu" and len(f) > 8:
            out.append(int(f[8]))
    return out


def steal_ms(before: list[int], after: list[int]) -> list[float] | None:
    """Per CPU, the stolen time (ms) between two `steal_ticks` readings."""
    if not before or len(before) != len(after):
        return None
    hz = os.sysconf("SC_CLK_TCK")
    return [1e3 * (b - a) / hz for a, b in zip(before, after)]


def connections_for(mean_in_flight: float, p_all_busy: float) -> int:
    """Return the fewest connections c with P(N >= c) < p_all_busy, N ~ Poisson(mean_in_flight)."""
    term = cdf = float(np.exp(-mean_in_flight))  # P(N = 0)
    c = 1
    while 1.0 - cdf >= p_all_busy:
        term *= mean_in_flight / c
        cdf += term
        c += 1
    return c


def _spin(cpus: set[int] | None, parent: int) -> None:
    if cpus:
        os.sched_setaffinity(0, cpus)
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))
    while os.getppid() == parent:  # never outlives the harness, even if it is killed
        pass


def keep_awake(cpus: set[int] | None) -> multiprocessing.Process:
    """Start a spinning process at the lowest priority (SCHED_IDLE) on `cpus`; kill it to stop.

    It runs only when nothing else wants those CPUs, so it takes no time from the replica; it
    keeps them from going idle, which on a virtual machine whose idle vCPU sees an I/O completion
    only at its next timer tick makes the replica's fsyncs cost the disk's latency instead of a
    tick (`Harness.disk_probe`): what `idle=poll` does on a server.
    """
    p = multiprocessing.get_context("fork").Process(
        target=_spin, args=(cpus, os.getpid()), daemon=True
    )
    p.start()
    return p


def clock_offset() -> float:
    """Epoch seconds minus CLOCK_MONOTONIC seconds (to put the driver's times on SYSDATE's)."""
    samples = []
    for _ in range(5):
        a = time.monotonic()
        e = time.time()
        b = time.monotonic()
        samples.append(e - (a + b) / 2)
    return float(np.median(samples))


class Harness:
    """The experiments over one running cluster (ids never repeat, tables cleared in between)."""

    def __init__(self, cluster: Cluster, plan: Plan, log=print) -> None:
        """Set up; see the class docstring."""
        self.c = cluster
        self.plan = plan
        self.log = log
        self.next_id = 1_000_000
        self.proxy_overhead_ms = 0.0
        # The part of the proxy's overhead before a chunk's stamp (the reader's wake-up and
        # loopback), from the ping test: its overhead minus its writer's lateness.
        self.proxy_pre_stamp_ms = 0.0
        self.service_s: np.ndarray | None = None
        # For --raw, per Poisson run: its kept rows (id, src_s, trigger_s, visible_s, due_s) and
        # the proxy's stalls in it (from_s, to_s), by file name: (CSV header, rows).
        self.raw: dict[str, tuple[str, np.ndarray]] = {}
        # Per single-threaded async Poisson run's fraction, each kept write's commit from its due
        # time (s): the local commit the semi-sync prediction adds its wait to.
        self.async_commit_s: dict[float, np.ndarray] = {}
        # ... and its rate (the semi-sync run at that fraction reuses it).
        self.async_rate: dict[float, float] = {}

    # --- helpers ------------------------------------------------------------------------------
    def _ids(self) -> int:
        first = self.next_id
        self.next_id += 10_000_000
        return first

    def _reader(self, first: int) -> VisibilityReader:
        reader = VisibilityReader(
            self.c.replica.socket, first, interval_s=self.plan.poll_s, cpus=self.c.other_cpus
        )
        reader.start()
        return reader

    def _drive(
        self,
        rate: float,
        duration_s: float,
        seed: int,
        processes: int,
        threads: int,
        first: int | None = None,
    ):
        schedule = driver.poisson_schedule(rate, duration_s, seed)
        first = self._ids() if first is None else first
        res, t0 = driver.drive(
            self.c.primary.port,
            schedule,
            first,
            seed,
            processes=processes,
            threads=threads,
            cpus=self.c.other_cpus,
        )
        return res, t0, first

    def _rows(self, first: int, seen: Visible | None = None) -> np.ndarray:
        """Return (id, src_s, trigger_s, visible_s) per applied row of the experiment.

        visible_s is NaN without a reader, or for a row it did not see.
        """
        rows = np.array(self.c.fetch_lags(), dtype=float).reshape(-1, 3)
        rows = rows[(rows[:, 0] >= first) & (rows[:, 0] < first + 10_000_000)]
        vis = (
            seen.lookup(rows[:, 0].astype(np.int64))
            if seen is not None
            else np.full(len(rows), np.nan)
        )
        return np.column_stack([rows, vis])

    def _trimmed_lags(self, rows: np.ndarray, res: driver.DriveResult) -> np.ndarray:
        """Return the rows of `_rows` plus each write's due time (s from the start), trimmed.

        Drops the first and last trim_s of the schedule: the driver's start and the end.
        """
        by_id = dict(zip(res.ids.astype(np.int64), res.due))
        due = np.array([by_id.get(int(i), np.nan) for i in rows[:, 0]])
        end = float(res.due.max())
        keep = (due >= self.plan.trim_s) & (due <= end - self.plan.trim_s / 2)
        return np.column_stack([rows, due])[keep]

    def _take_lateness(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return and forget the proxy's lateness and stalls since the last call.

        Lateness per chunk in ms, binlog then acks; stalls (late binlog chunks) as (n, 2) epoch
        [due, sent], on SYSDATE's clock.
        """
        late = self.c.control.send("lateness")
        stalls = np.array(late["stalls"], dtype=float).reshape(-1, 2) + clock_offset()
        return (
            np.array(late["lateness_us"]) / 1e3,
            np.array(late["lateness_up_us"]) / 1e3,
            stalls,
        )

    def _driver_stats(self, res: driver.DriveResult) -> dict:
        late = res.lateness * 1e3
        return {
            "writes": int(len(res.ids)),
            "errors": int(res.errors),
            "lateness_ms": {
                "p50": float(np.quantile(late, 0.5)),
                "p99": float(np.quantile(late, 0.99)),
                "max": float(late.max()),
            },
            "commit_from_due_ms_mean": float((res.finished - res.due).mean() * 1e3),
            "commit_ms": {
                "mean": float(res.commit_latency.mean() * 1e3),
                "p50": float(np.quantile(res.commit_latency, 0.5) * 1e3),
                "p99": float(np.quantile(res.commit_latency, 0.99) * 1e3),
            },
        }

    @property
    def latency_ms(self) -> float:
        """The geodes link latency: the proxy's delay plus its own measured one-way overhead."""
        return self.c.options.delay_ms + self.proxy_overhead_ms

    # --- 1. the proxy's own delay --------------------------------------------------------------
    def proxy_delay(self, pings: int = 2000) -> dict:
        """Round trips of 64-byte pings to an echo server, direct and through a second proxy.

        The difference minus twice the configured delay is what the proxy adds by itself over
        two one-way trips; half of it is the one-way overhead geodes' link gets on top of 15 ms.
        """
        from calibration.mariadb.processes import free_port, start_managed, wait_for_port

        echo = socket.socket()
        echo.bind(("127.0.0.1", 0))
        echo.listen(4)
        echo_port = echo.getsockname()[1]

        def serve() -> None:
            while True:
                try:
                    conn, _ = echo.accept()
                except OSError:
                    return
                conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                with conn:
                    while data := conn.recv(4096):
                        conn.sendall(data)

        threading.Thread(target=serve, daemon=True).start()
        listen, control = free_port(), free_port()
        import sys
        from pathlib import Path

        proxy = start_managed(
            [
                sys.executable,
                str(Path(__file__).with_name("delay_proxy.py")),
                f"--listen-port={listen}",
                f"--upstream-port={echo_port}",
                f"--control-port={control}",
                f"--delay-ms={self.c.options.delay_ms}",
            ],
            name="delay-proxy-probe",
            cpus=self.c.other_cpus,
        )
        try:
            wait_for_port(control)
            direct = self._pings(echo_port, pings // 4)
            proxied = self._pings(listen, pings)
            probe = ProxyControl(control)
            try:
                late = probe.send("lateness")
                # A ping crosses both directions: their chunks' lateness together.
                late_ms = np.array(late["lateness_us"] + late["lateness_up_us"]) / 1e3
            finally:
                probe.close()
        finally:
            proxy.stop()
            echo.close()
        added = (proxied - 2 * self.c.options.delay_ms / 1e3) / 2 - np.median(direct) / 2
        self.proxy_overhead_ms = float(np.mean(added) * 1e3)
        late_mean = float(late_ms.mean()) if len(late_ms) else 0.0
        self.proxy_pre_stamp_ms = max(self.proxy_overhead_ms - late_mean, 0.0)
        return {
            "delay_ms": self.c.options.delay_ms,
            "pings": int(len(proxied)),
            "direct_rtt_ms_p50": float(np.median(direct) * 1e3),
            "added_one_way_ms": {
                "mean": self.proxy_overhead_ms,
                "sd": float(np.std(added) * 1e3),
                "p50": float(np.quantile(added, 0.5) * 1e3),
                "p99": float(np.quantile(added, 0.99) * 1e3),
                "max": float(added.max() * 1e3),
            },
            "writer_lateness_ms": _quantiles_ms(late_ms),
            "pre_stamp_ms": self.proxy_pre_stamp_ms,
        }

    @staticmethod
    def _pings(port: int, n: int, interval_s: float = 0.005) -> np.ndarray:
        s = socket.create_connection(("127.0.0.1", port))
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        rtts = []
        with s:
            for _ in range(n):
                t = time.monotonic()
                s.sendall(b"p" * 64)
                got = 0
                while got < 64:
                    got += len(s.recv(64 - got))
                rtts.append(time.monotonic() - t)
                time.sleep(interval_s)
        return np.array(rtts)

    # --- 2. the applier's service time ----------------------------------------------------------
    def _drain(self, writes: int, seed: int) -> tuple[np.ndarray, dict]:
        """Service times (s) of the single-threaded applier draining `writes` queued inserts.

        STOP SLAVE SQL_THREAD, the inserts at 500/s (they queue in the relay log), START SLAVE
        SQL_THREAD: the applier never waits, so the gaps between consecutive trigger stamps are
        whole apply cycles (the previous write's commit, then this write's row apply). That is
        geodes' `apply_time` (the worker is busy from one write's start to its commit), and its
        distribution is exact: the stamps are SYSDATE(6), not a poll. The visibility reader runs
        too, so that the drain sees the same perturbation as the runs, and its gaps (commit to
        commit, blurred by the polling) are the check that the cycle is the same seen after the
        commit.
        """
        with self.c.replica.connect() as r, r.cursor() as cur:
            cur.execute("STOP SLAVE SQL_THREAD")
        first = self._ids()
        reader = self._reader(first)
        try:
            res, _, _ = self._drive(500.0, writes / 500.0, seed, 1, 2, first=first)
            time.sleep(1.0)
            with self.c.replica.connect() as r, r.cursor() as cur:
                cur.execute("START SLAVE SQL_THREAD")
            self.c.wait_caught_up()
            time.sleep(0.05)
        finally:
            seen = reader.stop()
        rows = self._rows(first, seen)
        self.c.clear()
        s = analysis.drain_service_times(rows[:, 2])
        s = s[s > 0]
        vis = np.sort(rows[:, 3][np.isfinite(rows[:, 3])])
        us = s * 1e6
        stats = {
            "samples": int(len(s)),
            "mean_us": float(us.mean()),
            "sd_us": float(us.std()),
            "p10_us": float(np.quantile(us, 0.1)),
            "p50_us": float(np.quantile(us, 0.5)),
            "p90_us": float(np.quantile(us, 0.9)),
            "p99_us": float(np.quantile(us, 0.99)),
            "max_us": float(us.max()),
            "capacity_per_s": float(1.0 / s.mean()),
            "visible_gap_mean_us": float(np.diff(vis).mean() * 1e6) if len(vis) > 1 else None,
            "visibility": seen.summary(),
            "loadavg": loadavg(),
            "driver": self._driver_stats(res),
        }
        return s, stats

    def loaded_drain(self, rate: float, seed: int) -> tuple[np.ndarray, dict]:
        """Service times (s) of the single-threaded applier draining a backlog under `rate`.

        The idle drain (`_drain`) leaves out what the replica does during a run: its I/O thread
        receives and writes the relay log at the run's rate on the same CPU and disk, the reader
        polls it. Here the Poisson inserts run at `rate` throughout: the SQL thread is stopped
        until `loaded_drain_backlog` writes have queued, then started; until the backlog is gone
        the applier never waits, and every gap between consecutive trigger stamps of a write
        that waited (`analysis.busy_service_times`, nearly all of them here) is one whole apply
        cycle under the run's own load. Measured just before the run, so that disk and CPU speed
        (shared with other jobs) drift little in between.
        """
        p = self.plan
        stop_s = p.loaded_drain_backlog / rate
        net = max(self.capacity - rate, 0.1 * self.capacity)
        total = stop_s + 1.5 * p.loaded_drain_backlog / net + 2.0
        started: list[float] = []

        def start_sql() -> None:
            time.sleep(1.0 + stop_s)  # the driver's lead, then stop_s of arrivals
            with self.c.replica.connect() as r, r.cursor() as cur:
                started.append(time.time())
                cur.execute("START SLAVE SQL_THREAD")

        with self.c.replica.connect() as r, r.cursor() as cur:
            cur.execute("STOP SLAVE SQL_THREAD")
        first = self._ids()
        reader = self._reader(first)
        self._take_lateness()  # forget what came before
        t = threading.Thread(target=start_sql)
        t.start()
        try:
            res, _, _ = self._drive(rate, total, seed, p.processes, p.threads, first=first)
            t.join()
            self.c.wait_caught_up()
            time.sleep(0.05)
        finally:
            t.join()
            seen = reader.stop()
        _, _, stalls = self._take_lateness()
        rows = self._rows(first, seen)
        self.c.clear()
        fixed_max = (self.latency_ms + 2.0) / 1e3
        s, end = analysis.backlog_service_times(
            rows[:, 1], rows[:, 2], started[0], fixed_max, stalls
        )
        s = s[s > 0]
        us = s * 1e6
        stats = {
            "rate_per_s": rate,
            "backlog": int(p.loaded_drain_backlog),
            "window_s": float(end - started[0]),
            "samples": int(len(s)),
            "mean_us": float(us.mean()),
            "sd_us": float(us.std()),
            "p10_us": float(np.quantile(us, 0.1)),
            "p50_us": float(np.quantile(us, 0.5)),
            "p90_us": float(np.quantile(us, 0.9)),
            "p99_us": float(np.quantile(us, 0.99)),
            "loadavg": loadavg(),
            "driver": self._driver_stats(res),
            "proxy_stalls": _stalls_summary(stalls),
        }
        return s, stats

    def service_time(self) -> dict:
        """Measure the service time at the start (the capacity the loads are fractions of)."""
        s, stats = self._drain(self.plan.drain_writes, self.plan.seed)
        self.service_s = s
        return stats

    @property
    def capacity(self) -> float:
        """Writes per second the single-threaded applier sustains (1 / mean service time)."""
        assert self.service_s is not None
        return float(1.0 / self.service_s.mean())

    def disk_probe(self, n: int = 300) -> dict:
        """Measure fsync latency in the replica's datadir, its CPU idle and kept busy.

        A 512-byte overwrite and fsync, `n` times back to back, from a process on the replica's
        CPUs: once with those CPUs otherwise idle, once with a spinning child at the lowest
        priority (SCHED_IDLE) on them. On a virtual machine whose idle vCPU sleeps until a timer
        tick, the first is a tick (4 ms at HZ=250) and the second the disk's own latency: the
        replica's commit cost then depends on how busy its CPU is, not only on the disk.
        """
        ctx = multiprocessing.get_context("fork")
        cpus = self.c.replica.config.cpus
        path = self.c.replica.dir / "fsync-probe.dat"

        def probe(out) -> None:
            if cpus:
                os.sched_setaffinity(0, cpus)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
            got = []
            try:
                for _ in range(n):
                    os.pwrite(fd, b"x" * 512, 0)
                    t = time.perf_counter()
                    os.fsync(fd)
                    got.append(time.perf_counter() - t)
            finally:
                os.close(fd)
            out.put(got)

        def measure() -> dict:
            out = ctx.Queue()
            w = ctx.Process(target=probe, args=(out,))
            w.start()
            ms = np.array(out.get(timeout=120)) * 1e3
            w.join()
            return {
                "mean_ms": float(ms.mean()),
                "p10_ms": float(np.quantile(ms, 0.1)),
                "p50_ms": float(np.quantile(ms, 0.5)),
                "p90_ms": float(np.quantile(ms, 0.9)),
            }

        idle = measure()
        spinner = keep_awake(cpus)
        try:
            time.sleep(0.2)
            busy = measure()
        finally:
            spinner.kill()  # our own child, by its pid
            spinner.join()
            path.unlink(missing_ok=True)
        return {"fsyncs": n, "cpu_idle": idle, "cpu_busy": busy, "loadavg": loadavg()}

    # --- 3./4. Poisson inserts, single and parallel apply ----------------------------------------
    def _search_rate(
        self, fraction: float, rate: float, service: np.ndarray, pre: dict, seed: int
    ) -> tuple[float, np.ndarray, dict, list[dict]]:
        """Find the rate at `fraction` of the capacity the applier has under that rate.

        The applier's cycle under load is not the idle drain's (on this test bed it moved 10-20%
        between the two, and the idle drain itself from 746 to 1809 us between hours), and near
        a utilisation of 0.85 the wait grows as rho / (1 - rho): a run set from the idle drain
        can sit anywhere from 0.7 to past 1. So: rate_{k+1} = fraction / mean(loaded drain at
        rate_k), until the rate moves less than `rate_tolerance` or `rate_search_drains` drains
        are done. Returns the rate, the last drain (taken at that rate: the run's prediction
        input) and the steps.
        """
        p = self.plan
        steps = [{"rate_per_s": rate, "service_mean_us": float(service.mean() * 1e6)}]
        for k in range(1, p.rate_search_drains):
            target = fraction / float(service.mean())
            if abs(target - rate) <= p.rate_tolerance * rate:
                break
            rate = target
            self.log(f"  load {fraction:.0%} of the loaded capacity: drain again at {rate:.0f}/s")
            service, pre = self.loaded_drain(rate, seed + 50 + k)
            steps.append({"rate_per_s": rate, "service_mean_us": float(service.mean() * 1e6)})
        return rate, service, pre, steps

    def poisson(self, fraction: float, threads: int) -> dict:
        """Open-loop Poisson inserts at `fraction` of the single-threaded capacity.

        Lag is measured twice: to the trigger's stamp (before the replica's commit) and to the
        row's visibility on the replica (after it; `calibration.mariadb.visibility`). geodes'
        lag ends with the commit, so the visible lag is what it predicts. The prediction's
        `apply_time` is the loaded drain measured just before this run at its rate (the replica
        single-threaded: the service time of one worker), so input and output are measured under
        the same load, a minute apart.
        """
        p = self.plan
        seed = p.seed + int(fraction * 100)
        nominal = fraction
        rate = p.fixed_rate or fraction * self.capacity
        pre = None
        service = self.service_s
        search: list[dict] = []
        if p.loaded_drain_backlog:
            if threads > 1:
                self.c.configure_replica(parallel_threads=0, semi_sync=False)
            service, pre = self.loaded_drain(rate, seed + 50)
            if p.load_reference == "loaded" and not p.fixed_rate:
                rate, service, pre, search = self._search_rate(nominal, rate, service, pre, seed)
            if threads > 1:
                self.c.configure_replica(parallel_threads=threads, semi_sync=False)
        # The utilisation the run is at: of the capacity its own input says the applier has
        # ("loaded"), or of the idle drain's ("idle").
        fraction = (
            rate * float(service.mean()) if p.load_reference == "loaded" else rate / self.capacity
        )
        la0, steal0 = loadavg(), steal_ticks()
        first = self._ids()
        reader = self._reader(first)
        self._take_lateness()  # forget what came before this run
        try:
            res, _, _ = self._drive(rate, p.run_s, seed, p.processes, p.threads, first=first)
            la1, steal1 = loadavg(), steal_ticks()
            self.c.wait_caught_up()
            time.sleep(0.05)
        finally:
            seen = reader.stop()
        late_ms, _, stalls = self._take_lateness()
        if threads == 1:
            self.async_commit_s[nominal] = (res.finished - res.due)[res.due >= p.trim_s]
            self.async_rate[nominal] = rate
        rows = self._trimmed_lags(self._rows(first, seen), res)
        self.c.clear()
        unseen = int((~np.isfinite(rows[:, 3])).sum())  # kept writes the reader never saw
        rows = rows[np.isfinite(rows[:, 3])]
        name = f"poisson-{threads}thr-{fraction:.3f}"
        self.raw[name] = ("id,src_s,trigger_s,visible_s,due_s", rows)
        self.raw[f"{name}-stalls"] = ("from_s,to_s", stalls)
        pre_commit = analysis.lag_stats(rows[:, 2] - rows[:, 1])
        measured = analysis.lag_stats(rows[:, 3] - rows[:, 1])
        fixed_max = (self.latency_ms + 2.0) / 1e3
        busy = analysis.busy_service_times(rows[:, 1], rows[:, 2], fixed_max, stalls)
        out = {
            "fraction": fraction,
            "rate_per_s": rate,
            "threads": threads,
            "loadavg_start": la0,
            "loadavg_end": la1,
            # Per CPU: the time the hypervisor took from this VM during the run.
            "steal_ms": steal_ms(steal0, steal1),
            "driver": self._driver_stats(res),
            "measured": measured.as_dict(),
            "measured_pre_commit": pre_commit.as_dict(),
            "visibility": {**seen.summary(), "kept_unseen": unseen},
            "service_before": pre,
            # Of the idle drain's capacity at the start (the reference of load_reference="idle").
            "fraction_of_idle_capacity": rate / self.capacity,
            "nominal_fraction": nominal,
            "rate_search": search,
            "busy_service_us": {
                "samples": int(len(busy)),
                "mean": float(busy.mean() * 1e6) if len(busy) else None,
            },
            "proxy_lateness_ms": _quantiles_ms(late_ms),
            "proxy_stalls": _stalls_summary(stalls),
        }

        def lag(apply_s: np.ndarray, mode: str = "writeset", latency: str | None = None) -> dict:
            spec = predict.scenario(
                rate,
                predict.empirical(apply_s),
                self.latency_ms,
                p.predict_s,
                threads=threads,
                parallelism=mode,
                latency=latency,
            )
            return predict.predict(spec, seed=p.seed).lag_ms()

        out["predicted"] = lag(service)
        if threads > 1:
            out["predicted_by_key"] = lag(service, "by_key")
        if pre is not None:
            # The prediction from the idle drain at the start, the one the loads were set from.
            out["predicted_start_service"] = lag(self.service_s)
        if len(busy) >= 1000 and threads == 1:
            # The model fed with the service time measured under this very load: tells a wrong
            # input (the applier slowed by the load around it) from a wrong model.
            out["predicted_in_run_service"] = lag(busy)
        if len(late_ms):
            # The link as the binlog met it in this run: the delay, the proxy's part before a
            # chunk's stamp (ping test), then per message a draw of the proxy's lateness measured
            # on this run's own binlog chunks (its writer's wake-up and send, under this load).
            base_ms = self.c.options.delay_ms + self.proxy_pre_stamp_ms
            out["proxy_link_base_ms"] = base_ms
            out["predicted_proxy_link"] = lag(
                service, latency=predict.empirical((base_ms + late_ms) / 1e3)
            )
        self.log(
            f"  {threads} thread(s) {fraction:.0%} ({rate:.0f}/s): measured mean "
            f"{measured.mean_ms:.2f} p99 {measured.p99_ms:.2f} ms (pre-commit mean "
            f"{pre_commit.mean_ms:.2f}), predicted mean {out['predicted']['mean']:.2f} "
            f"p99 {out['predicted']['p99']:.2f} ms"
            + (f"; service before {pre['mean_us']:.0f} us" if pre else "")
        )
        return out

    # --- 5. semi-sync -------------------------------------------------------------------------
    def semi_sync(self, fraction: float, async_commit_ms: float) -> dict:
        """Commit latency under semi-sync at `fraction` of capacity vs geodes' channel model.

        geodes' commit latency is the semi-sync wait alone (ship to ack: the round trip); the
        local commit (statement, InnoDB, binlog) is the client's commit latency measured under
        async at the same rate, added to the prediction.
        """
        p = self.plan
        # The rate of the async run at this fraction if there was one (its local commit is the
        # prediction's write_time), else of the idle drain's capacity.
        rate = self.async_rate.get(fraction, fraction * self.capacity)
        self.c.configure_replica(parallel_threads=0, semi_sync=True)
        # Connections enough that a commit almost never waits for one (geodes has no client
        # pool): per process of 2, the commits in flight are Poisson (rate x round trip / 2), and
        # all its connections are busy with probability under 1e-4. (Run D's first runs had 2.5x
        # the mean, 5 per process: 3.4% of the commits waited, the p99 was the pool's.)
        in_flight = rate * (2 * self.latency_ms + 2.0) / 1e3
        concurrency = max(p.threads, connections_for(in_flight / 2, 1e-4))
        self._take_lateness()  # forget what came before this run
        res, _, first = self._drive(rate, p.semi_sync_s, p.seed + 500, 2, concurrency)
        down_ms, up_ms, _ = self._take_lateness()
        status = self.c.primary_status("Rpl_semi_sync_master_%")
        self.c.wait_caught_up()
        self.c.clear()
        commit = res.finished - res.due  # from arrival: an open-loop client's wait
        keep = res.due >= p.trim_s
        commit = commit[keep] * 1e3
        spec = predict.scenario(
            rate, predict.empirical(self.service_s), self.latency_ms, p.predict_s, semi_sync=True
        )
        pred = predict.predict(spec, seed=p.seed)
        wait = pred.channel["commit_latency_ms"]
        out = {
            "fraction": fraction,
            "rate_per_s": rate,
            "connections": 2 * concurrency,
            "driver": self._driver_stats(res),
            "master_status": status,
            "measured_commit_ms": {
                "mean": float(commit.mean()),
                "p50": float(np.quantile(commit, 0.5)),
                "p99": float(np.quantile(commit, 0.99)),
            },
            "async_local_commit_ms": async_commit_ms,
            "predicted_wait_ms": wait,
            "predicted_commit_ms": {
                k: wait[k] + async_commit_ms for k in ("mean", "p50", "p99") if wait[k] is not None
            },
            "proxy_lateness_ms": {"binlog": _quantiles_ms(down_ms), "acks": _quantiles_ms(up_ms)},
        }
        local = self.async_commit_s.get(fraction)
        if local is not None and len(local):
            # The whole commit as geodes' op latency: the class's write_time is the local commit
            # measured under async at this rate (its distribution, not its mean), then the wait.
            def op(latency: str | None) -> dict:
                spec = predict.scenario(
                    rate,
                    predict.empirical(self.service_s),
                    self.latency_ms,
                    p.predict_s,
                    semi_sync=True,
                    write_time=predict.empirical(local),
                    latency=latency,
                )
                return predict.predict(spec, seed=p.seed).op_latency_ms()

            out["predicted_op_ms"] = op(None)
            if len(down_ms) and len(up_ms):
                # And the link as this run met it: the delay, the proxy's part before a chunk's
                # stamp, then a draw of its chunks' lateness, both directions pooled (geodes'
                # link has one latency distribution for both ways).
                base_ms = self.c.options.delay_ms + self.proxy_pre_stamp_ms
                both = np.concatenate([down_ms, up_ms])
                out["proxy_link_base_ms"] = base_ms
                out["predicted_op_proxy_link_ms"] = op(predict.empirical((base_ms + both) / 1e3))
        return out

    def semi_sync_fallback(self, rate: float, timeout_ms: int = 3000, hold_s: float = 8.0) -> dict:
        """Silence the proxy for `hold_s`: commits wait `timeout_ms`, then go async."""
        p = self.plan
        with self.c.primary.connect() as c, c.cursor() as cur:
            cur.execute(f"SET GLOBAL rpl_semi_sync_master_timeout={int(timeout_ms)}")
        before = self.c.primary_status("Rpl_semi_sync_master_no_times")
        hold_at = 10.0
        total = hold_at + hold_s + 12.0

        def hold() -> None:
            time.sleep(1.0 + hold_at)  # the driver's lead, then hold_at into the schedule
            self.c.control.send("hold")
            time.sleep(hold_s)
            self.c.control.send("release")

        t = threading.Thread(target=hold)
        t.start()
        res, t0, first = self._drive(rate, total, p.seed + 600, 2, 8)
        t.join()
        events = self.c.control.send("events")["events"]
        self.c.wait_caught_up()
        after = self.c.primary_status("Rpl_semi_sync_master_no_times")
        status = self.c.primary_status("Rpl_semi_sync_master_status")
        self.c.clear()
        commit = (res.finished - res.due) * 1e3
        spec = predict.scenario(
            rate,
            predict.empirical(self.service_s),
            self.latency_ms,
            total,
            warmup_s=0.0,
            semi_sync=True,
            semi_sync_timeout_ms=timeout_ms,
            retry_interval_s=0.01,
            faults=[
                {
                    "type": "link_down",
                    "target": "wan",
                    "at": f"{hold_at}s",
                    "duration": f"{hold_s}s",
                }
            ],
        )
        pred = predict.predict(spec, seed=p.seed).channel["commit_latency_ms"]
        with self.c.primary.connect() as c, c.cursor() as cur:
            cur.execute(
                f"SET GLOBAL rpl_semi_sync_master_timeout={self.c.options.semi_sync_timeout_ms}"
            )
        return {
            "rate_per_s": rate,
            "timeout_ms": timeout_ms,
            "hold_s": hold_s,
            "fallbacks": int(after.get("Rpl_semi_sync_master_no_times", 0))
            - int(before.get("Rpl_semi_sync_master_no_times", 0)),
            "semi_sync_on_at_end": status.get("Rpl_semi_sync_master_status"),
            "measured_commit_ms": {
                "max": float(commit.max()),
                "over_1s": int((commit > 1000).sum()),
            },
            "predicted_commit_ms": {"max": pred["max"]},
            "proxy_events": [e for e in events if e["event"] in ("hold", "release")][-2:],
        }

    # --- 6. a link cut --------------------------------------------------------------------------
    def link_cut(self, fraction: float) -> dict:
        """Cut the link: the proxy drops every connection and refuses new ones for `cut_s`.

        The replica's I/O thread retries every MASTER_CONNECT_RETRY, reconnects, and the applier
        catches up. geodes is fed the loaded drain at the same rate, measured just before (as the
        lag runs are); also the idle drain's and the catch-up's own pace, as checks.
        """
        p = self.plan
        rate = fraction * self.capacity
        self.c.configure_replica(parallel_threads=0, semi_sync=False)
        self.c.set_connect_retry(p.connect_retry_s)
        loaded, loaded_stats = (
            self.loaded_drain(rate, p.seed + 750) if p.loaded_drain_backlog else (None, None)
        )
        cut_at = 15.0
        catch_budget = p.cut_s * fraction / (1 - fraction) * 2 + p.connect_retry_s + 20
        total = cut_at + p.cut_s + catch_budget
        offset = clock_offset()

        def cut() -> None:
            time.sleep(1.0 + cut_at)
            self.c.control.send(f"cut {p.cut_s}")

        t = threading.Thread(target=cut)
        t.start()
        first = self._ids()
        reader = self._reader(first)
        try:
            res, t0, _ = self._drive(rate, total, p.seed + 700, p.processes, p.threads, first=first)
            t.join()
            self.c.wait_caught_up()
            time.sleep(0.05)
        finally:
            seen = reader.stop()
        events = self.c.control.send("events")["events"]
        rows = self._rows(first, seen)
        self.c.clear()
        cut_ev = [e for e in events if e["event"] == "cut"][-1]
        cut_t = cut_ev["monotonic_s"]
        reconnect = [e for e in events if e["event"] == "accepted" and e["monotonic_s"] > cut_t]
        reconnect_s = reconnect[0]["monotonic_s"] - cut_t if reconnect else None
        threshold = (self.latency_ms + 5.0) / 1e3
        back = cut_t + offset + (reconnect_s or 0)  # the reconnect, epoch s
        ok = np.isfinite(rows[:, 3])
        # Caught up: the first write after the reconnect that became visible with a lag under
        # the threshold (geodes: the first 10 ms interval whose largest lag is under it).
        caught = analysis.catch_up(rows[ok, 3], rows[ok, 3] - rows[ok, 1], back, threshold)
        catch_up_s = caught - back if caught and reconnect_s else None
        caught_pre = analysis.catch_up(rows[:, 2], rows[:, 2] - rows[:, 1], back, threshold)
        # The applier's pace while it drains the backlog: trigger gaps between the reconnect
        # and the catch-up (every write there was waiting), i.e. its service time in that drain.
        d = np.sort(rows[:, 2])
        inside = d[(d > back) & (d < (caught or back))]
        backlog_gaps = np.diff(inside)

        # geodes: the same cut, the same retry interval; lag series every 10 ms.
        def predicted(apply_s: np.ndarray) -> tuple[float, float | None]:
            spec = predict.scenario(
                rate,
                predict.empirical(apply_s),
                self.latency_ms,
                total,
                warmup_s=0.0,
                retry_interval_s=p.connect_retry_s,
                faults=[
                    {
                        "type": "link_down",
                        "target": "wan",
                        "at": f"{cut_at}s",
                        "duration": f"{p.cut_s}s",
                    }
                ],
                series_interval="10ms",
            )
            name = "channel_lag/" + predict.CHANNEL
            pred = predict.predict(spec, seed=p.seed, series=(name,))
            back_s = cut_at + pred.channel["disconnected_s"]
            series = pred.series[name]
            after = series[(series.index > back_s) & (series["max"] < threshold * 1e9)]
            caught_s = float(after.index[0]) - back_s if len(after) else None
            return pred.channel["disconnected_s"], caught_s

        pred_reconnect, pred_catch_up = predicted(loaded if loaded is not None else self.service_s)
        pred_idle = predicted(self.service_s)[1] if loaded is not None else None
        pred_backlog = None
        if len(backlog_gaps) >= 200:
            # Fed the pace the replica showed in this very catch-up: a wrong input or a wrong
            # model?
            pred_backlog = {"catch_up_s": predicted(backlog_gaps[backlog_gaps > 0])[1]}
        return {
            "fraction": fraction,
            "rate_per_s": rate,
            "cut_s": p.cut_s,
            "connect_retry_s": p.connect_retry_s,
            "threshold_ms": threshold * 1e3,
            "measured": {
                "reconnect_s": reconnect_s,
                "catch_up_s": catch_up_s,
                "catch_up_pre_commit_s": caught_pre - back if caught_pre and reconnect_s else None,
                "backlog_applied": int(len(inside)),
                "backlog_service_us_mean": float(backlog_gaps.mean() * 1e6)
                if len(backlog_gaps)
                else None,
            },
            "visibility": seen.summary(),
            "predicted": {"reconnect_s": pred_reconnect, "catch_up_s": pred_catch_up},
            "predicted_backlog_service": pred_backlog,
            "predicted_start_service": {"catch_up_s": pred_idle} if pred_idle else None,
            "service_before": loaded_stats,
        }
