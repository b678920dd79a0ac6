"""Bilans › Bilans on the S demo: every scope kind renders its figures, charts, tables and downloads, with the
same figures as the domain computes, no small cell and no name."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlmodel import Session

from clausier import db, demo
from clausier.reports import bilan as B
from clausier.services import bilans
from models import Participant
from models.enums import Role
from tests.pages.conftest import logged_in, open_url_path, texts

YEAR = B.Period(date(2025, 1, 1), date(2025, 12, 31))
DEMO_TODAY = date(2026, 3, 15)


@pytest.fixture
def demo_app(with_users, monkeypatch):
    demo.generate(db.get_engine(with_users), size="S", seed=5, today=DEMO_TODAY)
    monkeypatch.setattr("pages.bilans_bilan.today", lambda: DEMO_TODAY)  # the demo's « today »
    return with_users


def _open(period_name: str = "Année 2025"):
    at = open_url_path(logged_in(Role.LECTURE).run(), "bilans").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Bilans"
    at.radio(key="bilan_period").set_value(period_name).run()
    return at


def _choose(at, kind: B.ScopeKind, engine):
    """Choose the scope kind and its first item, as listed (for a lot: the first operation's first lot)."""
    at.radio(key="bilan_scope_kind").set_value(kind).run()
    assert not at.exception, at.exception
    if kind is B.ScopeKind.ALL:
        return B.Scope()
    with Session(engine) as session:
        choices = bilans.scope_choices(session)
        operation = next(iter(choices["operations"]))
        lots = bilans.lots_of(session, operation)
    if kind is B.ScopeKind.LOT:
        at.selectbox(key="bilan_lot_operation").set_value(operation).run()
        assert at.selectbox(key="bilan_lot").options == list(lots.values())
        item = next(iter(lots))
        at.selectbox(key="bilan_lot").set_value(item).run()
    else:
        pool = choices[{"buyer": "buyers", "operation": "operations", "company": "companies"}[kind.value]]
        item = next(iter(pool))
        assert at.selectbox(key=f"bilan_{kind.value}").options == list(pool.values())
        at.selectbox(key=f"bilan_{kind.value}").set_value(item).run()
    assert not at.exception, at.exception
    return B.Scope(kind, item)


@pytest.mark.parametrize("kind", list(B.ScopeKind), ids=lambda k: k.value)
def test_bilan_page_for_each_scope_kind(demo_app, kind):
    at = _open()
    scope = _choose(at, kind, db.get_engine(demo_app))
    with Session(db.get_engine(demo_app)) as session:
        expected = bilans.compute(session, scope, YEAR, DEMO_TODAY)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == dict(expected.key_figures())
    assert any(expected.scope_label in c.value.replace("\\", "") and YEAR.label in c.value for c in at.caption)
    tables = [t for t in expected.tables() if not t.frame.empty]
    frames = [df.value for df in at.dataframe]
    n_progress = 0 if expected.progress_frame.empty else 1
    assert len(frames) == len(tables) + n_progress
    for table, frame in zip(tables, frames, strict=False):
        assert list(frame.columns) == list(table.frame.columns)
        assert frame.astype(str).values.tolist() == table.frame.astype(str).values.tolist()
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("Télécharger le bilan (PDF)") == 1
    # every table: CSV and Excel; every chart: PNG
    assert labels.count("Télécharger (CSV)") == labels.count("Télécharger (Excel)") == len(frames)
    charts = B.chart_specs(expected)
    assert labels.count("Image PNG") == len(at.get("vega_lite_chart")) == len(charts)
    if kind is B.ScopeKind.ALL:
        assert len(charts) == len(expected.tables()) + 1  # the whole territory draws every chart


def test_no_small_cell_and_no_name_on_the_page(demo_app):
    at = _open()
    _choose(at, B.ScopeKind.COMPANY, db.get_engine(demo_app))
    people_columns = {B.PEOPLE, B.CONTRACTS}
    for df in at.dataframe:
        frame = df.value
        for column in people_columns & set(frame.columns):
            for value in frame[column]:
                assert value == "< 3" or int(value) == 0 or int(value) >= 3
    with Session(db.get_engine(demo_app)) as session:
        people = session.execute(select(Participant.first_name, Participant.last_name)).all()
    shown = texts(at)
    # company names may be surnames (« Amrani Plomberie »): a person is their first and last names together
    assert not [p for p in people if f"{p[0]} {p[1]}" in shown or f"{p[1]} {p[0]}" in shown]


def test_a_period_ending_before_it_starts_is_refused(demo_app):
    at = _open("Période choisie")
    at.date_input(key="bilan_start").set_value(date(2025, 12, 31)).run()
    at.date_input(key="bilan_end").set_value(date(2025, 1, 1)).run()
    assert not at.exception
    assert any("La fin de la période doit suivre son début" in e.value for e in at.error)
    assert not at.metric and not at.dataframe


def test_custom_period_is_the_one_computed(demo_app):
    at = _open("Période choisie")
    at.date_input(key="bilan_start").set_value(date(2025, 4, 1)).run()
    at.date_input(key="bilan_end").set_value(date(2025, 9, 30)).run()
    assert not at.exception
    with Session(db.get_engine(demo_app)) as session:
        expected = bilans.compute(session, B.Scope(), B.Period(date(2025, 4, 1), date(2025, 9, 30)), DEMO_TODAY)
    assert {m.label: m.value for m in at.metric} == dict(expected.key_figures())


def test_choosing_nothing_shows_a_hint(demo_app):
    at = _open()
    at.radio(key="bilan_scope_kind").set_value(B.ScopeKind.BUYER).run()
    assert not at.exception
    assert any("Choisissez : donneur d'ordre." in i.value for i in at.info)
    assert not at.metric
