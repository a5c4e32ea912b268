"""The table (measured vs predicted, error %), the figure (lag vs load), and atomic file writes."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from calibration.mariadb.analysis import percent_error  # noqa: E402

# Targets of issue 16: lag (mean, p99) within 15%, semi-sync commit latency within 15%,
# catch-up time within 20%.
TARGETS = {"lag": 15.0, "commit": 15.0, "catch_up": 20.0, "reconnect": 20.0}


def _row(experiment: str, quantity: str, measured, predicted, target: str, ci=None) -> dict:
    err = percent_error(predicted, measured) if measured and predicted is not None else None
    return {
        "experiment": experiment,
        "quantity": quantity,
        "measured": measured,
        "measured_ci95": ci,
        "predicted": predicted,
        "error_pct": err,
        "target_pct": TARGETS[target],
        "within_target": err is not None and abs(err) <= TARGETS[target],
    }


def table(results: dict) -> list[dict]:
    """Return the rows of the calibration table from the results dict."""
    rows = []
    for key, label in (("single", "1 thread"), ("parallel", "4 threads (optimistic)")):
        for e in results.get(key, []):
            name = f"{label}, {e['fraction']:.0%} ({e['rate_per_s']:.0f}/s)"
            m, p = e["measured"], e["predicted"]
            rows.append(_row(name, "mean lag ms", m["mean_ms"], p["mean"], "lag", m["mean_ci_ms"]))
            rows.append(_row(name, "p50 lag ms", m["p50_ms"], p["p50"], "lag"))
            rows.append(_row(name, "p99 lag ms", m["p99_ms"], p["p99"], "lag", m["p99_ci_ms"]))
            # The same measured lags against the model fed other service-time inputs: the idle
            # drain at the start (the loads' reference) and the gaps seen inside this run's
            # busy periods. Separates a wrong input from a wrong model.
            for key, what in (
                ("predicted_start_service", "idle-drain service"),
                ("predicted_in_run_service", "in-run service"),
                ("predicted_proxy_link", "link with the proxy's in-run delay"),
            ):
                q = e.get(key)
                if q:
                    for stat, mk in (("mean", "mean_ms"), ("p99", "p99_ms")):
                        rows.append(_row(name, f"{stat} lag ms, {what}", m[mk], q[stat], "lag"))
    s = results.get("semi_sync")
    if s:
        name = f"semi-sync, {s['rate_per_s']:.0f}/s"
        # The commit as predicted by the wait-for-ack formula, then as geodes' op latency (the
        # local commit's distribution, not its mean, as the write's write_time), with the
        # constant link and with the proxy's in-run delay.
        for what, o in (
            ("", s["predicted_commit_ms"]),
            (", op latency", s.get("predicted_op_ms")),
            (
                ", op latency, link with the proxy's in-run delay",
                s.get("predicted_op_proxy_link_ms"),
            ),
        ):
            if o:
                for q in ("mean", "p50", "p99"):
                    measured = s["measured_commit_ms"][q]
                    rows.append(_row(name, f"{q} commit ms{what}", measured, o.get(q), "commit"))
    f = results.get("semi_sync_fallback")
    if f:
        name = f"semi-sync timeout {f['timeout_ms']} ms, proxy silent {f['hold_s']:.0f} s"
        rows.append(
            _row(
                name,
                "max commit ms",
                f["measured_commit_ms"]["max"],
                f["predicted_commit_ms"]["max"],
                "commit",
            )
        )
    c = results.get("link_cut")
    if c:
        name = (
            f"link cut {c['cut_s']:.0f} s, retry {c['connect_retry_s']} s, {c['rate_per_s']:.0f}/s"
        )
        m, p = c["measured"], c["predicted"]
        rows.append(_row(name, "reconnect s", m["reconnect_s"], p["reconnect_s"], "reconnect"))
        rows.append(_row(name, "catch-up s", m["catch_up_s"], p["catch_up_s"], "catch_up"))
        q = c.get("predicted_start_service")
        if q:
            rows.append(
                _row(
                    name,
                    "catch-up s, idle-drain service",
                    m["catch_up_s"],
                    q["catch_up_s"],
                    "catch_up",
                )
            )
        q = c.get("predicted_backlog_service")
        if q:
            rows.append(
                _row(
                    name,
                    "catch-up s, catch-up's service",
                    m["catch_up_s"],
                    q["catch_up_s"],
                    "catch_up",
                )
            )
    return rows


def markdown(rows: list[dict]) -> str:
    """Return the table as Markdown (what docs/calibration.md and the report show)."""

    def f(v, digits=2):
        return "-" if v is None else f"{v:.{digits}f}"

    out = [
        "| experiment | quantity | measured (95% CI) | predicted | error | target |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        ci = f" ± {f(r['measured_ci95'])}" if r["measured_ci95"] is not None else ""
        err = "-" if r["error_pct"] is None else f"{r['error_pct']:+.1f}%"
        ok = "ok" if r["within_target"] else "**missed**"
        out.append(
            f"| {r['experiment']} | {r['quantity']} | {f(r['measured'])}{ci} | "
            f"{f(r['predicted'])} | {err} | ±{r['target_pct']:.0f}% {ok} |"
        )
    return "\n".join(out)


def figure(results: dict, path: Path) -> None:
    """Lag vs load, measured (with 95% CIs) and predicted, single and parallel apply."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4.2), sharey=True)
    for ax, key, title in (
        (axes[0], "single", "single-threaded applier"),
        (axes[1], "parallel", "4 threads, optimistic"),
    ):
        runs = results.get(key, [])
        if not runs:
            ax.set_visible(False)
            continue
        x = [100 * e["fraction"] for e in runs]
        for stat, mkey, color in (("mean", "mean_ms", "C0"), ("p99", "p99_ms", "C3")):
            ci = "mean_ci_ms" if stat == "mean" else "p99_ci_ms"
            ax.errorbar(
                x,
                [e["measured"][mkey] for e in runs],
                yerr=[e["measured"][ci] for e in runs],
                fmt="o",
                color=color,
                capsize=3,
                label=f"{stat} measured (MariaDB)",
            )
            ax.plot(
                x,
                [e["predicted"][stat] for e in runs],
                "-",
                color=color,
                label=f"{stat} predicted (geodes)",
            )
        pre = [e.get("measured_pre_commit") for e in runs]
        if all(pre):
            ax.plot(
                x,
                [q["mean_ms"] for q in pre],
                "x",
                color="0.5",
                label="mean to the trigger (before the commit)",
            )
        link = [e.get("predicted_proxy_link") for e in runs]
        if all(link):
            ax.plot(
                x,
                [q["p99"] for q in link],
                ":",
                color="C3",
                label="p99 predicted, link with the proxy's in-run delay",
            )
        ax.set_title(title)
        ax.set_xlabel("load, % of the single-threaded applier's capacity")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("replication lag, ms (15 ms one-way link)")
    axes[0].legend(fontsize=8)
    fig.suptitle("geodes' MySQL channel vs a real MariaDB 10.11 replica")
    fig.tight_layout()
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    os.replace(tmp, path)


def write_json(data: dict, path: Path) -> None:
    """Write `data` to a temporary file beside `path`, then rename it.

    The file gets the mode any new file would (0666 less the umask), not mkstemp's 0600.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    umask = os.umask(0)
    os.umask(umask)
    os.fchmod(fd, 0o666 & ~umask)
    with os.fdopen(fd, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)
