"""The fast schema check used for big DECP files must never accept what jsonschema refuses (clausier.schema_check)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from clausier.schema_check import Unsupported, compile_schema
from clausier.services import decp
from tests.decp_data import example

SCHEMA = decp._schema()
KINDS = {"marche": "marches_concessions.json", "contrat-concession": "marches_concessions.json"}


def _pair(kind: str):
    definition = {"$ref": f"#/definitions/{kind}", "definitions": SCHEMA["definitions"]}
    return compile_schema(definition), Draft7Validator(definition)


def _records(kind: str) -> list[dict]:
    return example(KINDS[kind])["marches"][kind]


def _paths(value: Any, path: tuple = ()) -> list[tuple]:
    """Every path to a value inside a record."""
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*path, index))
    return found


def _set(record: dict, path: tuple, value: Any) -> dict:
    record = copy.deepcopy(record)
    node = record
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return record


def _delete(record: dict, path: tuple) -> dict:
    record = copy.deepcopy(record)
    node = record
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]
    return record


REPLACEMENTS = [None, True, 0, -1, 1.5, 12.0, "", "x" * 1001, "2024-13-45", "Autre", [], [1, 1], {}, {"id": 1}]


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_examples_pass_both(kind):
    fast, reference = _pair(kind)
    for record in _records(kind):
        assert fast(record) and reference.is_valid(record)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_single_mutation_is_judged_no_more_leniently(kind):
    """Each value of the example records replaced by each of a set of odd values, or deleted, or duplicated."""
    fast, reference = _pair(kind)
    checked = refused = 0
    for record in _records(kind):
        for path in _paths(record):
            variants = [_set(record, path, value) for value in REPLACEMENTS] + [_delete(record, path)]
            variants.append(_set(record, ("champInconnu",), 1))
            for variant in variants:
                valid = reference.is_valid(variant)
                if not valid:
                    refused += 1
                    assert not fast(variant), (path, variant)
                checked += 1
    assert refused > checked // 2  # the mutations do exercise the schema


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), value=json_values)
def test_random_values_are_judged_no_more_leniently(data, value):
    kind = data.draw(st.sampled_from(sorted(KINDS)))
    fast, reference = _pair(kind)
    record = data.draw(st.sampled_from(_records(kind)))
    path = data.draw(st.sampled_from(_paths(record)))
    variant = _set(record, path, value)
    if not reference.is_valid(variant):
        assert not fast(variant)


def test_keywords_not_compiled_are_refused():
    with pytest.raises(Unsupported):
        compile_schema({"type": "object", "oneOf": [{"required": ["a"]}]})
    with pytest.raises(Unsupported):
        compile_schema({"$ref": "https://example.org/schema.json"})


def test_small_schema_semantics():
    check = compile_schema(
        {
            "type": "object",
            "required": ["n"],
            "properties": {"n": {"type": "integer", "minimum": 1}, "tags": {"type": "array", "uniqueItems": True}},
            "additionalProperties": False,
            "anyOf": [{"required": ["n"]}, {"required": ["m"]}],
        }
    )
    assert check({"n": 1}) and check({"n": 2, "tags": ["a", "b"]})
    assert not check({"n": 0}) and not check({"n": True}) and not check({"n": 1, "tags": ["a", "a"]})
    assert not check({"n": 1, "x": 1}) and not check([]) and not check({})
