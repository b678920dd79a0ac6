"""Participants import (DESIGN §5.2): reading, column mapping saved and reused, every check with its line and column,
duplicates of known people (with and without accents) merged or skipped, duplicates within the file, all or nothing."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import Workbook
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from clausier.errors import DomainError, PermissionDenied, ValidationError
from clausier.rules.names import name_key
from clausier.services import import_participants as ip
from clausier.services.users import CurrentUser
from models import AuditEvent, ColumnMapping, Commune, Eligibility, Participant, ParticipantTrade, Qpv
from models.enums import ImportKind, QualificationLevel, Role, Sex
from models.hours import ImportBatch
from tests.builders import make_participant

TODAY = date(2026, 4, 15)
SAISIE = CurrentUser(login="claire", name="Claire", role=Role.SAISIE)
LECTURE = CurrentUser(login="louis", name="Louis", role=Role.LECTURE)
HEADER = "Nom;Prénom;Date de naissance;Sexe;Commune;Téléphone;E-mail;Critères;Date de validation;Métiers"


def csv_bytes(*lines: str, header: str = HEADER, encoding: str = "utf-8-sig") -> bytes:
    return ("\r\n".join([header, *lines]) + "\r\n").encode(encoding)


def person(session, last, first, **fields):
    return make_participant(session, last_name=last, first_name=first, name_key=name_key(last, first), **fields)


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def run_preview(session, data: bytes, name: str = "export.csv", mapping: dict[str, str] | None = None):
    raw = ip.read_file(data, name)
    return raw, ip.preview(session, raw, mapping or ip.guess_mapping(raw.header), TODAY)


# --- reading and mapping ---------------------------------------------------------------------------------------


def test_reads_windows_1252_with_semicolons_and_utf8_with_commas():
    raw = ip.read_file(csv_bytes("Lefèvre;Hélène;17/05/1990", header="Nom;Prénom;Né le", encoding="cp1252"), "a.csv")
    assert raw.header == ["Nom", "Prénom", "Né le"] and raw.rows == [(2, ["Lefèvre", "Hélène", "17/05/1990"])]
    raw = ip.read_file("\ufeffnom,prenom\r\n\r\nDurand,Paul\r\n".encode(), "b.csv")
    assert raw.header == ["nom", "prenom"] and raw.rows == [(2, [None, None]), (3, ["Durand", "Paul"])]
    with pytest.raises(ip.FileError, match="vide"):
        ip.read_file(b"\r\n ; \r\n", "c.csv")


def test_reads_the_first_sheet_of_an_excel_file_with_real_dates():
    book = Workbook()
    sheet = book.active
    sheet.append(["NOM", "PRENOM", "DATE_NAISSANCE"])
    sheet.append(["Durand", "Paul", datetime(1985, 1, 2)])
    buffer = io.BytesIO()
    book.save(buffer)
    raw = ip.read_file(buffer.getvalue(), "plie.xlsx")
    assert raw.header == ["NOM", "PRENOM", "DATE_NAISSANCE"]
    assert raw.rows == [(2, ["Durand", "Paul", datetime(1985, 1, 2)])]
    assert ip.guess_mapping(raw.header) == {"NOM": "last_name", "PRENOM": "first_name", "DATE_NAISSANCE": "birth_date"}


def test_columns_are_guessed_from_their_usual_names():
    header = [
        "N° dossier",
        "Nom de famille",
        "Prénom",
        "Né(e) le",
        "Ville",
        "Portable",
        "Courriel",
        "Code ROME",
        "Divers",
    ]
    assert ip.guess_mapping(header) == {
        "Nom de famille": "last_name",
        "Prénom": "first_name",
        "Né(e) le": "birth_date",
        "Ville": "commune",
        "Portable": "phone",
        "Courriel": "email",
        "Code ROME": "trades",
    }
    assert ip.mapping_problems({"Nom": "last_name"}) == [
        "Associez une colonne au champ « Prénom » (obligatoire).",
        "Associez une colonne au champ « Date de naissance » (obligatoire).",
    ]
    assert "plusieurs colonnes" in " ".join(
        ip.mapping_problems({"A": "last_name", "B": "first_name", "C": "birth_date", "D": "email", "E": "email"})
    )


def test_a_mapping_is_saved_by_name_and_reused_for_the_next_file(engine):
    header = ["NOM_BENEF", "PRENOM_BENEF", "DNAIS", "TEL1", "Observations"]
    mapping = {"NOM_BENEF": "last_name", "PRENOM_BENEF": "first_name", "DNAIS": "birth_date", "TEL1": "phone"}
    with Session(engine) as session:
        assert ip.guess_mapping(header) == {"Observations": "notes"}  # the software's own names are not guessed
        with pytest.raises(ValidationError) as refused:
            ip.save_mapping(session, SAISIE, "  ", mapping)
        assert "nom" in refused.value.errors["mapping_name"]
        with pytest.raises(PermissionDenied):
            ip.save_mapping(session, LECTURE, "Logiciel ABC", mapping)
        ip.save_mapping(session, SAISIE, "Logiciel ABC", mapping)
        ip.save_mapping(session, SAISIE, "Liste France Travail", {"Nom": "last_name", "Prénom": "first_name"})
        session.commit()

    with Session(engine) as session:  # next time
        saved = ip.saved_mappings(session)
        assert sorted(saved) == ["Liste France Travail", "Logiciel ABC"]
        next_header = ["nom_benef", "Prénom_Benef", "DNAIS", "TEL1", "Observations", "Antenne"]
        assert ip.best_mapping(saved, next_header) == "Logiciel ABC"
        assert ip.mapping_for(next_header, saved["Logiciel ABC"]) == {
            "nom_benef": "last_name",
            "Prénom_Benef": "first_name",
            "DNAIS": "birth_date",
            "TEL1": "phone",
            "Observations": "notes",
            "Antenne": "antenna",
        }
        # Saved again under the same name: replaced, not duplicated.
        ip.save_mapping(session, SAISIE, "Logiciel ABC", {**mapping, "Observations": "notes"})
        session.commit()
        rows = session.exec(select(ColumnMapping).where(ColumnMapping.name == "Logiciel ABC")).all()
        assert len(rows) == 1 and rows[0].kind is ImportKind.PARTICIPANTS and "notes" in rows[0].mapping
        assert ip.best_mapping(ip.saved_mappings(session), ["Nom", "Prénom", "Date"]) == "Liste France Travail"


# --- checks ----------------------------------------------------------------------------------------------------------


def test_every_error_is_given_with_its_line_column_value_and_french_reason(engine):
    data = csv_bytes(
        "Durand;Paul;31/02/1985;M;Dunkerque;;;;;",
        "Nowak;Ewa;12/03/1992;X;Atlantis;06 12;ewa@;RSA;01/03/2026;F1703",
        ";Jean;01/01/1980;;;;;;;",
        "Petit;Lina;15/06/1999;F;Dunkerque;;;jeune;15/06/2025;",  # 26 on the validation day
        "Martin;Luc;02/02/1979;;;;;Chômeur;01/03/2026;Z9999",
        "Roux;Anne;;F;;;;rsa;;",
        "Garcia;Léo;01/01/2001;;;;;rsa;16/04/2026;",
    )
    with Session(engine) as session:
        raw, pv = run_preview(session, data)
        found = [(e.line, e.column, e.value, e.reason) for e in pv.errors]
        assert found == [
            (2, "Date de naissance", "31/02/1985", "date de naissance impossible"),
            (3, "Commune", "Atlantis", "commune inconnue du territoire"),
            (3, "E-mail", "ewa@", "e-mail invalide"),
            (3, "Sexe", "X", "sexe inconnu (attendu F ou M, Femme ou Homme)"),
            (3, "Téléphone", "06 12", "téléphone invalide"),
            (4, "Nom", "", "obligatoire"),
            (
                5,
                "Critères",
                "jeune",
                "Le participant a 26 ans au 15/06/2025 : ce critère est réservé aux moins de 26 ans.",
            ),
            (6, "Critères", "Chômeur", "critère d'éligibilité inconnu : « Chômeur »"),
            (6, "Métiers", "Z9999", "code ROME ou métier inconnu : « Z9999 »"),
            (7, "Date de naissance", "", "obligatoire (elle sert à reconnaître les personnes déjà connues)"),
            (7, "Date de validation", "", "obligatoire quand la ligne donne des critères d'éligibilité"),
            (8, "Date de validation", "16/04/2026", "date de validation dans le futur"),
        ]
        assert not pv.ok and pv.lines_read == 7
        with pytest.raises(DomainError, match="erreur"):
            ip.apply(session, pv, SAISIE, "export.csv", "x" * 64, today=TODAY)
        assert count(session, Participant) == 0 and count(session, ImportBatch) == 0


def test_values_are_read_in_the_forms_the_software_gives_them(engine):
    header = "Nom;Prénom;Né le;Civilité;CP;QPV;Niveau;Permis;Véhicule;Critères;Validé le;Prescripteur;Motif;Métiers"
    data = csv_bytes(
        "Benali;Yasmine;1990-12-31;Mme;59140;non;Bac+2;B, CACES R489;oui;RSA | plie;05/01/2026;;;F1703 - Maçonnerie|k2204",
        "Nowak;Ewa;03.04.1970;Madame;Cappelle-la-Grande;oui;CAP;;non;50 ans et plus;05/01/2026;;;Maçonnerie",
        "Roux;Anne;01/01/1980;F;Grande-Synthe;;6+;;;avis motivé;05/01/2026;Pôle emploi;Orientation validée;",
        header=header,
    )
    with Session(engine) as session:
        cappelle = session.exec(select(Commune).where(Commune.name == "Cappelle-la-Grande")).one()
        coeur = session.exec(select(Qpv).where(Qpv.commune_id == cappelle.id)).one()
        raw, pv = run_preview(session, data)
        assert pv.errors == [], pv.errors
        by_name = {p.values["last_name"]: p for p in pv.new}
        yasmine = by_name["Benali"]
        assert yasmine.values["birth_date"] == date(1990, 12, 31) and yasmine.values["sex"] is Sex.FEMALE
        assert yasmine.values["qpv_id"] is None and yasmine.values["own_vehicle"] is True
        assert yasmine.values["qualification_level"] is QualificationLevel.LEVEL_5
        assert yasmine.values["licences"] == "B;CACES R489"
        assert yasmine.trades == ["F1703", "K2204"]
        assert [(c, d) for c, d, _ in yasmine.eligibility] == [("rsa", date(2026, 1, 5)), ("plie", date(2026, 1, 5))]
        ewa = by_name["Nowak"]
        assert (ewa.values["commune_id"], ewa.values["qpv_id"]) == (cappelle.id, coeur.id)
        assert ewa.values["qualification_level"] is QualificationLevel.LEVEL_3 and ewa.trades == ["F1703"]
        assert ewa.eligibility == [("senior_50", date(2026, 1, 5), "")]
        assert by_name["Roux"].eligibility == [
            ("avis_motive", date(2026, 1, 5), "France Travail : Orientation validée")
        ]


# --- duplicates ---------------------------------------------------------------------------------------------------


def test_known_people_are_found_with_and_without_accents_and_never_created_twice(engine):
    with Session(engine) as session:
        helene = person(session, "Lefèvre-Cœur", "Hélène", birth_date=date(1990, 5, 17), phone="0612345678")
        kevin = person(session, "Martin", "Kévin", birth_date=date(1985, 1, 2))
        session.commit()
        data = csv_bytes(
            "LEFEVRE-COEUR;helene;17/05/1990;F;Dunkerque;07 00 00 00 01;h.lefevre@exemple.fr;RSA;05/01/2026;F1703",
            "Martin;Kévin;02/01/1985;;;;;;;",  # same accents: known too
            "Martin;Kevin;02/01/1986;;;;;;;",  # another birth date: another person
            "Ćwikła;Zoé;09/09/1999;;;;;;;",
        )
        raw, pv = run_preview(session, data)
        assert pv.errors == []
        assert [(p.line, p.participant_id) for p in pv.known] == [(2, helene.id), (3, kevin.id)]
        assert [p.name for p in pv.new] == ["Martin Kevin", "Ćwikła Zoé"]
        merge = pv.known[0]
        assert merge.adds == ["sexe", "commune", "e-mail", "métiers F1703", "critères rsa (05/01/2026)"]  # phone kept
        assert pv.known[1].adds == []

        batch = ip.apply(session, pv, SAISIE, "export.csv", ip.checksum(data), today=TODAY)
        session.commit()
        assert (batch.kind, batch.rows_added, batch.rows_changed, batch.rows_unchanged) == (
            ImportKind.PARTICIPANTS,
            2,
            1,
            1,
        )
        assert count(session, Participant) == 4
        merged = session.get(Participant, helene.id)
        assert (merged.phone, merged.email, merged.sex, merged.version) == (
            "0612345678",
            "h.lefevre@exemple.fr",
            Sex.FEMALE,
            2,
        )
        assert session.exec(
            select(ParticipantTrade.trade_code).where(ParticipantTrade.participant_id == helene.id)
        ).all() == ["F1703"]
        elig = session.exec(select(Eligibility).where(Eligibility.participant_id == helene.id)).one()
        assert (elig.criterion_code, elig.validated_on, elig.validated_by) == ("rsa", date(2026, 1, 5), "claire")
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "import des participants")).one()
        assert event.summary == "export.csv : 2 créé(s), 1 complété(s), 1 inchangé(s) ou ignoré(s)"

        # The same file again: everybody is known now, nothing is created.
        raw, again = run_preview(session, data)
        assert again.new == [] and len(again.known) == 4 and all(p.adds == [] for p in again.known)
        ip.apply(session, again, SAISIE, "export.csv", ip.checksum(data), today=TODAY)
        session.commit()
        assert count(session, Participant) == 4 and count(session, Eligibility) == 1


def test_a_known_person_is_left_alone_when_the_user_skips_the_merge(engine):
    with Session(engine) as session:
        helene = person(session, "Dupont", "Hélène", birth_date=date(1990, 5, 17))
        session.commit()
        raw, pv = run_preview(session, csv_bytes("DUPONT;Helene;17/05/1990;F;Dunkerque;;;RSA;05/01/2026;F1703"))
        batch = ip.apply(session, pv, SAISIE, "export.csv", "c" * 64, merge=set(), today=TODAY)
        session.commit()
        assert (batch.rows_added, batch.rows_changed, batch.rows_unchanged) == (0, 0, 1)
        kept = session.get(Participant, helene.id)
        assert (kept.sex, kept.commune_id, kept.version) == (None, None, 1)
        assert count(session, Eligibility) == 0 and count(session, ParticipantTrade) == 0


def test_lines_of_the_same_person_in_the_file_are_grouped_into_one(engine):
    data = csv_bytes(
        "Benali;Yasmine;03/09/2001;F;;;;RSA;05/01/2026;F1703",
        "Nowak;Ewa;12/03/1992;;;;;;;",
        "BENALI;yasmine;03/09/2001;;Dunkerque;06 11 22 33 44;;jeune;05/01/2026;F1703;K2204",
    )
    with Session(engine) as session:
        raw, pv = run_preview(session, data)
        assert pv.errors == [] and pv.grouped == [(4, 2)]
        yasmine = pv.new[0]
        assert yasmine.lines == [2, 4] and yasmine.values["last_name"] == "Benali"  # the first line wins
        assert yasmine.values["phone"] == "06 11 22 33 44" and yasmine.values["commune_id"] is not None
        assert yasmine.trades == ["F1703"]  # the extra column of line 4 is outside the header: not read
        assert [c for c, _, _ in yasmine.eligibility] == ["rsa", "jeune_26"]
        ip.apply(session, pv, SAISIE, "export.csv", "d" * 64, today=TODAY)
        session.commit()
        assert count(session, Participant) == 2 and count(session, Eligibility) == 2


def test_an_id_of_the_plie_software_given_to_two_people_is_an_error(engine):
    header = "Identifiant;Nom;Prénom;Date de naissance"
    with Session(engine) as session:
        paul = person(session, "Durand", "Paul", birth_date=date(1985, 1, 2), external_id="PLIE-1")
        luc = person(session, "Martin", "Luc", birth_date=date(1979, 2, 2), external_id="PLIE-3")
        session.commit()
        raw, pv = run_preview(
            session,
            csv_bytes(
                "PLIE-3;Roux;Anne;01/01/1980",  # the id of Luc Martin
                "PLIE-2;Nowak;Ewa;01/01/1981",
                "PLIE-2;Petit;Lina;01/01/1982",  # the id of the line above
                "PLIE-1;DURAND;paul;02/01/1985",  # Paul Durand himself: known
                header=header,
            ),
        )
        assert [(e.line, e.column, e.value, e.reason) for e in pv.errors] == [
            (
                2,
                "Identifiant",
                "PLIE-3",
                f"identifiant déjà celui du participant n° {luc.id}, dont le nom ou la date de naissance diffère : "
                "corrigez le fichier ou la fiche",
            ),
            (4, "Identifiant", "PLIE-2", "identifiant déjà donné à une autre personne plus haut dans le fichier"),
        ]
        assert [p.participant_id for p in pv.known] == [paul.id] and [p.name for p in pv.new] == ["Nowak Ewa"]


# --- all or nothing ---------------------------------------------------------------------------------------------------


def test_a_person_created_since_the_preview_stops_the_whole_import(engine):
    data = csv_bytes("Roux;Anne;01/01/1980;;;;;;;", "Nowak;Ewa;12/03/1992;;;;;;;")
    with Session(engine) as session:
        raw, pv = run_preview(session, data)
        assert len(pv.new) == 2
    with Session(engine) as other:  # a colleague creates Ewa Nowak meanwhile
        person(other, "Nowak", "Ewa", birth_date=date(1992, 3, 12))
        other.commit()
    with Session(engine) as session:
        with pytest.raises(DomainError, match="relancez l'aperçu"):
            ip.apply(session, pv, SAISIE, "export.csv", "e" * 64, today=TODAY)
        session.rollback()
        assert count(session, Participant) == 1 and count(session, ImportBatch) == 0


def test_a_failure_in_the_middle_writes_nothing(engine):
    data = csv_bytes("Roux;Anne;01/01/1980;;;;;RSA;05/01/2026;", "Nowak;Ewa;12/03/1992;;;;;;;F1703")
    with Session(engine) as session:
        raw, pv = run_preview(session, data)
        # The criterion is withdrawn from the reference list after the preview: the last insert of the import fails,
        # after the people and their trades were written.
        pv.new[1].eligibility = [("critere_retire", date(2026, 1, 5), "")]
        with pytest.raises(IntegrityError):
            ip.apply(session, pv, SAISIE, "export.csv", "f" * 64, today=TODAY)
        session.rollback()
        assert count(session, Participant) == 0 and count(session, Eligibility) == 0
        assert count(session, ParticipantTrade) == 0
        assert count(session, ImportBatch) == 0 and count(session, AuditEvent) == 0


def test_lecture_cannot_import(engine):
    with Session(engine) as session:
        raw, pv = run_preview(session, csv_bytes("Roux;Anne;01/01/1980;;;;;;;"))
        with pytest.raises(PermissionDenied):
            ip.apply(session, pv, LECTURE, "export.csv", "g" * 64, today=TODAY)
