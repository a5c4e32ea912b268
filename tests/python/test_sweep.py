"""geodes.sweep: the same table whatever the executor (local threads, one thread, Dask)."""

import geodes
import pandas as pd
import pytest
from dask import distributed
from geodes.sweep import grid_points

SHORT = {"duration": "90s", "warmup": "10s", "drain": "20s"}
GRID = {"workload.rate": ["500/s", "1500/s"]}


def base():
    return geodes.load_scenario(overrides=SHORT)


def test_grid_points_are_the_cartesian_product_in_key_order():
    pts = grid_points({"a": [1, 2], "b": ["x", "y", "z"]})
    assert pts[0] == {"a": 1, "b": "x"} and pts[1] == {"a": 1, "b": "y"} and len(pts) == 6


def test_a_sweep_has_one_row_per_point_and_seed_and_more_load_means_more_ops():
    frame = geodes.sweep(base(), GRID, seeds=[1, 2], workers=2)
    assert len(frame) == 4
    assert list(frame.columns[:3]) == ["point", "workload.rate", "seed"]
    ops = frame.groupby("workload.rate")["businesses.login.attempted"].mean()
    assert ops["1500/s"] > 2.5 * ops["500/s"]
    assert "wall_s" not in frame.columns


def test_the_table_is_identical_on_one_thread_two_threads_and_a_dask_cluster():
    one = geodes.sweep(base(), GRID, seeds=[1, 2], workers=1)
    two = geodes.sweep(base(), GRID, seeds=[1, 2], workers=2)
    pd.testing.assert_frame_equal(one, two)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster) as client:
            on_dask = geodes.sweep(base(), GRID, seeds=[1, 2], client=client)
    pd.testing.assert_frame_equal(one, on_dask)


def test_a_bad_grid_point_is_rejected_before_anything_runs():
    with pytest.raises(geodes.ScenarioError, match="workload.rate"):
        geodes.sweep(base(), {"workload.rate": ["1k/s", "fast"]}, seeds=[1])
    with pytest.raises(TypeError):
        geodes.sweep(base(), {"workload.rate": "1k/s"}, seeds=[1])
