"""Suivi › Contrats and Suivi › Suivi dans l'emploi through app.py, and the home page's « À faire cette semaine »."""

from __future__ import annotations

from datetime import date, timedelta

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from clausier import db
from models import Candidacy, Eligibility, EmploymentContract, FollowUp, JobOffer, Participant
from models.enums import (
    CandidacyStatus,
    CompanyKind,
    ContractOutcome,
    FollowUpKind,
    Modality,
    ParticipantStatus,
    Role,
    SixMonthOutcome,
)
from tests.builders import (
    make_commitment,
    make_company,
    make_contract,
    make_follow_up,
    make_hours_entry,
    make_lot,
    make_participant,
)
from tests.pages.conftest import logged_in, open_url_path

TODAY = date.today()


def _page(role: Role, url_path: str, title: str, **state) -> AppTest:
    at = logged_in(role).run()
    for key, value in state.items():
        at.session_state[key] = value
    at = open_url_path(at, url_path).run()
    assert not at.exception, at.exception
    assert at.title[0].value == title
    return at


def _click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    at = at.run()
    assert not at.exception, at.exception
    return at


def _errors(at: AppTest) -> str:
    return " ".join(e.value for e in at.error)


def _hired_candidacy(url: str) -> dict:
    """A company's interim offer on its lot, and a hired candidate with a valid eligibility."""
    with Session(db.get_engine(url)) as session:
        company = make_company(session, name="Ramery Bâtiment")
        etti = make_company(session, name="Humando Insertion", kind=CompanyKind.ETTI)
        lot = make_lot(session)
        commitment = make_commitment(session, lot=lot, company=company)
        person = make_participant(session, last_name="Leroy", first_name="Nadia", name_key="leroy nadia")
        session.add(Eligibility(participant_id=person.id, criterion_code="plie", validated_on=TODAY - timedelta(days=60),
                                validated_by="sophie"))  # fmt: skip
        offer = JobOffer(
            company_id=company.id, lot_id=lot.id, trade_code="F1703", title="Maçon", contract_type_code="interim",
            start_date=TODAY - timedelta(days=3), end_date=TODAY + timedelta(days=120), weekly_hours_h100=3500,
        )  # fmt: skip
        session.add(offer)
        session.flush()
        candidacy = Candidacy(
            offer_id=offer.id, participant_id=person.id, status=CandidacyStatus.HIRED, in_charge="sophie"
        )
        session.add(candidacy)
        session.commit()
        return {
            "company": company.id,
            "etti": etti.id,
            "commitment": commitment.id,
            "person": person.id,
            "offer": offer.id,
            "candidacy": candidacy.id,
        }


def test_contract_form_is_prefilled_from_a_hired_candidacy_and_a_refusal_keeps_what_was_typed(with_users):
    ids = _hired_candidacy(with_users)
    at = _page(Role.SAISIE, "suivi-emploi", "Suivi dans l'emploi")  # its lists are read (and kept) before
    at.radio(key="fu_view").set_value("Contrats en cours").run()
    assert any("Aucun contrat en cours." in i.value for i in at.info)
    at.session_state["contract_prefill_candidacy"] = ids["candidacy"]
    at = open_url_path(at, "contrats").run()
    assert not at.exception, at.exception
    assert at.radio(key="ct_view").value == "Nouveau contrat"
    assert "contract_prefill_candidacy" not in at.session_state
    p = "ct_new0_"
    assert at.selectbox(key=p + "participant_id").value == ids["person"]
    assert at.selectbox(key=p + "user_company_id").value == ids["company"]
    assert at.selectbox(key=p + "employer_company_id").value == ids["company"]
    assert at.selectbox(key=p + "commitment_id").value == ids["commitment"]
    assert at.selectbox(key=p + "contract_type_code").value == "interim"
    assert at.selectbox(key=p + "modality").value is Modality.PROVISION
    assert at.date_input(key=p + "start_date").value == TODAY - timedelta(days=3)
    assert at.date_input(key=p + "planned_end").value == TODAY + timedelta(days=120)
    assert at.number_input(key=p + "weekly_hours").value == 35.0
    assert at.selectbox(key=p + "in_charge").value == "sophie"
    assert any("positionnement n°" in i.value for i in at.info)

    # Interim with the company itself as employer: refused, the message next to the employer, the rest kept.
    at.text_area(key=p + "notes").input("Chaussures de sécurité fournies")
    at.number_input(key=p + "weekly_hours").set_value(39.0)
    at = _click(at, "Enregistrer le contrat")
    assert "Une mise à disposition passe par une ETTI" in _errors(at)
    assert at.text_area(key=p + "notes").value == "Chaussures de sécurité fournies"
    assert at.number_input(key=p + "weekly_hours").value == 39.0
    assert at.selectbox(key=p + "participant_id").value == ids["person"]
    with Session(db.get_engine(with_users)) as session:
        assert session.exec(select(EmploymentContract)).first() is None

    at.selectbox(key=p + "employer_company_id").set_value(ids["etti"])
    at = _click(at, "Enregistrer le contrat")
    assert [s.value for s in at.success] == ["Contrat enregistré."], _errors(at)
    with Session(db.get_engine(with_users)) as session:
        contract = session.exec(select(EmploymentContract)).one()
        assert (contract.employer_company_id, contract.user_company_id, contract.commitment_id) == (
            ids["etti"],
            ids["company"],
            ids["commitment"],
        )
        assert (contract.candidacy_id, contract.offer_id, contract.weekly_hours_h100) == (
            ids["candidacy"],
            ids["offer"],
            3900,
        )
        assert contract.notes == "Chaussures de sécurité fournies" and contract.in_charge == "sophie"
        assert session.get(Participant, ids["person"]).status is ParticipantStatus.IN_EMPLOYMENT
    assert at.selectbox(key="ct_new1_participant_id").value is None  # the form is empty again

    # The follow-up page knows the new contract at once (its cached lists were dropped by the write).
    at = open_url_path(at, "suivi-emploi").run()
    assert at.dataframe[0].value["Participant"].tolist() == ["LEROY Nadia"]


def test_a_prefill_from_a_missing_candidacy_says_so(with_users):
    at = _page(Role.SAISIE, "contrats", "Contrats", contract_prefill_candidacy=999_999)
    assert [w.value for w in at.warning] == ["Ce positionnement n'existe plus."]
    assert at.radio(key="ct_view").value == "Liste des contrats"


def test_contract_list_shows_a_contracts_hours_and_saves_an_edit(with_users):
    with Session(db.get_engine(with_users)) as session:
        company = make_company(session, name="Colas Nord")
        commitment = make_commitment(session, company=company)
        person = make_participant(session, last_name="Durand", first_name="Théo", name_key="durand theo")
        contract = make_contract(
            session, participant=person, employer=company, user_company_id=company.id, commitment_id=commitment.id,
            start_date=date(2026, 3, 2), planned_end=date(2026, 8, 31),
        )  # fmt: skip
        make_hours_entry(session, commitment=commitment, participant=person, month=date(2026, 3, 1), hours_h100=12_000)
        make_hours_entry(session, commitment=commitment, participant=person, month=date(2026, 4, 1), hours_h100=15_167)
        session.commit()
        contract_id = contract.id
    at = _page(Role.SAISIE, "contrats", "Contrats")
    frame = at.dataframe[0].value
    assert frame["Participant"].tolist() == ["DURAND Théo"] and frame["Employeur"].tolist() == ["Colas Nord"]
    at.radio(key="ct_f_state").set_value("ended").run()
    assert not at.dataframe and any("Aucun contrat" in i.value for i in at.info)
    at.radio(key="ct_f_state").set_value("running").run()
    at.selectbox(key="ct_pick").set_value(contract_id).run()
    hours = at.dataframe[1].value
    assert hours["Mois"].tolist() == ["03/2026", "04/2026"] and hours["Heures"].tolist() == [120.0, 151.67]
    assert any("Total : 271,67 h sur 2 mois." in c.value for c in at.caption)

    p = f"ce_{contract_id}_"
    at.date_input(key=p + "planned_end").set_value(date(2026, 2, 1))
    at = _click(at, "Enregistrer les modifications")
    assert "La fin prévue ne peut pas précéder le début (02/03/2026)." in _errors(at)
    assert at.date_input(key=p + "planned_end").value == date(2026, 2, 1)  # kept
    at.date_input(key=p + "planned_end").set_value(date(2026, 3, 31))
    at = _click(at, "Enregistrer les modifications")
    assert any(f"Contrat n° {contract_id} enregistré." in s.value for s in at.success)
    with Session(db.get_engine(with_users)) as session:
        saved = session.get(EmploymentContract, contract_id)
        assert (saved.planned_end, saved.version) == (date(2026, 3, 31), 2)


def test_lecture_reads_the_contracts_without_form_nor_export(with_users):
    with Session(db.get_engine(with_users)) as session:
        make_contract(session, participant=make_participant(session, last_name="Nguyen", first_name="Linh"))
        session.commit()
    at = _page(Role.LECTURE, "contrats", "Contrats")
    assert at.radio(key="ct_view").options == ["Liste des contrats"]
    assert at.dataframe[0].value["Participant"].tolist() == ["NGUYEN Linh"]
    assert not at.get("download_button")
    assert any("Export réservé" in c.value for c in at.caption)
    assert {b.label for b in at.button} == {"Se déconnecter"}


def _running_contract(url: str, in_charge: str, start: date, name: str) -> tuple[int, int]:
    with Session(db.get_engine(url)) as session:
        company = make_company(session, name=f"Entreprise de {name}")
        person = make_participant(session, last_name=name, first_name="Sam", name_key=f"{name.lower()} sam",
                                  phone="06 12 34 56 78", status=ParticipantStatus.IN_EMPLOYMENT)  # fmt: skip
        contract = make_contract(
            session, participant=person, employer=company, user_company_id=company.id, start_date=start,
            planned_end=start + timedelta(days=180), in_charge=in_charge,
        )  # fmt: skip
        session.commit()
        return contract.id, person.id


def test_follow_up_page_logs_a_call_and_records_the_end(with_users):
    start = TODAY - timedelta(days=20)
    contract_id, person_id = _running_contract(with_users, "sophie", start, "Bernard")
    _running_contract(with_users, "louis", TODAY - timedelta(days=2), "Morel")  # due in 5 days, not Sophie's
    at = _page(Role.SAISIE, "suivi-emploi", "Suivi dans l'emploi")
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Suivis en retard"], metrics["À faire dans les 7 jours"]) == ("1", "0")
    frame = at.dataframe[0].value
    assert frame["Participant"].tolist() == ["BERNARD Sam"] and frame["À faire"].tolist() == ["Premier contact"]
    assert frame["Retard (jours)"].tolist() == [13]
    at.radio(key="fu_week_scope").set_value("Toute l'équipe").run()
    assert at.dataframe[0].value["Participant"].tolist() == ["BERNARD Sam", "MOREL Sam"]

    at.selectbox(key="fu_week_pick").set_value(contract_id).run()
    at = _click(at, "Ouvrir le journal")
    assert at.radio(key="fu_view").value == "Journal d'un contrat"
    assert at.selectbox(key="fu_contract").value == contract_id
    assert any("en retard de 13 jour(s)" in w.value for w in at.warning)

    p = f"fu_add_{contract_id}0_"
    at.date_input(key=p + "on").set_value(TODAY - timedelta(days=1))
    at.selectbox(key=p + "kind").set_value(FollowUpKind.CALL)
    at.text_area(key=p + "notes").input("Premier appel : bonne intégration dans l'équipe")
    at = _click(at, "Enregistrer le suivi")
    assert any("Appel du" in s.value for s in at.success), _errors(at)
    log = at.dataframe[0].value
    assert log["Type"].tolist() == ["Appel"] and log["Par"].tolist() == ["Sophie Test"]
    assert log["Notes"].tolist() == ["Premier appel : bonne intégration dans l'équipe"]
    # Six months long: a site visit a month after the call.
    due = TODAY - timedelta(days=1) + timedelta(days=30)
    assert any(f"visite sur site le {due:%d/%m/%Y}" in i.value for i in at.info)

    # The end: refused without its outcome, then recorded.
    e = f"fu_end_{contract_id}_"
    at.date_input(key=e + "actual_end").set_value(TODAY)
    at = _click(at, "Enregistrer la fin du contrat")
    assert "Choisissez l'issue du contrat." in _errors(at)
    at.selectbox(key=e + "outcome").set_value(ContractOutcome.EARLY_END_EMPLOYEE)
    at = _click(at, "Enregistrer la fin du contrat")
    assert any(f"Fin du contrat n° {contract_id} enregistrée." in s.value for s in at.success), _errors(at)
    with Session(db.get_engine(with_users)) as session:
        contract = session.get(EmploymentContract, contract_id)
        assert (contract.actual_end, contract.outcome) == (TODAY, ContractOutcome.EARLY_END_EMPLOYEE)
        call = session.exec(select(FollowUp)).one()
        assert (call.on, call.kind, call.by) == (TODAY - timedelta(days=1), FollowUpKind.CALL, "sophie")
        assert session.get(Participant, person_id).status is ParticipantStatus.ACTIVE
    assert any("Contrat terminé le" in m.value for m in at.markdown)
    assert "Enregistrer la situation" in [b.label for b in at.button]  # asked for once ended


def test_six_month_situations_are_listed_and_recorded(with_users):
    with Session(db.get_engine(with_users)) as session:
        ended = make_contract(
            session, start_date=TODAY - timedelta(days=400), planned_end=TODAY - timedelta(days=200),
            actual_end=TODAY - timedelta(days=200), outcome=ContractOutcome.HIRED_ON, in_charge="sophie",
        )  # fmt: skip
        make_contract(  # ended two months ago: not yet
            session, start_date=TODAY - timedelta(days=200), actual_end=TODAY - timedelta(days=60),
            planned_end=None, outcome=ContractOutcome.COMPLETED, in_charge="sophie",
        )  # fmt: skip
        session.commit()
        ended_id = ended.id
    at = _page(Role.SAISIE, "suivi-emploi", "Suivi dans l'emploi")
    at.radio(key="fu_view").set_value("Situations à 6 mois").run()
    assert {m.label: m.value for m in at.metric}["Situations à recueillir"] == "1"
    assert at.dataframe[0].value["Issue"].tolist() == ["Embauche à l'issue"]
    at.selectbox(key="fu_six_pick").set_value(ended_id).run()
    at = _click(at, "Enregistrer la situation")
    assert "Choisissez la situation de la personne." in _errors(at)
    at.selectbox(key=f"fu_six_{ended_id}_outcome").set_value(SixMonthOutcome.SUSTAINABLE_JOB)
    at = _click(at, "Enregistrer la situation")
    assert any("Situation à 6 mois" in s.value for s in at.success), _errors(at)
    assert {m.label: m.value for m in at.metric}["Situations à recueillir"] == "0"
    with Session(db.get_engine(with_users)) as session:
        saved = session.get(EmploymentContract, ended_id)
        assert (saved.outcome_6m, saved.outcome_6m_recorded_on) == (SixMonthOutcome.SUSTAINABLE_JOB, TODAY)


def test_home_page_lists_what_to_do_this_week(with_users):
    _running_contract(with_users, "sophie", TODAY - timedelta(days=10), "Bernard")  # first contact 3 days late
    _running_contract(with_users, "sophie", TODAY - timedelta(days=60), "Caron")  # called 40 days ago: late
    _running_contract(with_users, "louis", TODAY - timedelta(days=1), "Morel")  # due in 6 days
    _running_contract(with_users, "louis", TODAY, "Petit")  # due in 7 days
    soon, _ = _running_contract(with_users, "sophie", TODAY - timedelta(days=35), "Dubois")
    with Session(db.get_engine(with_users)) as session:
        caron = session.exec(select(EmploymentContract).where(EmploymentContract.in_charge == "sophie")
                             .order_by(EmploymentContract.start_date)).first()  # fmt: skip
        make_follow_up(session, contract=caron, on=TODAY - timedelta(days=40), kind=FollowUpKind.SITE_VISIT)
        make_follow_up(session, contract_id=soon, on=TODAY - timedelta(days=20), kind=FollowUpKind.CALL)
        make_contract(
            session, start_date=TODAY - timedelta(days=300), actual_end=TODAY - timedelta(days=190),
            outcome=ContractOutcome.COMPLETED, in_charge="sophie",
        )  # fmt: skip
        session.commit()
    at = logged_in(Role.SAISIE).run()
    assert not at.exception, at.exception
    assert "À faire cette semaine" in [h.value for h in at.subheader]
    metrics = {m.label: m.value for m in at.metric}
    # Sophie: Bernard and Caron late; Dubois (called 20 days ago) due in 10 days: not this week.
    assert metrics["Mes suivis à faire"] == "2"
    assert metrics["Suivis à faire (équipe)"] == "4"
    assert metrics["Situations à 6 mois à recueillir"] == "1"
    frame = next(df.value for df in at.dataframe if "À faire" in df.value.columns)
    assert frame["Participant"].tolist() == ["CARON Sam", "BERNARD Sam"]
    assert frame["À faire"].tolist() == ["Contact mensuel (appel ou mail)", "Premier contact"]
    assert frame["En retard"].tolist() == ["oui", "oui"]

    # Louis follows Morel (first contact in 6 days) and Petit (in 7 days): due this week, not late.
    at = logged_in(Role.LECTURE).run()
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Mes suivis à faire"], metrics["Suivis à faire (équipe)"]) == ("2", "4")
    frame = next(df.value for df in at.dataframe if "À faire" in df.value.columns)
    assert frame["Participant"].tolist() == ["MOREL Sam", "PETIT Sam"] and frame["En retard"].tolist() == ["", ""]
