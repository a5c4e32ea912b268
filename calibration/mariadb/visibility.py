"""When each write becomes visible on the replica: a reader polling the replica's table.

The trigger's `SYSDATE(6)` (cluster.TRIGGER) is taken while the applier inserts the row, before
the replica's commit (InnoDB redo fsync, binlog fsync with `log_slave_updates`): it is not the
moment a reader can see the row. geodes' lag ends when the write's `apply_time` ends, commit
included, which is when the row becomes visible. This module measures that moment the only way a
client can: a reader process on the replica runs ``SELECT id FROM calib.w WHERE id > floor``
every `interval_s` (each autocommit SELECT reads a fresh snapshot), with the real clock
(`time.time()`, CLOCK_REALTIME, the clock SYSDATE(6) reads).

A row first returned by poll k was not visible at poll k-1's snapshot and was at poll k's, so it
became visible in (s_(k-1), s_k]; its estimate is the midpoint, unbiased for a moment uniform in
that interval, off by at most half the interval (reported as `half_interval_ms`). A poll's
snapshot instant s_k is taken as the middle of the query's round trip (off by at most half of it,
~0.1 ms). The reader runs on the non-replica CPUs; its queries cost the replica a few percent of
its CPU (the applier's service time is mostly fsync waits), and it runs in every experiment,
the service-time drain included, so that inputs and outputs are measured under the same
perturbation.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pymysql

# Rows past a missing id the query may return before the floor is forced past the gap (a write
# that failed leaves a permanent gap; commit order differs from id order by a few at most).
MAX_AHEAD = 2000


@dataclass
class Visible:
    """Per visible write: id and visibility estimate (epoch s); and the polling's resolution."""

    ids: np.ndarray
    visible_s: np.ndarray
    half_interval_s: np.ndarray
    polls: int
    poll_interval_ms_mean: float
    rows_per_poll_max: int
    multi_row_polls: int

    def lookup(self, ids: np.ndarray) -> np.ndarray:
        """Visibility estimates (epoch s) of `ids`, NaN where a row was never seen."""
        out = np.full(len(ids), np.nan)
        if len(self.ids) == 0:
            return out
        order = np.argsort(self.ids)
        sid = self.ids[order]
        pos = np.clip(np.searchsorted(sid, ids), 0, len(sid) - 1)
        hit = sid[pos] == ids
        out[hit] = self.visible_s[order][pos[hit]]
        return out

    def summary(self) -> dict:
        """For the results JSON."""
        return {
            "rows": int(len(self.ids)),
            "polls": self.polls,
            "poll_interval_ms_mean": self.poll_interval_ms_mean,
            "half_interval_ms_mean": float(self.half_interval_s.mean() * 1e3)
            if len(self.ids)
            else None,
            "rows_per_poll_max": self.rows_per_poll_max,
            "polls_with_several_new_rows": self.multi_row_polls,
        }


def _reader(
    socket_path: str,
    first: int,
    interval_s: float,
    cpus: set[int] | None,
    stop,
    out: multiprocessing.Queue,
) -> None:
    if cpus:
        os.sched_setaffinity(0, cpus)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    conn = pymysql.connect(unix_socket=socket_path, user="root", password="", autocommit=True)
    cur = conn.cursor()
    ids: list[int] = []
    lo: list[float] = []
    hi: list[float] = []
    seen: set[int] = set()
    floor = first - 1
    last = first + 10_000_000  # the experiment's id range (Harness._ids)
    prev: float | None = None
    polls = 0
    most = 0
    multi = 0
    began = time.time()
    next_t = time.monotonic()
    while True:
        done = stop.is_set()  # one last poll after the stop
        a = time.time()
        cur.execute("SELECT id FROM calib.w WHERE id > %s AND id < %s", (floor, last))
        rows = cur.fetchall()
        b = time.time()
        snap = (a + b) / 2
        new = 0
        for (i,) in rows:
            if i not in seen:
                seen.add(i)
                ids.append(int(i))
                lo.append(prev if prev is not None else snap)
                hi.append(snap)
                new += 1
        most = max(most, new)
        multi += new > 1
        while floor + 1 in seen:
            floor += 1
        if len(rows) > MAX_AHEAD:
            floor = max(floor, max(r[0] for r in rows) - MAX_AHEAD)
        prev = snap
        polls += 1
        if done:
            break
        next_t += interval_s
        wait = next_t - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        else:
            next_t = time.monotonic()
    conn.close()
    span = time.time() - began
    out.put((ids, lo, hi, polls, span, most, multi))


class VisibilityReader:
    """A reader process polling the replica for the rows of one experiment (ids >= first).

    Usage: `start()` before the writes, `stop()` once the replica has applied them all (the
    reader polls once more after the stop, so every applied row is seen).
    """

    def __init__(
        self,
        socket_path: Path,
        first: int,
        interval_s: float = 0.001,
        cpus: set[int] | None = None,
    ) -> None:
        """Set up; see the class docstring."""
        ctx = multiprocessing.get_context("fork")
        self._stop = ctx.Event()
        self._out: multiprocessing.Queue = ctx.Queue()
        self._proc = ctx.Process(
            target=_reader,
            args=(str(socket_path), first, interval_s, cpus, self._stop, self._out),
            daemon=True,
        )

    def start(self) -> None:
        """Start polling."""
        self._proc.start()

    def stop(self, timeout_s: float = 60.0) -> Visible:
        """Stop polling and return what was seen."""
        self._stop.set()
        try:
            ids, lo, hi, polls, span, most, multi = self._out.get(timeout=timeout_s)
        except queue.Empty:
            self._proc.kill()
            raise RuntimeError("the visibility reader did not answer") from None
        self._proc.join()
        lo_a, hi_a = np.array(lo), np.array(hi)
        return Visible(
            ids=np.array(ids, dtype=np.int64),
            visible_s=(lo_a + hi_a) / 2,
            half_interval_s=(hi_a - lo_a) / 2,
            polls=int(polls),
            poll_interval_ms_mean=float(span / max(polls, 1) * 1e3),
            rows_per_poll_max=int(most),
            multi_row_polls=int(multi),
        )
