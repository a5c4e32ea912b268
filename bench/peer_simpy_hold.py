#!/usr/bin/env python3
"""Peer comparison: the hold model in SimPy 4 against geodes' BM_EngineHold.

Both run the classic hold model with the same number of pending events (10,000 by default) and
exponential increments. SimPy's form is N processes, each looping on ``yield env.timeout(...)``;
each timeout is one event. The script runs each side ``--repetitions`` times, reports medians in
events per second, and the ratio geodes / SimPy.

Usage: bench/peer_simpy_hold.py --bench build/release/bench/geodes_bench [--pending 10000]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import time


def simpy_hold_rate(pending: int, events: int, seed: int) -> float:
    """Events per second of the hold model in SimPy, measured over ``events`` timeouts."""
    import simpy

    rng = random.Random(seed)
    env = simpy.Environment()
    done = 0

    def holder(env: simpy.Environment):
        nonlocal done
        while True:
            yield env.timeout(rng.expovariate(1.0))
            done += 1

    for _ in range(pending):
        env.process(holder(env))
    env.run(until=1.0)  # warm up: every process has started and the heap is full
    start_done = done
    start = time.perf_counter()
    horizon = env.now
    while done - start_done < events:
        horizon += 1.0
        env.run(until=horizon)
    elapsed = time.perf_counter() - start
    return (done - start_done) / elapsed


def geodes_hold_rate(bench: str, pending: int) -> float:
    """Events per second of BM_EngineHold/<pending> from geodes_bench (one run)."""
    out = subprocess.run(
        [bench, f"--benchmark_filter=BM_EngineHold/{pending}$", "--benchmark_format=json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    runs = json.loads(out)["benchmarks"]
    if not runs:
        sys.exit(f"geodes_bench ran no benchmark named BM_EngineHold/{pending}")
    return float(runs[0]["items_per_second"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bench", required=True, help="path to the geodes_bench executable")
    parser.add_argument("--pending", type=int, default=10_000, help="pending events (10000)")
    parser.add_argument("--events", type=int, default=300_000, help="SimPy events per run")
    parser.add_argument("--repetitions", type=int, default=3, help="runs per side (3)")
    args = parser.parse_args()
    try:
        import simpy  # noqa: F401
    except ImportError:
        sys.exit("SimPy is not installed in this Python; run scripts/setup first")

    geodes_rates = []
    simpy_rates = []
    for rep in range(args.repetitions):
        geodes_rates.append(geodes_hold_rate(args.bench, args.pending))
        simpy_rates.append(simpy_hold_rate(args.pending, args.events, seed=rep + 1))
    g = statistics.median(geodes_rates)
    s = statistics.median(simpy_rates)
    print(f"hold model, {args.pending} pending events, median of {args.repetitions} runs each")
    print(f"  geodes  {g / 1e6:10.2f} M events/s")
    print(f"  SimPy 4 {s / 1e6:10.3f} M events/s")
    print(f"  ratio   {g / s:10.1f} x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
