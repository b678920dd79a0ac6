"""DESIGN §5.3 — market spotting from a DECP file: reading and refusing files, territory, opportunities,
estimated hours, and one market turned into an operation, its lot, buyer, companies and commitment."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import date

import pytest
from sqlmodel import Session, func, select

from clausier.errors import DomainError, PermissionDenied, ValidationError
from clausier.rules.hours import insertion_hours_h100
from clausier.services import decp
from clausier.services.users import CurrentUser
from models import (
    AuditEvent,
    Buyer,
    Commitment,
    Commune,
    Company,
    ImportBatch,
    Lot,
    Operation,
    WorkKind,
)
from models.enums import ImportKind, LegalBasis, OperationStatus, Role
from tests.builders import make_buyer, make_company, set_setting, valid_siret
from tests.decp_data import CUD_SIRET, decp_bytes, example, example_bytes, market_record

SAISIE = CurrentUser(login="sophie", name="Sophie", role=Role.SAISIE)
LECTURE = CurrentUser(login="louis", name="Louis", role=Role.LECTURE)
TODAY = date(2026, 3, 15)
TABLES = (Buyer, Operation, Lot, Company, Commitment, ImportBatch, AuditEvent)


@pytest.fixture
def session(engine):
    with Session(engine) as s:
        yield s


def counts(session: Session) -> dict[str, int]:
    return {t.__name__: session.exec(select(func.count()).select_from(t)).one() for t in TABLES}


def refused(data: bytes, name: str = "decp.json") -> list[str]:
    with pytest.raises(ValidationError) as caught:
        decp.parse(data, name)
    return list(caught.value.errors.values())


# --- the official examples ----------------------------------------------------------------------------------------

# Opened by hand: ids, concession or market, social consideration declared, amount (cents) and duration after the
# modifications. Every record of the four examples declares « Clause sociale » and « Critère social ».
EXPECTED = {
    "marches_avec_modifications.json": [
        ("TEST2022", False, True, 12_345_787, 12),
        ("TEST2022Bis", False, True, 12_345_787, 12),
    ],
    "concessions.json": [
        ("0612202306122024", True, True, 1_030, 12),
        ("0612202306122023", True, True, 1_030, 12),
    ],
    "concessions_avec_modifications.json": [
        ("0612202306122024", True, True, 2_500, 14),
        ("0612202306122023", True, True, 2_500, 14),
    ],
    "marches_concessions.json": [
        ("0612202306122024", True, True, 2_500, 14),
        ("0612202306122023", True, True, 2_500, 14),
        ("TEST2022", False, True, 12_345_787, 12),
        ("TEST2022Bis", False, True, 12_345_787, 12),
    ],
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_official_example_reads_its_markets_and_social_flags(name):
    data = example_bytes(name)
    parsed = decp.parse(data, name)
    got = [(m.id, m.is_concession, m.social_consideration, m.amount_cents, m.duration_months) for m in parsed.markets]
    assert got == EXPECTED[name]
    assert parsed.file_name == name and parsed.checksum == hashlib.sha256(data).hexdigest()
    assert parsed.concessions == sum(1 for row in EXPECTED[name] if row[1])
    assert all(m.social_considerations == ("Clause sociale", "Critère social") for m in parsed.markets)


def test_market_fields_and_modifications_applied():
    market = decp.parse(example_bytes("marches_avec_modifications.json"), "m.json").markets[0]
    assert (market.buyer_siret, market.buyer_siren, market.buyer_name) == ("21750001630066", "217500016", None)
    assert (market.object, market.cpv, market.nature) == ("envoi pour Json test 1", "45000000-7", "Marché")
    assert market.procedure == "Appel d'offres ouvert"
    assert (market.place_code, market.place_type) == ("75000", "Code postal")
    assert market.notification_date == date(2024, 5, 15) == market.execution_start
    # montant 575 000 € for 48 months, then modification n° 1: 123 457,87 € for 12 months and a new holder
    assert (market.initial_amount_cents, market.initial_duration_months) == (57_500_000, 48)
    assert (market.amount_cents, market.duration_months, market.modifications) == (12_345_787, 12, 1)
    assert market.initial_holders == (decp.Holder("55204599900869", "SIRET"),)
    assert market.holders == (decp.Holder("868768687576575", "SIRET"),)
    assert market.execution_end == date(2025, 5, 14)
    assert market.is_works and not market.is_concession


def test_concession_fields():
    concession = decp.parse(example_bytes("concessions.json"), "c.json").markets[0]
    assert concession.is_concession and not concession.is_works and concession.cpv is None
    assert concession.buyer_siret == "12345678901250" and concession.nature == "Concession de travaux"
    assert concession.notification_date == date(2024, 4, 2)  # dateSignature
    assert concession.execution_start == date(2024, 4, 1)  # dateDebutExecution
    assert [h.id for h in concession.holders] == ["38103128500491", "38103128500574"]


@pytest.mark.parametrize(
    "values, declared",
    [
        (["Pas de considération sociale"], False),
        (["Clause sociale"], True),
        (["Marché réservé"], True),
        (["Critère social", "Pas de considération sociale"], True),
    ],
)
def test_social_consideration_is_any_value_but_none_declared(values, declared):
    market = decp.parse(decp_bytes([market_record(social=values)]), "s.json").markets[0]
    assert market.social_consideration is declared


def test_bom_is_accepted():
    assert len(decp.parse(b"\xef\xbb\xbf" + example_bytes("concessions.json"), "bom.json").markets) == 2


# --- refused files: a French message, nothing written -------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \n\t ", b"\xef\xbb\xbf"])
def test_empty_file_is_refused_and_nothing_written(session, data):
    before = counts(session)
    assert refused(data, "vide.json") == ["Le fichier « vide.json » est vide."]
    assert counts(session) == before


def test_truncated_file_is_refused_with_line_and_column(session):
    data = example_bytes("marches_avec_modifications.json")
    data = data[: len(data) // 2]
    before = counts(session)
    [message] = refused(data, "tronque.json")
    text = data.decode("utf-8")
    line = text.count("\n") + 1
    assert f"« tronque.json » n'est pas un JSON valide : ligne {line}, colonne" in message
    assert "tronqué" in message
    assert counts(session) == before


def test_not_json_is_refused_at_its_line_and_column():
    [message] = refused(b'{"marches": {"marche": [\n  {"id": "A" "objet": "x"}\n]}}', "faux.json")
    assert message == "Le fichier « faux.json » n'est pas un JSON valide : ligne 2, colonne 14, virgule attendue."
    [message] = refused(b"siret;nom\n123;Dupont\n", "releve.csv")
    assert "ligne 1, colonne 1, valeur attendue" in message and "tronqué" not in message


def test_non_utf8_file_is_refused():
    [message] = refused('{"marches": "é"}'.encode("cp1252"), "ancien.json")
    assert "n'est pas encodé en UTF-8" in message


@pytest.mark.parametrize(
    "document, hint",
    [
        ({"data": []}, ""),
        ([{"id": "1"}], ""),
        ({"marches": {"autre": []}}, ""),
        ({"marches": {"marche": {"id": "1"}}}, "« marche » n'est pas une liste"),
        ({"marches": [{"id": "1", "montant": 5}]}, "ancien format DECP (v1"),
        ({"marches": {"marche": []}, "extra": 1}, "Champs inconnus : « extra »"),
        ({"marches": {"marche": [], "contrat-concession": []}}, None),
    ],
)
def test_file_of_another_schema_is_refused_and_nothing_written(session, document, hint):
    before = counts(session)
    [message] = refused(json.dumps(document).encode(), "autre.json")
    if hint is None:
        assert message == "Le fichier « autre.json » ne contient aucun marché ni contrat de concession."
    else:
        assert message.startswith("Le fichier « autre.json » n'est pas au format DECP v2")
        assert hint in message
    assert counts(session) == before


def test_market_invalid_against_the_schema_is_named_with_its_fields(session):
    document = example("marches_concessions.json")
    bad = document["marches"]["marche"][1]  # TEST2022Bis, the 4th record of the file
    del bad["montant"]
    bad["codeCPV"] = "45-000"
    bad["ccag"] = "CCAG inventé"
    document["marches"]["contrat-concession"][0]["dureeMois"] = 0
    before = counts(session)
    messages = refused(json.dumps(document).encode(), "invalide.json")
    assert messages[0] == (
        "Le fichier « invalide.json » n'est pas conforme au schéma DECP v2.0.3 : 2 enregistrement(s) invalide(s) "
        "sur 4. Rien n'a été lu."
    )
    text = "\n".join(messages[1:])
    assert (
        "contrat de concession « 0612202306122024 » (n° 1 du fichier), champ dureeMois : valeur 0 : au moins 1" in text
    )
    assert 'marché « TEST2022Bis » (n° 4 du fichier), champ codeCPV : valeur "45-000" au mauvais format' in text
    assert 'marché « TEST2022Bis » (n° 4 du fichier), champ ccag : valeur "CCAG inventé" non admise' in text
    assert (
        "marché « TEST2022Bis » (n° 4 du fichier), champ (l'enregistrement entier) : champ obligatoire absent : « montant »"
        in text
    )
    assert counts(session) == before


def test_only_the_first_errors_are_listed():
    markets = [market_record(f"M{i}", amount=0) for i in range(20)]
    messages = refused(decp_bytes(markets), "x.json")
    assert "20 enregistrement(s) invalide(s) sur 20" in messages[0]
    assert len(messages) == 1 + decp.MAX_ERRORS_SHOWN
    assert "marché « M0 » (n° 1 du fichier), champ montant : valeur 0 : au moins 1" == messages[1]


def test_unknown_field_and_holder_without_id_are_named():
    record = market_record("M1")
    record["montantHT"] = 5
    record["titulaires"][0]["titulaire"].pop("id")
    text = "\n".join(refused(decp_bytes([record])))
    assert "champ non prévu par le format : « montantHT »" in text
    assert "champ titulaires[1].titulaire : champ obligatoire absent : « id »" in text


def test_the_fast_check_of_the_schema_is_in_use():
    assert all(fast is not None for _, fast in decp._validators().values())


# --- the territory, the opportunities, the estimated hours --------------------------------------------------------


def spotted(session: Session, *records: dict) -> dict[str, decp.SpottedMarket]:
    return {s.market.id: s for s in decp.spot(session, decp.parse(decp_bytes(list(records)), "t.json"), TODAY)}


def test_territory_by_buyer_siren_or_place_from_the_settings(session):
    set_setting(session, "decp_buyer_sirens", ["245900428", "217500016"], by="admin")
    set_setting(session, "decp_places", ["59", "62100"], by="admin")
    found = spotted(
        session,
        market_record("BUYER", buyer_siret=CUD_SIRET, place="75001"),
        market_record("PARIS", buyer_siret="21750001600019", place="75001"),
        market_record("PLACE", place="59140"),
        market_record("DEPT", place="59", place_type="Code département"),
        market_record("COMMUNE", place="59183", place_type="Code commune"),
        market_record("CALAIS", place="62100"),
        market_record("ARRAS", place="62000"),
        market_record("REGION", place="59", place_type="Code région"),  # not the département 59
        market_record("LYON", place="69003"),
    )
    assert set(found) == {"BUYER", "PARIS", "PLACE", "DEPT", "COMMUNE", "CALAIS"}
    assert (found["BUYER"].by_buyer, found["BUYER"].by_place) == (True, False)
    assert (found["PLACE"].by_buyer, found["PLACE"].by_place) == (False, True)


def test_default_territory_is_the_cud_and_the_nord(session):
    found = spotted(
        session, market_record("A", buyer_siret=CUD_SIRET, place="75001"), market_record("B", place="75001")
    )
    assert set(found) == {"A"}


def test_opportunity_is_works_above_the_threshold_without_social_consideration(session):
    set_setting(session, "decp_works_threshold_eur", 800_000, by="admin")
    found = spotted(
        session,
        market_record("YES", amount=800_000),
        market_record("BELOW", amount=799_999.99),
        market_record("SOCIAL", amount=5_000_000, social=["Clause sociale"]),
        market_record("SERVICE", amount=5_000_000, cpv="77310000-6"),
    )
    assert {k: v.opportunity for k, v in found.items()} == {
        "YES": True,
        "BELOW": False,
        "SOCIAL": False,
        "SERVICE": False,
    }


def test_opportunity_uses_the_amount_after_modifications(session):
    record = market_record("MOD", amount=400_000)
    record["modifications"] = [
        {
            "modification": {
                "id": 1,
                "montant": 650_000,
                "dateNotificationModification": "2026-02-01",
                "datePublicationDonneesModification": "2026-02-03",
            }
        }
    ]
    found = spotted(session, record)
    assert found["MOD"].market.amount_cents == 65_000_000 and found["MOD"].opportunity  # default threshold 500 000 €


@pytest.mark.parametrize(
    "cpv, kind",
    [
        ("45210000-2", "gros_oeuvre"),
        ("45223000", "gros_oeuvre"),
        ("45442100-8", "peinture"),
        ("45233140-2", "vrd"),
        ("45310000-3", "lots_techniques"),
        ("45330000-9", "lots_techniques"),
        ("45111000-8", "demolition"),
        ("45261000-4", "charpente_metal"),
        ("45000000-7", "gros_oeuvre"),
        ("45400000-1", "gros_oeuvre"),
        ("77310000-6", "espaces_verts"),
        ("90910000-9", "nettoyage"),
        ("79000000-4", "services"),
        ("30200000-1", None),  # supplies: no estimate
    ],
)
def test_work_kind_guessed_from_the_cpv(cpv, kind):
    market = decp.parse(decp_bytes([market_record(cpv=cpv)]), "k.json").markets[0]
    assert decp.guess_work_kind(market) == kind


def test_estimated_hours_are_the_formula_with_the_work_kind_defaults(session):
    found = spotted(
        session,
        market_record("SHELL", cpv="45210000-2", amount=1_000_000),
        market_record("PAINT", cpv="45442100-8", amount=1_000_000),
        market_record("DESK", cpv="30200000-1", amount=1_000_000),
    )
    # DESIGN §3.1 worked example: 1 000 000 € × 50 % × 5 % ÷ 30 €/h = 833 h
    assert found["SHELL"].estimated_hours_h100 == 83_300
    paint = session.get(WorkKind, "peinture")
    assert found["PAINT"].estimated_hours_h100 == insertion_hours_h100(
        100_000_000, paint.labour_share_bp, paint.default_insertion_rate_bp, paint.hourly_cost_cents
    )
    assert (found["PAINT"].labour_share_bp, found["PAINT"].work_kind_code) == (paint.labour_share_bp, "peinture")
    assert found["DESK"].estimated_hours_h100 is None and found["DESK"].work_kind_code is None


def test_an_admin_change_of_the_work_kind_changes_the_estimate(session):
    shell = session.get(WorkKind, "gros_oeuvre")
    shell.labour_share_bp = 6000
    session.add(shell)
    session.flush()
    assert spotted(session, market_record("S", amount=1_000_000))["S"].estimated_hours_h100 == 100_000


def test_execution_over_is_flagged(session):
    found = spotted(
        session,
        market_record("OLD", notified="2024-01-10", duration=12),
        market_record("NEW", notified="2026-01-10", duration=12),
    )
    assert found["OLD"].ended and not found["NEW"].ended


def test_filters_and_summary(session):
    parsed = decp.parse(
        decp_bytes(
            [
                market_record("OPP", amount=900_000),
                market_record("WORKS", amount=100_000),
                market_record("CLEAN", cpv="90910000-9"),
                market_record("AWAY", place="13001"),
            ]
        ),
        "f.json",
    )
    found = decp.spot(session, parsed, TODAY)
    assert [s.market.id for s in decp.filtered(found, opportunities_only=True)] == ["OPP"]
    assert [s.market.id for s in decp.filtered(found, works_only=True)] == ["OPP", "WORKS"]
    summary = decp.summarize(parsed, found)
    assert (summary.read, summary.in_territory, summary.opportunities, summary.works) == (4, 3, 1, 2)


# --- from a market to an operation --------------------------------------------------------------------------------


def one_market(**fields) -> tuple[decp.DecpFile, decp.DecpMarket]:
    parsed = decp.parse(decp_bytes([market_record(**fields)]), "decp-2026.json")
    return parsed, parsed.markets[0]


def test_market_becomes_operation_lot_buyer_company_and_commitment(session):
    holder = valid_siret()
    parsed, market = one_market(
        market_id="2026-GS-01", buyer_siret=CUD_SIRET, holders=[holder], amount=1_000_000, place="59140"
    )
    operation = decp.create_operation_from_market(session, SAISIE, market, decp_file=parsed)
    session.flush()

    buyer = session.get(Buyer, operation.buyer_id)
    assert (buyer.siret, buyer.name) == (CUD_SIRET, f"Acheteur {CUD_SIRET}")
    assert operation.status is OperationStatus.SPOTTED and operation.legal_basis is LegalBasis.EXECUTION_CONDITION
    assert (operation.decp_id, operation.name) == ("2026-GS-01", "Construction d'un groupe scolaire")
    assert session.get(Commune, operation.commune_id).name == "Dunkerque"  # 59140
    assert (operation.planned_start, operation.planned_end) == (date(2026, 1, 15), date(2027, 1, 14))
    [lot] = session.exec(select(Lot).where(Lot.operation_id == operation.id)).all()
    assert (lot.reference, lot.label, lot.amount_cents) == ("2026-GS-01", operation.name, 100_000_000)
    assert (lot.work_kind_code, lot.labour_share_bp, lot.insertion_rate_bp, lot.hourly_cost_cents) == (
        "gros_oeuvre",
        5000,
        500,
        3000,
    )
    assert lot.hours_computed_h100 == lot.hours_contractual_h100 == 83_300
    assert (lot.execution_start, lot.execution_end) == (date(2026, 1, 15), date(2027, 1, 14))
    company = session.exec(select(Company).where(Company.siret == holder)).one()
    assert company.name == f"Titulaire {holder}"
    [commitment] = session.exec(select(Commitment)).all()
    assert (commitment.lot_id, commitment.company_id, commitment.hours_committed_h100) == (lot.id, company.id, 83_300)
    [batch] = session.exec(select(ImportBatch)).all()
    assert (batch.kind, batch.file_name, batch.checksum, batch.by, batch.rows_added) == (
        ImportKind.DECP,
        "decp-2026.json",
        parsed.checksum,
        "sophie",
        1,
    )
    actions = {(e.action, e.table_name) for e in session.exec(select(AuditEvent))}
    assert {("création", "buyer"), ("création", "operation"), ("création", "lot"), ("création", "company")} <= actions
    assert ("import DECP", "operation") in actions and all(e.who == "sophie" for e in session.exec(select(AuditEvent)))

    # the screen now shows it as already an operation
    assert decp.spot(session, parsed, TODAY)[0].operation_id == operation.id


def test_second_creation_of_the_same_market_is_refused(session):
    parsed, market = one_market(buyer_siret=CUD_SIRET)
    decp.create_operation_from_market(session, SAISIE, market, decp_file=parsed)
    session.flush()
    before = counts(session)
    with pytest.raises(DomainError, match="est déjà l'opération « Construction d'un groupe scolaire »"):
        decp.create_operation_from_market(session, SAISIE, market, decp_file=parsed)
    assert counts(session) == before


def test_same_market_id_of_another_buyer_is_another_market(session):
    first, market = one_market(market_id="2026-001")
    decp.create_operation_from_market(session, SAISIE, market, decp_file=first)
    other, market2 = one_market(market_id="2026-001")  # another buyer's internal number
    assert decp.spot(session, other, TODAY)[0].operation_id is None
    decp.create_operation_from_market(session, SAISIE, market2, decp_file=other)
    assert session.exec(select(func.count()).select_from(Operation)).one() == 2


def test_known_buyer_and_company_are_reused(session):
    holder = valid_siret()
    buyer = make_buyer(session, siret=CUD_SIRET, name="Communauté urbaine de Dunkerque")
    company = make_company(session, siret=holder, name="Bâtir du Nord")
    parsed, market = one_market(buyer_siret=CUD_SIRET, holders=[holder])
    operation = decp.create_operation_from_market(session, SAISIE, market, decp_file=parsed)
    assert operation.buyer_id == buyer.id
    assert session.exec(select(func.count()).select_from(Company)).one() == 1
    assert session.exec(select(Commitment)).one().company_id == company.id


def test_chosen_buyer_is_used(session):
    chosen = make_buyer(session, name="Ville de Grande-Synthe")
    parsed, market = one_market(buyer_siret=CUD_SIRET)
    operation = decp.create_operation_from_market(session, SAISIE, market, chosen.id, decp_file=parsed)
    assert operation.buyer_id == chosen.id
    assert session.exec(select(func.count()).select_from(Buyer)).one() == 1
    with pytest.raises(DomainError, match="déjà l'opération"):
        decp.create_operation_from_market(session, SAISIE, market, chosen.id, decp_file=parsed)


def test_several_holders_become_companies_without_commitment(session):
    holders = [valid_siret(), valid_siret(), "FR40303265045"]
    record = market_record("GROUPE", holders=holders[:2])
    record["titulaires"].append({"titulaire": {"id": holders[2], "typeIdentifiant": "TVA"}})
    parsed = decp.parse(decp_bytes([record]), "g.json")
    market = parsed.markets[0]
    decp.create_operation_from_market(session, SAISIE, market, decp_file=parsed)
    assert sorted(session.exec(select(Company.siret)).all()) == sorted(holders[:2])
    assert session.exec(select(func.count()).select_from(Commitment)).one() == 0
    notes = " ".join(decp.holder_notes(market))
    assert "« FR40303265045 » (TVA) : ce n'est pas un SIRET valide" in notes
    assert "3 titulaires : aucun engagement n'est créé. Répartissez les heures" in notes


def test_official_example_with_invalid_identifiers(session):
    """TEST2022: the buyer's published SIRET fails its key, and its holder after the modification is not a SIRET."""
    parsed = decp.parse(example_bytes("marches_avec_modifications.json"), "m.json")
    operation = decp.create_operation_from_market(session, SAISIE, parsed.markets[0], decp_file=parsed)
    buyer = session.get(Buyer, operation.buyer_id)
    assert (buyer.siret, buyer.name) == (None, "Acheteur 21750001630066")
    assert "21750001630066" in buyer.notes
    assert session.exec(select(func.count()).select_from(Company)).one() == 0
    assert session.exec(select(func.count()).select_from(Commitment)).one() == 0
    lot = session.exec(select(Lot)).one()
    assert lot.amount_cents == 12_345_787 and lot.hours_computed_h100 == 10_300  # 123 457,87 € × 50 % × 5 % ÷ 30
    assert operation.commune_id is None  # 75000 is not in the territory's communes
    # its buyer is found again by that name, and the market is seen as already an operation
    assert decp.spot(session, parsed, TODAY) == []  # not in the territory by default
    with pytest.raises(DomainError, match="déjà l'opération"):
        decp.create_operation_from_market(session, SAISIE, parsed.markets[0], decp_file=parsed)
    decp.create_operation_from_market(session, SAISIE, parsed.markets[1], decp_file=parsed)  # other buyer
    assert session.exec(select(func.count()).select_from(Buyer)).one() == 2
    assert session.exec(select(ImportBatch)).one().rows_added == 2


def test_concession_can_become_an_operation(session):
    parsed = decp.parse(example_bytes("concessions.json"), "c.json")
    operation = decp.create_operation_from_market(session, SAISIE, parsed.markets[0], decp_file=parsed)
    lot = session.exec(select(Lot).where(Lot.operation_id == operation.id)).one()
    assert lot.amount_cents == 1_030 and lot.work_kind_code == "gros_oeuvre"  # « Concession de travaux »
    assert session.exec(select(func.count()).select_from(Company)).one() == 2  # two concessionnaires, no split
    assert session.exec(select(func.count()).select_from(Commitment)).one() == 0


def test_lecture_user_cannot_create_and_nothing_is_written(session):
    parsed, market = one_market()
    before = counts(session)
    with pytest.raises(PermissionDenied):
        decp.create_operation_from_market(session, LECTURE, market, decp_file=parsed)
    assert counts(session) == before


def test_market_from_another_file_is_refused(session):
    parsed, _ = one_market()
    _, foreign = one_market(market_id="AUTRE")
    with pytest.raises(DomainError, match="n'appartient pas au fichier"):
        decp.create_operation_from_market(session, SAISIE, foreign, decp_file=parsed)


def test_a_market_above_21_million_euros_is_stored_whole(session):
    """Lot amounts are BIGINT (migration 0002): a 25 M€ works market keeps its exact amount."""
    parsed, market = one_market(amount=25_000_000.37)
    operation = decp.create_operation_from_market(session, SAISIE, market, decp_file=parsed)
    lot = session.exec(select(Lot).where(Lot.operation_id == operation.id)).one()
    assert lot.amount_cents == 2_500_000_037


def test_parsed_markets_are_immutable():
    parsed, market = one_market()
    with pytest.raises(AttributeError):
        market.amount_cents = 1  # type: ignore[misc]
    assert copy.deepcopy(parsed) == parsed
