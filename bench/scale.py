#!/usr/bin/env python3
"""Cost growth at a glance: the built-in scenario at production sizes, one CLI run per cell.

Each run is ``geodes run`` on the built-in scenario (its faults kept) at 10k ops/s with
``workload.users.initial`` = N and ``workload.users.max`` = 2 N, for each N in ``--users`` and
each length in ``--durations``. The script measures every child's peak resident set from its own
rusage (``os.wait4``), reads speed and events from its summary JSON, and prints one table, then
the flatness ratios of issue 13: speed of the 1 h run against the 10 min run (target >= 0.9) and
peak RSS of the 2 h run against the 1 h run (target within 5 %). Registrations add users until
``users.max``, each with rows in every DC. Where the population still grows in the second hour
(N = 10 M at 10k ops/s: 5 % of ops register, 500 users/s, so 2 N is reached only after 5.6 h) the
RSS ratio is printed with the population's own ratio and their quotient, the RSS per registered
user: near 1 it is the model's data that grows, above 1 memory that grows with run length.

Usage: bench/scale.py [--geodes build/release/app/geodes] [--users 100k,1M,10M]
                      [--durations 10m,1h,2h] [--rate 10k/s] [--json table.json]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass

SUFFIX = {"k": 1_000, "M": 1_000_000, "G": 1_000_000_000}
SECONDS = {"s": 1, "m": 60, "h": 3600}


def count(text: str) -> int:
    """``"100k"`` -> 100000, ``"10M"`` -> 10000000."""
    if text[-1] in SUFFIX:
        return int(float(text[:-1]) * SUFFIX[text[-1]])
    return int(text)


def seconds(text: str) -> float:
    """``"10m"`` -> 600, ``"2h"`` -> 7200."""
    return float(text[:-1]) * SECONDS[text[-1]]


@dataclass
class Cell:
    """One run: its size, what it cost."""

    users: str
    duration: str
    sim_speed: float  # simulated seconds per wall second of the run itself
    peak_rss_mib: float  # the child's peak resident set
    events_per_s: float
    events: int
    users_end: int  # users registered at the end (the initial ones and the registrations)
    run_wall_s: float  # the run, as geodes measured it
    process_wall_s: float  # loading, preloading users, running, writing, tearing down


def run_cell(geodes: str, users: str, duration: str, rate: str) -> Cell:
    """Runs one cell in a child process and measures it."""
    n = count(users)
    with tempfile.TemporaryDirectory() as tmp:
        summary = os.path.join(tmp, "summary.json")
        cmd = [
            geodes,
            "run",
            "--quiet",
            "--json",
            summary,
            "--set",
            f"workload.rate={rate}",
            "--set",
            f"duration={duration}",
            "--set",
            f"workload.users.initial={n}",
            "--set",
            f"workload.users.max={2 * n}",
        ]
        start = time.monotonic()
        child = subprocess.Popen(cmd, stdout=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - start
        if child.returncode != 0:
            raise SystemExit(f"scale: {' '.join(cmd)} failed with exit code {child.returncode}")
        with open(summary, encoding="utf-8") as f:
            s = json.load(f)
    return Cell(
        users=users,
        duration=duration,
        sim_speed=s["sim_time_s"] / s["wall_s"],
        peak_rss_mib=usage.ru_maxrss / 1024,  # KiB on Linux
        events_per_s=s["events"] / s["wall_s"],
        events=s["events"],
        users_end=s["compensation"]["users"],
        run_wall_s=s["wall_s"],
        process_wall_s=wall,
    )


def table(cells: list[Cell]) -> str:
    """The measured cells as one aligned text table."""
    head = (
        "users",
        "duration",
        "speed (x real time)",
        "peak RSS (MiB)",
        "events/s",
        "events",
        "users at end",
        "wall (s)",
    )
    rows = [
        (
            c.users,
            c.duration,
            f"{c.sim_speed:.0f}",
            f"{c.peak_rss_mib:,.0f}",
            f"{c.events_per_s / 1e6:.2f} M",
            f"{c.events / 1e6:.1f} M",
            f"{c.users_end / 1e6:.2f} M",
            f"{c.process_wall_s:.1f}",
        )
        for c in cells
    ]
    widths = [max(len(r[i]) for r in [head, *rows]) for i in range(len(head))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.rjust(w) for v, w in zip(r, widths)) for r in rows]
    return "\n".join(lines)


def flatness(cells: list[Cell]) -> list[str]:
    """Issue 13's ratios, where the table has the cells they need."""
    by = {(c.users, seconds(c.duration)): c for c in cells}
    out = []
    for users in dict.fromkeys(c.users for c in cells):
        short, hour, two = by.get((users, 600)), by.get((users, 3600)), by.get((users, 7200))
        if short and hour:
            r = hour.sim_speed / short.sim_speed
            out.append(f"{users}: speed 1 h / 10 min = {r:.2f} (target >= 0.90)")
        if hour and two:
            r = two.peak_rss_mib / hour.peak_rss_mib
            line = f"{users}: peak RSS 2 h / 1 h = {r:.3f} (target <= 1.05)"
            grew = two.users_end / hour.users_end
            if grew > 1.001:  # the population is still growing: what each user costs
                line += f"; registered users x {grew:.3f}, RSS per user x {r / grew:.3f}"
            out.append(line)
    return out


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--geodes", default="build/release/app/geodes")
    p.add_argument("--users", default="100k,1M,10M", help="initial users (max = twice that)")
    p.add_argument("--durations", default="10m,1h,2h")
    p.add_argument("--rate", default="10k/s")
    p.add_argument("--json", help="also write the table here")
    a = p.parse_args()
    cells = []
    for users in a.users.split(","):
        for duration in a.durations.split(","):
            cell = run_cell(a.geodes, users, duration, a.rate)
            print(
                f"scale: {users} users, {duration}: {cell.sim_speed:.0f}x, "
                f"{cell.peak_rss_mib:,.0f} MiB",
                file=sys.stderr,
                flush=True,
            )
            cells.append(cell)
    print(f"The built-in scenario at {a.rate} (users.max = 2 x users), {a.geodes}:")
    print(table(cells))
    for line in flatness(cells):
        print(line)
    if a.json:
        with open(a.json + ".tmp", "w", encoding="utf-8") as f:
            json.dump([asdict(c) for c in cells], f, indent=2)
        os.replace(a.json + ".tmp", a.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
