"""geodes: a deterministic simulator of cross-city active-active (multi-datacenter) systems.

The heavy lifting happens in C++ (``geodes._core``); this package adds a Pythonic surface.
Everything here is deterministic: the same inputs and seed give bit-identical results.
"""

from __future__ import annotations

from geodes import plot  # noqa: E402  (a submodule, imported for geodes.plot.*)
from geodes._core import Distribution, Histogram, __version__, format_duration, parse_quantity
from geodes.errors import GeodesError, ScenarioError
from geodes.mm1 import Mm1Result, mm1_replication
from geodes.results import LagHistogram, Results, ResultsFile, open_results, run
from geodes.scenario import Scenario, load_scenario
from geodes.sweep import sweep

__all__ = [
    "Distribution",
    "GeodesError",
    "Histogram",
    "LagHistogram",
    "Mm1Result",
    "Results",
    "ResultsFile",
    "Scenario",
    "ScenarioError",
    "__version__",
    "format_duration",
    "load_scenario",
    "mm1_replication",
    "open_results",
    "parse_quantity",
    "plot",
    "run",
    "sweep",
]
