"""Child processes that are always stopped: on return, on an exception, on Ctrl-C, on SIGTERM.

Every process the calibration starts (the two `mariadbd`, the delay proxy) goes through
`start_managed`: it runs in a new session (its own process group), is registered in a process-wide
list, and is stopped by `stop_all` in reverse start order. `stop_all` runs from an atexit hook and
from SIGINT/SIGTERM handlers installed by `install_signal_handlers`, so an interrupted or failing
run leaves nothing listening. Only the processes started here are ever signalled (by their own
process group id), never anything found by name.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import IO

_lock = threading.Lock()
_running: list[Managed] = []


class Managed:
    """A child process in its own process group."""

    def __init__(self, popen: subprocess.Popen, name: str, log: IO | None) -> None:
        """Set up; see the class docstring."""
        self.popen = popen
        self.name = name
        self._log = log

    @property
    def pid(self) -> int:
        """The child's pid (also its process group id)."""
        return self.popen.pid

    def poll(self) -> int | None:
        """Return the exit code, or None while it runs."""
        return self.popen.poll()

    def stop(self, grace_s: float = 10.0) -> None:
        """SIGTERM to the process group, SIGKILL after `grace_s`; idempotent."""
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout=grace_s)
            except subprocess.TimeoutExpired:
                try:
                    os.killpg(self.popen.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.popen.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
        with _lock:
            if self in _running:
                _running.remove(self)


def start_managed(
    args: list[str], name: str, log: Path | None = None, cpus: set[int] | None = None
) -> Managed:
    """Start `args` in a new process group, output to `log` (or discarded), and registers it.

    `cpus`: the CPUs it may run on (sched_setaffinity), None for any.
    """
    out = open(log, "ab") if log is not None else None  # noqa: SIM115 (closed by stop())
    popen = subprocess.Popen(
        args,
        stdin=subprocess.DEVNULL,
        stdout=out if out is not None else subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        preexec_fn=(lambda: os.sched_setaffinity(0, cpus)) if cpus else None,
    )
    managed = Managed(popen, name, out)
    with _lock:
        _running.append(managed)
    return managed


def stop_all() -> None:
    """Stop every managed process still running, newest first."""
    while True:
        with _lock:
            if not _running:
                return
            last = _running[-1]
        last.stop()


# Directories the signal handler removes: os._exit skips the `with TemporaryDirectory` cleanup,
# and a datadir on /dev/shm left behind holds a few hundred MB of RAM.
_scratch_dirs: list[str] = []


def remove_on_signal(path: str) -> None:
    """Have the signal handler remove `path` (after the processes using it are stopped)."""
    _scratch_dirs.append(str(path))


def install_signal_handlers() -> None:
    """On SIGINT/SIGTERM: stop every managed process, remove the scratch dirs, exit 128 + signal."""

    def handler(signum: int, _frame: object) -> None:
        stop_all()
        for d in _scratch_dirs:
            shutil.rmtree(d, ignore_errors=True)
        sys.stderr.write(f"calibration: stopped by signal {signum}; servers and proxy stopped\n")
        os._exit(128 + signum)

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)


def cpu_plan() -> tuple[set[int] | None, set[int] | None]:
    """(replica CPUs, everything else's CPUs): the replica gets a CPU of its own if there are 2+.

    On two cores the primary, the proxy and the driver share one and the replica has the other,
    so the harness's own work does not slow the applier it measures (when nobody else is busy).
    """
    cpus = sorted(os.sched_getaffinity(0))
    if len(cpus) < 2:
        return None, None
    return {cpus[-1]}, set(cpus[:-1])


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout_s: float = 10.0) -> None:
    """Wait until 127.0.0.1:port accepts connections; raises TimeoutError."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with socket.socket() as s:
            s.settimeout(0.2)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout_s}s")


atexit.register(stop_all)
