"""calibration/mariadb/analysis.py against queues whose answers are known."""

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from calibration.mariadb import analysis  # noqa: E402


def single_server(arrivals, services, fixed):
    """A FIFO single server: arrival at a + fixed, departure after its service."""
    dst = np.empty_like(arrivals)
    free = -np.inf
    for i, (a, s) in enumerate(zip(arrivals + fixed, services)):
        free = max(free, a) + s
        dst[i] = free
    return dst


def test_the_drain_gaps_are_exactly_the_service_times():
    rng = np.random.default_rng(1)
    services = rng.exponential(200e-6, 5000)
    dst = single_server(np.zeros(5000), services, 0.015)
    np.testing.assert_allclose(analysis.drain_service_times(dst), services[1:], atol=1e-12)


def test_busy_period_service_times_are_unbiased_under_load():
    # M/M/1 at rho = 0.8: the writes that surely waited have the service time distribution
    # of all writes (their own service does not decide whether they waited).
    rng = np.random.default_rng(2)
    n = 200_000
    arrivals = np.cumsum(rng.exponential(1 / 4000, n))
    services = rng.exponential(200e-6, n)
    dst = single_server(arrivals, services, 0.015)
    busy = analysis.busy_service_times(arrivals, dst, 0.0151)
    assert len(busy) > 0.5 * n
    # Standard error of the mean of ~1e5 exponential draws: 0.3%; 2% is over 6 of them.
    assert busy.mean() == pytest.approx(200e-6, rel=0.02)


def test_busy_period_service_times_leave_out_the_gaps_a_stalled_link_made():
    # The same queue, but the link holds every write due in 100 windows of 50 ms until the
    # window ends (the proxy's stalls): the applier idles, and the gap over each stall would
    # count as one long service time. Given the stalls, those gaps are left out.
    rng = np.random.default_rng(3)
    n = 200_000
    arrivals = np.cumsum(rng.exponential(1 / 4000, n))
    services = rng.exponential(200e-6, n)
    at_replica = arrivals + 0.015
    starts = np.sort(rng.uniform(1.0, arrivals[-1] - 1.0, 100))
    stalls = np.column_stack([starts, starts + 0.05])
    for a, b in stalls:
        held = (at_replica >= a) & (at_replica < b)
        at_replica[held] = b
    dst = single_server(at_replica, services, 0.0)
    polluted = analysis.busy_service_times(arrivals, dst, 0.0151)
    clean = analysis.busy_service_times(arrivals, dst, 0.0151, stalls)
    # The gaps over the stalls that a waiting write spans (up to 50 ms each) add ~7.5% to the
    # mean (seed 3): 25 standard errors (0.3%), over three times the 2% bound.
    assert polluted.mean() > 1.05 * 200e-6
    assert clean.mean() == pytest.approx(200e-6, rel=0.02)
    assert len(clean) > 0.5 * n


def test_overlaps_finds_the_intervals_touching_any_window_merged_or_not():
    windows = np.array([[5.0, 6.0], [1.0, 2.0], [1.5, 3.0], [10.0, 10.5]])
    start = np.array([0.0, 0.5, 2.9, 3.0, 4.0, 6.5, 9.0, 10.4, 11.0])
    end = np.array([0.9, 1.1, 4.0, 4.9, 5.1, 9.9, 12.0, 10.45, 12.0])
    got = analysis.overlaps(start, end, windows)
    assert got.tolist() == [False, True, True, False, True, False, True, True, False]
    assert not analysis.overlaps(start, end, None).any()
    assert not analysis.overlaps(start, end, np.zeros((0, 2))).any()


def test_lag_statistics_match_numpy_and_the_ci_covers_the_truth():
    rng = np.random.default_rng(3)
    lag = 0.015 + rng.exponential(0.001, 50_000)
    s = analysis.lag_stats(lag)
    assert s.n == 50_000
    assert s.mean_ms == pytest.approx(lag.mean() * 1e3)
    assert s.p99_ms == pytest.approx(np.quantile(lag, 0.99) * 1e3)
    assert abs(s.mean_ms - 16.0) < 3 * s.mean_ci_ms
    assert 0 < s.mean_ci_ms < 0.05


def test_too_few_lags_for_the_batches_is_an_error():
    with pytest.raises(ValueError, match="too few lags"):
        analysis.lag_stats(np.ones(50))


def test_catch_up_is_the_first_apply_back_under_the_threshold():
    dst = np.array([1.0, 2.0, 3.0, 4.0, 5.0])
    lag = np.array([0.01, 5.0, 3.0, 0.01, 0.01])
    assert analysis.catch_up(dst, lag, after_s=1.5, threshold_s=0.1) == 4.0
    assert analysis.catch_up(dst, lag, after_s=5.5, threshold_s=0.1) is None


def test_percent_error_is_signed_relative_to_the_measurement():
    assert analysis.percent_error(110.0, 100.0) == pytest.approx(10.0)
    assert analysis.percent_error(85.0, 100.0) == pytest.approx(-15.0)


def test_a_backlog_drained_under_arrivals_gives_the_service_times_until_it_is_gone():
    # M/M/1 at rho = 0.8 whose server starts only at t = 2 s: 8000 writes queue, then drain at
    # 1000/s net while arrivals go on; every gap in between is a whole service time.
    rng = np.random.default_rng(4)
    n = 60_000
    arrivals = np.cumsum(rng.exponential(1 / 4000, n))
    services = rng.exponential(200e-6, n)
    dst = np.empty(n)
    free = 2.0
    for i, (a, s) in enumerate(zip(arrivals + 0.015, services)):
        free = max(free, a) + s
        dst[i] = free
    got, end = analysis.backlog_service_times(arrivals, dst, 2.0, 0.0151)
    # The backlog clears at 2 + 8000 / 1000 = 10 s, give or take its random walk (sd ~ 1 s).
    assert 6.0 < end < 16.0
    assert len(got) > 0.9 * 4000 * (end - 2.0)
    # ~3e4 exponential draws: standard error of the mean 0.6%; 3% is 5 of them.
    assert got.mean() == pytest.approx(200e-6, rel=0.03)
    # Nothing applied before the start or after the end is used.
    assert len(got) < ((dst > 2.0) & (dst <= end)).sum()
