"""Output faults (issue 15): a file-size limit or a vanished directory while the results, the
summary or the report are written. Each ends with exit 1 and a clear message naming the file; an
existing file at the target is left byte-identical and no temporary file is left behind."""

import os
import resource
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from geodes.cli import binary

GEODES = str(Path(sys.executable).parent / "geodes")
SHORT = ["--set", "duration=60s", "--set", "warmup=10s", "--set", "drain=10s"]
LIMIT = 8 * 1024  # bytes: below the summary JSON (~11 KB), the HDF5 file and the report


def limited(limit: int):
    """preexec_fn: a file-size limit, and SIGXFSZ back to its default (this Python ignores it, and
    an ignored signal stays ignored across exec: the program must ignore it by itself)."""

    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)

    return apply


def write_under_limit(args: list[str], target: Path, old: bytes) -> None:
    """Run ``args`` in ``target``'s directory under the file-size limit, over an existing
    ``target`` holding ``old``, and check that it failed cleanly."""
    target.write_bytes(old)
    r = subprocess.run(
        args, cwd=target.parent, text=True, capture_output=True, preexec_fn=limited(LIMIT)
    )
    assert_clean_failure(r, target, old)


def assert_clean_failure(r, target: Path, old: bytes) -> None:
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert f"cannot write '{target.name}'" in r.stderr and "File too large" in r.stderr, r.stderr
    assert "std::" not in r.stderr and "Traceback" not in r.stderr, r.stderr
    assert target.read_bytes() == old
    assert [p.name for p in target.parent.iterdir() if ".tmp" in p.name] == []


@pytest.mark.parametrize("flag,name", [("--out", "r.h5"), ("--json", "s.json")])
def test_a_file_size_limit_while_writing_results_fails_cleanly(tmp_path, flag, name):
    write_under_limit(
        [binary(), "run", "--quiet", *SHORT, flag, name],
        tmp_path / name,
        b"the results of an earlier run\n",
    )


def test_a_file_size_limit_while_writing_the_report_fails_cleanly(tmp_path):
    r = subprocess.run([binary(), "run", "--quiet", *SHORT, "--out", "r.h5"], cwd=tmp_path)
    assert r.returncode == 0
    write_under_limit(
        [GEODES, "report", "r.h5", "-o", "report.html"],
        tmp_path / "report.html",
        b"<p>an older report</p>\n",
    )


def test_an_output_directory_removed_during_the_run_fails_cleanly(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    child = subprocess.Popen(
        [binary(), "run", "--quiet", "--set", "duration=10h", "--out", "out/r.h5"],
        cwd=tmp_path,
        text=True,
        stderr=subprocess.PIPE,
    )
    time.sleep(1.5)  # the run has started (the path was checked before it)
    out.rmdir()
    child.send_signal(signal.SIGINT)  # stop it: it then writes what it measured
    _, err = child.communicate(timeout=120)
    assert child.returncode == 1, err
    assert "cannot write 'out/r.h5'" in err and "No such file or directory" in err, err
    assert "std::" not in err
    assert os.listdir(tmp_path) == []
