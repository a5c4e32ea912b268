"""calibration/mariadb/visibility.py: what the reader's record says (the reader itself runs
against a real replica in the smoke test)."""

import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from calibration.mariadb.visibility import Visible  # noqa: E402


def visible(ids, lo, hi) -> Visible:
    lo, hi = np.array(lo), np.array(hi)
    return Visible(
        ids=np.array(ids, dtype=np.int64),
        visible_s=(lo + hi) / 2,
        half_interval_s=(hi - lo) / 2,
        polls=3,
        poll_interval_ms_mean=1.0,
        rows_per_poll_max=2,
        multi_row_polls=1,
    )


def test_lookup_gives_each_ids_visibility_in_the_order_asked_and_nan_for_unseen_rows():
    v = visible([12, 10, 11], [2.0, 1.0, 1.0], [3.0, 2.0, 2.0])
    got = v.lookup(np.array([10, 13, 12, 9, 11]))
    np.testing.assert_array_equal(np.isnan(got), [False, True, False, True, False])
    assert got[0] == 1.5 and got[2] == 2.5 and got[4] == 1.5


def test_lookup_in_an_empty_record_is_all_nan():
    assert np.isnan(visible([], [], []).lookup(np.array([1, 2]))).all()


def test_the_summary_reports_the_mean_half_interval_in_milliseconds():
    s = visible([1, 2], [1.0, 1.001], [1.001, 1.004]).summary()
    assert s["rows"] == 2 and s["polls"] == 3
    assert abs(s["half_interval_ms_mean"] - 1.0) < 1e-9
