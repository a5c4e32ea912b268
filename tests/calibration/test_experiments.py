"""calibration/mariadb/experiments.py: the parts that need no server."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from calibration.mariadb.experiments import connections_for  # noqa: E402


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
