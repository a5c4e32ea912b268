"""Property tests of the scenario surface (issue #15, item 5): whatever the input, loading a
scenario gives a Scenario or raises geodes.ScenarioError, never another exception or a crash,
and a valid scenario round-trips through its effective text.

Hypothesis runs derandomized (the examples are derived from each test's name), without an
example database, so CI sees the same examples every time; about 200 examples per property.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import geodes
import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

BUILT_IN = geodes.load_scenario()
BUILT_IN_TREE: dict[str, Any] = yaml.safe_load(BUILT_IN.text)


def _key_paths(node: Any, prefix: str = "") -> list[str]:
    """Every key path of the tree, in document order (``a.b.0.c`` for list items)."""
    if isinstance(node, dict):
        items = [(str(k), v) for k, v in node.items()]
    elif isinstance(node, list):
        items = [(str(i), v) for i, v in enumerate(node)]
    else:
        return []
    paths = []
    for k, v in items:
        path = f"{prefix}.{k}" if prefix else k
        paths.append(path)
        paths.extend(_key_paths(v, path))
    return paths


KEY_PATHS = _key_paths(BUILT_IN_TREE)

# Text of every kind: any code point (lone surrogates included, which have no UTF-8 form),
# control characters, and very long strings.
odd_text = st.one_of(
    st.text(alphabet=st.characters(codec=None), max_size=40),
    st.text(alphabet=st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF), min_size=1),
    st.sampled_from(["", "\x00", "\ufeff", "\u202e", "🦄" * 50, "a" * 100_000, "\r\n", "~"]),
)
numbers = st.one_of(
    st.integers(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.sampled_from([0, -1, 2**63, 2**64, -(2**63) - 1, 10**400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([math.nan, math.inf, -math.inf, 1e308, -0.0, 5e-324]),
)
# Values a YAML key could hold: quantity-like text too, so values reach the unit parsers.
quantity_text = st.builds(
    lambda n, unit: f"{n}{unit}",
    numbers,
    st.sampled_from(["", "ms", "s", "m", "h", "ns", "k/s", "%", "B", "KiB", "Gbps", "x", " ms"]),
)
scalars = st.one_of(st.none(), st.booleans(), numbers, odd_text, quantity_text)
trees = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(st.one_of(odd_text, st.sampled_from(KEY_PATHS)), children, max_size=5),
    ),
    max_leaves=25,
)


def _nested(depth: int) -> Any:
    """A list nested ``depth`` levels deep (deeper than any scenario needs)."""
    node: Any = 1
    for _ in range(depth):
        node = [node]
    return node


def _loads_or_refuses(source: Any = None, overrides: Any = None) -> geodes.Scenario | None:
    """Load; a refusal must be a ScenarioError with a message. Returns the scenario or None."""
    try:
        scenario = geodes.load_scenario(source, overrides)
    except geodes.ScenarioError as e:
        assert str(e).strip(), "a ScenarioError must say what is wrong"
        return None
    assert isinstance(scenario.check(), dict)
    return scenario


def _without_origin(report: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in report.items() if k != "origin"}


def _assert_round_trips(scenario: geodes.Scenario, tmp_path: Path) -> None:
    """The effective text, loaded again (from a file and as a dict), is the same scenario."""
    path = tmp_path / "again.yaml"
    path.write_text(scenario.text, encoding="utf-8")
    again = geodes.load_scenario(path)
    assert again.text == scenario.text
    assert _without_origin(again.check()) == _without_origin(scenario.check())
    as_dict = geodes.load_scenario(yaml.safe_load(scenario.text))
    assert _without_origin(as_dict.check()) == _without_origin(scenario.check())


@PROPERTY
@given(tree=st.dictionaries(st.one_of(odd_text, st.sampled_from(KEY_PATHS)), trees, max_size=8))
@example(tree={"name": "\ud800"})
@example(tree={"topology": _nested(200)})
def test_any_tree_loads_or_raises_a_scenario_error(tree: dict[Any, Any]) -> None:
    _loads_or_refuses(tree)


@PROPERTY
@given(overrides=st.lists(st.one_of(odd_text, st.builds("{}={}".format, odd_text, odd_text))))
@example(overrides=["name=\ud800"])
@example(overrides=["\udcff=1"])
@example(overrides=["=1"])
def test_any_override_text_loads_or_raises_a_scenario_error(overrides: list[str]) -> None:
    _loads_or_refuses(None, overrides)


@PROPERTY
@given(
    overrides=st.dictionaries(
        st.one_of(st.sampled_from(KEY_PATHS), odd_text), st.one_of(scalars, trees), max_size=4
    )
)
@example(overrides={"name": "\ud800"})
@example(overrides={"": 1})
@example(overrides={"seed": 2**64})
@example(overrides={"duration": math.nan})
def test_any_override_mapping_on_real_keys_loads_or_raises_a_scenario_error(
    overrides: dict[str, Any],
) -> None:
    scenario = _loads_or_refuses(None, overrides)
    if scenario is not None:
        # Scenario.set is the same overrides added one step later: the same outcome.
        assert geodes.load_scenario().set(overrides).text == scenario.text


def _replace(tree: Any, path: list[str], value: Any) -> Any:
    """A copy of ``tree`` with the node at ``path`` replaced (or removed if value is _DROP)."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(tree, list):
        copy = list(tree)
        i = int(head)
        if value is _DROP and not rest:
            del copy[i]
        else:
            copy[i] = _replace(copy[i], rest, value)
        return copy
    copy = dict(tree)
    if value is _DROP and not rest:
        del copy[head]
    else:
        copy[head] = _replace(copy[head], rest, value)
    return copy


_DROP = object()


@PROPERTY
@given(
    mutations=st.lists(
        st.tuples(st.sampled_from(KEY_PATHS), st.one_of(st.just(_DROP), scalars, trees)),
        min_size=1,
        max_size=3,
    )
)
def test_the_built_in_tree_mutated_loads_or_raises_and_round_trips_when_valid(
    mutations: list[tuple[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    tree: Any = BUILT_IN_TREE
    for path, value in mutations:
        try:
            tree = _replace(tree, path.split("."), value)
        except (KeyError, IndexError, TypeError, ValueError):
            continue  # an earlier mutation removed or replaced this path
    scenario = _loads_or_refuses(tree)
    if scenario is not None:
        _assert_round_trips(scenario, tmp_path_factory.mktemp("round_trip"))


@PROPERTY
@given(
    seed=st.integers(min_value=0, max_value=2**64 - 1),
    name=st.from_regex(r"[A-Za-z0-9_-]{1,64}", fullmatch=True),
    description=st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    seconds=st.integers(min_value=61, max_value=3600),  # warmup is 1m
)
@example(seed=0, name="x", description="🦄 non-BMP", seconds=61)
def test_a_valid_scenario_round_trips_through_its_text(
    seed: int,
    name: str,
    description: str,
    seconds: int,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    tree = dict(BUILT_IN_TREE, seed=seed, name=name, description=description)
    scenario = geodes.load_scenario(tree, {"duration": f"{seconds}s"})
    assert scenario.seed == seed
    assert scenario.name == name
    assert scenario.duration_s == seconds
    assert scenario.check()["description"] == description
    _assert_round_trips(scenario, tmp_path_factory.mktemp("round_trip"))


def test_a_lone_surrogate_is_a_scenario_error_naming_the_override() -> None:
    with pytest.raises(geodes.ScenarioError, match=r"name=.*lone surrogate \(U\+D800\)"):
        geodes.load_scenario(overrides={"name": "\ud800"})
    with pytest.raises(geodes.ScenarioError, match="U\\+DCFF"):
        geodes.load_scenario().set({"description": "ok \udcff"})
    with pytest.raises(geodes.ScenarioError, match="key path is empty"):
        geodes.load_scenario(overrides={"": 1})


# Values that are no scenario source at all: load_scenario names what it takes instead.
not_a_source = st.one_of(
    st.integers(),
    st.floats(allow_nan=True),
    st.booleans(),
    st.lists(scalars, max_size=4),
    st.tuples(scalars),
    st.sets(st.integers(), max_size=3),
    st.complex_numbers(),
    st.just(object()),
)


@PROPERTY
@given(source=not_a_source)
@example(source=[1, 2])
@example(source=3)
@example(source=True)
def test_a_source_that_is_no_path_dict_or_scenario_is_a_scenario_error_naming_what_is_allowed(
    source: Any,
) -> None:
    with pytest.raises(geodes.ScenarioError) as raised:
        geodes.load_scenario(source)
    message = str(raised.value)
    assert f" {type(source).__name__} (" in message
    assert "allowed: a path to a YAML file" in message and "a dict" in message


@PROPERTY
@given(path=odd_text)
@example(path="a\x00b")
@example(path="\ud800.yaml")
@example(path="")
def test_any_path_text_loads_or_raises_a_scenario_error(path: str) -> None:
    _loads_or_refuses(path)


@PROPERTY
@given(
    overrides=st.one_of(
        st.integers(),
        st.floats(),
        st.binary(max_size=4),
        st.lists(st.one_of(st.integers(), st.none(), st.lists(st.integers())), min_size=1),
        st.dictionaries(st.one_of(st.integers(), st.none()), scalars, min_size=1, max_size=2),
        st.dictionaries(st.sampled_from(KEY_PATHS), st.sets(st.integers()), min_size=1),
    )
)
@example(overrides=7)
@example(overrides=[1])
@example(overrides={"workload.rate": {1, 2}})
def test_overrides_of_a_wrong_type_are_a_scenario_error(overrides: Any) -> None:
    with pytest.raises(geodes.ScenarioError, match="allowed"):
        geodes.load_scenario(None, overrides)


@PROPERTY
@given(
    text=st.one_of(st.integers(), st.none(), st.binary(max_size=4), st.lists(st.integers())),
    origin=st.one_of(st.just("<test>"), st.integers(), st.none()),
)
def test_the_scenario_constructor_given_no_text_is_a_scenario_error(text: Any, origin: Any) -> None:
    with pytest.raises(geodes.ScenarioError, match="allowed: a string"):
        geodes.Scenario(text, origin)


def test_a_file_that_is_not_utf8_is_a_scenario_error_naming_the_line_and_byte(
    tmp_path: Path,
) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes(b"name: x\ndescription: caf\xe9\n")
    with pytest.raises(geodes.ScenarioError, match=r"latin1.yaml: line 2: byte 25 \(0xe9\)"):
        geodes.load_scenario(path)


def test_the_repr_of_a_scenario_whose_validation_failed_says_so_instead_of_raising() -> None:
    # A traceback (pytest --showlocals, a debugger) shows the half-built Scenario whose
    # __post_init__ raised: its repr must not raise in turn.
    with pytest.raises(geodes.ScenarioError) as raised:
        geodes.load_scenario(overrides={"workload.rate": "fast"})
    tb = raised.value.__traceback__
    half_built = None
    while tb is not None:
        if tb.tb_frame.f_code.co_name == "__post_init__":
            half_built = tb.tb_frame.f_locals["self"]
        tb = tb.tb_next
    assert isinstance(half_built, geodes.Scenario)
    assert repr(half_built) == (
        "Scenario(<not validated>, origin='<built-in login_two_cities.yaml>', "
        "overrides=['workload.rate=fast'])"
    )
    assert repr(geodes.load_scenario()) == (
        "Scenario('login_two_cities', origin='<built-in login_two_cities.yaml>')"
    )


@pytest.mark.parametrize("odd", ["\x7f", "\x85", "\x9f", "\u2028", "\ufffe", "a\x7fb\u2029c"])
def test_a_dict_with_characters_yaml_cannot_hold_raw_gives_yaml_that_keeps_them(
    odd: str, tmp_path: Path
) -> None:
    # Found by the mutation test above: JSON leaves DEL raw, YAML does not accept it raw.
    tree = dict(BUILT_IN_TREE)
    tree["description"] = odd
    scenario = geodes.load_scenario(tree)
    assert yaml.safe_load(scenario.text)["description"] == odd
    path = tmp_path / "odd.yaml"
    path.write_text(scenario.text, encoding="utf-8")
    assert geodes.load_scenario(path).check()["description"] == odd
