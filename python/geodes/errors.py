"""Exceptions raised by geodes.

``ScenarioError`` is raised for any bad input: a scenario, an override, a distribution text, a
parameter out of range. It is also a ``ValueError``, so generic code that catches bad values keeps
working. ``GeodesError`` is the base of every geodes exception. ``Interrupted`` is raised when
Ctrl-C (or a notebook's "interrupt kernel") stops a run: it is a ``KeyboardInterrupt``, so loops
and scripts stop as usual, and it carries what was measured until then.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GeodesError", "Interrupted", "ScenarioError", "SimulationError"]


class GeodesError(Exception):
    """Base of all geodes exceptions; raised as such for failures inside the simulator."""


class ScenarioError(GeodesError, ValueError):
    """Bad input: the message names what is wrong, where, and what is allowed."""


class SimulationError(GeodesError, MemoryError):
    """A run that failed inside the simulator: memory ran out ("out of memory while ...").

    It is also a ``MemoryError``, so generic code that catches running out of memory keeps
    working. ``results`` holds what was measured until then (``complete`` False), or None when
    nothing could be collected.
    """

    def __init__(self, message: str, results: Any = None) -> None:
        """Say what failed and where; keep the partial ``results`` when there are any."""
        super().__init__(message)
        self.results = results


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C; ``results`` holds its partial results (``complete`` is False).

    ``results`` is None when the interruption stopped a sweep or a comparison (several runs).
    """

    def __init__(self, message: str, results: Any = None) -> None:
        """Say what was stopped; keep the partial ``results`` of a single run."""
        super().__init__(message)
        self.results = results
