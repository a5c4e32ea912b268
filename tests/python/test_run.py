"""geodes.load_scenario / run / Results / open_results: the Python face of `geodes run`."""

import json
import subprocess
import sys
import threading
import time

import geodes
import numpy as np
import pandas as pd
import pytest

# A short version of the built-in scenario keeps the suite fast.
SHORT = {"duration": "150s", "warmup": "10s", "drain": "30s"}


@pytest.fixture(scope="module")
def short_run():
    return geodes.run(overrides=SHORT)


def test_the_builtin_default_loads_and_describes_itself():
    s = geodes.load_scenario()
    assert s.name == "login_two_cities"
    assert s.datacenters == ["bj", "sh"]
    assert "accounts" in s.data_classes
    assert "login" in s.businesses
    assert s.duration_s == 900.0
    assert s.set(duration="2m").duration_s == 120.0
    assert s.duration_s == 900.0, "scenarios are immutable"


def test_a_dict_scenario_with_a_typo_raises_scenario_error_naming_the_key():
    text = geodes.load_scenario().text
    assert "workload" in text
    bad = {"name": "x", "topology": {"datacenters": {"a": {"city": "A"}}}, "workloda": {}}
    with pytest.raises(geodes.ScenarioError, match="workloda") as e:
        geodes.load_scenario(bad)
    assert "did you mean 'workload'" in str(e.value)
    assert isinstance(e.value, ValueError)


def test_a_bad_override_raises_and_names_the_set_argument():
    with pytest.raises(geodes.ScenarioError, match="workload.rate"):
        geodes.load_scenario(overrides={"workload.rate": "-5/s"})
    with pytest.raises(geodes.ScenarioError, match="cannot read"):
        geodes.load_scenario("/nonexistent/scenario.yaml")


def test_a_run_returns_the_summary_and_tables(short_run):
    r = short_run
    assert r.complete
    s = r.summary
    assert s["scenario"] == "login_two_cities"
    assert s["sim_time_s"] == pytest.approx(180.0)
    b = r.businesses()
    assert isinstance(b, pd.DataFrame)
    assert b.loc["login", "attempted"] > 1000
    assert 0.0 <= b.loc["login", "success_ratio"] <= 1.0
    d = r.data()
    assert d.loc["accounts", "writes"] > 100
    assert r.channels().shape[0] >= 2


def test_lag_histograms_and_series_are_numpy_and_pandas(short_run):
    h = short_run.lag("accounts")
    assert h.total > 0
    # Beijing-Shanghai one way is about 14 ms: the median lag is at least that.
    assert 10.0 < h.quantile_ms(0.5) < 100.0
    per_dc = short_run.lag("accounts", "sh")
    assert 0 < per_dc.total <= h.total
    names = short_run.series_names
    assert "availability/login" in names
    ts = short_run.series("availability/login")
    assert ts.index.name == "t_s"
    assert ts.attrs["unit"] == "ratio"
    assert np.nanmax(ts["mean"].to_numpy()) <= 1.0
    faults = short_run.faults()
    assert list(faults.columns) == ["type", "target", "start_s", "end_s", "detail"]


def test_op_latency_is_a_histogram_per_business_and_serving_dc(short_run):
    login = short_run.latency("login")
    # Two local reads (0.3 ms each) and the session store's write (0.2 ms) at least.
    assert login.quantile_ms(0.5) == pytest.approx(0.8, rel=0.01)
    at_bj = short_run.latency("login", "bj")
    at_sh = short_run.latency("login", "sh")
    assert at_bj.total + at_sh.total == login.total
    assert list(login.cdf().columns) == ["latency_ms", "fraction"]
    b = short_run.businesses()
    p99 = short_run.summary["businesses"]["login"]["latency_ms"]["p99"]
    assert b.loc["login", "latency_ms.p99"] == p99
    assert not any(c.startswith("by_dc") for c in b.columns)
    assert "latency/login" in short_run.series_names
    with pytest.raises(geodes.ScenarioError, match="no serving DC"):
        short_run.latency("login", "nowhere")


def test_semi_sync_costs_writers_a_round_trip_and_readers_nothing():
    semi = geodes.run(overrides={**SHORT, "channels.mysql_main.mode": "semi_sync"})
    base = geodes.run(overrides=SHORT)
    # register inserts two rows over the 14 ms line (about 28 ms each); login writes no synced
    # row, so its median stays where it was.
    reg_semi = semi.latency("register").quantile_ms(0.5)
    reg_base = base.latency("register").quantile_ms(0.5)
    assert reg_semi - reg_base == pytest.approx(2 * 28.0, rel=0.1)
    assert semi.latency("login").quantile_ms(0.5) == base.latency("login").quantile_ms(0.5)


def test_the_same_seed_gives_identical_results_and_another_seed_differs():
    a = geodes.run(overrides=SHORT, seed=5)
    b = geodes.run(overrides=SHORT, seed=5)
    c = geodes.run(overrides=SHORT, seed=6)
    assert a.summary_json(False) == b.summary_json(False)
    assert a.fingerprint == b.fingerprint
    assert a.fingerprint != c.fingerprint


def test_runs_in_threads_release_the_gil_and_agree_with_a_serial_run():
    serial = geodes.run(overrides=SHORT, seed=3).summary_json(False)
    out = [None, None]

    def work(i):
        out[i] = geodes.run(overrides=SHORT, seed=3).summary_json(False)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert out == [serial, serial]


def test_results_round_trip_through_hdf5(short_run, tmp_path):
    path = tmp_path / "r.h5"
    short_run.to_hdf5(path)
    f = geodes.open_results(path)
    assert f.complete
    assert f.stopped_by == short_run.stopped_by == ""
    assert f.summary == json.loads(short_run.summary_json(True))
    assert f.meta["seed"] == short_run.seed
    assert "name: login_two_cities" in f.scenario_text
    merged = f.lag("accounts")
    mem = short_run.lag("accounts")
    assert merged.total == mem.total
    np.testing.assert_array_equal(merged.count, mem.count)
    ts_file = f.series("availability/login")
    ts_mem = short_run.series("availability/login")
    np.testing.assert_array_equal(ts_file["mean"].to_numpy(), ts_mem["mean"].to_numpy())
    assert sorted(f.series_names) == sorted(short_run.series_names)
    assert len(f.faults()) == len(short_run.faults())
    assert (
        f.businesses().loc["login", "attempted"] == short_run.businesses().loc["login", "attempted"]
    )
    for dc in (None, "bj", "sh"):
        np.testing.assert_array_equal(
            f.latency("login", dc).count, short_run.latency("login", dc).count
        )
    assert f.latency("register").quantile_ms(0.99) == short_run.latency("register").quantile_ms(
        0.99
    )


def test_check_reports_the_four_steps():
    report = geodes.load_scenario().check()
    assert isinstance(report, dict)
    assert json.dumps(report)


def test_a_run_too_large_for_the_memory_available_raises_scenario_error_at_once():
    big = {"workload.users.initial": "1G", "workload.users.max": "1G"}
    geodes.load_scenario(overrides=big)  # a valid scenario: only running it is refused
    started = time.monotonic()
    with pytest.raises(geodes.ScenarioError, match=r"workload\.users\.initial=1G") as e:
        geodes.run(overrides=big, progress=False)
    assert "this run needs an estimated" in str(e.value)
    with pytest.raises(geodes.ScenarioError, match=r"metrics\.series_interval=1ns"):
        geodes.run(overrides={"metrics.series_interval": "1ns"}, progress=False)
    assert time.monotonic() - started < 20  # refused before anything was built


_ADDRESS_SPACE = (
    "def address_space(field):\n"
    "    for line in open('/proc/self/status'):\n"
    "        if line.startswith(field + ':'):\n"
    "            return int(line.split()[1]) * 1024\n"
)


def test_memory_running_out_during_a_run_raises_simulation_error_with_the_partial_results():
    # In a child under an address-space limit sized from the scenario, not from the machine's
    # free memory: what a run with 1 s series intervals maps (measured in a first child: the
    # system, its tables reserved up front, the results' reserve), plus the reserve's third of
    # the 10 ms series (estimated), plus a quarter of them. Only that quarter is touched.
    overrides = {"metrics.series_interval": "10ms"}
    items = geodes.load_scenario(overrides=overrides).check()["resources"]["items"]
    series = next(i["bytes"] for i in items if i["what"] == "time series")
    assert series > 128 * 2**20
    measure = _ADDRESS_SPACE + (
        "import geodes\n"
        "before = address_space('VmSize')\n"
        "geodes.run(progress=False)\n"
        "print(address_space('VmPeak') - before)\n"
    )
    p = subprocess.run([sys.executable, "-c", measure], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    extra = int(p.stdout) + series // 3 + series // 4
    code = _ADDRESS_SPACE + (
        "import resource, geodes\n"
        f"limit = address_space('VmSize') + {int(extra)}\n"
        "resource.setrlimit(resource.RLIMIT_AS, (limit, limit))\n"
        "try:\n"
        f"    geodes.run(overrides={overrides!r}, progress=False)\n"
        "except geodes.SimulationError as e:\n"
        "    assert isinstance(e, MemoryError)\n"
        "    assert e.results is not None and not e.results.complete\n"
        "    assert e.results.stopped_by.startswith('out of memory while'), e.results.stopped_by\n"
        "    assert 0 < e.results.summary['sim_time_s'] < e.results.scenario.duration_s\n"
        "    print('SimulationError:', e)\n"
    )
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    assert "SimulationError: the run of 'login_two_cities' stopped: out of memory while" in p.stdout
    assert "bad_alloc" not in p.stdout + p.stderr


def test_an_incomplete_run_says_why_in_memory_and_in_its_file(tmp_path):
    from geodes import _core

    s = geodes.load_scenario(overrides=SHORT)
    stopped = _core.run_scenario(s.source_text, s.origin, list(s.overrides), 3, lambda *a: False)
    r = geodes.Results(stopped, s)
    assert not r.complete and r.stopped_by == "interrupted"
    path = tmp_path / "stopped.h5"
    r.to_hdf5(path)
    f = geodes.open_results(path)
    assert not f.complete and f.stopped_by == "interrupted"
    assert r.summary["stopped_by"] == "interrupted"
