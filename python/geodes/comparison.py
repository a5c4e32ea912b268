"""Comparing designs: a scenario (the baseline) and its variants, each run for several seeds.

``geodes compare SCENARIO --variant NAME=KEY=VALUE[,KEY=VALUE...] --seeds 1-5`` and
:func:`compare` run every variant for every seed (local threads or a Dask cluster, through
:func:`geodes.sweep.execute`) and give the headline figures side by side, each as the mean across
seeds and its 95% confidence interval (Student t with n-1 degrees of freedom): writes lost, RPO and
p99 lag per data class; success ratio, RTO and p99 op latency per business; the compensation bill.
The HTML comparison overlays the same figures per variant, with the lag, latency and availability
curves of every variant (histograms merged over seeds, series averaged over seeds).

The table is a pure function of (scenario, variants, seeds): identical whatever the executor.
"""

from __future__ import annotations

import json as _json
import math
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Union

from geodes.errors import ScenarioError
from geodes.scenario import ScenarioSource, format_override, load_scenario

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "BASELINE",
    "compare",
    "confidence_interval",
    "format_table",
    "parse_seeds",
    "parse_variant",
    "render_comparison",
]

BASELINE = "baseline"

VariantSpec = Union[str, Mapping[str, Any], Sequence[str]]

_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class Headline:
    """One headline figure: its label, where it lives in the summary, and its unit."""

    label: str
    scope: str  # "data", "businesses" or "" (one value per run)
    key: str  # dotted path under the subject (or from the summary's root when scope is "")


HEADLINES = (
    Headline("writes lost", "data", "lost"),
    Headline("RPO (s)", "data", "rpo_s"),
    Headline("p99 lag (ms)", "data", "lag_ms.p99"),
    Headline("success ratio", "businesses", "success_ratio"),
    Headline("RTO (s)", "businesses", "rto_s"),
    Headline("p99 op latency (ms)", "businesses", "latency_ms.p99"),
    Headline("compensation bill", "", "compensation.cost"),
)


def parse_seeds(text: str) -> list[int]:
    """Parse ``1-5``, ``1,3,7`` or ``1-3,8`` into seeds (in the order given, without repeats)."""
    seeds: list[int] = []
    for part in str(text).split(","):
        m = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if m is None or (m.group(2) is not None and int(m.group(2)) < int(m.group(1))):
            raise ScenarioError(
                f"--seeds: '{text}' is not a list of seeds; allowed: N, A-B (A <= B) and "
                "comma-separated lists of them, e.g. 1-5 or 1,3,7"
            )
        first = int(m.group(1))
        last = int(m.group(2)) if m.group(2) is not None else first
        seeds += [s for s in range(first, last + 1) if s not in seeds]
    return seeds


def _split_overrides(text: str, where: str) -> list[str]:
    """Split ``KEY=VALUE[,KEY=VALUE...]`` into overrides.

    A piece without '=' belongs to the previous value (so that ``faults=[a,b]`` keeps its comma).
    """
    items: list[str] = []
    for piece in text.split(","):
        if "=" in piece.split("[", 1)[0].split("{", 1)[0] or not items:
            items.append(piece)
        else:
            items[-1] += "," + piece
    for item in items:
        key = item.split("=", 1)[0]
        if "=" not in item or not key.strip():
            raise ScenarioError(
                f"{where}: '{item}' is not KEY=VALUE (e.g. workload.rate=2k/s or "
                "channels.0.duplicate_key=overwrite)"
            )
    return items


def parse_variant(text: str) -> tuple[str, list[str]]:
    """Parse ``NAME=KEY=VALUE[,KEY=VALUE...]`` into the name and its ``key.path=value`` overrides.

    Raises ScenarioError saying what is wrong and what is allowed.
    """
    name, sep, rest = str(text).partition("=")
    if not sep or not rest:
        raise ScenarioError(
            f"--variant: '{text}' is not NAME=KEY=VALUE[,KEY=VALUE...] "
            "(e.g. --variant fast=workload.rate=8k/s)"
        )
    _check_name(name, "--variant")
    return name, _split_overrides(rest, f"--variant {name}")


def _check_name(name: str, where: str) -> None:
    if not _NAME.match(name):
        raise ScenarioError(
            f"{where}: the variant name '{name}' must be letters, digits, '_', '.' or '-'"
        )
    if name == BASELINE:
        raise ScenarioError(
            f"{where}: '{BASELINE}' names the unchanged scenario; pick another name"
        )


def _overrides_of(name: str, spec: VariantSpec) -> list[str]:
    if isinstance(spec, str):
        return _split_overrides(spec, f"variant {name}")
    if isinstance(spec, Mapping):
        return [format_override(k, v) for k, v in spec.items()]
    return [str(o) for o in spec]


def confidence_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, int]:
    """Return (mean, half-width, n) of the Student t interval of the finite ``values``.

    The half-width is NaN with fewer than two values (no spread to estimate).
    """
    import numpy as np
    from scipy import stats

    x = np.asarray([v for v in values if v is not None and math.isfinite(v)], dtype=float)
    n = len(x)
    if n == 0:
        return math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, 1
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, half, n


def _get(d: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(d, Mapping) or part not in d:
            return None
        d = d[part]
    return d


def _value(summary: Mapping[str, Any], h: Headline, subject: str) -> float:
    """Return a run's value of a headline figure; NaN when it has none.

    A business never hurt has an RTO of 0; one that never recovered has none (it is left out of
    the mean, and n counts only the runs that have a value).
    """
    if h.scope:
        record = summary.get(h.scope, {}).get(subject)
        if record is None:
            return math.nan
        if h.key == "rto_s" and record.get("rto_status") == "not_hurt":
            return 0.0
        v = _get(record, h.key)
    else:
        v = _get(summary, h.key)
    return math.nan if v is None else float(v)


def run_variant(
    text: str,
    origin: str,
    overrides: Sequence[str],
    seed: int,
    stop: threading.Event | None = None,
) -> dict[str, Any]:
    """Run one comparison task: the scenario with ``overrides`` and ``seed``.

    Returns the summary (without wall time) and what the overlaid figures need: lag and op-latency
    histograms, availability series.

    Module-level and returning plain data, so that Dask can ship it to workers.
    """
    from geodes import _core
    from geodes.progress import RunProgress
    from geodes.results import Results
    from geodes.scenario import Scenario

    scenario = Scenario(text, origin, tuple(overrides))
    core = _core.run_scenario(text, origin, list(overrides), seed, RunProgress("", False, stop))
    r = Results(core, scenario)
    summary = _json.loads(core.summary_json(False))

    def arrays(h: Any) -> tuple[Any, Any, Any]:
        return (h.lower, h.upper, h.count)

    lag = {c: arrays(r.lag(c)) for c, d in summary["data"].items() if d.get("replicas")}
    latency = {b: arrays(r.latency(b)) for b in summary["businesses"]}
    series = {}
    for b in summary["businesses"]:
        s = r.series(f"availability/{b}")
        series[f"availability/{b}"] = (s.index.to_numpy(), s["mean"].to_numpy())
    return {
        "seed": seed,
        "summary": summary,
        "lag": lag,
        "latency": latency,
        "series": series,
    }


class VariantRuns:
    """The runs of one variant over the seeds, with the accessors :mod:`geodes.plot` reads.

    Histograms are merged over seeds, series averaged over seeds; faults are the first seed's.
    """

    def __init__(self, name: str, overrides: Sequence[str], runs: Sequence[Mapping[str, Any]]):
        """Keep the task results of one variant, in seed order."""
        self.name = name
        self.overrides = list(overrides)
        self.runs = list(runs)
        self.summary = self.runs[0]["summary"]

    def _hist(self, kind: str, name: str) -> Any:
        from geodes.results import LagHistogram

        quantity = "lag" if kind == "lag" else "latency"
        return LagHistogram.merged(
            (LagHistogram(*r[kind][name], quantity) for r in self.runs if name in r[kind]),
            quantity,
        )

    def lag(self, data_class: str, dc: str | None = None) -> Any:
        """Return the class's lag over replicas, merged over seeds."""
        return self._hist("lag", data_class)

    def latency(self, business: str, dc: str | None = None) -> Any:
        """Return the business's op latency, merged over seeds."""
        return self._hist("latency", business)

    def series(self, name: str) -> pd.DataFrame:
        """Return a series averaged over seeds (intervals no seed saw anything in stay NaN)."""
        import numpy as np
        import pandas as pd

        # Runs may end a few intervals apart (a run ends with its last event): pad with NaN.
        longest = max(self.runs, key=lambda r: len(r["series"][name][0]))
        t = longest["series"][name][0]
        stack = np.full((len(self.runs), len(t)), np.nan)
        for i, r in enumerate(self.runs):
            values = r["series"][name][1]
            stack[i, : len(values)] = values
        with np.errstate(all="ignore"):
            counts = np.sum(np.isfinite(stack), axis=0)
            mean = np.where(counts > 0, np.nansum(stack, axis=0) / np.maximum(counts, 1), np.nan)
        return pd.DataFrame({"mean": mean, "max": mean}, index=pd.Index(t, name="t_s"))

    def faults(self) -> pd.DataFrame:
        """Return the faults of the first seed's run."""
        import pandas as pd

        frame = pd.DataFrame(
            self.summary.get("faults", []), columns=["type", "target", "start_s", "end_s", "detail"]
        )
        frame["end_s"] = frame["end_s"].astype(float)  # null (never ended) -> NaN
        return frame


def _table(variants: Sequence[VariantRuns]) -> pd.DataFrame:
    import pandas as pd

    subjects: dict[str, list[str]] = {"data": [], "businesses": [], "": ["all"]}
    for v in variants:
        for scope in ("data", "businesses"):
            for name in v.summary.get(scope, {}):
                if name not in subjects[scope]:
                    subjects[scope].append(name)
    rows: dict[tuple[str, str], dict[tuple[str, str], float]] = {}
    for h in HEADLINES:
        for subject in subjects[h.scope]:
            cells: dict[tuple[str, str], float] = {}
            for v in variants:
                mean, half, n = confidence_interval(
                    [_value(r["summary"], h, subject) for r in v.runs]
                )
                cells[(v.name, "mean")] = mean
                cells[(v.name, "ci_low")] = mean - half
                cells[(v.name, "ci_high")] = mean + half
                cells[(v.name, "n")] = n
            if any(cells[(v.name, "n")] for v in variants):
                rows[(h.label, subject)] = cells
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index = pd.MultiIndex.from_tuples(list(rows), names=["figure", "of"])
    frame.columns = pd.MultiIndex.from_tuples(list(frame.columns), names=["variant", "stat"])
    for v in variants:
        frame[(v.name, "n")] = frame[(v.name, "n")].astype(int)
    return frame


def _cell(frame: pd.DataFrame, key: tuple[str, str], variant: str, seeds: int) -> str:
    from geodes.html import number

    row = frame.loc[key]
    mean, low, high, n = (row[(variant, s)] for s in ("mean", "ci_low", "ci_high", "n"))
    if n == 0:
        return "—"
    text = number(float(mean), 4)
    if math.isfinite(low):
        text += f" [{number(float(low), 3)}, {number(float(high), 3)}]"
    if n < seeds:
        text += f" (n={n})"
    return text


def format_table(frame: pd.DataFrame) -> str:
    """Return the comparison table as text.

    One row per figure, one column per variant; each cell is the mean and, in brackets, its 95%
    confidence interval across seeds.
    """
    names = list(dict.fromkeys(frame.columns.get_level_values("variant")))
    seeds = int(frame.attrs.get("seeds", 0)) or int(frame[(names[0], "n")].max())
    header = ["figure", "of", *names]
    body = [
        [figure, of, *(_cell(frame, (figure, of), v, seeds) for v in names)]
        for figure, of in frame.index
    ]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        left = [c.ljust(w) for c, w in zip(cells[:2], widths[:2])]
        right = [c.rjust(w) for c, w in zip(cells[2:], widths[2:])]
        return "  ".join(left + right).rstrip()

    rule = "  ".join("-" * w for w in widths)
    note = f"mean [95% confidence interval] over {seeds} seed{'s' if seeds != 1 else ''}"
    return "\n".join([line(header), rule, *(line(r) for r in body), "", note])


def _json_table(frame: pd.DataFrame, variants: Sequence[VariantRuns], info: Mapping[str, Any]):
    def finite(x: Any) -> Any:
        x = float(x)
        return x if math.isfinite(x) else None

    figures = []
    for figure, of in frame.index:
        row = frame.loc[(figure, of)]
        figures.append(
            {
                "figure": figure,
                "of": of,
                "values": {
                    v.name: {
                        "mean": finite(row[(v.name, "mean")]),
                        "ci_low": finite(row[(v.name, "ci_low")]),
                        "ci_high": finite(row[(v.name, "ci_high")]),
                        "n": int(row[(v.name, "n")]),
                    }
                    for v in variants
                },
            }
        )
    return {**info, "figures": figures}


def render_comparison(
    frame: pd.DataFrame, variants: Sequence[VariantRuns], info: Mapping[str, Any]
) -> str:
    """Return the HTML comparison: the table, then each figure overlaid per variant."""
    from geodes import _core, plot
    from geodes.html import environment, figure

    seeds = len(info["seeds"])
    names = [v.name for v in variants]
    figures = [
        figure(
            f"{label}: mean over seeds and 95% confidence interval, per variant.",
            lambda ax, label=label: plot.variants(frame, label, ax),
            size=(10.0, 1.2 + 0.2 * len(frame.xs(label, level="figure")) * (1 + len(names))),
        )
        for label in dict.fromkeys(frame.index.get_level_values("figure"))
    ]
    classes = [
        c for c in variants[0].summary["data"] if all(c in v.runs[0]["lag"] for v in variants)
    ]
    for c in classes:
        figures.append(
            figure(
                f"Replication lag of {c} (merged over replicas and seeds), per variant.",
                lambda ax, c=c: plot.cdf({v.name: v.lag(c) for v in variants}, ax),
            )
        )
    businesses = list(variants[0].summary["businesses"])
    for b in businesses:
        if all(b in v.runs[0]["latency"] for v in variants):
            figures.append(
                figure(
                    f"Op latency of {b} (merged over seeds), per variant.",
                    lambda ax, b=b: plot.cdf(
                        {v.name: v.latency(b) for v in variants},
                        ax,
                        xlabel="op latency (ms)",
                        ylabel="fraction of succeeded ops",
                    ),
                )
            )
    same_faults = all(
        r["summary"].get("faults") == variants[0].summary.get("faults")
        for v in variants
        for r in v.runs
    )
    for b in businesses:
        if not all(f"availability/{b}" in v.runs[0]["series"] for v in variants):
            continue

        def draw(ax: Any, b: str = b) -> Any:
            plot.lines(
                {v.name: v.series(f"availability/{b}") for v in variants},
                ax,
                ylabel=f"{b} success ratio",
            )
            if same_faults:
                plot.faults(variants[0], ax)
            return ax

        figures.append(
            figure(
                f"Success ratio of {b} per interval (mean over seeds), per variant"
                + ("; fault windows shaded." if same_faults else "."),
                draw,
            )
        )
    header = ["figure", "of", *names]
    rows = [
        [figure_, of, *(_cell(frame, (figure_, of), v, seeds) for v in names)]
        for figure_, of in frame.index
    ]
    return (
        environment()
        .get_template("compare.html.j2")
        .render(
            meta={"version": _core.__version__, "git_describe": ""},
            info=info,
            variants=variants,
            header=header,
            rows=rows,
            figures=figures,
        )
    )


def compare(
    scenario: ScenarioSource = None,
    variants: Mapping[str, VariantSpec] | None = None,
    seeds: Sequence[int] | str = (1, 2, 3, 4, 5),
    overrides: Mapping[str, Any] | Sequence[str] | None = None,
    client: Any = None,
    workers: int | None = None,
    progress: bool | None = None,
    html: str | None = None,
    json: str | None = None,
) -> pd.DataFrame:
    """Run ``scenario`` (the baseline) and each variant for every seed, figures side by side.

    ``variants`` maps a name to its overrides: a dict (``{"workload.rate": "8k/s"}``), a list of
    ``"key.path=value"`` strings, or one ``"key=value,key=value"`` string. ``overrides`` apply to
    the baseline and every variant. ``seeds`` is a list or a text like ``"1-5"``. Runs go to a
    Dask ``client``'s cluster or to ``workers`` local threads, with a progress bar (``progress``:
    default on a terminal or in a notebook). Every variant is validated before anything runs
    (ScenarioError names the variant and the bad key).

    Returns a DataFrame indexed by (figure, of) -- ``("writes lost", "accounts")``,
    ``("RTO (s)", "login")``, ``("compensation bill", "all")`` -- with columns (variant, stat),
    stat being ``mean``, ``ci_low``, ``ci_high`` (the 95% Student t interval across seeds; NaN
    with one seed) and ``n`` (runs with a value). ``html`` and ``json`` write the HTML comparison
    and the table as JSON (atomically).
    """
    from geodes.output import check_output_path, write_text_atomically
    from geodes.sweep import execute

    base = load_scenario(scenario, overrides)
    seed_list = parse_seeds(seeds) if isinstance(seeds, str) else [int(s) for s in seeds]
    if not seed_list:
        raise ValueError("seeds is empty")
    specs: dict[str, list[str]] = {BASELINE: []}
    for name, spec in (variants or {}).items():
        _check_name(name, "variant")
        specs[name] = _overrides_of(name, spec)
    for name, extra in specs.items():
        try:
            load_scenario(base, extra)
        except ScenarioError as e:
            raise ScenarioError(f"variant '{name}': {e}") from None
    for path in (html, json):
        if path:
            check_output_path(path)
    args = (base.source_text, base.origin)
    tasks = [
        (name, (*args, [*base.overrides, *extra], seed))
        for name, extra in specs.items()
        for seed in seed_list
    ]
    results = execute(run_variant, [t for _, t in tasks], client, workers, progress, "compare runs")
    runs = [
        VariantRuns(name, extra, [r for (n, _), r in zip(tasks, results) if n == name])
        for name, extra in specs.items()
    ]
    frame = _table(runs)
    frame.attrs["seeds"] = len(seed_list)
    info = {
        "scenario": base.name,
        "origin": base.origin,
        "overrides": list(base.overrides),
        "seeds": seed_list,
        "variants": {v.name: v.overrides for v in runs},
    }
    if json:
        write_text_atomically(json, _json.dumps(_json_table(frame, runs, info), indent=2) + "\n")
    if html:
        write_text_atomically(html, render_comparison(frame, runs, info))
    return frame
