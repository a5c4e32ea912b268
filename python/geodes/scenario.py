"""Scenarios: load one from a file, a dict or the built-in default, override keys, check it.

A :class:`Scenario` is an immutable, validated description of a system (docs/scenario.md). It
holds the scenario text and the ``key.path=value`` overrides applied to it; loading validates
both at once and raises :class:`geodes.ScenarioError` listing every problem.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Union

from geodes import _core

__all__ = ["Scenario", "format_override", "load_scenario"]

ScenarioSource = Union[str, "os.PathLike[str]", Mapping[str, Any], "Scenario", None]


def format_override(path: str, value: Any) -> str:
    """Return the ``key.path=value`` text of one override; the value is written as YAML.

    Strings are passed as they are (so ``"8k/s"`` and ``"regenerate"`` keep their meaning);
    numbers, booleans, lists and dicts are written as JSON, which is YAML.
    """
    if not isinstance(path, str) or not path:
        raise TypeError("an override's key path must be a non-empty string")
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = json.dumps(value)
    return f"{path}={text}"


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: its text, where it came from, and the overrides applied to it."""

    source_text: str
    origin: str
    overrides: tuple[str, ...] = ()
    _info: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Validate the text and overrides now (raises ScenarioError)."""
        info = _core.load_scenario(self.source_text, self.origin, list(self.overrides))
        object.__setattr__(self, "_info", info)

    @property
    def name(self) -> str:
        """The scenario's name."""
        return str(self._info["name"])

    @property
    def seed(self) -> int:
        """The seed the scenario asks for (``run`` may override it)."""
        return int(self._info["seed"])

    @property
    def text(self) -> str:
        """The effective YAML, after overrides (what a results file records)."""
        return str(self._info["text"])

    @property
    def duration_s(self) -> float:
        """Simulated seconds during which operations arrive."""
        return float(self._info["duration_s"])

    @property
    def datacenters(self) -> list[str]:
        """Datacenter names, in scenario order."""
        return list(self._info["datacenters"])

    @property
    def data_classes(self) -> list[str]:
        """Data class names, in scenario order."""
        return list(self._info["data_classes"])

    @property
    def businesses(self) -> list[str]:
        """Business names, in scenario order."""
        return list(self._info["businesses"])

    @property
    def channels(self) -> list[str]:
        """Channel configuration names, in scenario order."""
        return list(self._info["channels"])

    def set(self, overrides: Mapping[str, Any] | None = None, **kwargs: Any) -> Scenario:
        """Return a copy with more overrides, e.g. ``s.set({"workload.rate": "8k/s"})``.

        Keyword arguments are a shorthand for top-level keys (``s.set(duration="2m")``).
        Later overrides win over earlier ones. Raises ScenarioError if the result is invalid.
        """
        items = dict(overrides or {})
        items.update(kwargs)
        extra = tuple(format_override(k, v) for k, v in items.items())
        return Scenario(self.source_text, self.origin, self.overrides + extra)

    def check(self) -> dict[str, Any]:
        """Return the ``geodes check --json`` report: the four-step table and the findings."""
        return json.loads(_core.check_scenario(self.source_text, self.origin, list(self.overrides)))

    def __repr__(self) -> str:
        """Short form: name, origin and overrides."""
        extra = f", overrides={list(self.overrides)!r}" if self.overrides else ""
        return f"Scenario({self.name!r}, origin={self.origin!r}{extra})"


def _overrides(overrides: Mapping[str, Any] | Iterable[str] | None) -> tuple[str, ...]:
    if overrides is None:
        return ()
    if isinstance(overrides, Mapping):
        return tuple(format_override(k, v) for k, v in overrides.items())
    if isinstance(overrides, str):
        raise TypeError("overrides must be a mapping or a list of 'key.path=value' strings")
    return tuple(str(o) for o in overrides)


def load_scenario(
    source: ScenarioSource = None,
    overrides: Mapping[str, Any] | Iterable[str] | None = None,
) -> Scenario:
    """Load and validate a scenario.

    ``source`` is a path to a YAML file, a dict (the same structure as the YAML), an existing
    :class:`Scenario` (overrides are added to it), or ``None`` for the built-in default
    (``scenarios/login_two_cities.yaml``). ``overrides`` maps key paths to values
    (``{"workload.rate": "8k/s", "faults.0.at": "5m"}``) or lists ``"key.path=value"`` strings.

    Raises :class:`geodes.ScenarioError` naming the file, line, key path, the bad value and what is
    allowed, for every problem at once.
    """
    extra = _overrides(overrides)
    if isinstance(source, Scenario):
        return Scenario(source.source_text, source.origin, source.overrides + extra)
    if source is None:
        return Scenario(_core.default_scenario_text(), "<built-in login_two_cities.yaml>", extra)
    if isinstance(source, Mapping):
        return Scenario(json.dumps(source), "<dict>", extra)
    path = os.fspath(source)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError as e:
        from geodes.errors import ScenarioError

        raise ScenarioError(f"{path}: cannot read the scenario: {e.strerror}") from None
    return Scenario(text, path, extra)
