"""Exceptions raised by geodes.

``ScenarioError`` is raised for any bad input: a scenario, an override, a distribution text, a
parameter out of range. It is also a ``ValueError``, so generic code that catches bad values keeps
working. ``GeodesError`` is the base of every geodes exception.
"""

from __future__ import annotations

__all__ = ["GeodesError", "ScenarioError"]


class GeodesError(Exception):
    """Base of all geodes exceptions; raised as such for failures inside the simulator."""


class ScenarioError(GeodesError, ValueError):
    """Bad input: the message names what is wrong, where, and what is allowed."""
