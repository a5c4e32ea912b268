"""Ctrl-C during a calibration run (calibration/mariadb/processes.py's signal handler).

The servers and the proxy must stop and their scratch datadirs (a few hundred MB on /dev/shm)
must go, although the handler exits with os._exit and no `with` block cleans up.
"""

import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from calibration.mariadb.servers import MariadbUnavailable, find_mariadb  # noqa: E402


def scratch_dirs() -> set[Path]:
    found = set()
    for base in (Path("/dev/shm"), Path(tempfile.gettempdir())):
        if base.is_dir():
            found |= set(base.glob("geodes-calib-*"))
    return found


def test_ctrl_c_stops_the_servers_and_the_proxy_and_removes_their_datadirs(tmp_path):
    try:
        find_mariadb()
    except MariadbUnavailable as e:
        pytest.skip(f"MariaDB cannot be used here: {e}")
    before = scratch_dirs()
    run = subprocess.Popen(
        [sys.executable, "-m", "calibration.mariadb", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        # The servers and the proxy are up once the harness measures the proxy.
        for line in run.stdout:
            if "measuring the proxy's own delay" in line:
                break
        else:
            pytest.fail("the run ended before starting its servers: " + run.stderr.read())
        started = scratch_dirs() - before
        assert started, "the run made no scratch datadir"
        run.send_signal(signal.SIGINT)
        assert run.wait(timeout=60) == 128 + signal.SIGINT
    finally:
        if run.poll() is None:
            run.kill()
    assert "servers and proxy stopped" in run.stderr.read()
    assert not any(p.exists() for p in started), started
    # No mariadbd or proxy of this run is left: their command lines name the datadirs.
    ps = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    for p in started:
        assert str(p) not in ps, f"a process still uses {p}"
    assert not os.listdir(tmp_path), "an interrupted run writes no results"
