"""geodes: a deterministic simulator of cross-city active-active (multi-datacenter) systems.

The heavy lifting happens in C++ (``geodes._core``); this package adds a Pythonic surface.
Everything here is deterministic: the same inputs and seed give bit-identical results.
"""

from __future__ import annotations

from geodes._core import Distribution, Histogram, __version__, format_duration, parse_quantity
from geodes.errors import GeodesError, ScenarioError
from geodes.mm1 import Mm1Result, mm1_replication

__all__ = [
    "Distribution",
    "GeodesError",
    "Histogram",
    "Mm1Result",
    "ScenarioError",
    "__version__",
    "format_duration",
    "mm1_replication",
    "parse_quantity",
]
