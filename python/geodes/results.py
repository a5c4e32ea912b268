"""Results of a run: the summary as a dict, tables as pandas frames, series and histograms as numpy.

:func:`run` runs a scenario in C++ with the GIL released and returns :class:`Results`;
:func:`open_results` reads an HDF5 results file (docs/results.md) back into the same accessors.
Both expose the same metrics as ``geodes run``: the numbers are those of DESIGN.md, "Metrics".
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from geodes import _core
from geodes.scenario import Scenario, ScenarioSource, load_scenario

__all__ = ["Histogram", "LagHistogram", "Results", "ResultsFile", "open_results", "run"]


class LagHistogram:
    """A histogram of durations in nanoseconds: a lag, or an op latency.

    Bucket bounds and counts, with quantiles within 1%. ``quantity`` names what it holds
    (``lag``, ``latency``).
    """

    def __init__(
        self, lower: np.ndarray, upper: np.ndarray, count: np.ndarray, quantity: str = "lag"
    ) -> None:
        """Build from bucket arrays (values in [lower, upper] were seen count times)."""
        self.lower = np.asarray(lower, dtype=np.int64)
        self.upper = np.asarray(upper, dtype=np.int64)
        self.count = np.asarray(count, dtype=np.uint64)
        self.quantity = quantity

    @property
    def total(self) -> int:
        """Number of samples."""
        return int(self.count.sum())

    def quantile_ms(self, p: float) -> float:
        """Return the p-quantile in milliseconds (bucket midpoint, nearest rank); NaN when empty."""
        if self.total == 0:
            return float("nan")
        rank = max(1, int(np.ceil(p * self.total)))
        i = int(np.searchsorted(np.cumsum(self.count), rank))
        return float((self.lower[i] + self.upper[i]) / 2) / 1e6

    @staticmethod
    def merged(histograms: Iterable[LagHistogram], quantity: str = "lag") -> LagHistogram:
        """Merge histograms of one layout (e.g. of several seeds) by adding counts per bucket."""
        tables = [{"lower": h.lower, "upper": h.upper, "count": h.count} for h in histograms]
        return _merge(tables, quantity)

    def cdf(self) -> pd.DataFrame:
        """Return the empirical CDF: columns ``<quantity>_ms`` and ``fraction``.

        ``<quantity>_ms`` (``lag_ms``, ``latency_ms``) is each bucket's upper bound.
        """
        total = max(self.total, 1)
        return pd.DataFrame(
            {f"{self.quantity}_ms": self.upper / 1e6, "fraction": np.cumsum(self.count) / total}
        )


#: What each design costs: op latency histograms are LagHistograms of ``latency``.
Histogram = LagHistogram


def _histogram(h: Any, quantity: str = "lag") -> LagHistogram:
    lower, upper, count = h.buckets()
    return LagHistogram(lower, upper, count, quantity)


class _Tables:
    """Tables built from a summary dict, shared by Results and ResultsFile."""

    summary: dict[str, Any]

    def businesses(self) -> pd.DataFrame:
        """One row per business: attempted, succeeded, success_ratio, rto_s, cost, latency, ...

        Also the failures by cause and the op latency (``latency_ms.mean``, ``latency_ms.p50``,
        ``latency_ms.p99``, ``latency_ms.p999``, ``latency_ms.max``; NaN without succeeded ops).
        Per serving DC: :meth:`latency` with ``dc``.
        """
        rows = [
            {"business": k, **_flat({x: y for x, y in v.items() if x != "by_dc"})}
            for k, v in self.summary["businesses"].items()
        ]
        frame = pd.DataFrame(rows).set_index("business")
        for column in [c for c in frame.columns if c.startswith("latency_ms.")]:
            frame[column] = frame[column].astype(float)  # null (no succeeded op) becomes NaN
        return frame

    def data(self) -> pd.DataFrame:
        """One row per data class: writes, lag (ms), loss and inconsistency counts."""
        rows = [{"data_class": k, **_flat(v)} for k, v in self.summary["data"].items()]
        return pd.DataFrame(rows).set_index("data_class")

    def channels(self) -> pd.DataFrame:
        """One row per channel instance: delivered, duplicates, lost in transit, lag (ms)."""
        rows = [{"channel": k, **_flat(v)} for k, v in self.summary["channels"].items()]
        if not rows:
            return pd.DataFrame(columns=["channel"]).set_index("channel")
        return pd.DataFrame(rows).set_index("channel")


def _flat(d: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, Mapping):
            out.update(_flat(v, f"{prefix}{k}."))
        elif isinstance(v, list):
            continue
        else:
            out[f"{prefix}{k}"] = v
    return out


class Results(_Tables):
    """What one run measured (returned by :func:`run`)."""

    def __init__(self, core: Any, scenario: Scenario) -> None:
        """Wrap the C++ results of a run of ``scenario``."""
        self._core = core
        self.scenario = scenario
        self.summary: dict[str, Any] = json.loads(core.summary_json(True))

    @property
    def seed(self) -> int:
        """The master seed of the run."""
        return int(self._core.seed)

    @property
    def complete(self) -> bool:
        """False when the run stopped early: interrupted (Ctrl-C, SIGTERM) or out of memory."""
        return bool(self._core.complete)

    @property
    def stopped_by(self) -> str:
        """Why an incomplete run stopped; ``""`` for a complete run.

        ``"interrupted"`` or ``"out of memory while ..."`` (docs/results.md).
        """
        return "" if self.complete else str(self._core.stopped_by)

    @property
    def fingerprint(self) -> int:
        """A hash of the run's trajectory: equal fingerprints, identical runs."""
        return int(self._core.fingerprint)

    @property
    def scenario_text(self) -> str:
        """The scenario as run (YAML after overrides), as a results file records it."""
        return str(self._core.scenario_text)

    def summary_json(self, include_wall_time: bool = True) -> str:
        """Return the summary JSON text, exactly as ``geodes run --json`` writes it."""
        return str(self._core.summary_json(include_wall_time))

    def lag(self, data_class: str, dc: str | None = None) -> LagHistogram:
        """Return a data class's lag (first arrival over its channels), merged or at one DC."""
        return _histogram(self._core.lag_histogram(data_class, dc))

    def latency(self, business: str, dc: str | None = None) -> LagHistogram:
        """Return a business's op latency, over every serving DC or at serving DC ``dc``.

        Succeeded ops after the warm-up, from the first attempt to the reply (docs/results.md).
        """
        return _histogram(self._core.latency_histogram(business, dc), "latency")

    def channel_lag(self, channel: str) -> LagHistogram:
        """One channel instance's lag histogram."""
        return _histogram(self._core.channel_lag_histogram(channel))

    @property
    def series_names(self) -> list[str]:
        """Names of the time series (``lag/<class>/<dc>``, ``availability/<business>``, ...)."""
        return list(self._core.series_names())

    def series(self, name: str) -> pd.DataFrame:
        """Return a time series: index ``t_s`` (interval starts), columns ``mean`` and ``max``."""
        unit, interval_s, mean, mx = self._core.series(name)
        t = np.arange(len(mean)) * interval_s
        frame = pd.DataFrame({"mean": mean, "max": mx}, index=pd.Index(t, name="t_s"))
        frame.attrs["unit"] = unit
        frame.attrs["name"] = name
        return frame

    def faults(self) -> pd.DataFrame:
        """One row per fault occurrence: type, target, start_s, end_s (NaN: never), detail."""
        frame = pd.DataFrame(
            self._core.faults(), columns=["type", "target", "start_s", "end_s", "detail"]
        )
        frame.loc[frame["end_s"] < 0, "end_s"] = np.nan
        return frame

    def divergence(self) -> pd.DataFrame:
        """Return a sample of divergent keys, one row per (key, DC) with the version held there."""
        return pd.DataFrame(
            self._core.divergence(),
            columns=["data_class", "key", "dc", "present", "origin", "seq", "hlc", "value"],
        )

    def to_hdf5(self, path: str | os.PathLike[str], command_line: str = "") -> None:
        """Write the HDF5 results file (docs/results.md) atomically."""
        self._core.write_hdf5(os.fspath(path), command_line, True)

    def __repr__(self) -> str:
        """Short form with the headline numbers."""
        s = self.summary
        return (
            f"Results({s['scenario']!r}, seed={s['seed']}, events={s['events']}, "
            f"sim_time_s={s['sim_time_s']:.0f}, complete={self.complete})"
        )


def run(
    scenario: ScenarioSource = None,
    seed: int | None = None,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
    progress: bool | None = None,
) -> Results:
    """Run a scenario and return its results.

    ``scenario`` is anything :func:`geodes.load_scenario` accepts (a path, a dict, a
    :class:`Scenario`, or ``None`` for the built-in default). ``seed`` overrides the scenario's
    seed. The GIL is released while the simulation runs, so threads may run scenarios in parallel;
    the same scenario and seed always give bit-identical results. ``progress`` draws a bar over
    simulated time (default: on a terminal or in a notebook, never when stderr is redirected).
    Ctrl-C (a notebook's "interrupt kernel") stops the run cleanly and raises
    :class:`geodes.Interrupted`, whose ``results`` hold what was measured (``complete`` False).
    """
    from geodes.errors import Interrupted, SimulationError
    from geodes.progress import RunProgress, enabled

    s = load_scenario(scenario, overrides)
    bar = RunProgress(s.name, enabled(progress))
    try:
        core = _core.run_scenario(s.source_text, s.origin, list(s.overrides), seed, bar)
    except BaseException:
        bar.close(complete=False)
        raise
    bar.close(complete=bool(core.complete))
    results = Results(core, s)
    if not results.complete and core.stopped_by.startswith("out of memory"):
        raise SimulationError(
            f"the run of {s.name!r} stopped: {core.stopped_by}; its partial results are in this "
            "exception's .results",
            results,
        )
    if not results.complete:
        raise Interrupted(
            f"the run of {s.name!r} was interrupted at {core.sim_time_s:.0f} s of simulated time; "
            "its partial results are in this exception's .results",
            results,
        )
    return results


class ResultsFile(_Tables):
    """An HDF5 results file opened for reading (layout: docs/results.md)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Read the summary and metadata of the file at ``path``."""
        import h5py

        self.path = os.fspath(path)
        with h5py.File(self.path, "r") as f:
            self.summary = json.loads(_text(f["summary"][()]))
            self.meta: dict[str, Any] = {
                k: (
                    _text(v)
                    if isinstance(v, (bytes, str))
                    else v.item()
                    if hasattr(v, "item")
                    else v
                )
                for k, v in f["meta"].attrs.items()
            }
            self.scenario_text = _text(f["meta"]["scenario_yaml"][()])

    @property
    def complete(self) -> bool:
        """False when the run stopped early: interrupted or out of memory."""
        return bool(self.meta.get("complete", True))

    @property
    def stopped_by(self) -> str:
        """Why an incomplete run stopped; ``""`` when complete.

        The file's ``/meta`` attribute ``stopped_by`` (docs/results.md).
        """
        return "" if self.complete else str(self.meta.get("stopped_by", ""))

    def lag(self, data_class: str, dc: str | None = None) -> LagHistogram:
        """Return a data class's lag histogram, merged over replica DCs or at replica DC ``dc``."""
        import h5py

        with h5py.File(self.path, "r") as f:
            for key, group in f["lag"].items():
                if key == "channels" or _text(group.attrs.get("name", key)) != data_class:
                    continue
                tables = [
                    ds[()]
                    for k, ds in group.items()
                    if dc is None or _text(ds.attrs.get("name", k)) == dc
                ]
                if dc is not None and not tables:
                    raise KeyError(f"data class {data_class!r} has no replica DC {dc!r}")
                return _merge(tables)
        raise KeyError(f"no data class {data_class!r} in {self.path}")

    def latency(self, business: str, dc: str | None = None) -> LagHistogram:
        """Return a business's op latency histogram, over every serving DC or at DC ``dc``."""
        import h5py

        with h5py.File(self.path, "r") as f:
            for key, group in f["latency"].items():
                if _text(group.attrs.get("name", key)) != business:
                    continue
                tables = [
                    ds[()]
                    for k, ds in group.items()
                    if dc is None or _text(ds.attrs.get("name", k)) == dc
                ]
                if dc is not None and not tables:
                    raise KeyError(f"business {business!r} has no serving DC {dc!r}")
                return _merge(tables, "latency")
        raise KeyError(f"no business {business!r} in {self.path}")

    def channel_lag(self, channel: str) -> LagHistogram:
        """One channel instance's lag histogram."""
        import h5py

        with h5py.File(self.path, "r") as f:
            for k, ds in f["lag/channels"].items():
                if _text(ds.attrs.get("name", k)) == channel:
                    return _merge([ds[()]])
        raise KeyError(f"no channel {channel!r} in {self.path}")

    @property
    def series_names(self) -> list[str]:
        """Names of the time series in the file."""
        import h5py

        names: list[str] = []
        with h5py.File(self.path, "r") as f:

            def visit(_: str, obj: Any) -> None:
                if isinstance(obj, h5py.Group) and "t_s" in obj and "name" in obj.attrs:
                    names.append(_text(obj.attrs["name"]))

            f["timeseries"].visititems(visit)
        return names

    def series(self, name: str) -> pd.DataFrame:
        """Return a time series by its name, as :meth:`Results.series` gives it."""
        import h5py

        with h5py.File(self.path, "r") as f:
            found: list[Any] = []

            def visit(_: str, obj: Any) -> None:
                if isinstance(obj, h5py.Group) and "t_s" in obj and not found:
                    if _text(obj.attrs.get("name", "")) == name:
                        found.append(obj)

            f["timeseries"].visititems(visit)
            if not found:
                raise KeyError(f"no series {name!r} in {self.path}")
            g = found[0]
            frame = pd.DataFrame(
                {"mean": g["mean"][()], "max": g["max"][()]},
                index=pd.Index(g["t_s"][()], name="t_s"),
            )
            frame.attrs["unit"] = _text(g.attrs.get("unit", ""))
            frame.attrs["name"] = name
            return frame

    def faults(self) -> pd.DataFrame:
        """Return the fault table: type, target, start_s, end_s (NaN: never ended), detail."""
        return self._table("faults")

    def divergence(self) -> pd.DataFrame:
        """Return the sample of divergent keys, one row per (key, DC)."""
        return self._table("divergence")

    def _table(self, group: str) -> pd.DataFrame:
        import h5py

        with h5py.File(self.path, "r") as f:
            return pd.DataFrame(
                {k: (d.asstr()[()] if d.dtype.kind == "O" else d[()]) for k, d in f[group].items()}
            )


def _merge(tables: Sequence[Any], quantity: str = "lag") -> LagHistogram:
    """Merge histograms of one layout by adding counts over equal (lower, upper).

    Each table has columns lower, upper and count (a structured array or a mapping of arrays).
    """
    rows = [t for t in tables if len(t["count"])]
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return LagHistogram(empty, empty, np.zeros(0, dtype=np.uint64), quantity)
    frame = pd.DataFrame(
        {k: np.concatenate([t[k] for t in rows]) for k in ("lower", "upper", "count")}
    )
    merged = frame.groupby(["lower", "upper"], as_index=False, sort=True)["count"].sum()
    return LagHistogram(
        merged["lower"].to_numpy(),
        merged["upper"].to_numpy(),
        merged["count"].to_numpy(),
        quantity,
    )


def _text(v: Any) -> str:
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray) and v.shape == ():
        return _text(v.item())
    return str(v)


def open_results(path: str | os.PathLike[str]) -> ResultsFile:
    """Open an HDF5 results file written by ``geodes run --out`` or :meth:`Results.to_hdf5`."""
    return ResultsFile(path)
