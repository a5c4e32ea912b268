"""Writing output files from Python (HTML reports, comparison JSON) as ``geodes run`` does.

Each file is written to a temporary file ``<path>.tmp-<pid>`` in the same directory, flushed,
synced and renamed onto ``<path>``: a reader never sees half a file, and on failure the old file
(if any) stays as it was and nothing else is left behind (docs/results.md). Paths are checked before
long work starts, with the messages of the C++ command line (app/src/run_command.cpp).
"""

from __future__ import annotations

import os

from geodes.errors import GeodesError

__all__ = ["OutputError", "check_output_path", "write_text_atomically"]


class OutputError(GeodesError):
    """An output file cannot be written (the command line exits with 1)."""


def _temporary(path: str) -> str:
    return f"{path}.tmp-{os.getpid()}"


def check_output_path(path: str | os.PathLike[str]) -> None:
    """Raise OutputError unless ``path`` can be written.

    It must not be a directory, its directory must exist, and a file must be creatable there
    (probed with the temporary file the writer will use).
    """
    path = os.fspath(path)
    if not path:
        raise OutputError("an output path is empty")
    if os.path.isdir(path):
        raise OutputError(f"cannot write '{path}': it is a directory")
    parent = os.path.dirname(path) or "."
    if not os.path.isdir(parent):
        raise OutputError(f"cannot write '{path}': directory '{parent}' does not exist")
    probe = _temporary(path)
    try:
        with open(probe, "wb"):
            pass
    except OSError as e:
        raise OutputError(f"cannot write '{path}': {e.strerror}") from None
    os.remove(probe)


def write_text_atomically(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` through a temporary file and a rename."""
    path = os.fspath(path)
    check_output_path(path)
    tmp = _temporary(path)
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException as e:  # also an interrupt (KeyboardInterrupt, geodes.cli's signals)
        try:
            os.remove(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            raise OutputError(f"cannot write '{path}': {e.strerror}") from None
        raise
