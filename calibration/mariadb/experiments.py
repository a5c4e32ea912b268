"""The calibration experiments: each measures the real replica and asks geodes for the same thing.

Every experiment returns a dict for the results JSON with its conditions, what was measured and
what geodes predicted; `rows` of the table are built from them by `calibration.mariadb.report`.
Times on the real side come from SYSDATE(6) (epoch seconds) and CLOCK_MONOTONIC (the driver, the
proxy's event log); they are never mixed without the offset measured between them (`clock_offset`).
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass

import numpy as np

from calibration.mariadb import analysis, driver, predict
from calibration.mariadb.cluster import Cluster


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


def loadavg() -> list[float]:
    """Return the 1, 5 and 15 minute load averages."""
    return list(os.getloadavg())


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
        self.service_s: np.ndarray | None = None

    # --- helpers ------------------------------------------------------------------------------
    def _ids(self) -> int:
        first = self.next_id
        self.next_id += 10_000_000
        return first

    def _drive(self, rate: float, duration_s: float, seed: int, processes: int, threads: int):
        schedule = driver.poisson_schedule(rate, duration_s, seed)
        first = self._ids()
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

    def _rows(self, first: int) -> np.ndarray:
        rows = np.array(self.c.fetch_lags(), dtype=float).reshape(-1, 3)
        return rows[(rows[:, 0] >= first) & (rows[:, 0] < first + 10_000_000)]

    def _trimmed_lags(self, rows: np.ndarray, res: driver.DriveResult) -> np.ndarray:
        # Drop the first and last trim_s of the schedule: the driver's start and the end.
        by_id = dict(zip(res.ids.astype(np.int64), res.due))
        due = np.array([by_id.get(int(i), np.nan) for i in rows[:, 0]])
        end = float(res.due.max())
        keep = (due >= self.plan.trim_s) & (due <= end - self.plan.trim_s / 2)
        return rows[keep]

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
        finally:
            proxy.stop()
            echo.close()
        added = (proxied - 2 * self.c.options.delay_ms / 1e3) / 2 - np.median(direct) / 2
        self.proxy_overhead_ms = float(np.mean(added) * 1e3)
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
    def service_time(self) -> dict:
        """Service times of the single-threaded applier draining a backlog, the primary idle.

        STOP SLAVE SQL_THREAD, `drain_writes` inserts at a low rate (they queue in the relay
        log), START SLAVE SQL_THREAD: the gaps between consecutive applies are whole apply
        cycles. The low load is on the primary and the machine: the applier itself is busy.
        """
        p = self.plan
        with self.c.replica.connect() as r, r.cursor() as cur:
            cur.execute("STOP SLAVE SQL_THREAD")
        res, _, first = self._drive(500.0, p.drain_writes / 500.0, p.seed, 1, 2)
        time.sleep(1.0)
        with self.c.replica.connect() as r, r.cursor() as cur:
            cur.execute("START SLAVE SQL_THREAD")
        self.c.wait_caught_up()
        rows = self._rows(first)
        s = analysis.drain_service_times(rows[:, 2])
        s = s[s > 0]
        self.service_s = s
        self.c.clear()
        us = s * 1e6
        return {
            "samples": int(len(s)),
            "mean_us": float(us.mean()),
            "sd_us": float(us.std()),
            "p50_us": float(np.quantile(us, 0.5)),
            "p90_us": float(np.quantile(us, 0.9)),
            "p99_us": float(np.quantile(us, 0.99)),
            "max_us": float(us.max()),
            "capacity_per_s": float(1.0 / s.mean()),
            "driver": self._driver_stats(res),
        }

    @property
    def capacity(self) -> float:
        """Writes per second the single-threaded applier sustains (1 / mean service time)."""
        assert self.service_s is not None
        return float(1.0 / self.service_s.mean())

    # --- 3./4. Poisson inserts, single and parallel apply ----------------------------------------
    def poisson(self, fraction: float, threads: int) -> dict:
        """Open-loop Poisson inserts at `fraction` of the single-threaded capacity."""
        p = self.plan
        seed = p.seed + int(fraction * 100)
        rate = p.fixed_rate or fraction * self.capacity
        fraction = rate / self.capacity
        la0 = loadavg()
        res, _, first = self._drive(rate, p.run_s, seed, p.processes, p.threads)
        la1 = loadavg()
        self.c.wait_caught_up()
        rows = self._trimmed_lags(self._rows(first), res)
        self.c.clear()
        lag = rows[:, 2] - rows[:, 1]
        measured = analysis.lag_stats(lag)
        fixed_max = (self.latency_ms + 2.0) / 1e3
        busy = analysis.busy_service_times(rows[:, 1], rows[:, 2], fixed_max)
        apply_low = predict.empirical(self.service_s)
        out = {
            "fraction": fraction,
            "rate_per_s": rate,
            "threads": threads,
            "loadavg_start": la0,
            "loadavg_end": la1,
            "driver": self._driver_stats(res),
            "measured": measured.as_dict(),
            "busy_service_us": {
                "samples": int(len(busy)),
                "mean": float(busy.mean() * 1e6) if len(busy) else None,
            },
        }
        modes = ["writeset", "by_key"] if threads > 1 else ["writeset"]
        predictions = {}
        for mode in modes:
            spec = predict.scenario(
                rate, apply_low, self.latency_ms, p.predict_s, threads=threads, parallelism=mode
            )
            predictions[mode] = predict.predict(spec, seed=p.seed).lag_ms()
        out["predicted"] = predictions["writeset"]
        if threads > 1:
            out["predicted_by_key"] = predictions["by_key"]
        if len(busy) >= 1000 and threads == 1:
            # The model fed with the service time measured under this very load: tells a wrong
            # input (the applier slowed by the load around it) from a wrong model.
            spec = predict.scenario(
                rate, predict.empirical(busy), self.latency_ms, p.predict_s, threads=threads
            )
            out["predicted_in_run_service"] = predict.predict(spec, seed=p.seed).lag_ms()
        self.log(
            f"  {threads} thread(s) {fraction:.0%} ({rate:.0f}/s): measured mean "
            f"{measured.mean_ms:.2f} p99 {measured.p99_ms:.2f} ms, predicted mean "
            f"{out['predicted']['mean']:.2f} p99 {out['predicted']['p99']:.2f} ms"
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
        rate = fraction * self.capacity
        self.c.configure_replica(parallel_threads=0, semi_sync=True)
        # Connections enough for the commits in flight (rate x round trip), 2.5x over, 2 processes.
        in_flight = rate * (2 * self.latency_ms + 2.0) / 1e3
        concurrency = max(p.threads, int(np.ceil(2.5 * in_flight / 2)))
        res, _, first = self._drive(rate, p.semi_sync_s, p.seed + 500, 2, concurrency)
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
        return {
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
        }

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
        catches up.
        """
        p = self.plan
        rate = fraction * self.capacity
        self.c.configure_replica(parallel_threads=0, semi_sync=False)
        self.c.set_connect_retry(p.connect_retry_s)
        cut_at = 15.0
        catch_budget = p.cut_s * fraction / (1 - fraction) * 2 + p.connect_retry_s + 20
        total = cut_at + p.cut_s + catch_budget
        offset = clock_offset()

        def cut() -> None:
            time.sleep(1.0 + cut_at)
            self.c.control.send(f"cut {p.cut_s}")

        t = threading.Thread(target=cut)
        t.start()
        res, t0, first = self._drive(rate, total, p.seed + 700, p.processes, p.threads)
        t.join()
        events = self.c.control.send("events")["events"]
        self.c.wait_caught_up()
        rows = self._rows(first)
        self.c.clear()
        cut_ev = [e for e in events if e["event"] == "cut"][-1]
        cut_t = cut_ev["monotonic_s"]
        reconnect = [e for e in events if e["event"] == "accepted" and e["monotonic_s"] > cut_t]
        reconnect_s = reconnect[0]["monotonic_s"] - cut_t if reconnect else None
        lag = rows[:, 2] - rows[:, 1]
        threshold = (self.latency_ms + 5.0) / 1e3
        caught = analysis.catch_up(rows[:, 2], lag, cut_t + offset + (reconnect_s or 0), threshold)
        catch_up_s = caught - (cut_t + offset + reconnect_s) if caught and reconnect_s else None
        # geodes: the same cut, the same retry interval; lag series every 10 ms.
        spec = predict.scenario(
            rate,
            predict.empirical(self.service_s),
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
        pred_reconnect = pred.channel["disconnected_s"]
        series = pred.series[name]
        after = series[(series.index > cut_at + pred_reconnect) & (series["max"] < threshold * 1e9)]
        pred_caught = float(after.index[0]) if len(after) else None
        pred_catch_up = pred_caught - (cut_at + pred_reconnect) if pred_caught else None
        return {
            "fraction": fraction,
            "rate_per_s": rate,
            "cut_s": p.cut_s,
            "connect_retry_s": p.connect_retry_s,
            "threshold_ms": threshold * 1e3,
            "measured": {"reconnect_s": reconnect_s, "catch_up_s": catch_up_s},
            "predicted": {"reconnect_s": pred_reconnect, "catch_up_s": pred_catch_up},
        }
