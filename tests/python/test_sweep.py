"""geodes.sweep: the same table whatever the executor (local threads, one thread, Dask)."""

import os
import signal
import threading
import time

import dask
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


# A point whose run lasts seconds (the one a worker dies under) and one that is over quickly.
SLOW, QUICK = "15m", "90s"
DEATH_GRID = {"duration": [SLOW, QUICK]}


@pytest.fixture(scope="module")
def death_grid_on_threads():
    return geodes.sweep(base(), DEATH_GRID, seeds=[1], workers=2, progress=False)


def _kill_the_worker_left_running(client, killed, seconds=60):
    """Once both runs have started and the quick one is done, SIGKILL the worker process still
    running the slow one, as the OOM killer or a lost machine would; record its address."""
    deadline = time.monotonic() + seconds
    started = False
    while time.monotonic() < deadline:
        busy = {w: keys for w, keys in client.processing().items() if keys}
        tasks = sum(len(k) for k in busy.values())
        started = started or tasks == 2
        if started and tasks == 1:
            (worker,) = busy
            pid = client.run(os.getpid, workers=[worker])[worker]
            os.kill(pid, signal.SIGKILL)
            killed.append(worker)
            return
        time.sleep(0.02)


@pytest.mark.parametrize("allowed_failures", [0, 3], ids=["no_second_chance", "dask_default_three"])
def test_a_dask_worker_killed_mid_sweep_leaves_its_row_failed_or_rerun_never_the_sweep_broken(
    allowed_failures, death_grid_on_threads
):
    # Dask runs a task whose worker died again elsewhere, up to allowed-failures deaths; past
    # that (KilledWorker) the row is failed, with the reason, and the other row is complete.
    killed = []
    with dask.config.set({"distributed.scheduler.allowed-failures": allowed_failures}):
        with distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster:
            with distributed.Client(cluster) as client:
                client.wait_for_workers(2)
                killer = threading.Thread(
                    target=_kill_the_worker_left_running, args=(client, killed)
                )
                killer.start()
                try:
                    if allowed_failures == 0:
                        with pytest.warns(RuntimeWarning, match="1 of 2 sweep runs failed"):
                            frame = geodes.sweep(
                                base(), DEATH_GRID, seeds=[1], client=client, progress=False
                            )
                    else:
                        frame = geodes.sweep(
                            base(), DEATH_GRID, seeds=[1], client=client, progress=False
                        )
                finally:
                    killer.join()
    assert len(killed) == 1, "a worker was killed while it ran the slow point"
    if allowed_failures == 0:
        assert list(frame.columns[:4]) == ["point", "duration", "seed", "failed"]
        slow, quick = frame.iloc[0], frame.iloc[1]
        assert slow["duration"] == SLOW and "KilledWorker" in slow["failed"]
        assert "every Dask worker that ran it died" in slow["failed"]
        assert pd.isna(slow["businesses.login.attempted"])
        assert pd.isna(quick["failed"])
        # The quick row is the one run on threads (its integers are floats here: NaN above;
        # the columns only the slow run has are NaN in both).
        pd.testing.assert_frame_equal(
            frame.drop(columns="failed").iloc[[1]].dropna(axis=1, how="all"),
            death_grid_on_threads.iloc[[1]].dropna(axis=1, how="all"),
            check_dtype=False,
        )
    else:
        # Run again on the other worker: the same row as on threads, bit for bit.
        pd.testing.assert_frame_equal(frame, death_grid_on_threads)
