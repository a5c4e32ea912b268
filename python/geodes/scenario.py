"""Scenarios: load one from a file, a dict or the built-in default, override keys, check it.

A :class:`Scenario` is an immutable, validated description of a system (docs/scenario.md). It
holds the scenario text and the ``key.path=value`` overrides applied to it; loading validates
both at once and raises :class:`geodes.ScenarioError` listing every problem.
"""

from __future__ import annotations

import json
import os
import re
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
    from geodes.errors import ScenarioError

    if not isinstance(path, str):
        raise ScenarioError(
            f"override {path!r}: the key path is a {type(path).__name__}; allowed: a string "
            "such as 'workload.rate'"
        )
    if not path:
        raise ScenarioError(
            f"override ={value!r}: the key path is empty; expected key.path=value "
            "(for example workload.rate=8k/s)"
        )
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    else:
        text = _json_text(value, f"override {path}")
    return f"{path}={text}"


# Characters JSON may leave raw in a string but YAML may not (outside its printable set, or a
# line break to YAML 1.1 parsers): DEL, the C1 controls with NEL, U+2028/9, U+FFFE/F.
_NOT_YAML_PRINTABLE = re.compile(r"[\x7f-\x9f\u2028\u2029\ufffe\uffff]")


def _json_text(value: Any, where: str) -> str:
    """Return ``value`` as JSON text that is also YAML; ScenarioError for what JSON cannot hold."""
    try:
        # ensure_ascii=False: YAML parsers do not join JSON's \\ud83e\\udd84 surrogate-pair escapes;
        # the characters YAML cannot hold raw get a \\uXXXX escape, the same in both.
        text = json.dumps(value, ensure_ascii=False)
        return _NOT_YAML_PRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    except (TypeError, ValueError) as e:  # a set, an object, a tuple key, a circular reference
        from geodes.errors import ScenarioError

        raise ScenarioError(
            f"{where}: {e}; allowed: dicts with string keys, lists, strings, numbers, booleans "
            "and None"
        ) from None


@dataclass(frozen=True)
class Scenario:
    """A validated scenario: its text, where it came from, and the overrides applied to it."""

    source_text: str
    origin: str
    overrides: tuple[str, ...] = ()
    _info: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        """Validate the text and overrides now (raises ScenarioError)."""
        from geodes.errors import ScenarioError

        if not isinstance(self.origin, str):
            raise ScenarioError(f"Scenario: origin is {_describe(self.origin)}; allowed: a string")
        if not isinstance(self.source_text, str):
            raise ScenarioError(
                f"{self.origin}: the scenario text is {_describe(self.source_text)}; "
                "allowed: a string (YAML); load_scenario also takes a path or a dict"
            )
        if not isinstance(self.overrides, tuple) or not all(
            isinstance(o, str) for o in self.overrides
        ):
            raise ScenarioError(
                f"{self.origin}: overrides are {_describe(self.overrides)}; allowed: a tuple "
                "of 'key.path=value' strings"
            )
        _require_utf8(self.source_text, self.origin)
        for o in self.overrides:
            _require_utf8(o, f"--set {o!r}")
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
        """Short form: name, origin and overrides.

        Also for a Scenario whose validation failed (a traceback or a debugger shows it while
        ``__post_init__`` raises): it has no name then, and says so instead of raising.
        """
        extra = f", overrides={list(self.overrides)!r}" if self.overrides else ""
        name = self._info.get("name") if isinstance(self._info, dict) else None
        shown = repr(name) if name is not None else "<not validated>"
        return f"Scenario({shown}, origin={self.origin!r}{extra})"


def _require_utf8(text: str, where: str) -> None:
    r"""Raise ScenarioError if ``text`` cannot be written as UTF-8 (it holds a lone surrogate).

    Scenarios are UTF-8 (YAML); a lone surrogate (U+D800..U+DFFF, e.g. from ``surrogateescape``
    or a JSON ``\\ud800`` escape) has no UTF-8 form, and would otherwise reach the binding as
    a TypeError or UnicodeEncodeError instead of a message naming the bad value.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        from geodes.errors import ScenarioError

        bad = text[e.start : e.end]
        code = ", ".join(f"U+{ord(c):04X}" for c in bad)
        raise ScenarioError(
            f"{where}: character {e.start + 1} is a lone surrogate ({code}), which is not "
            "valid in UTF-8; allowed: Unicode text without surrogates (U+D800..U+DFFF)"
        ) from None


def _describe(value: Any) -> str:
    """Return ``a list ([1, 2])``: the type of ``value`` and a short form of it, for messages."""
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    name = type(value).__name__
    return f"{'an' if name[0] in 'aeiou' else 'a'} {name} ({text})"


_OVERRIDES_ALLOWED = (
    "allowed: a mapping of key paths to values ({'workload.rate': '8k/s'}), a list of "
    "'key.path=value' strings, or None"
)


def _overrides(overrides: Mapping[str, Any] | Iterable[str] | None) -> tuple[str, ...]:
    from geodes.errors import ScenarioError

    if overrides is None:
        return ()
    if isinstance(overrides, Mapping):
        return tuple(format_override(k, v) for k, v in overrides.items())
    if isinstance(overrides, (str, bytes)) or not isinstance(overrides, Iterable):
        raise ScenarioError(f"overrides are {_describe(overrides)}; {_OVERRIDES_ALLOWED}")
    items = tuple(overrides)
    for o in items:
        if not isinstance(o, str):
            raise ScenarioError(f"an override is {_describe(o)}; {_OVERRIDES_ALLOWED}")
    return items


def _where_not_utf8(path: str) -> str:
    """Say where the file at ``path`` stops being UTF-8: its line and byte (file offsets)."""
    with open(path, "rb") as f:
        data = f.read()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        return (
            f"line {line}: byte {e.start + 1} (0x{data[e.start]:02x}) is not UTF-8; "
            "allowed: a YAML file in UTF-8"
        )
    return "the file is not UTF-8; allowed: a YAML file in UTF-8"


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
        return Scenario(_json_text(source, "<dict>"), "<dict>", extra)
    if not isinstance(source, (str, bytes, os.PathLike)):
        from geodes.errors import ScenarioError

        raise ScenarioError(
            f"the scenario source is {_describe(source)}; allowed: a path to a YAML file (str or "
            "os.PathLike), a dict, a geodes.Scenario, or None for the built-in scenario"
        )
    path = os.fspath(source)
    if isinstance(path, bytes):
        path = os.fsdecode(path)
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except (OSError, ValueError) as e:
        from geodes.errors import ScenarioError

        shown = path.encode("utf-8", "backslashreplace").decode("utf-8")
        if isinstance(e, UnicodeDecodeError):
            raise ScenarioError(f"{shown}: {_where_not_utf8(path)}") from None
        if isinstance(e, OSError):
            reason = e.strerror or str(e)
        else:  # a NUL character or a lone surrogate in the path: no file can have that name
            reason = f"the path is not a valid file name ({e})"
        raise ScenarioError(f"{shown}: cannot read the scenario: {reason}") from None
    # A file name that is not valid UTF-8 (surrogateescape) is shown with its bytes escaped.
    origin = path.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return Scenario(text, origin, extra)
