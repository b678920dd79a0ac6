"""Suivi › Avancement on the S demo: every level renders, and its rows add up to the totals shown."""

from __future__ import annotations

from datetime import date

import pytest

from clausier import db, demo
from clausier.formatting import fmt_hours
from models.enums import Role
from tests.pages.conftest import logged_in, open_url_path


@pytest.fixture
def demo_app(with_users):
    demo.generate(db.get_engine(with_users), size="S", seed=5, today=date(2026, 3, 15))
    return with_users


def test_every_level_adds_up_to_the_totals(demo_app):
    at = open_url_path(logged_in(Role.LECTURE).run(), "avancement").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    for level in at.radio(key="progress_level").options:
        at.radio(key="progress_level").set_value(level).run()
        assert not at.exception, level
        frame = next(df.value for df in at.dataframe)
        assert fmt_hours(round(frame["Heures réalisées"].sum() * 100)) == metrics["Heures réalisées"], level
        assert fmt_hours(round(frame["Heures prescrites"].sum() * 100)) == metrics["Heures prescrites"], level


def test_filter_by_company_limits_the_rows(demo_app):
    from sqlmodel import Session, select

    from models import Commitment, Company

    with Session(db.get_engine(demo_app)) as session:
        commitment = session.exec(select(Commitment)).first()
        company = session.get(Company, commitment.company_id)
        n_commitments = len(session.exec(select(Commitment).where(Commitment.company_id == company.id)).all())
    at = open_url_path(logged_in(Role.LECTURE).run(), "avancement").run()
    at.selectbox(key="progress_company").set_value(company.id).run()
    assert not at.exception
    frame = next(df.value for df in at.dataframe)
    assert frame["Entreprise"].unique().tolist() == [company.name]
    assert len(frame) == n_commitments
