import statistics

import geodes
import pytest


def test_mm1_lag_matches_theory_across_replications():
    # Replication means are independent; 12 replications give a t(11) test at alpha = 1e-4
    # (t = 5.45). Plus the histogram's 1% for quantiles.
    runs = [
        geodes.mm1_replication(write_rate=600, apply_rate=1000, writes=20_000, seed=s)
        for s in range(1, 13)
    ]
    means = [r.mean_s for r in runs]
    se = statistics.stdev(means) / len(means) ** 0.5
    assert abs(statistics.mean(means) - runs[0].theory_mean_s) < 5.45 * se
    p99s = [r.quantile_s(0.99) for r in runs]
    se99 = statistics.stdev(p99s) / len(p99s) ** 0.5
    theory99 = runs[0].theory_quantile_s(0.99)
    assert abs(statistics.mean(p99s) - theory99) < 5.45 * se99 + 0.01 * theory99


def test_mm1_same_seed_same_result():
    a = geodes.mm1_replication(writes=5_000, seed=9)
    b = geodes.mm1_replication(writes=5_000, seed=9)
    assert a.lag.mean == b.lag.mean
    assert a.lag.buckets()[2].tolist() == b.lag.buckets()[2].tolist()


def test_mm1_rejects_an_overloaded_channel_with_a_scenario_error():
    with pytest.raises(geodes.ScenarioError, match="write rate < apply rate"):
        geodes.mm1_replication(write_rate=2000, apply_rate=1000)
