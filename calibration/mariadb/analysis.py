"""What the measured rows say: lag statistics with confidence intervals, service times, catch-up.

Inputs are the replica's rows (id, src_s, dst_s): src_s is the primary's SYSDATE(6) while the
INSERT ran, dst_s the replica's SYSDATE(6) when its applier fired the trigger; both epoch seconds
from the same machine clock.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass
class LagStats:
    """Mean, p50, p99 (ms) with 95% confidence half-widths from batch means."""

    n: int
    mean_ms: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    mean_ci_ms: float
    p99_ci_ms: float

    def as_dict(self) -> dict:
        """For the results JSON."""
        return dict(self.__dict__)


def lag_stats(lag_s: np.ndarray, batches: int = 10) -> LagStats:
    """Statistics of lags (s) in arrival order; CIs from `batches` consecutive batches.

    Consecutive lags are correlated (a busy period delays many writes), so the spread of the
    batch statistics, not of single lags, gives the uncertainty: half-width = t(0.975, b-1) * sd /
    sqrt(b), with batches long compared to a busy period.
    """
    ms = np.asarray(lag_s) * 1e3
    if len(ms) < batches * 10:
        raise ValueError(f"too few lags ({len(ms)}) for {batches} batches")
    parts = np.array_split(ms, batches)
    t975 = {5: 2.776, 10: 2.262, 20: 2.093}.get(batches, 2.0)
    means = np.array([p.mean() for p in parts])
    p99s = np.array([np.quantile(p, 0.99) for p in parts])
    half = t975 / np.sqrt(batches)
    return LagStats(
        n=len(ms),
        mean_ms=float(ms.mean()),
        p50_ms=float(np.quantile(ms, 0.5)),
        p99_ms=float(np.quantile(ms, 0.99)),
        max_ms=float(ms.max()),
        mean_ci_ms=float(half * means.std(ddof=1)),
        p99_ci_ms=float(half * p99s.std(ddof=1)),
    )


def drain_service_times(dst_s: np.ndarray) -> np.ndarray:
    """Service times (s) of an applier that drains a backlog: the gaps between its applies.

    REQUIRES: dst_s in apply order of writes that were all in the relay log before the applier
    started (STOP SLAVE SQL_THREAD, write, START SLAVE SQL_THREAD): then the applier never
    waits and each gap is one whole apply cycle (commit of the previous write included).
    """
    d = np.sort(np.asarray(dst_s))
    return np.diff(d)


def overlaps(start_s: np.ndarray, end_s: np.ndarray, windows_s: np.ndarray | None) -> np.ndarray:
    """Return, per interval (start_s[i], end_s[i]), whether it overlaps any of `windows_s`.

    `windows_s` is an (n, 2) array of [from, to] (in any order, possibly overlapping) or None.
    """
    start_s, end_s = np.asarray(start_s), np.asarray(end_s)
    if windows_s is None or not len(windows_s):
        return np.zeros(len(start_s), dtype=bool)
    w = np.asarray(windows_s, dtype=float).reshape(-1, 2)
    w = w[np.argsort(w[:, 0], kind="stable")]
    # Merge into disjoint windows: then both their starts and their ends increase.
    reach = np.maximum.accumulate(w[:, 1])
    new = np.r_[True, w[1:, 0] > reach[:-1]]
    starts = w[new, 0]
    ends = np.maximum.reduceat(w[:, 1], np.flatnonzero(new))
    i = np.searchsorted(starts, end_s, side="left") - 1  # the last window starting before the end
    return (i >= 0) & (ends[np.maximum(i, 0)] > start_s)


def busy_service_times(
    src_s: np.ndarray,
    dst_s: np.ndarray,
    fixed_max_s: float,
    stalls_s: np.ndarray | None = None,
) -> np.ndarray:
    """Service times (s) seen inside the busy periods of a loaded run (a check of the drain's).

    Write i (in apply order) surely found the applier busy when it reached the relay log no later
    than `fixed_max_s` after its commit and that is before the previous write was applied:
    src_i + fixed_max_s < dst_(i-1). Then dst_i - dst_(i-1) is write i's whole service time, and
    it is unbiased: whether write i waited depends on earlier writes only. A write the link held
    back longer breaks that: `stalls_s` ((n, 2) epoch [from, to], the proxy's late chunks) drops
    every gap that overlaps one (the applier may have idled for want of the write).
    """
    order = np.argsort(dst_s, kind="stable")
    s = np.asarray(src_s)[order]
    d = np.asarray(dst_s)[order]
    waited = (s[1:] + fixed_max_s < d[:-1]) & ~overlaps(d[:-1], d[1:], stalls_s)
    return (d[1:] - d[:-1])[waited]


def backlog_service_times(
    src_s: np.ndarray,
    dst_s: np.ndarray,
    start_s: float,
    fixed_max_s: float,
    stalls_s: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """Service times (s) of an applier draining a backlog from `start_s` while writes arrive.

    The backlog is gone at the first write applied after `start_s` whose lag is under
    `fixed_max_s` (it did not wait); returns the `busy_service_times` (without the gaps that
    overlap `stalls_s`) of the writes applied in
    (start_s, that moment] and the moment itself (the last apply if the backlog never cleared).
    """
    order = np.argsort(dst_s, kind="stable")
    src, dst = np.asarray(src_s)[order], np.asarray(dst_s)[order]
    after = dst > start_s
    fresh = after & (dst - src < fixed_max_s)
    end = float(dst[np.argmax(fresh)]) if fresh.any() else float(dst[-1])
    window = after & (dst <= end)
    return busy_service_times(src[window], dst[window], fixed_max_s, stalls_s), end


def catch_up(
    dst_s: np.ndarray, lag_s: np.ndarray, after_s: float, threshold_s: float
) -> float | None:
    """Return the first apply time after `after_s` of a write with a lag under `threshold_s`."""
    order = np.argsort(dst_s, kind="stable")
    d = np.asarray(dst_s)[order]
    lag = np.asarray(lag_s)[order]
    ok = (d > after_s) & (lag < threshold_s)
    if not ok.any():
        return None
    return float(d[np.argmax(ok)])


def percent_error(predicted: float, measured: float) -> float:
    """(predicted - measured) / measured, in percent."""
    return 100.0 * (predicted - measured) / measured
