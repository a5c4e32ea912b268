"""The `geodes` command installed by pip (python/geodes/cli.py) runs the C++ command line's cases
(tests/app/cli_test.cpp, run_command_test.cpp) with the same output and exit codes, and adds
`run --report`; `python -m geodes` is the same command."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import pytest
from geodes.cli import binary

ROOT = Path(__file__).resolve().parents[2]
# The console script pip put beside this interpreter (the project venv's .venv/bin/geodes).
GEODES = str(Path(sys.executable).parent / "geodes")
SHORT = ["--set", "duration=150s", "--set", "warmup=10s", "--set", "drain=30s"]


def geodes(*args, cwd=None):
    return subprocess.run([GEODES, *args], text=True, capture_output=True, cwd=cwd)


def test_pip_installed_the_command_and_the_cpp_program_inside_the_package():
    assert os.access(GEODES, os.X_OK), GEODES
    assert os.access(binary(), os.X_OK), binary()
    assert Path(binary()).parent.name == "_bin"


def test_python_dash_m_geodes_is_the_same_command():
    a = geodes("version")
    b = subprocess.run([sys.executable, "-m", "geodes", "version"], text=True, capture_output=True)
    assert a.returncode == b.returncode == 0
    assert a.stdout == b.stdout and a.stdout.startswith("geodes ")


def test_help_lists_every_command_and_no_arguments_is_bad_input():
    h = geodes("help")
    assert h.returncode == 0
    for command in ("run", "check", "report", "compare", "help", "--report"):
        assert command in h.stdout, command
    none = geodes()
    assert none.returncode == 2
    assert "usage: geodes" in none.stderr


def test_an_unknown_command_is_bad_input_and_named():
    r = geodes("frobnicate")
    assert r.returncode == 2
    assert "unknown command 'frobnicate'" in r.stderr


def test_the_mm1_demo_prints_measured_lag_beside_theory():
    r = geodes("demo-mm1", "--writes", "20000", "--rate", "500/s")
    assert r.returncode == 0, r.stderr
    assert "theory (ms)" in r.stdout and "p99" in r.stdout and "writes 500/s" in r.stdout


def test_demo_option_errors_are_bad_input_with_the_option_named():
    for args, needle in (
        (["--rate", "fast"], "fast"),
        (["--colour", "blue"], "--colour"),
        (["--rate", "2k/s"], "write rate < apply rate"),
        (["--writes"], "needs a value"),
    ):
        r = geodes("demo-mm1", *args)
        assert r.returncode == 2 and needle in r.stderr, (args, r.stderr)


def test_check_explains_the_built_in_scenario_as_json():
    r = geodes("check", "--json")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["scenario"] == "login_two_cities"


def test_the_built_in_default_runs_and_its_summary_has_every_design_key(tmp_path):
    r = geodes("run", "--quiet", "--json", str(tmp_path / "s.json"), *SHORT)
    assert r.returncode == 0, r.stderr
    j = json.loads((tmp_path / "s.json").read_text())
    for key in ("scenario", "seed", "sim_time_s", "events", "wall_s", "businesses", "data"):
        assert key in j, key
    assert j["scenario"] == "login_two_cities"
    assert {"attempted", "succeeded", "success_ratio", "rto_s"} <= set(j["businesses"]["login"])
    assert j["data"]["accounts"]["writes"] > 1000


def test_the_terminal_summary_ends_with_the_speed_line():
    r = geodes("run", *SHORT)
    assert r.returncode == 0, r.stderr
    last = r.stdout.rstrip("\n").splitlines()[-1]
    assert "events" in last and "simulated" in last
    assert "Businesses" in r.stdout


def test_every_shipped_scenario_runs_from_the_command_line():
    scenarios = sorted((ROOT / "scenarios").glob("*.yaml"))
    assert len(scenarios) >= 6
    for s in scenarios:
        r = geodes("run", str(s), "--quiet", *SHORT)
        assert r.returncode == 0, f"{s}: {r.stderr}"


def test_output_paths_are_checked_before_the_run_and_bad_ones_exit_with_one(tmp_path):
    r = geodes("run", "--quiet", "--out", str(tmp_path))
    assert r.returncode == 1 and "is a directory" in r.stderr
    r = geodes("run", "--quiet", "--json", str(tmp_path / "missing" / "s.json"))
    assert r.returncode == 1 and "does not exist" in r.stderr
    r = geodes("run", "--quiet", "--out", "/sys/geodes_cannot_write_here.h5")
    assert r.returncode == 1 and "cannot write" in r.stderr
    assert list(tmp_path.iterdir()) == []


def test_bad_options_and_bad_scenarios_exit_with_two():
    assert geodes("run", "--seed", "minus-one").returncode == 2
    assert geodes("run", "--frobnicate").returncode == 2
    assert geodes("run", "a.yaml", "b.yaml").returncode == 2
    r = geodes("run", "--set", "workload.rate=-5/s")
    assert r.returncode == 2 and "workload.rate" in r.stderr
    assert geodes("run", "/nonexistent/scenario.yaml").returncode == 2
    r = geodes("run", "--report")
    assert r.returncode == 2 and "--report needs a value" in r.stderr


def _wait_for_exec(pid):
    """Wait until the process is the C++ program (os.execv done), then let it start its run."""
    target = os.path.realpath(binary())
    for _ in range(600):
        try:
            if os.path.realpath(f"/proc/{pid}/exe") == target:
                break
        except OSError:
            pass
        time.sleep(0.05)
    time.sleep(1.0)  # past the scenario's loading: the SIGINT handler is in place


def test_ctrl_c_reaches_the_cpp_program_and_leaves_a_file_marked_incomplete(tmp_path):
    out = tmp_path / "r.h5"
    child = subprocess.Popen(
        [GEODES, "run", "--quiet", "--set", "duration=10h", "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for_exec(child.pid)
    child.send_signal(signal.SIGINT)
    _, err = child.communicate(timeout=120)
    assert child.returncode == 1
    assert "interrupted" in err
    with h5py.File(out, "r") as f:
        assert not f["meta"].attrs["complete"]
        assert 0 < f["meta"].attrs["sim_time_s"] < 10 * 3600
    assert [p.name for p in tmp_path.iterdir()] == ["r.h5"]


def test_run_with_report_writes_the_report_and_leaves_no_results_file_unless_asked(tmp_path):
    r = geodes("run", "--quiet", *SHORT, "--report", "report.html", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Step 1: businesses" in text and "Incomplete run." not in text
    # The command shown is the one typed, not the run's temporary results file.
    assert "geodes-run-" not in text and "--report report.html</code>" in text
    r = geodes("run", "--quiet", *SHORT, "--out", "r.h5", "--report=again.html", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["again.html", "r.h5", "report.html"]
    # With --out, the report of the run is the report of its file.
    r = geodes("report", "r.h5", "-o", "third.html", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / "third.html").read_bytes() == (tmp_path / "again.html").read_bytes()


def test_run_with_an_unwritable_report_fails_before_the_run(tmp_path):
    r = geodes("run", "--quiet", "--out", "r.h5", "--report", "no/such/dir/r.html", cwd=tmp_path)
    assert r.returncode == 1
    assert "does not exist" in r.stderr
    assert list(tmp_path.iterdir()) == [], "the run did not start"


def test_ctrl_c_during_run_with_report_reports_what_was_measured(tmp_path):
    # Ctrl-C on a terminal signals the whole foreground process group: the Python parent and
    # the C++ run both get it.
    child = subprocess.Popen(
        [GEODES, "run", "--quiet", "--set", "duration=10h", "--report", "r.html"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    target = os.path.realpath(binary())
    for _ in range(600):  # the run is a child of the command: wait for it
        kids = Path(f"/proc/{child.pid}/task/{child.pid}/children").read_text().split()
        if any(os.path.realpath(f"/proc/{k}/exe") == target for k in kids):
            break
        time.sleep(0.05)
    time.sleep(1.0)
    os.killpg(child.pid, signal.SIGINT)
    _, err = child.communicate(timeout=180)
    assert child.returncode == 1, err
    assert "interrupted" in err
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Incomplete run." in text
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


# The command, with a signal sent to itself right after the report's temporary file is synced
# (before its rename): a signal that arrives while the command writes the report, at the moment
# when most would be left half-done.
SIGNAL_WHILE_WRITING = """
import os, signal, sys
real_fsync = os.fsync
def fsync_then_signal(fd):
    real_fsync(fd)
    os.kill(os.getpid(), int(os.environ["GEODES_TEST_SIGNAL"]))
os.fsync = fsync_then_signal
from geodes.cli import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
@pytest.mark.parametrize("command", ["run", "report"])
def test_a_signal_while_the_report_is_written_leaves_the_old_report_and_nothing_else(
    tmp_path, command, signum
):
    if command == "report":
        r = geodes("run", "--quiet", *SHORT, "--out", "r.h5", cwd=tmp_path)
        assert r.returncode == 0, r.stderr
        args = ["report", "r.h5", "-o", "report.html"]
    else:
        args = ["run", "--quiet", *SHORT, "--report", "report.html"]
    (tmp_path / "report.html").write_text("the old report", encoding="utf-8")
    scratch = tmp_path / "scratch"  # TMPDIR: where the run's temporary results file goes
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "GEODES_TEST_SIGNAL": str(int(signum))}
    r = subprocess.run(
        [sys.executable, "-c", SIGNAL_WHILE_WRITING, *args],
        cwd=tmp_path,
        env=env,
        text=True,
        capture_output=True,
    )
    assert r.returncode == -signum, r.stderr  # the command died of the signal
    assert "Traceback" not in r.stderr, r.stderr
    assert (tmp_path / "report.html").read_text(encoding="utf-8") == "the old report"
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted(["report.html", "scratch"] + (["r.h5"] if command == "report" else []))
    assert list(scratch.iterdir()) == [], "the run's temporary directory was removed"


def _signal_mask(pid, field):
    """A signal set of process ``pid`` from /proc (SigCgt: caught, ShdPnd: pending)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1], 16)
    raise AssertionError(f"no {field} in /proc/{pid}/status")


def _catches(pid, *signals):
    """Whether process ``pid`` has a handler installed for every one of ``signals``."""
    return all(_signal_mask(pid, "SigCgt") >> (s - 1) & 1 for s in signals)


def _wait_until(condition, what, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"not {what} within {seconds} s"
        time.sleep(0.01)


def _state(pid):
    """The state letter of process ``pid`` (R running, S sleeping, T stopped, ...)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("State:"):
            return line.split()[1]
    raise AssertionError(f"no State in /proc/{pid}/status")


def _pending(pid, signum):
    """Whether ``signum`` is pending for process ``pid`` (sent, not yet delivered)."""
    try:
        return bool(_signal_mask(pid, "ShdPnd") >> (signum - 1) & 1)
    except FileNotFoundError:  # it died of the signal and was reaped
        return False


def _start_run_with_report(tmp_path):
    """Start ``geodes run --report r.html`` (a long run) in a session of its own; return the
    command's process and its C++ run's pid once the run has its SIGINT and SIGTERM handlers
    (app/src/interrupt.cpp), that is once the run has started."""
    command = subprocess.Popen(
        [GEODES, "run", "--quiet", "--set", "duration=10h", "--report", "r.html"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    target = os.path.realpath(binary())
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        kids = Path(f"/proc/{command.pid}/task/{command.pid}/children").read_text().split()
        runs = [int(k) for k in kids if os.path.realpath(f"/proc/{k}/exe") == target]
        if runs and _catches(runs[0], signal.SIGINT, signal.SIGTERM):
            return command, runs[0]
        time.sleep(0.02)
    command.kill()
    raise AssertionError("the run did not start within 60 s")


@pytest.mark.parametrize("to_group", [False, True], ids=["to_the_command", "to_its_group"])
def test_sigterm_to_run_with_report_is_passed_on_once_and_reports_what_was_measured(
    tmp_path, to_group
):
    # `kill PID` or `timeout` signal the Python command alone; systemd or a batch scheduler
    # signal its whole group: either way the run gets SIGTERM once, stops and writes.
    command, run = _start_run_with_report(tmp_path)
    assert os.getpgid(run) != os.getpgid(command.pid), "the run has a process group of its own"
    if to_group:
        os.killpg(command.pid, signal.SIGTERM)
    else:
        command.send_signal(signal.SIGTERM)
    _, err = command.communicate(timeout=180)
    assert command.returncode == 1, err
    assert "interrupted (SIGTERM): the results are incomplete" in err
    text = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Incomplete run." in text
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]


def test_a_second_sigterm_to_run_with_report_ends_the_run_and_the_command_at_once(tmp_path):
    command, run = _start_run_with_report(tmp_path)
    # The run is held (SIGSTOP) while each forwarded SIGTERM arrives, so that the two are
    # delivered one after the other, and the second before the run could finish writing.
    for _ in range(2):
        os.kill(run, signal.SIGSTOP)
        _wait_until(lambda: _state(run) == "T", "stopped")  # else SIGTERM may come first
        command.send_signal(signal.SIGTERM)
        _wait_until(lambda: _pending(run, signal.SIGTERM), "passed on to the run")
        os.kill(run, signal.SIGCONT)
        _wait_until(lambda: not _pending(run, signal.SIGTERM), "delivered")
    _, err = command.communicate(timeout=60)
    # The run died of the second signal, and the command the same way, writing nothing.
    assert command.returncode == -signal.SIGTERM, err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("command", ["report", "compare"])
def test_the_cpp_program_alone_points_to_the_installed_command(command):
    r = subprocess.run([binary(), command], text=True, capture_output=True)
    assert r.returncode == 2
    assert "pip install ." in r.stderr
