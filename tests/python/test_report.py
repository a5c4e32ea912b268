"""geodes.report / `geodes report`: one self-contained HTML page by the lesson's four steps,
checked as text and in a real browser (headless Chromium, tests/python/browser.py)."""

import base64
import html
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import browser
import geodes
import h5py
import pytest
from geodes import _core
from geodes.html import number
from geodes.report import render_report, write_report

# A short run of the built-in scenario with both of its faults inside it: Beijing down 40-70 s,
# the dedicated line cut 100-130 s.
SHORT = {
    "duration": "150s",
    "warmup": "10s",
    "drain": "30s",
    "faults.0.at": "40s",
    "faults.0.duration": "30s",
    "faults.1.at": "100s",
    "faults.1.duration": "30s",
}
GEODES = [sys.executable, "-m", "geodes"]


@pytest.fixture(scope="module")
def results_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "results.h5"
    geodes.run(overrides=SHORT, seed=3, progress=False).to_hdf5(path)
    return path


@pytest.fixture(scope="module")
def page(results_file):
    return render_report(geodes.open_results(results_file))


def sections(text):
    return re.findall(r'<section id="([a-z]+)">\s*<h2>([^<]+)</h2>', text)


def test_the_report_follows_the_four_steps_then_the_faults_and_the_scenario(page):
    assert sections(page) == [
        ("businesses", "Step 1: businesses"),
        ("data", "Step 2: data classes"),
        ("channels", "Step 3: data sync (channels)"),
        ("exceptions", "Step 4: exception handling"),
        ("faults", "Faults"),
        ("scenario", "The scenario"),
    ]


def test_every_business_class_channel_and_fault_of_the_run_is_in_its_step(page, results_file):
    f = geodes.open_results(results_file)
    body = dict(re.findall(r'<section id="([a-z]+)">(.*?)</section>', page, re.S))
    for b in f.summary["businesses"]:
        assert f'<td class="text">{b}</td>' in body["businesses"], b
    for c in f.summary["data"]:
        assert f'<td class="text">{c}</td>' in body["data"], c
    for ch in f.summary["channels"]:
        assert f'<td class="text">{html.escape(ch)}</td>' in body["channels"], ch
    # Step 1 shows each business's op latency: its p99 in the table, its CDF as a figure.
    for b, rec in f.summary["businesses"].items():
        p99 = rec["latency_ms"]["p99"]
        assert p99 is not None and f"<td>{number(p99)}</td>" in body["businesses"], b
    assert "Op latency of succeeded operations" in body["businesses"]
    assert body["businesses"].count(", per serving datacenter.</figcaption>") == len(
        f.summary["businesses"]
    )
    faults = f.faults()
    assert len(faults) == 2
    for _, row in faults.iterrows():
        assert f'<td class="text">{row["type"]}</td>' in body["faults"]
    # The compensation line quotes the run's own bill.
    bill = f.summary["compensation"]["cost"]
    assert bill > 0, "Beijing's outage must cost something"
    assert f"<strong>{number(bill)}</strong>" in body["exceptions"]
    # The scenario as run, overrides applied, escaped as text.
    assert html.escape(f.scenario_text, quote=False) in body["scenario"]
    assert "at: 40s" in f.scenario_text or "40s" in f.scenario_text


def test_the_report_is_self_contained_and_every_figure_is_a_valid_svg(page):
    assert "<script" not in page
    assert not re.search(r'(src|href)="(https?:)?//', page), "a reference outside the file"
    uris = re.findall(r'<img src="([^"]+)"', page)
    assert len(uris) == page.count("<figure") > 10
    for uri in uris:
        prefix = "data:image/svg+xml;base64,"
        assert uri.startswith(prefix)
        root = ET.fromstring(base64.b64decode(uri[len(prefix) :]))
        assert root.tag.endswith("svg")
        assert len(list(root.iter())) > 20, "an empty figure"


def test_the_availability_figure_shades_each_fault_window(results_file):
    # The first figure is the availability plot; each fault is drawn as a shaded span.
    from matplotlib.figure import Figure

    f = geodes.open_results(results_file)
    ax = Figure().subplots()
    geodes.plot.availability(f, ax=ax)
    spans = [p for p in ax.patches if p.get_facecolor()[3] < 0.5]
    assert len(spans) == len(f.faults()) == 2
    starts = sorted(p.get_x() for p in spans)
    assert starts == pytest.approx([40.0, 100.0])


def test_the_same_results_give_the_same_bytes(results_file, page):
    assert render_report(geodes.open_results(results_file)) == page


def test_an_interrupted_run_is_reported_as_incomplete():
    s = geodes.load_scenario(overrides=SHORT)
    stopped = _core.run_scenario(s.source_text, s.origin, list(s.overrides), 3, lambda *a: False)
    r = geodes.Results(stopped, s)
    assert not r.complete
    assert r.stopped_by == "interrupted"
    text = render_report(r)
    assert "Incomplete run." in text
    assert "stopped early (interrupted)" in text
    assert "Incomplete run." not in render_report(geodes.run(overrides=SHORT, progress=False))


def test_write_report_writes_atomically_and_refuses_a_missing_directory(results_file, tmp_path):
    out = tmp_path / "r.html"
    write_report(results_file, out)
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"], "no temporary file left"
    with pytest.raises(geodes.GeodesError, match="does not exist"):
        write_report(results_file, tmp_path / "missing" / "r.html")


def test_geodes_report_writes_the_page_and_exits_zero(results_file, tmp_path):
    out = tmp_path / "page.html"
    done = subprocess.run(
        [*GEODES, "report", str(results_file), "-o", str(out)], text=True, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    assert f"report: {out}" in done.stderr
    assert sections(out.read_text(encoding="utf-8"))[0][0] == "businesses"


def test_geodes_report_rejects_a_missing_or_foreign_file_with_two_and_a_bad_output_with_one(
    results_file, tmp_path
):
    missing = subprocess.run(
        [*GEODES, "report", str(tmp_path / "nope.h5")], text=True, capture_output=True
    )
    assert missing.returncode == 2
    assert "cannot read" in missing.stderr and "nope.h5" in missing.stderr
    foreign = tmp_path / "foreign.h5"
    with h5py.File(foreign, "w") as f:
        f["x"] = [1, 2, 3]
    bad = subprocess.run([*GEODES, "report", str(foreign)], text=True, capture_output=True)
    assert bad.returncode == 2
    assert "not a geodes results file" in bad.stderr
    older = tmp_path / "older.h5"  # a results file from before op latency (issue 12)
    with h5py.File(results_file, "r") as src, h5py.File(older, "w") as dst:
        for name in src:
            if name != "latency":
                src.copy(src[name], dst, name)
    old = subprocess.run([*GEODES, "report", str(older)], text=True, capture_output=True)
    assert old.returncode == 2, old.stderr
    assert "lacks what the report needs" in old.stderr and "Traceback" not in old.stderr
    unwritable = subprocess.run(
        [*GEODES, "report", str(results_file), "-o", str(tmp_path / "no" / "r.html")],
        text=True,
        capture_output=True,
    )
    assert unwritable.returncode == 1
    assert "does not exist" in unwritable.stderr
    assert not (tmp_path / "no").exists()


def test_the_report_renders_in_chromium_without_errors_and_every_figure_shows(
    results_file, tmp_path
):
    out = tmp_path / "report.html"
    write_report(results_file, out)
    text = out.read_text(encoding="utf-8")
    seen = browser.inspect(out)
    print(f"chromium: report opened and inspected in {seen.seconds:.2f} s")
    assert seen.errors == []
    assert seen.external_requests == []
    assert seen.figures == text.count("<figure") == len(seen.images) > 10
    broken = [i["alt"] for i in seen.images if not (i["complete"] and i["width"] and i["shown"])]
    assert broken == []
    inked, colours = browser.ink(seen.screenshot)
    assert inked > 0.03 and colours > 50, (inked, colours)


def test_the_browser_check_sees_a_broken_figure_a_console_error_and_a_request_out(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(
        "<!DOCTYPE html><html><body><figure><img src='missing.svg' alt='gone'></figure>"
        "<img src='http://127.0.0.1:9/x.png' alt='out'>"
        "<script>console.error('broken on purpose')</script></body></html>",
        encoding="utf-8",
    )
    seen = browser.inspect(bad, height=400)
    assert any("broken on purpose" in e for e in seen.errors)
    assert seen.external_requests == ["http://127.0.0.1:9/x.png"]
    assert [i["width"] for i in seen.images] == [0, 0]
    inked, _ = browser.ink(seen.screenshot)
    assert inked < 0.03, "a page with nothing on it is blank"
