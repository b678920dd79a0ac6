"""A fast yes/no check of JSON documents against a JSON Schema (draft 7), for big files.

The ``jsonschema`` package walks a DECP market in about 1 ms (10 s for a file of 10,000 markets). This module
compiles the same schema once into plain Python predicates (about 30 times faster). It only says "valid" or
"not valid": ``jsonschema`` stays the reference and gives the error messages. The predicate is never more
lenient than ``jsonschema`` (it may be stricter, e.g. it takes ``1.0`` for a non-integer), so a caller accepts
what it passes and asks ``jsonschema`` about the rest.

Only the keywords below are compiled; a schema using any other raises ``Unsupported`` at compile time, and the
caller then validates with ``jsonschema`` alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

Check = Callable[[Any], bool]

ANNOTATIONS = {"title", "description", "$id", "$schema", "$comment", "definitions", "default", "examples"}
KEYWORDS = {
    "$ref",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "enum",
    "pattern",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "anyOf",
}


class Unsupported(Exception):
    """The schema uses a keyword this module does not compile."""


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TYPES: dict[str, Check] = {
    "string": lambda v: isinstance(v, str),
    "number": _is_number,
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),  # stricter: 1.0 goes to jsonschema
    "boolean": lambda v: isinstance(v, bool),
    "object": lambda v: isinstance(v, dict),
    "array": lambda v: isinstance(v, list),
    "null": lambda v: v is None,
}


def _unique(value: Any) -> bool:
    """Python's == also equates True and 1, so this is never more lenient than jsonschema's uniqueness."""
    if not isinstance(value, list) or len(value) < 2:
        return True
    return all(value[i] != value[j] for i in range(len(value)) for j in range(i + 1, len(value)))


def _properties(properties: dict[str, Check]) -> Check:
    def check(value: Any) -> bool:
        if isinstance(value, dict):
            for key, item in value.items():
                sub = properties.get(key)
                if sub is not None and not sub(item):
                    return False
        return True

    return check


def _all(checks: tuple[Check, ...]) -> Check:
    def check(value: Any) -> bool:
        for one in checks:
            if not one(value):
                return False
        return True

    return check


def compile_schema(schema: Any, root: dict | None = None) -> Check:
    """A predicate telling whether a document is valid against ``schema`` (local ``#/…`` references resolved
    in ``root``, by default the schema itself)."""
    root = schema if root is None else root
    compiled: dict[str, Check] = {}

    def resolve(ref: str) -> Any:
        if not ref.startswith("#"):
            raise Unsupported(f"référence externe {ref}")
        node = root
        for part in [p for p in ref[1:].split("/") if p]:
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def reference(ref: str) -> Check:
        if ref not in compiled:
            compiled[ref] = lambda v: compiled[ref](v)  # a cycle resolves at call time
            compiled[ref] = build(resolve(ref))
        return compiled[ref]

    def build(node: Any) -> Check:
        if node is True or node == {}:
            return lambda v: True
        if node is False:
            return lambda v: False
        if not isinstance(node, dict):
            raise Unsupported(f"schéma {node!r}")
        if "$ref" in node:  # draft 7: the keywords next to $ref are ignored
            return reference(node["$ref"])
        unknown = set(node) - KEYWORDS - ANNOTATIONS
        if unknown:
            raise Unsupported(", ".join(sorted(unknown)))
        checks: list[Check] = []

        if "type" in node:
            names = node["type"] if isinstance(node["type"], list) else [node["type"]]
            tests = [_TYPES[name] for name in names]
            checks.append(tests[0] if len(tests) == 1 else (lambda v, t=tests: any(test(v) for test in t)))
        if "enum" in node:
            values = list(node["enum"])
            if all(isinstance(x, str) for x in values):
                allowed = frozenset(values)
                checks.append(lambda v, a=allowed: isinstance(v, str) and v in a)
            else:
                checks.append(lambda v, a=values: any(type(v) is type(x) and v == x for x in a))
        if "pattern" in node:
            search = re.compile(node["pattern"]).search
            checks.append(lambda v, s=search: not isinstance(v, str) or s(v) is not None)
        if "minLength" in node:
            checks.append(lambda v, n=node["minLength"]: not isinstance(v, str) or len(v) >= n)
        if "maxLength" in node:
            checks.append(lambda v, n=node["maxLength"]: not isinstance(v, str) or len(v) <= n)
        if "minimum" in node:
            checks.append(lambda v, n=node["minimum"]: not _is_number(v) or v >= n)
        if "maximum" in node:
            checks.append(lambda v, n=node["maximum"]: not _is_number(v) or v <= n)
        if "required" in node:
            required = list(node["required"])
            checks.append(lambda v, r=required: not isinstance(v, dict) or all(k in v for k in r))
        if "properties" in node:
            checks.append(_properties({name: build(sub) for name, sub in node["properties"].items()}))
        if "additionalProperties" in node:
            extra = node["additionalProperties"]
            known = frozenset(node.get("properties", {}))
            if extra is False:
                checks.append(lambda v, k=known: not isinstance(v, dict) or k.issuperset(v))
            else:
                other = build(extra)
                checks.append(
                    lambda v, k=known, o=other: not isinstance(v, dict) or all(o(v[x]) for x in v if x not in k)
                )
        if "items" in node:
            if isinstance(node["items"], list):
                raise Unsupported("items (liste de schémas)")
            item = build(node["items"])
            checks.append(lambda v, i=item: not isinstance(v, list) or all(i(x) for x in v))
        if "minItems" in node:
            checks.append(lambda v, n=node["minItems"]: not isinstance(v, list) or len(v) >= n)
        if "maxItems" in node:
            checks.append(lambda v, n=node["maxItems"]: not isinstance(v, list) or len(v) <= n)
        if node.get("uniqueItems") is True:
            checks.append(_unique)
        if "anyOf" in node:
            options = [build(sub) for sub in node["anyOf"]]
            checks.append(lambda v, o=options: any(option(v) for option in o))

        if not checks:
            return lambda v: True
        if len(checks) == 1:
            return checks[0]
        return _all(tuple(checks))

    return build(schema)
