"""geodes.progress: bars where someone watches, none in logs; Ctrl-C stops runs and sweeps
cleanly (geodes.Interrupted carries a single run's partial results)."""

import io
import os
import signal
import threading

import geodes
import pytest
from geodes.progress import RunProgress, TaskProgress, enabled
from geodes.sweep import execute

SHORT = {"duration": "60s", "warmup": "10s", "drain": "10s"}


def test_bars_are_off_by_default_when_stderr_is_not_a_terminal_and_can_be_forced():
    assert not enabled(None), "pytest captures stderr: no terminal, no bar"
    assert enabled(True) and not enabled(False)


def test_a_run_progress_bar_counts_simulated_seconds_to_the_end():
    out = io.StringIO()
    bar = RunProgress("demo", True, file=out)
    assert bar(10.0, 80.0, 1000) and bar(80.0, 80.0, 5000)
    bar.close(complete=True)
    text = out.getvalue()
    assert "demo" in text and "80/80" in text and "5,000 events" in text


def test_a_stopped_run_progress_asks_the_engine_to_stop():
    stop = threading.Event()
    bar = RunProgress("", False, stop)
    assert bar(1.0, 10.0, 1)
    stop.set()
    assert not bar(2.0, 10.0, 2)


def test_geodes_run_draws_its_bar_on_stderr_when_asked(capsys):
    geodes.run(overrides=SHORT, progress=True)
    err = capsys.readouterr().err
    assert "login_two_cities" in err and "70/70 s simulated" in err  # duration + drain


def test_geodes_run_draws_nothing_by_default_off_a_terminal(capsys):
    geodes.run(overrides=SHORT)
    assert capsys.readouterr().err == ""


def test_a_sweep_bar_counts_finished_runs(capsys):
    geodes.sweep(geodes.load_scenario(overrides=SHORT), seeds=[1, 2], workers=2, progress=True)
    err = capsys.readouterr().err
    assert "sweep runs" in err and "2/2" in err
    out = io.StringIO()
    bar = TaskProgress(3, "x", True, file=out)
    bar.step()
    bar.close()
    assert "1/3" in out.getvalue()


def test_ctrl_c_stops_a_run_and_raises_interrupted_with_its_partial_results():
    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(geodes.Interrupted) as e:
            geodes.run(overrides={"duration": "10h"}, progress=False)
    finally:
        timer.cancel()
    assert isinstance(e.value, KeyboardInterrupt)
    r = e.value.results
    assert not r.complete
    assert 0 < r.summary["sim_time_s"] < 10 * 3600
    assert "interrupted" in str(e.value)
    assert r.businesses().loc["login", "attempted"] > 0, "what was measured is there"


def test_ctrl_c_during_a_sweep_stops_the_runs_in_flight_and_raises_interrupted():
    stopped = []

    def task(i, stop):
        stopped.append(stop.wait(timeout=60))  # a run that ends only when asked to stop
        return i

    timer = threading.Timer(1.0, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(geodes.Interrupted, match="after 0 of 4"):
            execute(task, [(i,) for i in range(4)], workers=2, progress=False)
    finally:
        timer.cancel()
    assert stopped == [True, True], "both running tasks saw the stop; the queued two never ran"


def test_in_a_notebook_kernel_a_run_shows_its_bar_and_interrupt_stops_it_and_the_kernel_lives():
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        cell = (
            "import geodes\n"
            "try:\n"
            "    geodes.run(overrides={'duration': '10h'})\n"
            "except geodes.Interrupted as e:\n"
            "    r = e.results\n"
        )
        run_id = kc.execute(cell)
        bar = ""
        while "s simulated" not in bar:  # the progress bar, drawn on the kernel's stderr
            msg = kc.get_iopub_msg(timeout=120)
            if msg["msg_type"] == "stream" and msg["parent_header"].get("msg_id") == run_id:
                bar += msg["content"]["text"]
        km.interrupt_kernel()  # what the notebook's stop button does: SIGINT to the kernel
        reply = kc.get_shell_msg(timeout=120)
        while reply["parent_header"].get("msg_id") != run_id:
            reply = kc.get_shell_msg(timeout=120)
        assert reply["content"]["status"] == "ok", reply["content"]
        check_id = kc.execute("print(r.complete, 0 < r.summary['sim_time_s'] < 36000)")
        out = ""
        while True:
            msg = kc.get_iopub_msg(timeout=60)
            if msg["parent_header"].get("msg_id") != check_id:
                continue
            if msg["msg_type"] == "stream":
                out += msg["content"]["text"]
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        assert out.split() == ["False", "True"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_in_a_notebook_kernel_without_ipywidgets_the_bar_prints_no_error():
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3")
    try:
        cell = (
            "import sys\n"
            "sys.modules['ipywidgets'] = None  # as if not installed: imports of it fail\n"
            "import geodes\n"
            "r = geodes.run(overrides={'duration': '1m', 'warmup': '10s', 'drain': '10s'})\n"
            "import gc; gc.collect()  # a half-built widget bar would complain here, or before\n"
        )
        run_id = kc.execute(cell)
        out = ""
        while True:
            msg = kc.get_iopub_msg(timeout=120)
            if msg["parent_header"].get("msg_id") != run_id:
                continue
            if msg["msg_type"] in ("stream", "error"):
                out += msg["content"].get("text", "") + str(msg["content"].get("evalue", ""))
            if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                break
        assert "s simulated" in out, out
        assert "Error" not in out and "Exception" not in out, out
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
