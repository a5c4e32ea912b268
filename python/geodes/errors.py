"""Exceptions raised by geodes.

``ScenarioError`` is raised for any bad input: a scenario, an override, a distribution text, a
parameter out of range. It is also a ``ValueError``, so generic code that catches bad values keeps
working. ``GeodesError`` is the base of every geodes exception. ``Interrupted`` is raised when
Ctrl-C (or a notebook's "interrupt kernel") stops a run: it is a ``KeyboardInterrupt``, so loops
and scripts stop as usual, and it carries what was measured until then.
"""

from __future__ import annotations

from typing import Any

__all__ = ["GeodesError", "Interrupted", "ScenarioError"]


class GeodesError(Exception):
    """Base of all geodes exceptions; raised as such for failures inside the simulator."""


class ScenarioError(GeodesError, ValueError):
    """Bad input: the message names what is wrong, where, and what is allowed."""


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C; ``results`` holds its partial results (``complete`` is False).

    ``results`` is None when the interruption stopped a sweep or a comparison (several runs).
    """

    def __init__(self, message: str, results: Any = None) -> None:
        """Say what was stopped; keep the partial ``results`` of a single run."""
        super().__init__(message)
        self.results = results
