"""An open-loop Poisson write driver: inserts arrive on their own clock, never behind a slow reply.

The schedule (exponential inter-arrival times from a seeded generator) is drawn up front. Each
arrival is given, at random, to one of `processes` worker processes (a random split of a Poisson
process is a set of independent Poisson processes, and their union is the schedule again); in each
process `threads` threads, each with its own connection, take the process's next arrival, sleep
until it is due and run one autocommit INSERT. A thread busy with a slow commit (semi-sync: a WAN
round trip) does not delay the next arrival, which another thread takes. Processes sidestep
Python's GIL. Every insert records when it was due, when it started and when its commit returned
(CLOCK_MONOTONIC, the same clock in every process), so the results can show that the schedule was
kept (`lateness`) and what the client waited (`commit latency`).
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import threading
import time
from dataclasses import dataclass

import numpy as np
import pymysql

INSERT = "INSERT INTO calib.w (id, k, src_ts, payload) VALUES (%s, %s, SYSDATE(6), %s)"
PAYLOAD = "x" * 180  # with the row's other columns, about 200 bytes: the geodes default size


@dataclass
class DriveResult:
    """Per insert, in schedule order: id, due, start and end times (s from the run's start)."""

    ids: np.ndarray
    due: np.ndarray
    started: np.ndarray
    finished: np.ndarray
    errors: int

    @property
    def lateness(self) -> np.ndarray:
        """How late each insert started (s)."""
        return self.started - self.due

    @property
    def commit_latency(self) -> np.ndarray:
        """The client-side time of each autocommit INSERT (s)."""
        return self.finished - self.started


def poisson_schedule(rate: float, duration_s: float, seed: int) -> np.ndarray:
    """Arrival times (s) of a Poisson process of `rate` per second on [0, duration_s)."""
    rng = np.random.default_rng(seed)
    n = int(rate * duration_s * 1.2 + 10 * np.sqrt(rate * duration_s) + 10)
    t = np.cumsum(rng.exponential(1.0 / rate, n))
    while t[-1] < duration_s:  # astronomically unlikely; keeps the contract exact
        t = np.concatenate([t, t[-1] + np.cumsum(rng.exponential(1.0 / rate, n))])
    return t[t < duration_s]


def _worker(
    port: int,
    ids: np.ndarray,
    due: np.ndarray,
    t0: float,
    threads: int,
    cpus: set[int] | None,
    out: multiprocessing.Queue,
) -> None:
    if cpus:
        os.sched_setaffinity(0, cpus)
    n = len(ids)
    started = np.zeros(n)
    finished = np.zeros(n)
    lock = threading.Lock()
    next_index = [0]
    errors = [0]

    def run_thread() -> None:
        conn = pymysql.connect(
            host="127.0.0.1", port=port, user="root", password="", autocommit=True
        )
        cur = conn.cursor()
        try:
            while True:
                with lock:
                    i = next_index[0]
                    next_index[0] += 1
                if i >= n:
                    return
                wait = t0 + due[i] - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
                s = time.monotonic()
                try:
                    cur.execute(INSERT, (int(ids[i]), int(ids[i]), PAYLOAD))
                except pymysql.err.OperationalError:
                    with lock:
                        errors[0] += 1
                    return  # the server or the connection is gone: stop, do not linger
                except pymysql.MySQLError:
                    with lock:
                        errors[0] += 1
                finished[i] = time.monotonic() - t0
                started[i] = s - t0
        finally:
            conn.close()

    # Ctrl-C reaches the whole process group: the parent stops the servers, the workers just end.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    pool = [threading.Thread(target=run_thread) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    out.put((ids, due, started, finished, errors[0]))


def drive(
    port: int,
    schedule: np.ndarray,
    first_id: int,
    seed: int,
    processes: int = 2,
    threads: int = 4,
    lead_s: float = 1.0,
    cpus: set[int] | None = None,
) -> tuple[DriveResult, float]:
    """Run `schedule` against the server on 127.0.0.1:port with ids first_id, first_id + 1, ...

    Returns the per-insert record and the run's start (CLOCK_MONOTONIC s); the first arrival is
    due `lead_s` after the workers were started (time to connect). `cpus`: where the workers run.
    """
    rng = np.random.default_rng(seed + 7919)
    owner = rng.integers(0, processes, len(schedule))
    ids = np.arange(first_id, first_id + len(schedule), dtype=np.int64)
    ctx = multiprocessing.get_context("fork")
    out: multiprocessing.Queue = ctx.Queue()
    t0 = time.monotonic() + lead_s
    workers = [
        ctx.Process(
            target=_worker,
            args=(port, ids[owner == p], schedule[owner == p], t0, threads, cpus, out),
        )
        for p in range(processes)
    ]
    for w in workers:
        w.start()
    parts = []
    deadline = time.monotonic() + lead_s + float(schedule[-1] if len(schedule) else 0) + 300
    while len(parts) < len(workers):
        try:
            parts.append(out.get(timeout=1.0))
        except queue.Empty:
            dead = [w for w in workers if w.exitcode not in (None, 0)]
            if dead or time.monotonic() > deadline:
                for w in workers:
                    w.kill()
                raise RuntimeError("a driver process failed or hung") from None
    for w in workers:
        w.join()
    order = np.argsort(np.concatenate([p[0] for p in parts]), kind="stable")
    result = DriveResult(
        ids=np.concatenate([p[0] for p in parts])[order],
        due=np.concatenate([p[1] for p in parts])[order],
        started=np.concatenate([p[2] for p in parts])[order],
        finished=np.concatenate([p[3] for p in parts])[order],
        errors=sum(p[4] for p in parts),
    )
    return result, t0
