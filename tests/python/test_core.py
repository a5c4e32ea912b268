import math

import geodes
import numpy as np
import pytest


def test_the_version_is_the_projects():
    assert geodes.__version__.count(".") == 2


def test_durations_format_for_humans():
    assert geodes.format_duration(30_000_000) == "30ms"
    assert geodes.format_duration(1_500) == "1.5us"


def test_quantities_parse_with_units():
    assert geodes.parse_quantity("30ms", "time") == 30e6
    assert geodes.parse_quantity("5k/s", "rate") == 5000.0


def test_bad_input_raises_scenario_error_which_is_a_value_error():
    with pytest.raises(geodes.ScenarioError, match="30mz"):
        geodes.parse_quantity("30mz", "time")
    with pytest.raises(ValueError):
        geodes.Distribution("expo(1ms)")
    with pytest.raises(geodes.ScenarioError, match="unknown unit kind"):
        geodes.parse_quantity("1", "furlongs")
    assert issubclass(geodes.ScenarioError, geodes.GeodesError)


def test_distribution_draws_are_deterministic_and_match_the_mean():
    d = geodes.Distribution("exp(1ms)")
    a = d.sample(100_000, seed=3)
    b = d.sample(100_000, seed=3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, d.sample(100_000, seed=4))
    # Exponential: sd = mean, so the sample mean's standard error is 1e6 / sqrt(1e5) ~ 3.2e3 ns.
    assert abs(a.mean() - 1e6) < 5 * 1e6 / math.sqrt(len(a))
    assert d.mean() == pytest.approx(1e6)


def test_histogram_quantiles_are_within_one_percent():
    h = geodes.Histogram()
    for v in range(1, 100_001):
        h.record(v)
    assert h.count == 100_000
    assert h.mean == pytest.approx(50_000.5)
    assert h.quantile(0.99) == pytest.approx(99_000, rel=0.01)
    lower, upper, count = h.buckets()
    assert count.sum() == 100_000
    assert np.all(lower <= upper)
