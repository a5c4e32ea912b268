"""Parameter sweeps: one run per (grid point, seed), locally or on a Dask cluster.

Every run is a pure function of (scenario, overrides, seed), so the table is identical whatever
the executor or the number of workers: rows come back sorted by (point, seed).
"""

from __future__ import annotations

import itertools
import json
import os
import threading
import warnings
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TYPE_CHECKING, Any

from geodes.scenario import ScenarioSource, format_override, load_scenario

if TYPE_CHECKING:  # pandas is imported when a sweep runs, not when geodes is imported
    import pandas as pd

__all__ = ["execute", "grid_points", "sweep"]

# Columns that depend on the machine, not on the model: left out of sweep tables.
_MACHINE_KEYS = ("wall_s", "command_line")


def grid_points(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Return the product of ``grid`` (key path -> values), in key order, last key fastest."""
    keys = list(grid)
    for k in keys:
        if isinstance(grid[k], (str, bytes)) or not isinstance(grid[k], Sequence):
            raise TypeError(f"grid[{k!r}] must be a list of values")
        if len(grid[k]) == 0:
            raise ValueError(f"grid[{k!r}] is empty")
    return [dict(zip(keys, values)) for values in itertools.product(*(grid[k] for k in keys))]


def _flatten(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if not prefix and k in _MACHINE_KEYS:
            continue
        if isinstance(v, Mapping):
            out.update(_flatten(v, f"{prefix}{k}."))
        elif not isinstance(v, list):
            out[f"{prefix}{k}"] = v
    return out


def _point_columns(point: Mapping[str, Any]) -> dict[str, Any]:
    """Return a grid point as table cells: lists and dicts as their JSON text."""
    return {k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in point.items()}


def run_point(
    text: str,
    origin: str,
    overrides: Sequence[str],
    point: Mapping[str, Any],
    seed: int,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """One sweep task: run the scenario at ``point`` with ``seed``; a flat row of its summary.

    Module-level (and only taking plain data) so that Dask can ship it to workers. ``stop``
    (local runs only) ends the run early when set.
    """
    from geodes import _core
    from geodes.progress import RunProgress

    extra = [format_override(k, v) for k, v in point.items()]
    core = _core.run_scenario(
        text, origin, list(overrides) + extra, seed, RunProgress("", False, stop)
    )
    row = _point_columns(point)
    row["seed"] = seed
    row.update(_flatten(json.loads(core.summary_json(False))))
    return row


def execute(
    task: Callable[..., Any],
    tasks: Sequence[tuple[Any, ...]],
    client: Any = None,
    workers: int | None = None,
    progress: bool | None = None,
    label: str = "runs",
    on_lost: Callable[[tuple[Any, ...], str], Any] | None = None,
) -> list[Any]:
    """Call ``task(*args)`` for every ``args`` in ``tasks``; return the results in task order.

    With a Dask ``client`` the calls go to its cluster (``task`` must be module-level and its
    arguments plain data); otherwise they run on ``workers`` local threads (default: the CPU
    count; runs release the GIL), and ``task`` is also given ``stop=``, a ``threading.Event`` set
    when the caller is interrupted, so that running runs end at their next progress call. A bar
    counts finished runs (``progress``: see :func:`geodes.progress.enabled`). Ctrl-C raises
    :class:`geodes.Interrupted` once the runs in flight have stopped.

    A Dask worker that dies while running a task (shut down, killed, out of memory) does not end
    the call: Dask runs the task again on another worker, and only a task whose workers all died
    (``distributed.KilledWorker``, after ``distributed.scheduler.allowed-failures`` deaths) is
    lost. With ``on_lost``, such a task's result is ``on_lost(args, reason)`` and the others go
    on; without it, KilledWorker is raised. Any other exception of a task is raised.
    """
    from geodes.errors import Interrupted
    from geodes.progress import TaskProgress, enabled

    bar = TaskProgress(len(tasks), label, enabled(progress))
    results: list[Any] = [None] * len(tasks)
    done = 0
    try:
        if client is not None:
            from dask import distributed

            futures = [client.submit(task, *args, pure=True) for args in tasks]
            args_of = {f.key: args for f, args in zip(futures, tasks)}
            outcome: dict[Any, Any] = {}  # by key: equal tasks (pure=True) share one future
            try:
                for future in distributed.as_completed(futures):
                    outcome[future.key] = _outcome(
                        future, args_of[future.key], on_lost, distributed.KilledWorker
                    )
                    done += 1
                    bar.step()
                results = [outcome[f.key] for f in futures]
            except BaseException:
                client.cancel(futures)
                raise
        else:
            stop = threading.Event()
            n = workers if workers is not None else (os.cpu_count() or 1)
            with ThreadPoolExecutor(max_workers=max(1, n)) as pool:
                index = {pool.submit(task, *args, stop=stop): i for i, args in enumerate(tasks)}
                try:
                    for future in as_completed(index):
                        results[index[future]] = future.result()
                        done += 1
                        bar.step()
                except BaseException:
                    stop.set()  # the pool's exit then waits only for runs that are stopping
                    for future in index:
                        future.cancel()
                    raise
    except KeyboardInterrupt:
        raise Interrupted(f"interrupted after {done} of {len(tasks)} {label}") from None
    finally:
        bar.close()
    return results


def _outcome(
    future: Any,
    args: tuple[Any, ...],
    on_lost: Callable[[tuple[Any, ...], str], Any] | None,
    killed: type,
) -> Any:
    """Return the result of a finished Dask ``future``, or ``on_lost`` if its workers died."""
    if future.status == "error" and on_lost is not None:
        error = future.exception()
        if isinstance(error, killed):
            reason = f"every Dask worker that ran it died ({type(error).__name__}: {error})"
            return on_lost(args, reason)
    return future.result()  # raises the task's exception


def sweep(
    scenario: ScenarioSource,
    grid: Mapping[str, Sequence[Any]] | None = None,
    seeds: Sequence[int] = (1,),
    client: Any = None,
    workers: int | None = None,
    progress: bool | None = None,
) -> pd.DataFrame:
    """Run ``scenario`` at every point of ``grid`` for every seed; one row per run.

    ``grid`` maps key paths to the values to try (``{"workload.rate": ["1k/s", "2k/s"]}``); the
    points are its cartesian product. With a Dask ``client`` (``dask.distributed.Client``) the
    runs go to its cluster; otherwise they run on ``workers`` local threads (default: the CPU
    count; the simulator releases the GIL). Columns: the grid's keys, ``seed``, then the
    summary's numbers flattened (``businesses.login.success_ratio``, ``data.accounts.lost``, ...).
    Every point is validated before anything runs (ScenarioError names the bad one). A bar counts
    the finished runs (``progress``, default: on a terminal or in a notebook); Ctrl-C stops the
    runs in flight and raises :class:`geodes.Interrupted`.

    On a Dask cluster, a worker shut down or killed while it runs a task (retired, out of memory,
    its machine gone) does not break the sweep. Dask runs that task again on another worker, and
    since a run depends only on (scenario, point, seed) its row is the same as if nothing had
    happened. A run whose every worker died (``distributed.KilledWorker``: more deaths than
    the ``distributed.scheduler.allowed-failures`` setting, 3 by default) is a failed row: the
    table then has a ``failed`` column after ``seed``, with the reason on that row (NaN on the
    others), and that row's figures are NaN (so integer columns become floats); the other runs
    complete, and a RuntimeWarning says how many failed. Any other error of a run is raised.
    """
    import pandas as pd

    base = load_scenario(scenario)
    points = grid_points(grid or {})
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty")
    for point in points:
        base.set(point)  # raises ScenarioError for a bad point, before any run
    args = (base.source_text, base.origin, list(base.overrides))
    tasks = [(i, p, s) for i, p in enumerate(points) for s in seeds]
    rows = execute(
        run_point,
        [(*args, p, s) for _, p, s in tasks],
        client,
        workers,
        progress,
        "sweep runs",
        on_lost=lambda task, reason: _failed_row(task[3], task[4], reason),
    )
    for (i, _, _), row in zip(tasks, rows):
        row["point"] = i
    failed = [row for row in rows if "failed" in row]
    for row in rows:
        row.setdefault("failed", None)
    frame = pd.DataFrame(rows)
    frame = frame.sort_values(["point", "seed"], kind="stable").reset_index(drop=True)
    first = ["point", *list(grid or {}), "seed"]
    if failed:
        first.append("failed")
        warnings.warn(
            f"{len(failed)} of {len(rows)} sweep runs failed (their rows have a reason in "
            f"'failed' and no figures): {failed[0]['failed']}",
            RuntimeWarning,
            stacklevel=2,
        )
    else:
        frame = frame.drop(columns="failed")
    return frame[first + [c for c in frame.columns if c not in first]]


def _failed_row(point: Mapping[str, Any], seed: int, reason: str) -> dict[str, Any]:
    """Return the row of a lost run: its point and seed, why it failed, and no figures."""
    row = _point_columns(point)
    row["seed"] = seed
    row["failed"] = reason
    return row
