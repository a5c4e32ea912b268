"""The scenarios bench/ runs: geodes' side of a peer comparison must model what the peers do."""

import math
import pathlib
import statistics

import geodes

BENCH = pathlib.Path(__file__).resolve().parents[2] / "bench"


def test_the_mm1_peer_scenario_reproduces_the_mm1_oracle():
    # bench/mm1_channel.yaml: 800 writes/s over a 30 ms link to one Exp(1 ms) applier; lag =
    # 30 ms + W, W ~ Exp(200/s): mean 35 ms, p99 53.0 ms. Replication means are independent;
    # 12 replications give a t(11) test at alpha = 1e-4 (t = 5.45), plus the histogram's 1% for
    # the quantile.
    s = geodes.load_scenario(str(BENCH / "mm1_channel.yaml"), overrides={"duration": "25s"})
    runs = [geodes.run(s, seed=seed).summary["data"]["writes"] for seed in range(1, 13)]
    assert all(r["writes"] > 15_000 for r in runs)
    means = [r["lag_ms"]["mean"] for r in runs]
    se = statistics.stdev(means) / len(means) ** 0.5
    assert abs(statistics.mean(means) - 35.0) < 5.45 * se
    p99s = [r["lag_ms"]["p99"] for r in runs]
    se99 = statistics.stdev(p99s) / len(p99s) ** 0.5
    theory99 = 30 + 1e3 * math.log(100) / 200
    assert abs(statistics.mean(p99s) - theory99) < 5.45 * se99 + 0.01 * theory99
