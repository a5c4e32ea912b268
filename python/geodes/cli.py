"""The ``geodes`` command installed by pip (also ``python -m geodes``).

``run``, ``check``, ``help`` and the other commands of the C++ command line (app/src/cli.cpp) are
handed over to it with ``os.execv``: the flags, output, exit codes and signals are exactly the C++
program's (it is installed inside the package as ``geodes/_bin/geodes``). This module adds what is
written in Python: ``report`` (the HTML report of a results file), ``compare`` (a scenario and its
variants side by side over seeds) and ``run ... --report FILE`` (a run, then its report).

Exit codes are the C++ program's: 0 ok, 2 bad input, 1 anything else (an unwritable output, an
interrupted run).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

__all__ = ["binary", "main"]

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2

# `run`'s options that take a value (app/src/run_command.cpp), so that --report is found as an
# option and never as, say, the value of --set.
_RUN_VALUE_OPTIONS = ("--seed", "--set", "--out", "--json")


def binary() -> str:
    """Return the path of the C++ command line installed with the package (beside _core)."""
    import importlib.util

    spec = importlib.util.find_spec("geodes._core")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("the geodes._core module is not installed")
    return str(Path(spec.origin).resolve().parent / "_bin" / "geodes")


def _fail(message: str, code: int) -> int:
    print(f"geodes: {message}", file=sys.stderr)
    return code


def _exec(args: Sequence[str]) -> int:
    """Replace this process by the C++ command line with ``args`` (returns only on failure)."""
    path = binary()
    if not os.access(path, os.X_OK):
        return _fail(
            f"the command-line program is missing from the installed package ({path}); "
            "reinstall geodes with pip install .",
            EXIT_FAILURE,
        )
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(path, ["geodes", *args])
    return EXIT_FAILURE  # not reached


def _split_report(args: Sequence[str]) -> tuple[list[str], str | None]:
    """Remove ``--report FILE`` (or ``--report=FILE``) from ``run``'s arguments."""
    rest: list[str] = []
    report: str | None = None
    i = 0
    while i < len(args):
        a = args[i]
        if a in _RUN_VALUE_OPTIONS and i + 1 < len(args):
            rest += [a, args[i + 1]]
            i += 2
            continue
        if a == "--report":
            if i + 1 >= len(args):
                raise ValueError("--report needs a value")
            report = args[i + 1]
            i += 2
            continue
        if a.startswith("--report="):
            report = a[len("--report=") :]
        else:
            rest.append(a)
        i += 1
    return rest, report


def _out_path(args: Sequence[str]) -> str | None:
    for i, a in enumerate(args[:-1]):
        if a == "--out":
            return args[i + 1]
    return None


# Signals this process passes on to the run (app/src/interrupt.cpp: the first SIGINT or SIGTERM
# stops the run cleanly, a second one ends it at once). SIGHUP (the terminal closed) is passed on
# as it comes, the run then dies of it as it would have.
_FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


@contextlib.contextmanager
def _handlers(handlers: Sequence[tuple[int, Callable[[int, object], None]]]) -> Iterator[None]:
    """Within the block, each signal of ``handlers`` has its handler; the old ones after it.

    Only the main thread may set handlers: elsewhere the signals keep their defaults.
    """
    if threading.current_thread() is not threading.main_thread():
        handlers = []
    previous = {s: signal.signal(s, h) for s, h in handlers}
    try:
        yield
    finally:
        for s, h in previous.items():
            signal.signal(s, h)


def _run_child(argv: Sequence[str]) -> int:
    """Run the C++ program with ``argv``, passing signals on; return its wait status code.

    The child runs in a process group of its own and this process forwards each SIGINT, SIGTERM
    and SIGHUP it receives, once: a signal sent to this process alone (``kill``, ``timeout``)
    reaches the run, and one sent to the whole group (Ctrl-C on a terminal, a batch scheduler,
    systemd) reaches it exactly once too, where a shared group would deliver it twice (the
    second one kills the run). Ctrl-Z stops the run with this process, and ``fg`` resumes both.
    A signal that arrives while the run is still loading its scenario ends it (nothing was
    measured yet), and this process then ends the same way.
    """
    pending: list[int] = []
    child: subprocess.Popen[bytes] | None = None

    def forward(signum: int, _frame: object) -> None:
        if child is None:
            pending.append(signum)  # not started yet: passed on as soon as it is
        elif child.poll() is None:
            child.send_signal(signum)

    def stop(_signum: int, _frame: object) -> None:
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGSTOP)
        os.kill(os.getpid(), signal.SIGSTOP)

    def resume(_signum: int, _frame: object) -> None:
        if child is not None and child.poll() is None:
            child.send_signal(signal.SIGCONT)

    handlers = [(s, forward) for s in _FORWARDED]
    handlers += [(signal.SIGTSTP, stop), (signal.SIGCONT, resume)]
    with _handlers(handlers):
        # Its own group, in this session (not a new one: a new session's group is orphaned and
        # SIGTSTP would not stop it). exec resets the handlers above to the default in the child.
        if sys.version_info >= (3, 11):
            child = subprocess.Popen(argv, executable=argv[0], process_group=0)
        else:  # pragma: no cover (Python 3.9 and 3.10)
            child = subprocess.Popen(argv, executable=argv[0], preexec_fn=os.setpgrp)
        for signum in pending:
            child.send_signal(signum)
        return child.wait()


class _Terminated(BaseException):
    """A SIGINT, SIGTERM or SIGHUP that arrived while this process itself writes (the report).

    Raised from the signal handler of :func:`_unwinding_on_signals`, so that every ``finally``
    and ``with`` on the way out runs (the report's temporary file and the run's temporary
    directory are removed) before the process dies of the signal.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


def _unwind(signum: int, _frame: object) -> None:
    raise _Terminated(signum)


def _unwinding_on_signals() -> contextlib.AbstractContextManager[None]:
    """Within the block, SIGINT, SIGTERM and SIGHUP raise :class:`_Terminated`.

    :func:`main` catches it, once the way out has cleaned up, and dies of the signal.
    """
    return _handlers([(s, _unwind) for s in _FORWARDED])


def _die_of(signum: int) -> int:
    """End this process by ``signum``'s default action (its parent sees the signal)."""
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)
    return 128 + signum  # not reached: the default action of these signals ends the process


def _run_with_report(args: Sequence[str], report: str) -> int:
    """Run ``geodes run ... --report FILE``: the C++ run, then the report of what it wrote.

    The run is a child process, so it keeps its progress bar, its Ctrl-C handling and its exit
    code; SIGINT, SIGTERM and SIGHUP sent to this process are passed on to it (:func:`_run_child`).
    An interrupted run still gets the report of what it measured, marked incomplete; the exit
    code stays 1. A second signal ends the run at once, and this process dies of it too. A
    signal while the report is being written ends the command by that signal too, after it has
    removed what it was writing: an older report at FILE stays as it was, and no temporary file
    or results file of its own is left behind.
    """
    from geodes.output import OutputError, check_output_path

    try:
        check_output_path(report)  # before the run, as the C++ program checks --out and --json
    except OutputError as e:
        return _fail(str(e), EXIT_FAILURE)
    path = binary()
    with tempfile.TemporaryDirectory(prefix="geodes-run-") as tmp:
        out = _out_path(args)
        argv = list(args)
        typed = None  # the command line to show when the one the run records is not the user's
        if out is None:
            out = os.path.join(tmp, "results.h5")
            # The run records its own command line, with this temporary --out: the report shows
            # the one the user typed. With the user's --out the file's command line is the truth,
            # and the report of `geodes report FILE` is the same page.
            typed = shlex.join(["geodes", "run", *args, "--report", report])
            argv += ["--out", out]
        before = os.stat(out).st_mtime_ns if os.path.exists(out) else None
        code = _run_child([path, "run", *argv])
        if code < 0:  # the child died of a signal: so does this process, the same way
            return _die_of(-code)
        written = os.path.exists(out) and os.stat(out).st_mtime_ns != before
        if code not in (EXIT_OK, EXIT_FAILURE) or not written:
            return code
        with _unwinding_on_signals():
            return _report([out, "-o", report], command_line=typed) or code


def _parser(prog: str, description: str) -> argparse.ArgumentParser:
    return argparse.ArgumentParser(prog=f"geodes {prog}", description=description)


def _report(args: Sequence[str], command_line: str | None = None) -> int:
    p = _parser("report", "Write the HTML report of a results file (geodes run --out).")
    p.add_argument("results", help="an HDF5 results file written by geodes run --out")
    p.add_argument(
        "-o", "--output", help="the HTML file to write (default: RESULTS with .html)", default=None
    )
    o = p.parse_args(args)
    output = o.output or str(Path(o.results).with_suffix(".html"))
    from geodes.output import OutputError, check_output_path

    try:
        check_output_path(output)
    except OutputError as e:
        return _fail(str(e), EXIT_FAILURE)
    try:
        from geodes.results import open_results

        results = open_results(o.results)
    except FileNotFoundError:
        return _fail(f"cannot read '{o.results}': no such file", EXIT_BAD_INPUT)
    except (OSError, KeyError) as e:
        return _fail(
            f"'{o.results}' is not a geodes results file (written by geodes run --out): {e}",
            EXIT_BAD_INPUT,
        )
    from geodes.report import write_report

    if command_line is not None:
        results.meta["command_line"] = command_line
    try:
        write_report(results, output)
    except OutputError as e:
        return _fail(str(e), EXIT_FAILURE)
    except KeyError as e:  # a file of an older layout (e.g. without /latency, issue 12)
        return _fail(
            f"'{o.results}' lacks what the report needs ({e}); rewrite it with geodes run --out",
            EXIT_BAD_INPUT,
        )
    print(f"report: {output}", file=sys.stderr)
    return EXIT_OK


def _compare(args: Sequence[str]) -> int:
    p = _parser(
        "compare",
        "Run a scenario (the baseline) and its variants for every seed, locally on all cores or "
        "on a Dask cluster, and put the headline figures side by side (mean and 95%% confidence "
        "interval across seeds).",
    )
    p.add_argument("scenario", nargs="?", help="a scenario file (default: the built-in one)")
    p.add_argument(
        "--variant",
        action="append",
        default=[],
        metavar="NAME=KEY=VALUE[,KEY=VALUE...]",
        help="a variant: a name and the overrides that make it (repeatable)",
    )
    p.add_argument("--seeds", default="1-5", help="seeds: 1-5, 1,3,7 or 1-3,8 (default 1-5)")
    p.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="an override applied to the baseline and every variant (repeatable)",
    )
    p.add_argument("--scheduler", help="a Dask scheduler's address (default: local threads)")
    p.add_argument("--workers", type=int, help="local threads (default: the CPU count)")
    p.add_argument("-o", "--output", help="write the HTML comparison to this file")
    p.add_argument("--json", help="write the table as JSON to this file")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    o = p.parse_args(args)

    from geodes.comparison import compare, format_table, parse_seeds, parse_variant
    from geodes.errors import Interrupted, ScenarioError
    from geodes.output import OutputError, check_output_path

    try:
        variants = dict(parse_variant(v) for v in o.variant)
        if len(variants) != len(o.variant):
            raise ScenarioError("--variant: two variants have the same name")
        seeds = parse_seeds(o.seeds)
    except ScenarioError as e:
        return _fail(str(e), EXIT_BAD_INPUT)
    try:
        for path in (o.output, o.json):
            if path:
                check_output_path(path)
    except OutputError as e:
        return _fail(str(e), EXIT_FAILURE)
    client = None
    try:
        if o.scheduler:
            from dask import distributed

            client = distributed.Client(o.scheduler, timeout="30s")
        table = compare(
            o.scenario,
            variants,
            seeds=seeds,
            overrides=o.set,
            client=client,
            workers=o.workers,
            progress=False if o.quiet else None,
            html=o.output,
            json=o.json,
        )
    except ScenarioError as e:
        return _fail(str(e), EXIT_BAD_INPUT)
    except OutputError as e:
        return _fail(str(e), EXIT_FAILURE)
    except Interrupted as e:
        return _fail(f"{e}; nothing was written", EXIT_FAILURE)
    except OSError as e:  # e.g. no Dask scheduler at that address
        return _fail(str(e), EXIT_FAILURE)
    finally:
        if client is not None:
            client.close()
    print(format_table(table))
    for path, what in ((o.output, "comparison"), (o.json, "table")):
        if path:
            print(f"{what}: {path}", file=sys.stderr)
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``geodes`` command with ``argv`` (default: ``sys.argv[1:]``); return its exit code.

    Commands of the C++ program replace this process (``os.execv``) and do not return.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    command = args[0] if args else ""
    try:
        if command == "report":
            with _unwinding_on_signals():
                return _report(args[1:])
        if command == "compare":
            return _compare(args[1:])
        if command == "run":
            try:
                rest, report = _split_report(args[1:])
            except ValueError as e:
                return _fail(str(e), EXIT_BAD_INPUT)
            if report is not None:
                return _run_with_report(rest, report)
    except _Terminated as t:  # a signal while this process wrote: cleaned up, now die of it
        return _die_of(t.signum)
    return _exec(args)


if __name__ == "__main__":
    sys.exit(main())
