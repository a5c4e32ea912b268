"""Parameter sweeps: one run per (grid point, seed), locally or on a Dask cluster.

Every run is a pure function of (scenario, overrides, seed), so the table is identical whatever
the executor or the number of workers: rows come back sorted by (point, seed).
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pandas as pd

from geodes.scenario import ScenarioSource, format_override, load_scenario

__all__ = ["grid_points", "sweep"]

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


def run_point(
    text: str, origin: str, overrides: Sequence[str], point: Mapping[str, Any], seed: int
) -> dict[str, Any]:
    """One sweep task: run the scenario at ``point`` with ``seed``; a flat row of its summary.

    Module-level (and only taking plain data) so that Dask can ship it to workers.
    """
    from geodes import _core

    extra = [format_override(k, v) for k, v in point.items()]
    core = _core.run_scenario(text, origin, list(overrides) + extra, seed)
    row: dict[str, Any] = {
        k: (json.dumps(v) if isinstance(v, (list, dict)) else v) for k, v in point.items()
    }
    row["seed"] = seed
    row.update(_flatten(json.loads(core.summary_json(False))))
    return row


def sweep(
    scenario: ScenarioSource,
    grid: Mapping[str, Sequence[Any]] | None = None,
    seeds: Sequence[int] = (1,),
    client: Any = None,
    workers: int | None = None,
) -> pd.DataFrame:
    """Run ``scenario`` at every point of ``grid`` for every seed; one row per run.

    ``grid`` maps key paths to the values to try (``{"workload.rate": ["1k/s", "2k/s"]}``); the
    points are its cartesian product. With a Dask ``client`` (``dask.distributed.Client``) the
    runs go to its cluster; otherwise they run on ``workers`` local threads (default: the CPU
    count; the simulator releases the GIL). Columns: the grid's keys, ``seed``, then the
    summary's numbers flattened (``businesses.login.success_ratio``, ``data.accounts.lost``, ...).
    Every point is validated before anything runs (ScenarioError names the bad one).
    """
    base = load_scenario(scenario)
    points = grid_points(grid or {})
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise ValueError("seeds is empty")
    for point in points:
        base.set(point)  # raises ScenarioError for a bad point, before any run
    tasks = [(i, p, s) for i, p in enumerate(points) for s in seeds]
    args = (base.source_text, base.origin, list(base.overrides))
    if client is not None:
        futures = [client.submit(run_point, *args, p, s, pure=True) for _, p, s in tasks]
        rows = client.gather(futures)
    else:
        n = workers if workers is not None else (os.cpu_count() or 1)
        with ThreadPoolExecutor(max_workers=max(1, n)) as pool:
            rows = list(pool.map(lambda t: run_point(*args, t[1], t[2]), tasks))
    for (i, _, _), row in zip(tasks, rows):
        row["point"] = i
    frame = pd.DataFrame(rows)
    frame = frame.sort_values(["point", "seed"], kind="stable").reset_index(drop=True)
    first = ["point", *list(grid or {}), "seed"]
    return frame[first + [c for c in frame.columns if c not in first]]
