"""Plots of results: distributions, time series, availability, exception handling, faults.

Lag and latency CDFs, series over time, the exception handling's counters, the fault timeline,
sweeps and comparisons.

Every function takes a :class:`geodes.Results` (or an opened results file, or anything with the
same accessors) and an optional matplotlib ``Axes``, draws on it, and returns it, so plots compose
in notebooks. The HTML report (:mod:`geodes.report`) and comparison (:mod:`geodes.comparison`)
are drawn with these same functions.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "availability",
    "backlog",
    "cdf",
    "channel_lag_over_time",
    "compensation",
    "fallback",
    "fault_timeline",
    "faults",
    "lag_cdf",
    "lag_over_time",
    "latency_cdf",
    "lines",
    "reconciliation",
    "sweep",
    "variants",
]


def _axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt

    return plt.subplots(figsize=(8, 3.5))[1]


def _no_data(ax: Any, what: str) -> Any:
    ax.text(0.5, 0.5, f"no {what}", ha="center", va="center", transform=ax.transAxes, color="0.4")
    ax.set_xticks([])
    ax.set_yticks([])
    return ax


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


def cdf(
    histograms: Mapping[str, Any],
    ax: Any = None,
    xlabel: str = "lag (ms)",
    ylabel: str = "fraction of writes",
) -> Any:
    """Overlay the CDFs of histograms in ns (``label -> LagHistogram``), in ms on a log axis.

    Empty histograms are left out (and named in the legend as such).
    """
    ax = _axes(ax)
    drawn = 0
    for label, h in histograms.items():
        if h.total == 0:
            ax.plot([], [], label=f"{label} (none)")
            continue
        c = h.cdf()  # columns: <quantity>_ms (lag_ms, latency_ms), fraction
        ax.step(c.iloc[:, 0], c["fraction"], where="post", label=label)
        drawn += 1
    if drawn:
        ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_ylim(0, 1.01)
    ax.grid(True, alpha=0.3)
    ax.legend()
    return ax


def lag_cdf(results: Any, data_class: str, dcs: Sequence[str] | None = None, ax: Any = None) -> Any:
    """Plot the CDF of a data class's replication lag (ms, log scale), per replica DC or merged."""
    histograms = {dc or data_class: results.lag(data_class, dc) for dc in (dcs or [None])}
    return cdf(histograms, ax)


def latency_cdf(
    results: Any, business: str, dcs: Sequence[str] | None = None, ax: Any = None
) -> Any:
    """Plot the CDF of a business's op latency (ms, log scale), per serving DC or merged."""
    histograms = {dc or business: results.latency(business, dc) for dc in (dcs or [None])}
    return cdf(histograms, ax, xlabel="op latency (ms)", ylabel="fraction of succeeded ops")


def lines(
    frames: Mapping[str, pd.DataFrame],
    ax: Any = None,
    column: str = "mean",
    scale: float = 1.0,
    ylabel: str = "",
    log: bool = False,
) -> Any:
    """Overlay time series (``label -> frame`` as :meth:`Results.series` gives) over time (s).

    ``column`` is ``mean`` or ``max``; values are multiplied by ``scale`` (1e-6: ns to ms).
    """
    ax = _axes(ax)
    for label, s in frames.items():
        ax.plot(s.index, s[column] * scale, label=label, lw=1.2)
    if log and any(np.nanmax(s[column].to_numpy(), initial=0) > 0 for s in frames.values()):
        ax.set_yscale("log")
    ax.set_xlabel("simulated time (s)")
    ax.set_ylabel(ylabel)
    ax.grid(True, alpha=0.3)
    if frames:
        ax.legend(fontsize=8)
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


def channel_lag_over_time(
    results: Any, channels: Sequence[str] | None = None, ax: Any = None, shade_faults: bool = True
) -> Any:
    """Worst lag per interval (ms, log scale) of each channel instance (default: all)."""
    names = channels if channels is not None else list(results.summary["channels"])
    frames = {c: results.series(f"channel_lag/{c}") for c in names}
    ax = lines(frames, ax, column="max", scale=1e-6, ylabel="channel lag, max (ms)", log=True)
    if shade_faults:
        faults(results, ax)
    return ax


def _backlog_series(results: Any, channel: str, names: Sequence[str]) -> pd.DataFrame | None:
    """Return a channel's backlog series; None when the run recorded none.

    MySQL: the applier's queue; MQ: the consumer lag summed over partitions.
    """
    if f"backlog/{channel}" in names:
        return results.series(f"backlog/{channel}")
    parts = [n for n in names if n.startswith(f"consumer_lag/{channel}/")]
    if not parts:
        return None
    frames = [results.series(n) for n in parts]
    total = frames[0][["mean", "max"]].fillna(0.0)
    for f in frames[1:]:
        total = total + f[["mean", "max"]].fillna(0.0)
    return total


def backlog(
    results: Any, channels: Sequence[str] | None = None, ax: Any = None, shade_faults: bool = True
) -> Any:
    """Messages waiting per interval (mean) of each channel instance (default: all).

    MySQL: writes in the relay log not yet applied; MQ: the consumer lag summed over partitions.
    """
    names = results.series_names
    frames = {}
    for c in channels if channels is not None else list(results.summary["channels"]):
        s = _backlog_series(results, c, names)
        if s is not None:
            frames[c] = s
    ax = lines(frames, ax, column="mean", ylabel="backlog (messages)")
    if shade_faults:
        faults(results, ax)
    return ax


def _bars(ax: Any, table: pd.DataFrame, ylabel: str) -> Any:
    """Draw grouped bars: one group per row, one bar per column, values on the bars."""
    if table.empty or not np.any(table.to_numpy(dtype=float) > 0):
        return _no_data(ax, ylabel)
    x = np.arange(len(table.index))
    width = 0.8 / max(1, len(table.columns))
    for i, col in enumerate(table.columns):
        values = table[col].to_numpy(dtype=float)
        bars = ax.bar(x + (i - (len(table.columns) - 1) / 2) * width, values, width, label=col)
        ax.bar_label(bars, labels=[f"{v:,.4g}" for v in values], fontsize=7)
    ax.set_xticks(x, [str(i) for i in table.index])
    ax.set_ylabel(ylabel)
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend(fontsize=8)
    return ax


def fallback(results: Any, ax: Any = None) -> Any:
    """Access fallback per data class: calls on a local miss, and how each ended."""
    ax = _axes(ax)
    cols = ["calls", "found", "not_found", "owner_down", "unreachable"]
    rows = {c: [d["fallback"][k] for k in cols] for c, d in results.summary["data"].items()}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=cols)
    return _bars(ax, table[table["calls"] > 0], "fallback calls")


def reconciliation(results: Any, ax: Any = None) -> Any:
    """Per data class, what reconciliation achieved: writes recovered, writes still lost."""
    ax = _axes(ax)
    rows = {c: [d["recovered"], d["lost"]] for c, d in results.summary["data"].items()}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=["recovered", "lost"])
    return _bars(ax, table, "writes")


def compensation(results: Any, ax: Any = None) -> Any:
    """Plot the compensation bill by cause (affected users times the price per cause)."""
    ax = _axes(ax)
    c = results.summary["compensation"]
    table = pd.DataFrame(
        {"bill": pd.Series(c["cost_by_cause"], dtype=float)},
    )
    ax = _bars(ax, table, "compensation bill")
    for i, (cause, users) in enumerate(c["by_cause"].items()):
        if cause in table.index and users:
            ax.annotate(
                f"{users:,} users",
                (i, 0),
                xytext=(0, -22),
                textcoords="offset points",
                ha="center",
                fontsize=7,
                color="0.3",
            )
    return ax


def fault_timeline(results: Any, ax: Any = None) -> Any:
    """Plot one row per fault target, a bar per fault from its start to its end.

    A fault that never ended runs to the end of the run; each bar is labelled by type.
    """
    ax = _axes(ax)
    frame = results.faults()
    end_of_run = float(results.summary["sim_time_s"])
    if frame.empty:
        return _no_data(ax, "faults")
    targets = list(dict.fromkeys(frame["target"]))
    for _, f in frame.iterrows():
        y = targets.index(f["target"])
        end = f["end_s"] if np.isfinite(f["end_s"]) else end_of_run
        ax.broken_barh([(f["start_s"], end - f["start_s"])], (y - 0.35, 0.7), color="tab:red")
        ax.text(f["start_s"], y, f" {f['type']}", va="center", fontsize=8, color="white")
    ax.set_yticks(range(len(targets)), targets)
    ax.set_ylim(-0.6, len(targets) - 0.4)
    ax.set_xlim(0, end_of_run)
    ax.set_xlabel("simulated time (s)")
    ax.grid(True, axis="x", alpha=0.3)
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


def variants(table: pd.DataFrame, figure: str, ax: Any = None) -> Any:
    """Plot one headline figure of a comparison (:func:`geodes.compare`) per variant.

    The mean over seeds with its 95% confidence interval, one row per subject (data class or
    business).
    """
    ax = _axes(ax)
    rows = table.xs(figure, level="figure")
    names = list(dict.fromkeys(table.columns.get_level_values("variant")))
    height = 0.8 / max(1, len(names))
    y = np.arange(len(rows.index))
    for i, v in enumerate(names):
        mean = rows[(v, "mean")].to_numpy(dtype=float)
        low = rows[(v, "ci_low")].to_numpy(dtype=float)
        high = rows[(v, "ci_high")].to_numpy(dtype=float)
        err = np.vstack([np.nan_to_num(mean - low), np.nan_to_num(high - mean)])
        offset = (i - (len(names) - 1) / 2) * height
        ax.errorbar(mean, y + offset, xerr=err, fmt="o", capsize=3, label=v)
    ax.set_yticks(y, [str(s) for s in rows.index])
    ax.invert_yaxis()
    ax.set_xlabel(figure)
    ax.grid(True, axis="x", alpha=0.3)
    ax.legend(fontsize=8)
    return ax
