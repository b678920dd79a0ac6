"""Clauses › Repérage des marchés through app.py: upload a DECP file, see the territory's markets, create an
operation from one; refused files; a lecture user reads without any button; reruns do not parse again."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from clausier import db
from clausier.services import decp
from models import Commitment, Lot, Operation
from models.enums import Role
from tests.builders import set_setting, valid_siret
from tests.decp_data import CUD_SIRET, decp_bytes, example_bytes, market_record
from tests.pages.conftest import logged_in, open_url_path
from tests.pages.test_roles import LECTURE_BUTTONS

CREATE = "Créer l'opération et le lot"


def _page(role: Role):
    at = open_url_path(logged_in(role).run(), "reperage").run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Repérage des marchés"
    return at


def _upload(at, name: str, data: bytes):
    at.file_uploader(key="decp_upload").upload(name, data, "application/json").run()
    assert not at.exception, at.exception
    return at


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _territory_includes_paris(url: str) -> None:
    with db.session_scope(db.get_engine(url)) as session:
        set_setting(session, "decp_buyer_sirens", ["245900428", "217500016"], by="admin")


def test_facilitator_uploads_the_official_example_and_creates_an_operation(with_users):
    _territory_includes_paris(with_users)
    at = _upload(_page(Role.SAISIE), "marches_concessions.json", example_bytes("marches_concessions.json"))
    assert not at.error
    assert _metrics(at) == {
        "Marchés lus": "4",
        "Dans le territoire": "2",
        "Opportunités": "0",
        "Déjà des opérations": "0",
    }
    frame = at.dataframe[0].value
    assert frame["Marché"].tolist() == ["TEST2022", "TEST2022Bis"]
    assert frame["Considération sociale"].tolist() == ["Oui : Clause sociale, Critère social"] * 2
    assert frame["Montant (€ HT)"].tolist() == [123_457.87] * 2
    assert frame["Heures estimées"].tolist() == [103.0] * 2
    assert frame["Titulaires"].tolist() == ["868768687576575"] * 2

    picks = at.selectbox(key="decp_pick")
    index = next(i for i, label in enumerate(picks.options) if label.startswith("TEST2022Bis"))
    at.selectbox(key="decp_pick").select_index(index).run()
    assert any("ce n'est pas un SIRET valide" in c.value for c in at.caption)
    next(b for b in at.button if b.label == CREATE).click().run()
    assert not at.exception, at.exception
    assert any("Opération « envoi pour Json test 2 » créée" in s.value for s in at.success), [e.value for e in at.error]
    assert any("Aucun engagement n'est créé" in w.value for w in at.warning)
    with Session(db.get_engine(with_users)) as session:
        operation = session.exec(select(Operation)).one()
        assert operation.decp_id == "TEST2022Bis"
        assert session.exec(select(Lot.reference)).one() == "TEST2022Bis"
    assert at.dataframe[0].value["Déjà une opération"].tolist() == ["", "envoi pour Json test 2"]
    assert _metrics(at)["Déjà des opérations"] == "1"
    assert any("déjà l'opération" in i.value for i in at.info)
    assert CREATE not in [b.label for b in at.button]


def test_opportunity_with_a_single_holder_gets_its_commitment(with_users):
    holder = valid_siret()
    data = decp_bytes(
        [
            market_record("OPP-1", buyer_siret=CUD_SIRET, amount=1_200_000, holders=[holder]),
            market_record("CLAUSE-1", buyer_siret=CUD_SIRET, amount=1_200_000, social=["Clause sociale"]),
            market_record("NET-1", place="59140", cpv="90910000-9", amount=300_000),
            market_record("AILLEURS", place="13001"),
        ]
    )
    at = _upload(_page(Role.SAISIE), "decp.json", data)
    assert _metrics(at)["Dans le territoire"] == "3" and _metrics(at)["Opportunités"] == "1"
    at.checkbox(key="decp_only_opportunities").check().run()
    assert at.dataframe[0].value["Marché"].tolist() == ["OPP-1"]
    assert at.dataframe[0].value["Opportunité"].tolist() == ["Oui"]
    assert at.dataframe[0].value["Heures estimées"].tolist() == [1000.0]  # 1 200 000 × 50 % × 5 % ÷ 30
    at.checkbox(key="decp_only_opportunities").uncheck()
    at.checkbox(key="decp_only_works").check().run()
    assert at.dataframe[0].value["Marché"].tolist() == ["OPP-1", "CLAUSE-1"]
    at.checkbox(key="decp_only_opportunities").check().run()
    next(b for b in at.button if b.label == CREATE).click().run()
    assert not at.exception, at.exception
    with Session(db.get_engine(with_users)) as session:
        commitment = session.exec(select(Commitment)).one()
        assert commitment.hours_committed_h100 == 100_000


@pytest.mark.parametrize(
    "name, data, expected",
    [
        ("vide.json", b"", "Le fichier « vide.json » est vide."),
        ("tronque.json", example_bytes("concessions.json")[:500], "n'est pas un JSON valide : ligne"),
        ("autre.json", b'{"type": "FeatureCollection", "features": []}', "n'est pas au format DECP v2"),
        (
            "invalide.json",
            decp_bytes([market_record("BAD", amount=0)]),
            "marché « BAD » (n° 1 du fichier), champ montant",
        ),
    ],
)
def test_refused_file_shows_french_errors_and_no_table(with_users, name, data, expected):
    at = _upload(_page(Role.SAISIE), name, data)
    messages = [e.value for e in at.error]
    assert "Fichier refusé, rien n'a été enregistré." in messages
    assert any(expected in m.replace("\\", "") for m in messages), messages
    assert not at.dataframe and not at.metric
    with Session(db.get_engine(with_users)) as session:
        assert session.exec(select(Operation)).first() is None


def test_lecture_user_sees_the_markets_without_any_button(with_users):
    _territory_includes_paris(with_users)
    at = _upload(_page(Role.LECTURE), "m.json", example_bytes("marches_avec_modifications.json"))
    assert at.dataframe[0].value["Marché"].tolist() == ["TEST2022", "TEST2022Bis"]
    assert {b.label for b in at.button} <= LECTURE_BUTTONS
    assert not [s for s in at.selectbox if s.key == "decp_pick"]


def test_reruns_do_not_parse_the_file_again(with_users, monkeypatch):
    calls = []
    real = decp.parse

    def counting(data, name):
        calls.append(name)
        return real(data, name)

    monkeypatch.setattr(decp, "parse", counting)
    at = _upload(_page(Role.SAISIE), "m.json", decp_bytes([market_record("A", buyer_siret=CUD_SIRET)]))
    at.checkbox(key="decp_only_works").check().run()
    at.checkbox(key="decp_only_works").uncheck().run()
    assert not at.exception and calls == ["m.json"]
