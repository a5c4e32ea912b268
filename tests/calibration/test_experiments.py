"""calibration/mariadb/experiments.py: the parts that need no server."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from calibration.mariadb.experiments import Harness, Plan, connections_for  # noqa: E402


def test_the_semi_sync_pool_is_sized_from_the_poisson_tail():
    rng = np.random.default_rng(4)
    for mean in (0.01, 0.5, 1.77, 20.0):
        c = connections_for(mean, 1e-4)
        n = rng.poisson(mean, 2_000_000)
        # P(N >= c) < 1e-4 <= P(N >= c - 1), within the sampling error of 2e6 draws (~7e-6).
        assert (n >= c).mean() < 1e-4 + 3e-5
        assert (n >= c - 1).mean() > 1e-4 - 3e-5
    # Run D's first semi-sync runs: 1.77 in flight per process; 5 connections were busy 3.4% of
    # the time, 9 are under 1e-4.
    assert connections_for(1.77, 1e-4) == 9


class _FakeHarness(Harness):
    """A harness without servers: its loaded drain returns service times from a law of the rate."""

    def __init__(self, plan: Plan, mean_service_s) -> None:  # no cluster
        self.plan = plan
        self.log = lambda msg: None
        self.mean_service_s = mean_service_s
        self.drains: list[float] = []

    def loaded_drain(self, rate: float, seed: int) -> tuple[np.ndarray, dict]:
        self.drains.append(rate)
        return np.full(100, self.mean_service_s(rate)), {"rate_per_s": rate}


def test_the_load_is_searched_as_a_fraction_of_the_loaded_capacity():
    # The applier slows as the load grows: 0.75 ms idle, +0.15 ms at 1000 writes/s (n6's shape:
    # idle drain 746 us, 871 us loaded at 1139/s, a run past saturation).
    def law(rate: float) -> float:
        return 0.75e-3 + 0.15e-3 * rate / 1000

    h = _FakeHarness(Plan(rate_tolerance=0.001, rate_search_drains=20), law)
    start = 0.85 / 0.75e-3
    service = np.full(100, law(start))
    rate, got, _, steps = h._search_rate(0.85, start, service, {}, seed=1)
    # The fixed point of rate = 0.85 / law(rate): 0.15e-6 r^2 + 0.75e-3 r - 0.85 = 0.
    exact = (-0.75e-3 + np.sqrt(0.75e-3**2 + 4 * 0.15e-6 * 0.85)) / (2 * 0.15e-6)
    assert abs(rate - exact) / exact < 0.002
    assert abs(rate * got.mean() - 0.85) < 0.002  # the run's input says 85%
    assert got[0] == law(h.drains[-1]) and h.drains[-1] == rate  # the drain at the run's rate
    assert steps[0]["rate_per_s"] == start and len(steps) == len(h.drains) + 1


def test_the_rate_search_stops_at_its_budget_and_when_the_rate_holds():
    h = _FakeHarness(Plan(rate_tolerance=0.03, rate_search_drains=4), lambda r: 1e-3)
    rate, _, _, steps = h._search_rate(0.85, 850.0, np.full(10, 1e-3), {}, seed=1)
    assert rate == 850.0 and h.drains == [] and len(steps) == 1  # already at 85%: no more drains

    # A law that never settles (service grows faster than the rate): at most 4 drains in all.
    h = _FakeHarness(Plan(rate_tolerance=0.03, rate_search_drains=4), lambda r: 1e-6 * r)
    h._search_rate(0.85, 500.0, np.full(10, 5e-4), {}, seed=1)
    assert len(h.drains) == 3
