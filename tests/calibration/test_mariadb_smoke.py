"""`python -m calibration.mariadb --smoke`: the calibration harness end to end, about a minute.

A real primary, a real replica and the delay proxy; one Poisson rate; geodes' prediction of the
same. The bound is loose on purpose (the smoke run's replica sits on tmpfs and the machine may be
busy): it catches a broken harness (no delay, no trigger, no replication, a wrong scenario), not
a miscalibrated model; `make calibrate-mysql` measures the model.
"""

import json
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from calibration.mariadb.servers import MariadbUnavailable, find_mariadb  # noqa: E402


def mariadb_or_skip():
    try:
        find_mariadb()
    except MariadbUnavailable as e:
        pytest.skip(f"MariaDB cannot be used here: {e}")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    mariadb_or_skip()
    out = tmp_path_factory.mktemp("calibration")
    done = subprocess.run(
        [sys.executable, "-m", "calibration.mariadb", "--smoke", "--raw", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return out, json.loads((out / "results.json").read_text()), done.stdout


def test_the_smoke_run_writes_the_results_the_figure_and_the_table(smoke):
    out, results, stdout = smoke
    assert (out / "lag_vs_load.png").stat().st_size > 10_000
    assert "mean lag ms" in (out / "table.md").read_text()
    assert "MariaDB" in results["mariadb"] or "mariadb" in results["mariadb"].lower()
    assert len(results["loadavg_start"]) == 3 and len(results["loadavg_end"]) == 3


def test_every_write_crossed_the_delayed_link_and_was_timed_by_the_trigger(smoke):
    _, results, _ = smoke
    run = results["single"][0]
    assert run["driver"]["errors"] == 0
    # The analysis keeps the writes due in [trim_s, run_s - trim_s / 2]; of those, almost all.
    plan = results["plan"]
    kept = (plan["run_s"] - 1.5 * plan["trim_s"]) / plan["run_s"]
    assert run["measured"]["n"] > 0.95 * kept * run["driver"]["writes"]
    # No write can reach the replica faster than the proxy's one-way delay.
    assert run["measured"]["mean_ms"] > results["conditions"]["delay_ms"]
    assert results["proxy"]["added_one_way_ms"]["p50"] >= 0
    assert results["service_time"]["samples"] > 1000


def test_the_reader_saw_every_kept_write_become_visible_after_its_trigger_fired(smoke):
    _, results, _ = smoke
    run = results["single"][0]
    pre, seen = run["measured_pre_commit"], run["measured"]
    # Every kept write was seen by the reader (the lags are computed over the seen ones).
    assert run["visibility"]["kept_unseen"] == 0
    # Visible after the trigger's stamp (the commit comes after it), on average; by less than the
    # commit plus the polling's resolution (tmpfs: no fsync; 1 ms polls, so half an interval
    # of error each way, averaging out).
    poll = run["visibility"]["poll_interval_ms_mean"]
    assert 0 < poll < 5
    assert -0.2 < seen["mean_ms"] - pre["mean_ms"] < 2 + poll


def test_the_proxy_timed_every_binlog_chunk_it_forwarded_and_none_went_early(smoke):
    _, results, _ = smoke
    run = results["single"][0]
    late = run["proxy_lateness_ms"]
    # At least one chunk per few writes (the dump thread sends each commit's events as it comes;
    # a chunk may carry several at once), each sent no earlier than its due time.
    assert late["samples"] > 0.2 * run["driver"]["writes"]
    assert 0 <= late["min"] <= late["p50"] <= late["p99"] <= late["max"]
    assert results["proxy"]["writer_lateness_ms"]["samples"] > 0
    # The link fed with them predicts a lag no shorter than the delay.
    assert run["predicted_proxy_link"]["p50"] >= results["conditions"]["delay_ms"]


def test_measured_and_predicted_mean_lag_agree_within_a_loose_bound(smoke):
    _, results, _ = smoke
    rows = [r for r in results["table"] if r["quantity"] == "mean lag ms"]
    assert len(rows) == 1
    # 10%: the lag is the 15 ms link plus well under a millisecond; a missing delay, a doubled
    # delay or a wrong rate in the prediction is off by far more.
    assert abs(rows[0]["error_pct"]) < 10, rows[0]


def csv_rows(path: Path, columns: int) -> np.ndarray:
    """The rows of a raw CSV below its header line, as an (n, columns) array; (0, columns) when
    it has none (a run without proxy stalls), which np.loadtxt would warn about."""
    lines = path.read_text().splitlines()[1:]
    if not lines:
        return np.empty((0, columns))
    rows = np.loadtxt(lines, delimiter=",", ndmin=2)
    assert rows.shape[1] == columns, (path, rows.shape)
    return rows


def test_the_run_left_nothing_listening(smoke):
    _, results, _ = smoke
    for name, port in results["conditions"]["ports"].items():
        with socket.socket() as s:
            s.settimeout(0.5)
            assert s.connect_ex(("127.0.0.1", port)) != 0, f"{name} still listens on {port}"


def test_raw_rows_are_the_ones_the_statistics_were_computed_from(smoke):
    out, results, _ = smoke
    run = results["single"][0]
    name = f"poisson-1thr-{run['fraction']:.3f}.csv"
    rows = csv_rows(out / "raw" / name, 5)
    assert rows.shape == (run["measured"]["n"], 5)
    lag_ms = (rows[:, 3] - rows[:, 1]) * 1e3
    # The CSV keeps microseconds: the mean agrees to well under one.
    assert abs(lag_ms.mean() - run["measured"]["mean_ms"]) < 1e-3
    plan = results["plan"]
    assert rows[:, 4].min() >= plan["trim_s"]
    assert rows[:, 4].max() <= plan["run_s"] - plan["trim_s"] / 2 + 1e-6


def test_the_proxys_stalls_are_reported_and_every_one_was_late_by_more_than_2_ms(smoke):
    out, results, _ = smoke
    run = results["single"][0]
    name = f"poisson-1thr-{run['fraction']:.3f}-stalls.csv"
    stalls = csv_rows(out / "raw" / name, 2)
    assert len(stalls) == run["proxy_stalls"]["count"]
    assert (stalls[:, 1] - stalls[:, 0] > 0.002 - 2e-6).all()  # each end rounded to 1 us
    # Their late part is part of the lateness of the run's binlog chunks.
    if len(stalls):
        assert run["proxy_stalls"]["max_ms"] <= run["proxy_lateness_ms"]["max"] + 1e-3
    steal = run["steal_ms"]
    assert steal is None or (len(steal) >= 1 and min(steal) >= 0)
