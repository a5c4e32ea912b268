"""Plots of results: lag distributions and time series, availability, sweeps.

Every function takes a :class:`geodes.Results` (or an opened results file) and an optional
matplotlib ``Axes``, draws on it, and returns it, so plots compose in notebooks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["availability", "faults", "lag_cdf", "lag_over_time", "sweep"]


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(8, 3.5))[1]


def faults(results: Any, ax: Any = None, alpha: float = 0.15) -> Any:
    """Shade each fault's interval on a time axis (seconds), labelled by type and target."""
    ax = _axes(ax)
    frame = results.faults()
    end_of_run = float(results.summary["sim_time_s"])
    for _, f in frame.iterrows():
        end = f["end_s"] if np.isfinite(f["end_s"]) else end_of_run
        ax.axvspan(f["start_s"], end, color="tab:red", alpha=alpha, lw=0)
        ax.text(
            f["start_s"],
            1.0,
            f" {f['type']} {f['target']}",
            transform=ax.get_xaxis_transform(),
            va="top",
            fontsize=8,
            color="tab:red",
        )
    return ax


def lag_cdf(results: Any, data_class: str, dcs: Sequence[str] | None = None, ax: Any = None) -> Any:
    """Plot the CDF of a data class's replication lag (ms, log scale), per replica DC or merged."""
    ax = _axes(ax)
    for dc in dcs if dcs is not None else [None]:
        cdf = results.lag(data_class, dc).cdf()
        ax.step(cdf["lag_ms"], cdf["fraction"], where="post", label=dc or data_class)
    ax.set_xscale("log")
    ax.set_xlabel("lag (ms)")
    ax.set_ylabel("fraction of writes")
    ax.set_ylim(0, 1.01)
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax


def lag_over_time(
    results: Any, data_class: str, dc: str, ax: Any = None, shade_faults: bool = True
) -> Any:
    """Plot a data class's lag at one replica over time: per-interval mean and max (ms)."""
    ax = _axes(ax)
    s = results.series(f"lag/{data_class}/{dc}")
    ax.plot(s.index, s["mean"] / 1e6, label="mean")
    ax.plot(s.index, s["max"] / 1e6, label="max", alpha=0.6)
    ax.set_yscale("log")
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel(f"{data_class} lag at {dc} (ms)")
    ax.legend()
    if shade_faults:
        faults(results, ax)
    return ax


def availability(
    results: Any, businesses: Sequence[str] | None = None, ax: Any = None, shade_faults: bool = True
) -> Any:
    """Success ratio per interval of each business (default: all of them)."""
    ax = _axes(ax)
    names = businesses if businesses is not None else list(results.summary["businesses"])
    for b in names:
        s = results.series(f"availability/{b}")
        ax.plot(s.index, s["mean"], label=b)
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel("success ratio")
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="lower right")
    if shade_faults:
        faults(results, ax)
    return ax


def sweep(frame: pd.DataFrame, x: str, y: str, hue: str | None = None, ax: Any = None) -> Any:
    """Mean of ``y`` over seeds against ``x`` (one line per ``hue`` value), with min-max bars."""
    ax = _axes(ax)
    groups = [(None, frame)] if hue is None else list(frame.groupby(hue, sort=False))
    for key, g in groups:
        stats = g.groupby(x, sort=False)[y].agg(["mean", "min", "max"])
        err = np.vstack([stats["mean"] - stats["min"], stats["max"] - stats["mean"]])
        label = y if key is None else f"{hue}={key}"
        ax.errorbar(
            stats.index.astype(str), stats["mean"], yerr=err, marker="o", capsize=3, label=label
        )
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.legend()
    return ax
