"""The HTML report of one run: ``geodes report results.h5 -o report.html``.

One self-contained page (inline style, no script, figures embedded as SVG) organised by the
lesson's four steps (DOMAIN.md):

1. businesses: availability over time with the fault windows shaded, success, RTO, op latency;
2. data classes: lag CDF per class and replica, loss, RPO, divergence, order violations;
3. channels: lag and backlog over time, delivered, duplicates, stopped time;
4. exception handling: access fallback, reconciliation, the compensation bill by cause;

then the fault timeline and the scenario as run. The figures are :mod:`geodes.plot`'s, the page is
the Jinja2 template ``templates/report.html.j2``. The same results give the same bytes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from geodes import plot
from geodes.html import Figure, environment, figure, number

__all__ = ["render_report", "write_report"]


@dataclass
class Table:
    """A table of the page: column headers and rows of cells (numbers formatted by the page)."""

    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)


def _ms(stats: Mapping[str, Any] | None, key: str) -> Any:
    return None if not stats else stats.get(key)


def _causes(counts: Mapping[str, Any]) -> str:
    shown = [f"{k} {number(v)}" for k, v in counts.items() if v]
    return ", ".join(shown) if shown else "—"


def _meta(results: Any) -> dict[str, Any]:
    from geodes import _core

    meta = {"version": _core.__version__, "git_describe": "", "command_line": ""}
    meta.update(getattr(results, "meta", {}) or {})
    return meta


def _businesses(results: Any) -> tuple[Table, list[Figure]]:
    s = results.summary
    cols = ["business", "tier", "attempted", "succeeded", "success ratio", "RTO (s)", "RTO status"]
    cols += ["failures by cause", "revenue lost", "compensation"]
    cols += ["latency p50 (ms)", "p99 (ms)", "max (ms)"]
    table = Table(cols)
    for name, b in s["businesses"].items():
        row = [name, b.get("tier"), b["attempted"], b["succeeded"], b["success_ratio"]]
        row += [b["rto_s"], b.get("rto_status"), _causes(b.get("failures", {}))]
        row += [b.get("revenue_lost"), b.get("cost")]
        lat = b["latency_ms"]
        row += [_ms(lat, "p50"), _ms(lat, "p99"), _ms(lat, "max")]
        table.rows.append(row)
    names = results.series_names
    figures = [
        figure(
            "Success ratio per interval of each business; fault windows shaded.",
            lambda ax: plot.availability(results, ax=ax),
        )
    ]
    dcs = [n.split("/", 1)[1] for n in names if n.startswith("availability_dc/")]
    if dcs:
        figures.append(
            figure(
                "Success ratio per interval of the operations served by each datacenter.",
                lambda ax: plot.faults(
                    results,
                    plot.lines(
                        {dc: results.series(f"availability_dc/{dc}") for dc in dcs},
                        ax,
                        ylabel="success ratio",
                    ),
                ),
            )
        )
    businesses = list(s["businesses"])
    figures.append(
        figure(
            "Op latency of succeeded operations (first attempt to reply), per business.",
            lambda ax: plot.cdf(
                {b: results.latency(b) for b in businesses},
                ax,
                xlabel="op latency (ms)",
                ylabel="fraction of succeeded ops",
            ),
        )
    )
    over_time = {b: f"latency/{b}" for b in businesses if f"latency/{b}" in names}
    if over_time:
        figures.append(
            figure(
                "Mean op latency per interval of each business; fault windows shaded.",
                lambda ax: plot.faults(
                    results,
                    plot.lines(
                        {b: results.series(n) for b, n in over_time.items()},
                        ax,
                        scale=1e-6,
                        ylabel="op latency, mean (ms)",
                        log=True,
                    ),
                ),
            )
        )
    for b in businesses:
        by_dc = list(s["businesses"][b].get("by_dc", {}))
        if len(by_dc) > 1:
            figures.append(
                figure(
                    f"Op latency of {b}, per serving datacenter.",
                    lambda ax, b=b, by_dc=by_dc: plot.latency_cdf(results, b, by_dc, ax=ax),
                )
            )
    return table, figures


def _data(results: Any) -> tuple[Table, list[Figure], Table]:
    s = results.summary
    table = Table(
        [
            "data class",
            "writes",
            "lag p50 (ms)",
            "p99 (ms)",
            "max (ms)",
            "bound violations",
            "stale reads",
            "lost",
            "recovered",
            "RPO (s)",
            "undelivered",
            "divergent keys",
            "order violations",
            "uniqueness conflicts",
            "regenerated",
        ]
    )
    figures: list[Figure] = []
    for name, d in s["data"].items():
        lag = d.get("lag_ms")
        table.rows.append(
            [
                name,
                d["writes"],
                _ms(lag, "p50"),
                _ms(lag, "p99"),
                _ms(lag, "max"),
                d["bound_violations"],
                d["stale_reads"],
                d["lost"],
                d["recovered"],
                d.get("rpo_s"),
                d.get("undelivered"),
                d["divergent_keys"],
                d["order_violations"],
                d["uniqueness_conflicts"],
                d.get("regenerated"),
            ]
        )
        replicas = list(d.get("replicas", {}))
        if not replicas or results.lag(name).total == 0:
            continue
        figures.append(
            figure(
                f"Replication lag of {name} (first arrival over its channels), per replica.",
                lambda ax, name=name, replicas=replicas: plot.lag_cdf(results, name, replicas, ax),
            )
        )
        series = {r: f"lag/{name}/{r}" for r in replicas}
        if all(n in results.series_names for n in series.values()):
            figures.append(
                figure(
                    f"Worst lag of {name} per interval at each replica; fault windows shaded.",
                    lambda ax, series=series: plot.faults(
                        results,
                        plot.lines(
                            {r: results.series(n) for r, n in series.items()},
                            ax,
                            column="max",
                            scale=1e-6,
                            ylabel="lag, max (ms)",
                            log=True,
                        ),
                    ),
                )
            )
    divergence = Table(["data class", "key", "DC", "present", "origin", "seq", "value"])
    frame = results.divergence()
    for _, r in frame.head(40).iterrows():
        divergence.rows.append(
            [r["data_class"], int(r["key"]), r["dc"], bool(r["present"])]
            + [int(r["origin"]), int(r["seq"]), int(r["value"])]
        )
    return table, figures, divergence


def _channels(results: Any) -> tuple[Table, list[Figure]]:
    s = results.summary
    table = Table(
        [
            "channel",
            "type",
            "data class",
            "from → to",
            "path",
            "delivered",
            "duplicates",
            "lost in transit",
            "lag p50 (ms)",
            "p99 (ms)",
            "stopped (s)",
            "disconnected (s)",
            "1062 errors",
        ]
    )
    for name, c in s["channels"].items():
        table.rows.append(
            [
                name,
                c.get("type"),
                c.get("data_class"),
                f"{c.get('source')} → {c.get('replica')}",
                ", ".join(c.get("path", [])),
                c["delivered"],
                c["duplicates"],
                c["lost_in_transit"],
                _ms(c.get("lag_ms"), "p50"),
                _ms(c.get("lag_ms"), "p99"),
                c["stopped_s"],
                c.get("disconnected_s"),
                c.get("errors_1062"),
            ]
        )
    if not s["channels"]:
        return table, []
    figures = [
        figure(
            "Worst lag per interval of each channel instance; fault windows shaded.",
            lambda ax: plot.channel_lag_over_time(results, ax=ax),
        ),
        figure(
            "Backlog per interval of each channel instance (MySQL: relay log not yet applied; "
            "MQ: consumer lag summed over partitions).",
            lambda ax: plot.backlog(results, ax=ax),
        ),
    ]
    return table, figures


def _exceptions(results: Any) -> dict[str, Any]:
    s = results.summary
    fallback = Table(
        ["data class", "calls", "found", "not found", "owner down", "unreachable", "p99 (ms)"]
    )
    for name, d in s["data"].items():
        f = d.get("fallback", {})
        if f.get("calls"):
            fallback.rows.append(
                [name, f["calls"], f["found"], f["not_found"], f["owner_down"], f["unreachable"]]
                + [_ms(f.get("latency_ms"), "p99")]
            )
    reconciliation = Table(["data class", "lost", "recovered", "undelivered", "RPO (s)"])
    for name, d in s["data"].items():
        reconciliation.rows.append(
            [name, d["lost"], d["recovered"], d.get("undelivered"), d.get("rpo_s")]
        )
    c = s["compensation"]
    bill = Table(["cause", "affected users", "bill"])
    for cause, users in c.get("by_cause", {}).items():
        bill.rows.append([cause, users, c.get("cost_by_cause", {}).get(cause)])
    # A figure only where there is something to draw; the tables say when there is nothing.
    figures = []
    if fallback.rows:
        figures.append(
            figure(
                "Access fallback: local misses that asked the owner DC, and how each ended.",
                lambda ax: plot.fallback(results, ax),
                size=(10.0, 3.0),
            )
        )
    if any(d["recovered"] or d["lost"] for d in s["data"].values()):
        figures.append(
            figure(
                "Reconciliation: writes missing after a fault that the oplog repaired, and those "
                "lost.",
                lambda ax: plot.reconciliation(results, ax),
                size=(10.0, 3.0),
            )
        )
    if c.get("cost"):
        figures.append(
            figure(
                "The compensation bill by cause (affected users times the price per cause).",
                lambda ax: plot.compensation(results, ax),
                size=(10.0, 3.0),
            )
        )
    return {
        "fallback": fallback,
        "reconciliation": reconciliation,
        "bill": bill,
        "compensation": c,
        "figures": figures,
    }


def _faults(results: Any) -> tuple[Table, list[Figure]]:
    table = Table(["type", "target", "start (s)", "end (s)", "detail"])
    frame = results.faults()
    for _, f in frame.iterrows():
        table.rows.append([f["type"], f["target"], f["start_s"], f["end_s"], f["detail"]])
    targets = max(1, len(set(frame["target"])))
    fig = figure(
        "The faults over the run, one row per target.",
        lambda ax: plot.fault_timeline(results, ax),
        size=(10.0, 1.0 + 0.45 * targets),
    )
    return table, [fig]


def render_report(results: Any) -> str:
    """Return the HTML report of ``results`` (a :class:`geodes.Results` or an opened file)."""
    s = results.summary
    businesses, business_figures = _businesses(results)
    data, data_figures, divergence = _data(results)
    channels, channel_figures = _channels(results)
    faults, fault_figures = _faults(results)
    context = {
        "s": s,
        "meta": _meta(results),
        "complete": bool(s.get("complete", True)),
        "businesses": businesses,
        "business_figures": business_figures,
        "data": data,
        "data_figures": data_figures,
        "divergence": divergence,
        "channels": channels,
        "channel_figures": channel_figures,
        "exceptions": _exceptions(results),
        "faults": faults,
        "fault_figures": fault_figures,
        "scenario_text": results.scenario_text,
    }
    return environment().get_template("report.html.j2").render(**context)


def write_report(results: Any, path: str | os.PathLike[str]) -> None:
    """Write the HTML report of ``results`` (or of the results file at ``results``) to ``path``.

    The file is written atomically (a temporary file, then a rename); raises
    :class:`geodes.output.OutputError` when it cannot be written.
    """
    from geodes.output import check_output_path, write_text_atomically
    from geodes.results import open_results

    check_output_path(path)
    if isinstance(results, (str, os.PathLike)):
        results = open_results(results)
    write_text_atomically(path, render_report(results))
