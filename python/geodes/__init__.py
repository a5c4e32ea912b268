"""geodes: a deterministic simulator of cross-city active-active (multi-datacenter) systems.

The heavy lifting happens in C++ (``geodes._core``); this package adds a Pythonic surface.
Everything here is deterministic: the same inputs and seed give bit-identical results.

Names are imported on first use (PEP 562), so that the ``geodes`` command starts fast: ``geodes
run`` hands over to the C++ command line without loading numpy, pandas or matplotlib.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geodes import plot
    from geodes._core import (
        Distribution,
        Histogram,
        __version__,
        format_duration,
        parse_quantity,
    )
    from geodes.comparison import compare
    from geodes.errors import GeodesError, Interrupted, ScenarioError, SimulationError
    from geodes.mm1 import Mm1Result, mm1_replication
    from geodes.report import write_report
    from geodes.results import LagHistogram, Results, ResultsFile, open_results, run
    from geodes.scenario import Scenario, load_scenario

# geodes.sweep is both a submodule and a function: importing the submodule (which geodes.comparison
# does) binds the package attribute to the module, so the function is bound here, eagerly, after it.
from geodes.sweep import sweep  # noqa: E402

# Public name -> the module that defines it.
_EXPORTS = {
    "Distribution": "geodes._core",
    "GeodesError": "geodes.errors",
    "Histogram": "geodes._core",
    "Interrupted": "geodes.errors",
    "LagHistogram": "geodes.results",
    "Mm1Result": "geodes.mm1",
    "Results": "geodes.results",
    "ResultsFile": "geodes.results",
    "Scenario": "geodes.scenario",
    "ScenarioError": "geodes.errors",
    "SimulationError": "geodes.errors",
    "__version__": "geodes._core",
    "compare": "geodes.comparison",
    "format_duration": "geodes._core",
    "load_scenario": "geodes.scenario",
    "mm1_replication": "geodes.mm1",
    "open_results": "geodes.results",
    "parse_quantity": "geodes._core",
    "run": "geodes.results",
    "write_report": "geodes.report",
}

__all__ = sorted([*_EXPORTS, "plot", "sweep"])


def __getattr__(name: str) -> Any:
    """Import a public name (or the ``plot`` submodule) on first use."""
    if name == "plot":
        return importlib.import_module("geodes.plot")
    if name not in _EXPORTS:
        raise AttributeError(f"module 'geodes' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """List the public names, for tab completion."""
    return __all__
