"""geodes.compare / `geodes compare`: variants side by side over seeds, with Student t intervals;
the same table on one thread, two threads and a Dask cluster; the HTML checked in Chromium."""

import json
import math
import subprocess
import sys

import browser
import geodes
import numpy as np
import pandas as pd
import pytest
from dask import distributed
from geodes.comparison import confidence_interval, format_table, parse_seeds, parse_variant

SHORT = ["duration=90s", "warmup=10s", "drain=20s", "faults.0.at=30s", "faults.0.duration=20s"]
VARIANTS = {"busy": {"workload.rate": "3k/s"}, "short_outage": "faults.0.duration=5s"}
GEODES = [sys.executable, "-m", "geodes"]


@pytest.fixture(scope="module")
def table():
    return geodes.compare(None, VARIANTS, seeds=[1, 2, 3], overrides=SHORT, workers=2)


def test_variant_and_seed_syntax_is_parsed_and_bad_syntax_says_what_is_allowed():
    assert parse_variant("fast=workload.rate=8k/s") == ("fast", ["workload.rate=8k/s"])
    assert parse_variant("x=a.b=1,c=[2,3],d={e: 4}") == ("x", ["a.b=1", "c=[2,3]", "d={e: 4}"])
    assert parse_seeds("1-3,7") == [1, 2, 3, 7]
    assert parse_seeds("5") == [5]
    for bad in ("fast", "fast=", "=a=1", "fast=rate", "baseline=a=1", "a b=c=1"):
        with pytest.raises(geodes.ScenarioError, match="variant"):
            parse_variant(bad)
    for bad in ("3-1", "one", "1-", ""):
        with pytest.raises(geodes.ScenarioError, match="seeds"):
            parse_seeds(bad)


def test_the_interval_is_student_t_with_n_minus_one_degrees_of_freedom():
    # Textbook values of t(0.975, df): 12.706 (1), 4.303 (2), 2.776 (4).
    for values, t in (([1.0, 3.0], 12.706), ([1.0, 2.0, 6.0], 4.303), ([2, 4, 4, 5, 10], 2.776)):
        mean, half, n = confidence_interval(values)
        assert n == len(values)
        assert mean == pytest.approx(np.mean(values))
        assert half == pytest.approx(t * np.std(values, ddof=1) / math.sqrt(n), rel=1e-3)
    assert confidence_interval([4.0, float("nan"), None])[1:] == (
        pytest.approx(math.nan, nan_ok=True),
        1,
    )
    assert confidence_interval([7.0, 7.0, 7.0])[:2] == (7.0, 0.0)


def test_the_table_has_every_headline_figure_for_every_variant(table):
    assert table.index.names == ["figure", "of"]
    assert list(dict.fromkeys(table.columns.get_level_values("variant"))) == [
        "baseline",
        "busy",
        "short_outage",
    ]
    figures = set(table.index.get_level_values("figure"))
    for f in ("writes lost", "RPO (s)", "p99 lag (ms)", "success ratio", "RTO (s)"):
        assert f in figures, f
    assert ("compensation bill", "all") in table.index
    assert ("p99 op latency (ms)", "login") in table.index
    assert ("success ratio", "login") in table.index and ("writes lost", "accounts") in table.index
    # Every cell's interval holds its mean; n is the number of seeds where a value exists.
    for v in ("baseline", "busy", "short_outage"):
        mean, low, high = (table[(v, s)] for s in ("mean", "ci_low", "ci_high"))
        assert ((low <= mean + 1e-12) & (mean <= high + 1e-12)).all()
        assert table[(v, "n")].max() == 3


def test_the_table_matches_the_runs_themselves(table):
    # The baseline's success ratio of login: the mean of three separate runs of the same seeds.
    ratios, latencies = [], []
    for seed in (1, 2, 3):
        r = geodes.run(overrides=SHORT, seed=seed, progress=False)
        ratios.append(r.summary["businesses"]["login"]["success_ratio"])
        latencies.append(r.summary["businesses"]["login"]["latency_ms"]["p99"])
    mean, half, _ = confidence_interval(ratios)
    row = table.loc[("success ratio", "login")]
    assert row[("baseline", "mean")] == pytest.approx(mean, rel=1e-12)
    assert row[("baseline", "ci_high")] - row[("baseline", "mean")] == pytest.approx(half)
    mean, half, _ = confidence_interval(latencies)
    row = table.loc[("p99 op latency (ms)", "login")]
    assert row[("baseline", "mean")] == pytest.approx(mean, rel=1e-12)


def test_the_variants_move_the_figures_they_should(table):
    # A 20 s outage of Beijing hurts more than a 5 s one: a lower success ratio, a bigger bill.
    login = table.loc[("success ratio", "login")]
    assert login[("short_outage", "mean")] > login[("baseline", "mean")]
    bill = table.loc[("compensation bill", "all")]
    assert bill[("short_outage", "mean")] < bill[("baseline", "mean")]
    # Three times the load: more users to compensate for the same outage.
    assert bill[("busy", "mean")] > 1.5 * bill[("baseline", "mean")]


def test_the_table_is_identical_on_one_thread_and_on_a_dask_cluster(table):
    one = geodes.compare(None, VARIANTS, seeds=[1, 2, 3], overrides=SHORT, workers=1)
    pd.testing.assert_frame_equal(one, table)
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        with distributed.Client(cluster) as client:
            on_dask = geodes.compare(
                None, VARIANTS, seeds=[1, 2, 3], overrides=SHORT, client=client
            )
    pd.testing.assert_frame_equal(on_dask, table)


def test_the_text_table_shows_mean_and_interval_per_variant(table):
    text = format_table(table)
    header = text.splitlines()[0].split()
    assert header == ["figure", "of", "baseline", "busy", "short_outage"]
    assert "over 3 seeds" in text
    login = next(
        line for line in text.splitlines() if line.startswith("success ratio") and "login" in line
    )
    assert login.count("[") == 3


def test_a_bad_variant_key_is_rejected_before_anything_runs():
    with pytest.raises(geodes.ScenarioError, match="variant 'typo'.*workload.rat"):
        geodes.compare(None, {"typo": {"workload.rat": "1k/s"}}, seeds=[1], overrides=SHORT)


def test_geodes_compare_prints_the_table_writes_json_and_html_and_the_page_renders(tmp_path):
    out, js = tmp_path / "compare.html", tmp_path / "compare.json"
    args = [*GEODES, "compare", "--seeds", "1-2", "--variant", "busy=workload.rate=3k/s"]
    for o in SHORT:
        args += ["--set", o]
    done = subprocess.run(
        [*args, "-o", str(out), "--json", str(js)], text=True, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0].split() == ["figure", "of", "baseline", "busy"]
    assert "it/s" not in done.stderr and "run/s" not in done.stderr, "no progress bar off a TTY"
    data = json.loads(js.read_text())
    assert data["seeds"] == [1, 2]
    assert data["variants"] == {"baseline": [], "busy": ["workload.rate=3k/s"]}
    lost = next(
        f for f in data["figures"] if f["figure"] == "writes lost" and f["of"] == "accounts"
    )
    assert set(lost["values"]) == {"baseline", "busy"}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["compare.html", "compare.json"]
    text = out.read_text(encoding="utf-8")
    assert "<script" not in text
    seen = browser.inspect(out)
    print(f"chromium: comparison opened and inspected in {seen.seconds:.2f} s")
    assert seen.errors == [] and seen.external_requests == []
    assert seen.figures == text.count("<figure") == len(seen.images) >= 7
    assert all(i["complete"] and i["width"] > 0 and i["shown"] for i in seen.images)
    inked, colours = browser.ink(seen.screenshot)
    assert inked > 0.03 and colours > 50, (inked, colours)


@pytest.mark.parametrize(
    "args, message",
    [
        (["--variant", "fast"], "NAME=KEY=VALUE"),
        (["--variant", "x=workload.rat=1k/s"], "workload.rat"),
        (["--variant", "x=a=1", "--variant", "x=b=2"], "same name"),
        (["--seeds", "5-1"], "seeds"),
    ],
)
def test_geodes_compare_exits_with_two_on_bad_input_and_names_it(args, message):
    done = subprocess.run([*GEODES, "compare", *args], text=True, capture_output=True)
    assert done.returncode == 2
    assert message in done.stderr
