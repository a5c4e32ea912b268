"""The M/M/1 replication channel: the engine's check against queueing theory.

Writes commit as a Poisson stream (rate ``write_rate``), cross a link with constant one-way
latency ``L`` and are applied by one exponential applier (rate ``apply_rate``). Lag is
``L + W`` with ``W ~ Exp(apply_rate - write_rate)``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from geodes import _core


@dataclass(frozen=True)
class Mm1Result:
    """Measured lag of an M/M/1 replication run, with theory beside it (all in seconds)."""

    lag: _core.Histogram
    link_latency_s: float
    excess_rate: float

    @property
    def mean_s(self) -> float:
        """Measured mean lag in seconds."""
        return self.lag.mean / 1e9

    def quantile_s(self, p: float) -> float:
        """Measured lag quantile in seconds (within the histogram's 1%)."""
        return self.lag.quantile(p) / 1e9

    @property
    def theory_mean_s(self) -> float:
        """Closed-form mean lag: L + 1 / (mu - lambda)."""
        return self.link_latency_s + 1.0 / self.excess_rate

    def theory_quantile_s(self, p: float) -> float:
        """Closed-form lag quantile: L - ln(1 - p) / (mu - lambda)."""
        return self.link_latency_s - math.log1p(-p) / self.excess_rate


def mm1_replication(
    write_rate: float = 800.0,
    apply_rate: float = 1000.0,
    link_latency: str | float = "15ms",
    writes: int = 200_000,
    warmup_writes: int = 10_000,
    seed: int = 1,
) -> Mm1Result:
    """Run the M/M/1 replication channel.

    Args:
        write_rate: writes per second (lambda).
        apply_rate: applies per second (mu); must exceed ``write_rate``.
        link_latency: one-way latency, as text with a unit ("15ms") or seconds.
        writes: measured writes.
        warmup_writes: writes discarded first, while the queue fills.
        seed: master seed; the same seed gives the same result.

    Raises:
        ScenarioError: for rates or counts out of range.

    """
    if isinstance(link_latency, str):
        latency_ns = int(round(_core.parse_quantity(link_latency, "time")))
    else:
        latency_ns = int(round(float(link_latency) * 1e9))
    hist = _core.run_mm1_replication(
        float(write_rate), float(apply_rate), latency_ns, int(writes), int(warmup_writes), int(seed)
    )
    return Mm1Result(lag=hist, link_latency_s=latency_ns / 1e9, excess_rate=apply_rate - write_rate)
