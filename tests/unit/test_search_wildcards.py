"""Searches treat what the user types literally (issue 10 item 10): « % » and « _ » are not wildcards.

A sweep over the source: every SQL LIKE goes through ``contains(..., autoescape=True)``; a raw ``.like(`` /
``.ilike(`` or a ``.contains(`` without ``autoescape=True`` fails this test."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from sqlmodel import Session

ROOT = Path(__file__).resolve().parents[2]


def _calls():
    for path in sorted((ROOT / "clausier").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                yield path.relative_to(ROOT), node


def test_no_raw_like_and_every_contains_is_escaped():
    offenders = []
    for path, call in _calls():
        name = call.func.attr
        if name in ("like", "ilike", "not_like", "not_ilike"):
            offenders.append(f"{path}:{call.lineno} .{name}(")
        elif name == "contains" and call.args:
            owner = call.func.value
            if isinstance(owner, ast.Attribute) and owner.attr == "str":  # pandas' .str.contains: not SQL
                continue
            if isinstance(owner, ast.Constant) or (isinstance(owner, ast.Name) and owner.id in ("text", "value")):
                continue  # Python strings
            if not any(k.arg == "autoescape" for k in call.keywords):
                offenders.append(f"{path}:{call.lineno} .{name}( without autoescape=True")
    assert offenders == [], offenders


@pytest.mark.parametrize(("search", "expected"), [("%", ["Taux 100% insertion"]), ("_", []), ("0%", ["Taux 100% insertion"]),
                                                ("%_%", []), ("nord", ["Bâtiment Nord"])])  # fmt: skip
def test_a_percent_or_underscore_finds_only_itself(engine, search, expected):
    from clausier.services import clauses
    from tests.builders import make_company

    with Session(engine) as session:
        make_company(session, name="Bâtiment Nord")
        make_company(session, name="Taux 100% insertion")
        session.commit()
        assert [r.company.name for r in clauses.list_companies(session, search=search)] == expected
