from sqlmodel import Session, func, select

from models import Trade


def test_reference_trades_are_loaded(any_engine):
    with Session(any_engine) as session:
        assert session.exec(select(func.count()).select_from(Trade)).one() == 532
