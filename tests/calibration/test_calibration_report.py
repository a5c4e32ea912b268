"""The calibration table (calibration/mariadb/report.py): rows, errors and targets."""

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from calibration.mariadb import report  # noqa: E402


def lag_run(measured_mean: float, predicted_mean: float, in_run: dict | None = None) -> dict:
    run = {
        "fraction": 0.85,
        "rate_per_s": 117.0,
        "measured": {
            "mean_ms": measured_mean,
            "mean_ci_ms": 1.0,
            "p50_ms": 20.0,
            "p99_ms": 50.0,
            "p99_ci_ms": 5.0,
        },
        "predicted": {"mean": predicted_mean, "p50": 20.0, "p99": 60.0},
    }
    if in_run:
        run["predicted_in_run_service"] = in_run
    return run


def test_a_lag_run_gives_mean_p50_and_p99_rows_with_their_error_against_the_target():
    rows = report.table({"single": [lag_run(20.0, 22.0)]})
    assert [r["quantity"] for r in rows] == ["mean lag ms", "p50 lag ms", "p99 lag ms"]
    assert abs(rows[0]["error_pct"] - 10.0) < 1e-9 and rows[0]["within_target"]
    assert abs(rows[2]["error_pct"] - 20.0) < 1e-9 and not rows[2]["within_target"]


def test_the_prediction_fed_the_in_run_service_time_gets_rows_of_its_own():
    rows = report.table({"single": [lag_run(20.0, 40.0, {"mean": 30.0, "p99": 50.0})]})
    extra = {r["quantity"]: r for r in rows if "in-run" in r["quantity"]}
    assert set(extra) == {"mean lag ms, in-run service", "p99 lag ms, in-run service"}
    assert abs(extra["mean lag ms, in-run service"]["error_pct"] - 50.0) < 1e-9
    assert extra["p99 lag ms, in-run service"]["within_target"]
    assert "**missed**" in report.markdown(rows)


def test_the_idle_drain_prediction_and_the_catch_up_with_its_own_service_get_rows_too():
    run = lag_run(20.0, 22.0)
    run["predicted_start_service"] = {"mean": 40.0, "p99": 60.0}
    cut = {
        "cut_s": 30.0,
        "connect_retry_s": 7,
        "rate_per_s": 75.0,
        "measured": {"reconnect_s": 35.0, "catch_up_s": 10.0},
        "predicted": {"reconnect_s": 35.1, "catch_up_s": 13.0},
        "predicted_backlog_service": {"catch_up_s": 11.0},
    }
    rows = report.table({"single": [run], "link_cut": cut})
    q = {r["quantity"]: r for r in rows}
    assert abs(q["mean lag ms, idle-drain service"]["error_pct"] - 100.0) < 1e-9
    assert not q["catch-up s"]["within_target"]
    assert q["catch-up s, catch-up's service"]["within_target"]


def test_semi_sync_gets_the_wait_plus_mean_rows_and_the_op_latency_rows_when_measured():
    semi = {
        "rate_per_s": 111.0,
        "measured_commit_ms": {"mean": 32.0, "p50": 31.5, "p99": 40.0},
        "predicted_commit_ms": {"mean": 31.5, "p50": 31.6, "p99": 31.7},
    }
    base = [r["quantity"] for r in report.table({"semi_sync": semi})]
    assert base == ["mean commit ms", "p50 commit ms", "p99 commit ms"]
    semi["predicted_op_ms"] = {"mean": 32.0, "p50": 31.5, "p99": 33.0}
    semi["predicted_op_proxy_link_ms"] = {"mean": 32.2, "p50": 31.6, "p99": 38.0}
    q = {r["quantity"]: r for r in report.table({"semi_sync": semi})}
    assert len(q) == 9
    assert not q["p99 commit ms, op latency"]["within_target"]  # 33 vs 40: -17.5%
    assert abs(q["p99 commit ms, op latency"]["error_pct"] + 17.5) < 1e-9
    tail = q["p99 commit ms, op latency, link with the proxy's in-run delay"]
    assert tail["within_target"] and abs(tail["error_pct"] + 5.0) < 1e-9


def test_the_results_file_is_written_whole_with_the_usual_mode(tmp_path):
    path = tmp_path / "out" / "results.json"
    old = os.umask(0o022)
    try:
        report.write_json({"a": 1}, path)
    finally:
        os.umask(old)
    assert json.loads(path.read_text()) == {"a": 1}
    assert path.stat().st_mode & 0o777 == 0o644  # not mkstemp's 0600
    assert [p.name for p in path.parent.iterdir()] == ["results.json"]  # no temporary left
