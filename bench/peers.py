#!/usr/bin/env python3
"""Peers in one run: the M/M/1 replication channel in geodes, SimPy 4 and SimGrid.

The model (issue 13): writes committed as a Poisson process at 800/s cross one link of 30 ms
one-way latency to a replica whose single applier takes Exp(1 ms) per write, in arrival order.
Lag = applied - committed = 30 ms + the M/M/1 sojourn W ~ Exp(1000/s - 800/s): mean 35 ms, p99
30 ms + ln(100) / 200 = 53.0 ms (REFERENCE.md, "Oracles").

- geodes: ``geodes run bench/mm1_channel.yaml`` (the scenario format: a MySQL channel with one
  applier; its lag is the summary's ``data.writes.lag_ms``, from histograms within 1 %);
- SimPy 4: a source process, one process per write crossing the link, a Store and an applier
  process (the idiomatic form);
- SimGrid: ``bench/peer_simgrid_mm1.cpp`` (s4u actors, CM02 with latency and bandwidth factors 1,
  1-byte messages to a mailbox with a permanent receiver).

Each peer runs ``--repeat`` times (3 by default) on the same workload (about 1 M writes), the
peers taking turns (geodes, SimPy, SimGrid, geodes, ...) so that a machine whose speed drifts
slows them alike; the script prints each one's median wall time and rate (writes per second of
wall time), lag mean and p99 against theory (every repetition has the same seed and so the same
lags), the ratios of the medians geodes / peer, and every repetition's wall time.

Usage: bench/peers.py [--geodes build/release/app/geodes]
                      [--simgrid build/release/bench/peer_simgrid_mm1] [--writes 1000000]
                      [--repeat 3]
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time

RATE = 800.0  # writes per second
SERVICE = 1000.0  # applies per second
LATENCY = 0.030  # s, one way
THEORY_MEAN_MS = 1e3 * (LATENCY + 1 / (SERVICE - RATE))
THEORY_P99_MS = 1e3 * (LATENCY + math.log(100) / (SERVICE - RATE))
SCENARIO = os.path.join(os.path.dirname(os.path.abspath(__file__)), "mm1_channel.yaml")


def p99(values: list[float]) -> float:
    """The 99th percentile (nearest rank) of ``values``."""
    s = sorted(values)
    return s[min(len(s) - 1, (len(s) * 99) // 100)]


def run_simpy(writes: int, seed: int) -> dict:
    """The model in SimPy 4: rate, mean and p99 lag."""
    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    relay = simpy.Store(env)
    lags: list[float] = []

    def cross(env: simpy.Environment, committed: float):
        yield env.timeout(LATENCY)
        yield relay.put(committed)

    def source(env: simpy.Environment):
        for _ in range(writes):
            yield env.timeout(rng.expovariate(RATE))
            env.process(cross(env, env.now))

    def applier(env: simpy.Environment):
        for _ in range(writes):
            committed = yield relay.get()
            yield env.timeout(rng.expovariate(SERVICE))
            lags.append(env.now - committed)

    env.process(source(env))
    done = env.process(applier(env))
    start = time.perf_counter()
    env.run(until=done)
    wall = time.perf_counter() - start
    return {
        "writes": len(lags),
        "wall_s": wall,
        "mean_ms": 1e3 * sum(lags) / len(lags),
        "p99_ms": 1e3 * p99(lags),
    }


def run_simgrid(binary: str, writes: int, seed: int) -> dict:
    """The model in SimGrid (the program prints one JSON line)."""
    start = time.perf_counter()
    out = subprocess.run(
        [binary, str(writes), str(seed)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    wall = time.perf_counter() - start
    r = json.loads(out.strip().splitlines()[-1])
    r["wall_s"] = wall  # the whole process, as for geodes
    return r


def run_geodes(binary: str, writes: int, seed: int) -> dict:
    """The model through geodes' scenario format."""
    duration = writes / RATE
    with tempfile.TemporaryDirectory() as tmp:
        summary = os.path.join(tmp, "summary.json")
        start = time.perf_counter()
        subprocess.run(
            [
                binary,
                "run",
                SCENARIO,
                "--quiet",
                "--seed",
                str(seed),
                "--set",
                f"duration={duration:.0f}s",
                "--json",
                summary,
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        wall = time.perf_counter() - start
        with open(summary, encoding="utf-8") as f:
            s = json.load(f)
    lag = s["data"]["writes"]["lag_ms"]
    return {
        "writes": s["data"]["writes"]["writes"],
        "wall_s": wall,
        "mean_ms": lag["mean"],
        "p99_ms": lag["p99"],
    }


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--geodes", default="build/release/app/geodes")
    p.add_argument("--simgrid", default="build/release/bench/peer_simgrid_mm1")
    p.add_argument("--writes", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--repeat", type=int, default=3, help="runs of each peer (median reported)")
    a = p.parse_args()
    if a.repeat < 1:
        p.error(f"--repeat must be at least 1, got {a.repeat}")
    peers = {
        "geodes": lambda: run_geodes(a.geodes, a.writes, a.seed),
        "SimPy 4": lambda: run_simpy(a.writes, a.seed),
    }
    if os.path.exists(a.simgrid):
        peers["SimGrid"] = lambda: run_simgrid(a.simgrid, a.writes, a.seed)
    else:
        print(f"peers: no {a.simgrid} (install libsimgrid-dev; make bench-peers builds it)")
    runs: dict[str, list[dict]] = {name: [] for name in peers}
    for i in range(a.repeat):
        for name, run in peers.items():
            runs[name].append(run())
            print(f"peers: {name} run {i + 1} of {a.repeat} done", file=sys.stderr, flush=True)
    # Same seed every time: the lags are the first run's; the wall time is the median.
    results = {
        name: dict(r[0], wall_s=statistics.median(x["wall_s"] for x in r))
        for name, r in runs.items()
    }

    print(
        f"M/M/1 replication channel: {RATE:.0f} writes/s, {LATENCY * 1e3:.0f} ms link, one "
        f"Exp({1e3 / SERVICE:.0f} ms) applier, about {a.writes:,} writes; theory: lag mean "
        f"{THEORY_MEAN_MS:.1f} ms, p99 {THEORY_P99_MS:.1f} ms; wall time: median of {a.repeat}"
    )
    head = f"{'peer':<10} {'writes':>9} {'wall (s)':>9} {'writes/s':>11} {'mean (ms)':>10} "
    head += f"{'p99 (ms)':>9} {'geodes':>13}"
    print(head)
    print("-" * len(head))
    g = results["geodes"]
    for name, r in results.items():
        rate = r["writes"] / r["wall_s"]
        ratio = (g["writes"] / g["wall_s"]) / rate
        versus = "-" if r is g else f"{ratio:.1f}x faster"
        print(
            f"{name:<10} {r['writes']:>9,} {r['wall_s']:>9.2f} {rate:>11,.0f} "
            f"{r['mean_ms']:>10.2f} {r['p99_ms']:>9.2f} {versus:>13}"
        )
    each = "; ".join(
        f"{name} " + " / ".join(f"{x['wall_s']:.2f}" for x in r) for name, r in runs.items()
    )
    print(f"wall time of each run (s): {each}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
