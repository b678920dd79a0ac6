"""DESIGN §3.9 — every indicator of the bilan on a hand-built data set (SQLite and PostgreSQL), figures written here.

The data set (period: first half of 2026, read on 1 September 2026, so the progress is read on 30 June 2026):

- Buyer B1 › operation O1 › lot L1 (executed in 2026) and lot L2 (executed in 2025); buyer B2 › O2 › lot L3
  (March 2026 – February 2027). Companies Alpha and Beta.
- Commitments: C1 = L1/Alpha 1 000 h, C2 = L1/Beta 500 h, C3 = L2/Alpha 300 h (over, no hours in 2026: not in
  the bilan), C4 = L3/Beta 800 h.
- P1 (F, born 15/03/2000, level 3, QPV, Testville): CDD K1 on C1 from 01/11/2025 to 28/02/2026 (completed), hours
  100 h in Nov. and Dec. 2025, 120 h in Jan. and Feb. 2026. 25 at the contract's start (26 today).
- P2 (M, born 01/07/1976, no qualification, Autreville): interim K2 on C1 from 01/05/2026, planned to 31/08/2026,
  150 h in May, June and July 2026 (as provision of staff). 49 at the start (50 today).
- P3 (M, born 10/01/1970, level 4, Testville): CDI K3 on C4 from 01/03/2026, 100 h in March and April 2026.
- P4 (F, born 05/05/1990, nothing else known): no contract, 80 h on C2 in April 2026 (subcontracting).
- P5 (F, no birth date): CDD K5 on C2 ended 31/10/2025, hired on, sustainable job six months later; 50 h in June
  2025 on C2.
- P6 (M): contract K6 on C3 ended 31/12/2025 (employee's early end), situation at six months not recorded.
- P7 (M, born 01/02/2004, level 5, Testville): CDD K7 without commitment, user company Alpha, 01/02 – 31/03/2026,
  ended at the trial period.
- Eligibility validated on or before 30/06/2026: P1 RSA and long-term job seeker, P2 long-term job seeker, P7
  young under 26. P3's (over 50) was validated on 01/08/2026: after the period.
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from clausier.reports import bilan as B
from clausier.rules.progress import ProgressStatus
from clausier.services import bilans
from models import Commune, Eligibility, Qpv
from models.enums import ContractOutcome, Modality, QualificationLevel, Sex, SixMonthOutcome
from tests.builders import (
    make_buyer,
    make_commitment,
    make_company,
    make_contract,
    make_hours_entry,
    make_lot,
    make_operation,
    make_participant,
    save,
    set_setting,
)

TODAY = date(2026, 9, 1)
H1 = B.Period(date(2026, 1, 1), date(2026, 6, 30))
OTHERS = B.others_label(3)


def _month(year: int, month: int) -> date:
    return date(year, month, 1)


@pytest.fixture
def data(any_engine: Engine) -> dict:
    with Session(any_engine) as s:
        testville = save(s, Commune(insee_code="99001", name="Testville", epci="CUD"))
        autreville = save(s, Commune(insee_code="99002", name="Autreville", epci="CCHF"))
        qpv = save(s, Qpv(code="QN99999", name="Quartier Test", commune_id=testville.id))
        b1, b2 = make_buyer(s, name="Acheteur Un"), make_buyer(s, name="Acheteur Deux")
        o1 = make_operation(s, buyer=b1, name="Opération Une")
        o2 = make_operation(s, buyer=b2, name="Opération Deux")
        l1 = make_lot(
            s, operation=o1, reference="L1", execution_start=date(2026, 1, 1), execution_end=date(2026, 12, 31)
        )
        l2 = make_lot(
            s, operation=o1, reference="L2", execution_start=date(2025, 1, 1), execution_end=date(2025, 12, 31)
        )
        l3 = make_lot(
            s, operation=o2, reference="L3", execution_start=date(2026, 3, 1), execution_end=date(2027, 2, 28)
        )
        alpha, beta = make_company(s, name="Alpha"), make_company(s, name="Beta")
        c1 = make_commitment(s, lot=l1, company=alpha, hours_committed_h100=100_000)
        c2 = make_commitment(s, lot=l1, company=beta, hours_committed_h100=50_000)
        c3 = make_commitment(s, lot=l2, company=alpha, hours_committed_h100=30_000)
        c4 = make_commitment(s, lot=l3, company=beta, hours_committed_h100=80_000)

        p1 = make_participant(
            s,
            sex=Sex.FEMALE,
            birth_date=date(2000, 3, 15),
            qualification_level=QualificationLevel.LEVEL_3,
            qpv_id=qpv.id,
            commune_id=testville.id,
        )
        p2 = make_participant(
            s,
            sex=Sex.MALE,
            birth_date=date(1976, 7, 1),
            qualification_level=QualificationLevel.NONE,
            commune_id=autreville.id,
        )
        p3 = make_participant(
            s,
            sex=Sex.MALE,
            birth_date=date(1970, 1, 10),
            qualification_level=QualificationLevel.LEVEL_4,
            commune_id=testville.id,
        )
        p4 = make_participant(s, sex=Sex.FEMALE, birth_date=date(1990, 5, 5))
        p5 = make_participant(s, sex=Sex.FEMALE, birth_date=None)
        p6 = make_participant(s, sex=Sex.MALE, birth_date=date(1985, 1, 1))
        p7 = make_participant(
            s,
            sex=Sex.MALE,
            birth_date=date(2004, 2, 1),
            qualification_level=QualificationLevel.LEVEL_5,
            commune_id=testville.id,
        )

        k1 = make_contract(
            s,
            participant=p1,
            employer=alpha,
            commitment_id=c1.id,
            contract_type_code="cdd",
            start_date=date(2025, 11, 1),
            planned_end=date(2026, 2, 28),
            actual_end=date(2026, 2, 28),
            outcome=ContractOutcome.COMPLETED,
        )
        k2 = make_contract(
            s,
            participant=p2,
            employer=alpha,
            commitment_id=c1.id,
            contract_type_code="interim",
            modality=Modality.PROVISION,
            start_date=date(2026, 5, 1),
            planned_end=date(2026, 8, 31),
        )
        k3 = make_contract(
            s,
            participant=p3,
            employer=beta,
            commitment_id=c4.id,
            contract_type_code="cdi",
            start_date=date(2026, 3, 1),
            planned_end=None,
        )
        k5 = make_contract(
            s,
            participant=p5,
            employer=beta,
            commitment_id=c2.id,
            start_date=date(2025, 6, 1),
            planned_end=date(2025, 10, 31),
            actual_end=date(2025, 10, 31),
            outcome=ContractOutcome.HIRED_ON,
            outcome_6m=SixMonthOutcome.SUSTAINABLE_JOB,
        )
        make_contract(
            s,
            participant=p6,
            employer=alpha,
            commitment_id=c3.id,
            start_date=date(2025, 3, 1),
            planned_end=date(2025, 12, 31),
            actual_end=date(2025, 12, 31),
            outcome=ContractOutcome.EARLY_END_EMPLOYEE,
        )
        make_contract(
            s,
            participant=p7,
            employer=alpha,
            user_company_id=alpha.id,
            start_date=date(2026, 2, 1),
            planned_end=date(2026, 3, 31),
            actual_end=date(2026, 3, 31),
            outcome=ContractOutcome.TRIAL_END,
        )

        for month, hours in [(_month(2025, 11), 10_000), (_month(2025, 12), 10_000)]:
            make_hours_entry(s, commitment=c1, participant=p1, contract_id=k1.id, month=month, hours_h100=hours)
        for month in (_month(2026, 1), _month(2026, 2)):
            make_hours_entry(s, commitment=c1, participant=p1, contract_id=k1.id, month=month, hours_h100=12_000)
        for month in (_month(2026, 5), _month(2026, 6), _month(2026, 7)):
            make_hours_entry(
                s,
                commitment=c1,
                participant=p2,
                contract_id=k2.id,
                month=month,
                hours_h100=15_000,
                modality=Modality.PROVISION,
            )
        for month in (_month(2026, 3), _month(2026, 4)):
            make_hours_entry(s, commitment=c4, participant=p3, contract_id=k3.id, month=month, hours_h100=10_000)
        make_hours_entry(
            s, commitment=c2, participant=p4, month=_month(2026, 4), hours_h100=8_000, modality=Modality.SUBCONTRACTING
        )
        make_hours_entry(s, commitment=c2, participant=p5, contract_id=k5.id, month=_month(2025, 6), hours_h100=5_000)
        make_hours_entry(s, commitment=c3, participant=p6, month=_month(2025, 6), hours_h100=20_000)

        for participant, code, on in [
            (p1, "rsa", date(2025, 10, 1)),
            (p1, "deld", date(2025, 10, 1)),
            (p2, "deld", date(2026, 4, 1)),
            (p7, "jeune_26", date(2026, 1, 15)),
            (p3, "senior_50", date(2026, 8, 1)),
        ]:
            save(s, Eligibility(participant_id=participant.id, criterion_code=code, validated_on=on, validated_by="t"))
        set_setting(s, "small_cell_threshold", 1, by="test")  # every count shown, to check them all
        s.commit()
        return {
            "b1": b1.id,
            "o2": o2.id,
            "l1": l1.id,
            "alpha": alpha.id,
            "beta": beta.id,
            "names": [p.last_name for p in (p1, p2, p3, p4, p5, p6, p7)],
        }


def _bilan(
    engine: Engine, scope: B.Scope | None = None, period: B.Period = H1, threshold: int | None = None
) -> B.Bilan:
    scope = scope or B.Scope()
    with Session(engine) as s:
        if threshold is not None:
            set_setting(s, "small_cell_threshold", threshold, by="test")
            s.flush()
        return bilans.compute(s, scope, period, TODAY)


def _table(breakdown: B.Breakdown) -> dict[str, object]:
    return dict(zip(breakdown.frame[breakdown.category], breakdown.frame[breakdown.unit], strict=True))


def _by_key(b: B.Bilan) -> dict[str, B.Breakdown]:
    return {t.key: t for t in b.tables()}


def test_hours_committed_achieved_remaining_rate_and_status(any_engine, data):
    b = _bilan(any_engine)
    assert b.as_of == date(2026, 6, 30)
    assert b.commitments == 3  # C3: its lot ended in 2025 and it has no hours in the period
    assert b.overall.committed_h100 == 230_000
    assert b.achieved_in_period_h100 == 82_000  # 240 + 300 + 200 + 80
    assert b.overall.achieved_h100 == 107_000  # + 200 h in Nov.–Dec. 2025 (C1) + 50 h in June 2025 (C2)
    assert b.overall.remaining_h100 == 123_000
    assert b.overall.rate == pytest.approx(1070 / 2300)
    # expected on 30/06/2026: 181/365 of C1 and C2, 122/365 of C4 → 1 011 h; 1 070 h achieved: ahead
    assert b.overall.expected_h100 == round(100_000 * 181 / 365) + round(50_000 * 181 / 365) + round(80_000 * 122 / 365)
    assert b.overall.status is ProgressStatus.AHEAD
    figures = dict(b.key_figures())
    assert figures["Heures engagées"] == "2\u202f300 h"
    assert figures["Heures réalisées sur la période"] == "820 h"
    assert figures["Heures réalisées au 30/06/2026"] == "1\u202f070 h"
    assert figures["Reste à réaliser"] == "1\u202f230 h"
    assert figures["Taux de réalisation"] == "47 %"
    assert figures["Statut"] == "en avance"


def test_hours_by_modality_and_contract_type(any_engine, data):
    tables = _by_key(_bilan(any_engine))
    assert _table(tables["modalites"]) == {
        Modality.DIRECT_HIRE.label: 440.0,
        Modality.PROVISION.label: 300.0,
        Modality.SUBCONTRACTING.label: 80.0,
    }  # no training hours: no line
    assert _table(tables["types-contrat"]) == {
        "CDI": 200.0,
        "CDD": 240.0,
        "Mission d'intérim": 300.0,
        B.NO_CONTRACT: 80.0,
    }
    assert list(tables["types-contrat"].frame[B.SHARE]) == [24.4, 29.3, 36.6, 9.8]


def test_people_and_contracts(any_engine, data):
    b = _bilan(any_engine)
    # P1–P4 have hours in the period, P7 a contract running in it; P5 and P6 ended theirs in 2025
    assert b.people == 5
    assert b.contracts == 4  # K1 (ends in February), K2 (runs past June), K3, K7
    tables = _by_key(b)
    assert _table(tables["sexe"]) == {"Femme": 2, "Homme": 3}
    assert _table(tables["qualification"]) == {  # nobody at level 6: no line
        QualificationLevel.NONE.label: 1,
        QualificationLevel.LEVEL_3.label: 1,
        QualificationLevel.LEVEL_4.label: 1,
        QualificationLevel.LEVEL_5.label: 1,
        B.NOT_GIVEN: 1,
    }
    assert _table(tables["criteres"]) == {
        "Demandeur d'emploi de longue durée (plus de 12 mois d'inscription)": 2,
        "Allocataire du RSA (demandeur d'emploi ou ayant droit)": 1,
        "Jeune de moins de 26 ans sorti du système scolaire depuis au moins 6 mois": 1,
        B.NO_CRITERION: 2,  # P3's criterion was validated after the period; P4 has none
    }
    assert list(tables["criteres"].frame[B.SHARE]) == [40.0, 20.0, 20.0, 40.0]
    assert _table(tables["qpv"]) == {"Oui": 1, "Non": 4}
    assert _table(tables["communes"]) == {"Testville": 3, "Autreville": 1, B.NOT_GIVEN_F: 1}
    assert list(tables["sexe"].frame[B.SHARE]) == [40.0, 60.0]


def test_age_bands_are_read_at_the_contract_start_not_today(any_engine, data):
    tables = _by_key(_bilan(any_engine))
    # P1 is 25 on 01/11/2025 (26 today), P7 22; P2 is 49 on 01/05/2026 (50 today), P4 35 at her first month of
    # hours (no contract); P3 56
    assert _table(tables["age"]) == {"Moins de 26 ans": 2, "26 à 49 ans": 2, "50 ans et plus": 1}


def test_outcomes_at_contract_end_and_six_months_later(any_engine, data):
    tables = _by_key(_bilan(any_engine))
    assert _table(tables["sorties"]) == {ContractOutcome.COMPLETED.label: 1, ContractOutcome.TRIAL_END.label: 1}
    # due in the period: contracts ended between 01/07/2025 and 31/12/2025
    assert _table(tables["sorties-6-mois"]) == {SixMonthOutcome.SUSTAINABLE_JOB.label: 1, B.NOT_GIVEN_F: 1}
    assert tables["sorties-6-mois"].note.startswith("Contrats terminés entre le 01/07/2025 et le 31/12/2025")


def test_companies_with_their_progress(any_engine, data):
    b = _bilan(any_engine)
    assert b.progress_level is B.Level.COMPANY
    frame = b.progress_frame.set_index("Entreprise")
    assert frame.loc["Alpha", "Heures engagées"] == 1000.0
    assert frame.loc["Alpha", "Réalisées sur la période"] == 540.0
    assert frame.loc["Alpha", "Réalisées à la fin de la période"] == 740.0
    assert frame.loc["Alpha", "Engagements"] == 1  # C3 is not in the bilan
    assert frame.loc["Beta", "Heures engagées"] == 1300.0
    assert frame.loc["Beta", "Réalisées sur la période"] == 280.0
    assert frame.loc["Beta", "Réalisées à la fin de la période"] == 330.0
    assert frame.loc["Beta", "Reste à réaliser"] == 970.0
    assert frame.loc["Beta", "Taux (%)"] == round(330 / 1300 * 100, 1)


def test_a_contract_across_the_period_edges_counts_its_hours_inside_only(any_engine, data):
    # K1 runs from November 2025 (440 h in all), K2 past June (450 h): 240 h and 300 h in the period
    tables = _by_key(_bilan(any_engine))
    assert _table(tables["types-contrat"])["CDD"] == 240.0
    assert _table(tables["types-contrat"])["Mission d'intérim"] == 300.0
    # dates inside a month: a month counts when it is in the period (from the start's month to the end date)
    mid = _by_key(_bilan(any_engine, period=B.Period(date(2026, 2, 15), date(2026, 5, 10))))
    assert _table(mid["types-contrat"]) == {"CDI": 200.0, "CDD": 120.0, "Mission d'intérim": 150.0, B.NO_CONTRACT: 80.0}
    # July 2026 alone: K2's third month (its planned end, 31/08, is not reached)
    july = _bilan(any_engine, period=B.Period(date(2026, 7, 1), date(2026, 7, 31)))
    assert july.achieved_in_period_h100 == 15_000
    assert july.people == 2  # P2 (hours) and P3 (CDI still running)


def test_scope_buyer(any_engine, data):
    b = _bilan(any_engine, B.Scope(B.ScopeKind.BUYER, data["b1"]))
    assert b.scope_label == "Donneur d'ordre : Acheteur Un"
    assert b.commitments == 2  # C1, C2 (C3 over)
    assert b.overall.committed_h100 == 150_000
    assert b.achieved_in_period_h100 == 62_000
    assert (b.people, b.contracts) == (3, 2)  # P1, P2, P4; K7 has no commitment: not the buyer's
    assert _table(_by_key(b)["sorties-6-mois"]) == {SixMonthOutcome.SUSTAINABLE_JOB.label: 1, B.NOT_GIVEN_F: 1}


def test_scope_operation(any_engine, data):
    b = _bilan(any_engine, B.Scope(B.ScopeKind.OPERATION, data["o2"]))
    assert b.scope_label == "Opération : Opération Deux (Acheteur Deux)"
    assert (b.commitments, b.overall.committed_h100, b.achieved_in_period_h100) == (1, 80_000, 20_000)
    assert (b.people, b.contracts) == (1, 1)
    assert _table(_by_key(b)["age"]) == {"50 ans et plus": 1}


def test_scope_lot(any_engine, data):
    b = _bilan(any_engine, B.Scope(B.ScopeKind.LOT, data["l1"]))
    assert b.scope_label.startswith("Lot : L1 ")
    assert (b.commitments, b.overall.committed_h100, b.achieved_in_period_h100) == (2, 150_000, 62_000)
    assert (b.people, b.contracts) == (3, 2)
    assert _table(_by_key(b)["sorties-6-mois"]) == {SixMonthOutcome.SUSTAINABLE_JOB.label: 1}  # K6 is on lot L2


def test_scope_company_shows_its_lots(any_engine, data):
    b = _bilan(any_engine, B.Scope(B.ScopeKind.COMPANY, data["alpha"]))
    assert b.scope_label.startswith("Entreprise : Alpha (SIRET ")
    assert (b.commitments, b.overall.committed_h100, b.achieved_in_period_h100) == (1, 100_000, 54_000)
    # K1 and K2 through C1; K7 has no commitment but Alpha is its user company
    assert (b.people, b.contracts) == (3, 3)
    assert b.progress_level is B.Level.LOT
    assert list(b.progress_frame["Lot"]) == ["Opération Une – L1"]


def test_roll_ups_sum_the_commitments(any_engine, data):
    b = _bilan(any_engine)
    by_company = {label: p for label, p in b.progress_items}
    assert by_company["Beta"].count == 2
    assert by_company["Beta"].committed_h100 == 50_000 + 80_000
    assert by_company["Beta"].achieved_h100 == 5_000 + 8_000 + 20_000
    total = sum(p.committed_h100 for p in by_company.values())
    assert total == b.overall.committed_h100
    assert sum(p.achieved_h100 for p in by_company.values()) == b.overall.achieved_h100


def test_small_cells_are_merged_or_hidden(any_engine, data):
    b = _bilan(any_engine, threshold=3)
    assert b.threshold == 3
    for table in b.tables():
        if not table.counts_people:
            continue
        values = list(table.frame[table.unit])
        for value in values:
            # no cell shows fewer than 3 people: 0 or at least 3, or « < 3 » when the whole table is that small
            assert value == "< 3" or value == 0 or value >= 3, (table.key, values)
        if "< 3" in values:
            assert values == ["< 3"]
    tables = _by_key(b)
    assert _table(tables["sexe"]) == {OTHERS: 5}  # 2 women: merged with the men, or they could be deduced
    # Autreville (1) and « not given » (1) make 2: still small, so Testville joins them
    assert _table(tables["communes"]) == {OTHERS: 5}
    assert _table(tables["criteres"]) == {OTHERS: 6}  # 2, 1, 1, 2: every criterion is small
    assert _table(tables["sorties"]) == {OTHERS: "< 3"}
    assert dict(b.key_figures())["Personnes"] == "5"
    small = _bilan(any_engine, B.Scope(B.ScopeKind.OPERATION, data["o2"]), threshold=3)
    assert dict(small.key_figures())["Personnes"] == "< 3"
    assert dict(small.key_figures())["Contrats"] == "< 3"
    assert all(list(t.frame[t.unit]) == ["< 3"] for t in small.people_breakdowns)


def test_the_bilan_holds_no_name(any_engine, data):
    b = _bilan(any_engine, B.Scope(B.ScopeKind.COMPANY, data["alpha"]))
    text = " ".join(t.frame.to_csv() for t in b.tables()) + b.progress_frame.to_csv() + str(b.key_figures())
    for name in data["names"]:
        assert name not in text
