"""geodes' prediction for an experiment: a two-DC scenario with the measured parameters.

The scenario is what an architect would write for the measured system: two datacenters joined by
one link of constant latency (the proxy's delay plus the proxy's own measured overhead), one data
class of 200-byte rows written only at the source, one `mysql_replication` channel whose
`apply_time` is the measured service-time distribution (`empirical(...)`), and one business that
inserts a fresh row per arrival (Poisson, `rate`). Lag is read from the summary's channel entry,
exactly as a user of geodes would read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import geodes
import numpy as np

CHANNEL = "binlog:src->dst"


@dataclass
class Prediction:
    """What geodes predicts for one experiment."""

    summary: dict
    series: dict[str, Any] = field(default_factory=dict)

    @property
    def channel(self) -> dict:
        """The source->replica channel's summary entry."""
        return self.summary["channels"][CHANNEL]

    def lag_ms(self) -> dict:
        """mean, p50, p99, p999, max of the channel lag (ms)."""
        return self.channel["lag_ms"]

    def op_latency_ms(self) -> dict:
        """mean, p50, p99, p999, max of the insert's op latency (ms): local write plus wait."""
        return self.summary["businesses"]["insert"]["latency_ms"]


def empirical(samples_s: np.ndarray, limit: int = 4000, seed: int = 1) -> str:
    """Return an `empirical(...)` of at most `limit` of the samples (s), in microseconds.

    A random subsample (seeded) keeps the scenario text bounded; 4000 samples pin the mean within
    about 1.5 standard errors of a percent for the service times met here.
    """
    s = np.asarray(samples_s)
    if len(s) > limit:
        s = np.random.default_rng(seed).choice(s, size=limit, replace=False)
    return "empirical(" + ", ".join(f"{x * 1e6:.1f}us" for x in s) + ")"


def scenario(
    rate: float,
    apply_time: str,
    latency_ms: float,
    duration_s: float,
    warmup_s: float = 5.0,
    threads: int = 1,
    parallelism: str = "writeset",
    semi_sync: bool = False,
    semi_sync_timeout_ms: float = 10_000,
    retry_interval_s: float = 60,
    faults: list[dict] | None = None,
    series_interval: str = "1s",
    latency: str | None = None,
    write_time: str | None = None,
) -> dict:
    """Return the scenario dict (the YAML format of docs/scenario.md) for one experiment.

    The link's latency is `const(latency_ms)` unless `latency` (a distribution) is given; the
    rows' local `write_time` (the op latency's local part) is geodes' default unless given.
    """
    channel: dict[str, Any] = {
        "type": "mysql_replication",
        "apply_time": apply_time,
        "threads": threads,
        "parallelism": parallelism,
        "retry_interval": f"{retry_interval_s}s",
    }
    if semi_sync:
        channel["mode"] = "semi_sync"
        channel["semi_sync_timeout"] = f"{semi_sync_timeout_ms}ms"
    rows: dict[str, Any] = {"size": "200B", "id_strategy": "central"}
    if write_time:
        rows["write_time"] = write_time
    return {
        "name": "mariadb_calibration",
        "description": "a primary and a replica joined by a constant-delay link (calibration)",
        "duration": f"{duration_s}s",
        "warmup": f"{warmup_s}s",
        "drain": "120s",
        "metrics": {"series_interval": series_interval},
        "topology": {
            "datacenters": {"src": "Primary", "dst": "Replica"},
            "links": {
                "wan": {
                    "between": ["src", "dst"],
                    "latency": latency or f"const({latency_ms * 1e3:.1f}us)",
                }
            },
        },
        "data": {"rows": rows},
        "channels": {"binlog": channel},
        "sync": {"rows": "binlog"},
        "businesses": {
            "insert": {
                "rate": f"{rate:.3f}/s",
                "steps": [{"allocate_id": "rows"}, {"write": "rows"}],
            }
        },
        "workload": {
            "users": {"initial": 1000, "routing": {"rule": "share", "shares": {"src": "100%"}}}
        },
        "faults": faults or [],
    }


def predict(spec: dict, seed: int = 1, series: tuple[str, ...] = ()) -> Prediction:
    """Run geodes on `spec` and returns the summary (and the named series, as frames)."""
    r = geodes.run(geodes.load_scenario(spec), seed=seed)
    if not r.complete:
        raise RuntimeError("the geodes run did not complete")
    return Prediction(summary=r.summary, series={name: r.series(name) for name in series})
