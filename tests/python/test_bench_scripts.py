"""Smoke runs of the long benchmark scripts (make bench-scale, make bench-peers) at tiny sizes, so
that they keep working between the rare full runs: the table is printed and its figures are
consistent with each other and with theory."""

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

from geodes.cli import binary

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_bench_scale_prints_one_row_per_cell_and_the_flatness_ratios(tmp_path):
    out = tmp_path / "scale.json"
    r = subprocess.run(
        [sys.executable, str(BENCH / "scale.py"), "--geodes", binary(), "--users", "10k,100k"]
        + ["--durations", "2m,4m", "--rate", "500/s", "--json", str(out)],
        text=True,
        capture_output=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    assert "speed 1 h / 10 min" not in r.stdout  # ratios only for the durations that ran
    cells = json.loads(out.read_text())
    assert len(cells) == 4
    by = {(c["users"], c["duration"]): c for c in cells}
    for users in ("10k", "100k"):
        short, long = by[users, "2m"], by[users, "4m"]
        assert 0 < short["events"] < long["events"]  # twice the simulated time, more events
        assert short["peak_rss_mib"] > 1 and long["peak_rss_mib"] > 1
        assert short["sim_speed"] > 1 and long["sim_speed"] > 1
        assert short["events_per_s"] > 0 and long["run_wall_s"] <= long["process_wall_s"]
        # 5 % of 500 ops/s register: the population grows, and never past users.max = 2 N.
        n = 10_000 if users == "10k" else 100_000
        assert n < short["users_end"] < long["users_end"] <= 2 * n
    # Ten times the users: more rows in memory.
    assert by["100k", "4m"]["peak_rss_mib"] > by["10k", "4m"]["peak_rss_mib"]


def test_bench_peers_runs_geodes_and_simpy_on_the_mm1_channel_and_both_match_theory():
    r = subprocess.run(
        [sys.executable, str(BENCH / "peers.py"), "--geodes", binary(), "--writes", "40000"]
        + ["--simgrid", "/nonexistent", "--repeat", "2"],
        text=True,
        capture_output=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr
    rows = {line.split()[0]: line.split() for line in r.stdout.splitlines() if line[:1].isalpha()}
    assert "geodes" in rows and "SimPy" in rows, r.stdout
    # Each peer ran twice, taking turns; the table shows the medians and the runs are listed.
    assert "wall time: median of 2" in r.stdout, r.stdout
    each = next(line for line in r.stdout.splitlines() if line.startswith("wall time of each run"))
    for name in ("geodes", "SimPy 4"):
        walls = each.split(name + " ")[1].split(";")[0].split(" / ")
        assert len(walls) == 2 and all(float(w) > 0 for w in walls), each
    assert r.stderr.count("run 2 of 2 done") == 2, r.stderr
    # 40 k writes of an M/M/1 at rho = 0.8, mu = 1/ms: the sample mean of the sojourn time has the
    # asymptotic variance (2 + 5 rho - 4 rho^2 + rho^3) / (mu^2 (1 - rho)^4) / n = 2470 ms^2 / n,
    # a standard error of 0.25 ms; 2 ms around 35 ms is 8 standard errors.
    for name in ("geodes", "SimPy"):
        mean = float(rows[name][4 if name == "geodes" else 5])
        assert abs(mean - 35.0) < 2.0, (name, r.stdout)


def _scale_module():
    spec = importlib.util.spec_from_file_location("bench_scale", BENCH / "scale.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


def test_bench_scale_rss_ratio_is_divided_by_the_population_only_while_it_grows():
    scale = _scale_module()

    def cell(users, duration, rss, users_end):
        return scale.Cell(users, duration, 100.0, rss, 1e6, 10**6, users_end, 1.0, 1.1)

    lines = scale.flatness(
        [
            cell("1M", "1h", 1000.0, 2_000_000),
            cell("1M", "2h", 1040.0, 2_000_000),  # at users.max: flat population
            cell("10M", "1h", 4000.0, 11_800_000),
            cell("10M", "2h", 4800.0, 13_570_000),  # still registering
        ]
    )
    assert lines == [
        "1M: peak RSS 2 h / 1 h = 1.040 (target <= 1.05)",
        "10M: peak RSS 2 h / 1 h = 1.200 (target <= 1.05); "
        "registered users x 1.150, RSS per user x 1.043",
    ]
