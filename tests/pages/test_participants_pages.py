"""Candidats › Participants and › Import de participants through app.py: list and filters, a participant's page,
create with a refused field keeping what was typed, edit, eligibility, anonymisation, retention list; the import's
preview, duplicates, mapping saved and offered again, confirm; what a lecture user sees."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session, select
from streamlit.testing.v1 import AppTest

from clausier import db
from clausier.rules.names import name_key
from models import ColumnMapping, Eligibility, Participant, ParticipantTrade
from models.enums import ExperienceLevel, ParticipantStatus, Role
from tests.builders import make_commitment, make_company, make_contract, make_hours_entry, make_participant
from tests.pages.conftest import logged_in, open_url_path

TODAY = date.today()


def _page(role: Role, url_path: str = "participants", title: str = "Participants") -> AppTest:
    at = logged_in(role).run()
    at = open_url_path(at, url_path).run()
    assert not at.exception, at.exception
    assert at.title[0].value == title
    return at


def _click(at: AppTest, label: str) -> AppTest:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, at.exception
    return at


def _seed(url: str) -> dict[str, int]:
    """Three people: Hélène (eligible, under contract with hours), Jean (eligibility lapsed), Kévin (none)."""
    with Session(db.get_engine(url)) as session:

        def person(last, first, **fields):
            return make_participant(session, last_name=last, first_name=first, name_key=name_key(last, first), **fields)

        helene = person(
            "Lefèvre",
            "Hélène",
            phone="06 12 34 56 78",
            email="helene@exemple.fr",
            antenna="Dunkerque",
            counsellor="Inès",
        )
        jean = person("Dupont", "Jean", antenna="Gravelines", counsellor="Marc", status=ParticipantStatus.EXITED)
        kevin = person("Martin", "Kévin", antenna="Dunkerque", counsellor="Marc")
        session.add(
            Eligibility(
                participant_id=helene.id,
                criterion_code="rsa",
                validated_on=TODAY - timedelta(days=30),
                validated_by="sophie",
            )
        )
        session.add(
            Eligibility(
                participant_id=jean.id, criterion_code="deld", validated_on=date(2020, 1, 6), validated_by="sophie"
            )
        )
        session.add(ParticipantTrade(participant_id=helene.id, trade_code="F1703"))
        company = make_company(session, name="Bâtir Nord")
        commitment = make_commitment(session, company=company)
        make_contract(session, participant=helene, employer=company)
        make_hours_entry(session, commitment=commitment, participant=helene, hours_h100=15_167)
        session.commit()
        return {"helene": helene.id, "jean": jean.id, "kevin": kevin.id}


def _names(at: AppTest) -> list[str]:
    frame = at.dataframe[0].value
    return [f"{last} {first}" for last, first in zip(frame["Nom"], frame["Prénom"], strict=True)]


def _text(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption])


# --- list and page ---------------------------------------------------------------------------------------------------


def test_list_search_filters_and_a_participants_page(with_users):
    ids = _seed(with_users)
    at = _page(Role.SAISIE)
    assert _names(at) == ["Dupont Jean", "Lefèvre Hélène", "Martin Kévin"]
    frame = at.dataframe[0].value
    assert frame.loc[frame["Nom"] == "Lefèvre", "Téléphone"].iloc[0] == "06 12 34 56 78"
    assert frame.loc[frame["Nom"] == "Dupont", "Éligibilité"].iloc[0] == "Expirée le 05/01/2022"

    assert [b.label for b in at.get("download_button")] == [
        "Télécharger la liste (CSV)",
        "Télécharger la liste (Excel)",
    ]

    at.text_input(key="part_f_search").input("LEFEVRE helene").run()
    assert _names(at) == ["Lefèvre Hélène"]
    at.text_input(key="part_f_search").input("").run()
    at.selectbox(key="part_f_elig").set_value("expiree").run()
    assert _names(at) == ["Dupont Jean"]
    at.selectbox(key="part_f_elig").set_value(None).run()
    at.selectbox(key="part_f_antenna").set_value("Dunkerque").run()
    at.selectbox(key="part_f_counsellor").set_value("Marc").run()
    assert _names(at) == ["Martin Kévin"]
    at.selectbox(key="part_f_antenna").set_value(None).run()
    at.selectbox(key="part_f_counsellor").set_value(None).run()
    at.selectbox(key="part_f_trade").set_value("F1703").run()
    assert _names(at) == ["Lefèvre Hélène"]

    at.selectbox(key="part_pick").set_value(ids["helene"]).run()
    assert not at.exception, at.exception
    text = _text(at)
    assert "**Téléphone** : 06 12 34 56 78" in text and "**Antenne** : Dunkerque" in text
    assert "**Heures réalisées** : 152 h" in text
    assert any(s.value.startswith("Éligible jusqu'au ") for s in at.success)
    tables = [df.value for df in at.dataframe]
    assert any("Code ROME" in t.columns and t["Code ROME"].tolist() == ["F1703"] for t in tables)
    assert any("Employeur" in t.columns and t["Employeur"].tolist() == ["Bâtir Nord"] for t in tables)
    assert any("Critère" in t.columns and t["Validé par"].tolist() == ["sophie"] for t in tables)


def test_lecture_sees_no_contact_details_no_export_and_no_write_button(with_users):
    ids = _seed(with_users)
    at = _page(Role.LECTURE)
    assert [t.label for t in at.tabs] == ["Vivier"]
    frame = at.dataframe[0].value
    assert (
        "Téléphone" not in frame.columns and "E-mail" not in frame.columns and "Date de naissance" not in frame.columns
    )
    assert any("Export réservé" in c.value for c in at.caption) and not at.get("download_button")
    at.text_input(key="part_f_search").input("0612345678").run()  # the phone is not searched for lecture
    assert not at.dataframe
    at.text_input(key="part_f_search").input("").run()
    at.selectbox(key="part_pick").set_value(ids["helene"]).run()
    text = _text(at)
    assert "06 12 34 56 78" not in text and "helene@exemple.fr" not in text and "Téléphone" not in text
    assert "**Commune**" in text
    assert [b.label for b in at.button] == ["Se déconnecter"]
    assert not at.get("form")


# --- create and edit -----------------------------------------------------------------------------------------------


def _tab(at: AppTest, label: str) -> AppTest:
    """Open a tab of the page (only the open tab runs)."""
    at.session_state["part_tab"] = label
    at.run()
    assert not at.exception, at.exception
    return at


def test_create_refused_keeps_what_was_typed_then_succeeds(with_users):
    at = _tab(_page(Role.SAISIE), "Nouveau participant")
    assert not at.dataframe  # the list's tab is closed: it does not run
    at.text_input(key="part_new0_last_name").input("Nowak")
    at.text_input(key="part_new0_first_name").input("Ewa")
    at.date_input(key="part_new0_birth_date").set_value(date(1992, 3, 12))
    at.text_input(key="part_new0_email").input("ewa.nowak@")
    at.text_input(key="part_new0_antenna").input("Grande-Synthe")
    at.multiselect(key="part_new0_trades").select("K2204")
    at.run()
    at.selectbox(key="part_new0_exp_K2204").set_value(ExperienceLevel.EXPERIENCED)
    at.number_input(key="part_new0_months_K2204").set_value(14)
    _click(at, "Créer le participant")
    assert [e.value for e in at.error] == ["L'adresse e-mail « ewa.nowak@ » n'est pas valide."]
    assert at.text_input(key="part_new0_email").value == "ewa.nowak@"
    assert at.text_input(key="part_new0_last_name").value == "Nowak"
    assert at.text_input(key="part_new0_antenna").value == "Grande-Synthe"
    assert at.number_input(key="part_new0_months_K2204").value == 14
    with Session(db.get_engine(with_users)) as session:
        assert session.exec(select(Participant)).first() is None

    at.text_input(key="part_new0_email").input("ewa.nowak@exemple.fr")
    _click(at, "Créer le participant")
    assert [s.value for s in at.success] == ["Participant « Nowak Ewa » créé."]
    assert at.text_input(key="part_new1_last_name").value == ""  # a fresh form
    with Session(db.get_engine(with_users)) as session:
        saved = session.exec(select(Participant)).one()
        assert (saved.email, saved.antenna, saved.birth_date) == (
            "ewa.nowak@exemple.fr",
            "Grande-Synthe",
            date(1992, 3, 12),
        )
        trade = session.exec(select(ParticipantTrade)).one()
        assert (trade.trade_code, trade.experience.value, trade.experience_months) == ("K2204", "experimente", 14)
    assert "Nowak Ewa" in _names(_tab(at, "Vivier"))


def test_edit_a_participant_and_add_then_remove_a_criterion(with_users):
    ids = _seed(with_users)
    at = _page(Role.SAISIE)
    at.selectbox(key="part_pick").set_value(ids["kevin"]).run()
    prefix = f"part_e{ids['kevin']}_"
    assert at.text_input(key=f"{prefix}last_name").value == "Martin"
    at.text_input(key=f"{prefix}phone").input("pas un numéro")
    _click(at, "Enregistrer les modifications")
    assert any("n'est pas valide" in e.value for e in at.error)
    assert at.text_input(key=f"{prefix}phone").value == "pas un numéro"
    at.text_input(key=f"{prefix}phone").input("07 00 00 00 01")
    _click(at, "Enregistrer les modifications")
    assert any("enregistrée" in s.value for s in at.success)
    with Session(db.get_engine(with_users)) as session:
        saved = session.get(Participant, ids["kevin"])
        assert (saved.phone, saved.version) == ("07 00 00 00 01", 2)

    eligibility = f"part_elig{ids['kevin']}_0_"
    at.selectbox(key=f"{eligibility}criterion").set_value("avis_motive")
    at.text_input(key=f"{eligibility}reason").input("Parcours validé")
    _click(at, "Ajouter le critère")
    assert any("prescripteur" in e.value for e in at.error)
    assert at.text_input(key=f"{eligibility}reason").value == "Parcours validé"
    at.selectbox(key=f"{eligibility}prescriber").set_value("Mission Locale")
    _click(at, "Ajouter le critère")
    assert any("Critère d'éligibilité ajouté." == s.value for s in at.success)
    with Session(db.get_engine(with_users)) as session:
        row = session.exec(select(Eligibility).where(Eligibility.participant_id == ids["kevin"])).one()
        assert (row.criterion_code, row.reason, row.validated_on) == (
            "avis_motive",
            "Mission Locale : Parcours validé",
            TODAY,
        )
    at.selectbox(key=f"part_elig_remove_{ids['kevin']}").set_value(row.id).run()
    _click(at, "Retirer ce critère")
    with Session(db.get_engine(with_users)) as session:
        assert session.exec(select(Eligibility).where(Eligibility.participant_id == ids["kevin"])).first() is None


# --- GDPR ------------------------------------------------------------------------------------------------------------


def test_admin_anonymises_one_participant_and_the_expired_ones(with_users):
    ids = _seed(with_users)
    with Session(db.get_engine(with_users)) as session:  # Jean: created long ago, no activity since 2020
        session.get(Participant, ids["jean"]).created_at = datetime(2015, 1, 1, tzinfo=UTC)
        session.commit()
    at = _page(Role.ADMIN)
    assert [t.label for t in at.tabs][:3] == ["Vivier", "Nouveau participant", "Conservation des données (RGPD)"]
    _tab(at, "Conservation des données (RGPD)")
    retention = next(df.value for df in at.dataframe if "Dernière activité" in df.value.columns)
    assert retention["Participant"].tolist() == ["Dupont Jean"]
    at.checkbox(key="part_bulk_ok").check().run()
    _click(at, "Anonymiser 1 participant(s)")
    assert "1 participant(s) anonymisé(s)." in [s.value for s in at.success]
    with Session(db.get_engine(with_users)) as session:
        assert session.get(Participant, ids["jean"]).last_name == "Anonyme"

    _tab(at, "Vivier")
    at.selectbox(key="part_pick").set_value(ids["kevin"]).run()
    assert any(b.label == "Télécharger toutes ses données (Excel)" for b in at.get("download_button"))
    assert next(b for b in at.button if b.label == "Anonymiser ce participant").disabled
    at.checkbox(key=f"part_anon_ok_{ids['kevin']}").check().run()
    _click(at, "Anonymiser ce participant")
    with Session(db.get_engine(with_users)) as session:
        done = session.get(Participant, ids["kevin"])
        assert (done.last_name, done.anonymised_at is not None) == ("Anonyme", True)
    assert _names(at) == ["Lefèvre Hélène"]


def test_saisie_has_no_gdpr_actions(with_users):
    ids = _seed(with_users)
    at = _page(Role.SAISIE)
    assert "Conservation des données (RGPD)" not in [t.label for t in at.tabs]
    at.selectbox(key="part_pick").set_value(ids["kevin"]).run()
    labels = [b.label for b in at.button]
    assert "Enregistrer les modifications" in labels and "Anonymiser ce participant" not in labels


# --- import --------------------------------------------------------------------------------------------------------

FILE = (
    "NOM_BENEF;PRENOM_BENEF;DNAIS;Téléphone;Critères;Date de validation;Métiers\n"
    "LEFEVRE;helene;17/05/1990;;RSA;05/01/2026;F1703\n"
    "Nowak;Ewa;12/03/1992;06 11 22 33 44;RSA;05/01/2026;K2204\n"
    "Roux;Anne;01/01/1980;;;;\n"
)


def _upload(at: AppTest, content: str, name: str = "export-plie.csv") -> AppTest:
    at.get("file_uploader")[0].upload(name, content.encode("cp1252"), "text/csv")
    at.run()
    assert not at.exception, at.exception
    return at


def _map(at: AppTest, column: str, field: str | None) -> None:
    next(s for s in at.selectbox if s.label == column).set_value(field)


def test_import_maps_columns_previews_duplicates_confirms_and_offers_the_mapping_next_time(with_users):
    with Session(db.get_engine(with_users), expire_on_commit=False) as session:
        known = make_participant(
            session,
            last_name="Lefèvre",
            first_name="Hélène",
            name_key=name_key("Lefèvre", "Hélène"),
            birth_date=date(1990, 5, 17),
        )
        session.commit()
    at = _page(Role.SAISIE, "import-participants", "Import de participants")
    _upload(at, FILE)
    # The software's own column names are not guessed: the required fields are asked for.
    assert any("« Nom » (obligatoire)" in w.value for w in at.warning)
    assert not at.metric
    _map(at, "NOM_BENEF", "last_name")
    _map(at, "PRENOM_BENEF", "first_name")
    _map(at, "DNAIS", "birth_date")
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Personnes à créer"], metrics["Déjà connues"], metrics["Erreurs"]) == ("2", "1", "0")
    known_table = next(df.value for df in at.dataframe if "La fusion ajoute" in df.value.columns)
    assert known_table["Participant n°"].tolist() == [known.id]
    assert known_table["La fusion ajoute"].tolist() == ["métiers F1703, critères rsa (05/01/2026)"]
    assert next(m for m in at.multiselect if m.label.startswith("Compléter leur fiche")).value == [known.id]

    at.text_input(key="pimport_mapping_name_None").input("Logiciel du PLIE")
    _click(at, "Enregistrer la correspondance")
    assert any("« Logiciel du PLIE » enregistrée" in s.value for s in at.success)
    with Session(db.get_engine(with_users)) as session:
        assert session.exec(select(ColumnMapping.name)).all() == ["Logiciel du PLIE"]
    with Session(db.get_engine(with_users)) as session:
        assert len(session.exec(select(Participant)).all()) == 1  # nothing imported before the confirmation

    _click(at, "Confirmer l'import")
    assert any("2 personne(s) créée(s), 1 fiche(s) complétée(s)" in s.value for s in at.success)
    with Session(db.get_engine(with_users)) as session:
        people = {p.name_key: p for p in session.exec(select(Participant))}
        assert sorted(people) == ["lefevre helene", "nowak ewa", "roux anne"]
        assert people["nowak ewa"].phone == "06 11 22 33 44"
        assert session.exec(
            select(ParticipantTrade.trade_code).where(ParticipantTrade.participant_id == known.id)
        ).all() == ["F1703"]

    # Next time: the saved mapping is offered for a file with the same columns, and nobody is created twice.
    at = _page(Role.SAISIE, "import-participants", "Import de participants")
    _upload(at, FILE, "export-plie-mai.csv")
    saved = next(s for s in at.selectbox if s.label == "Correspondance enregistrée")
    assert saved.value == "Logiciel du PLIE"
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["Personnes à créer"], metrics["Déjà connues"]) == ("0", "3")
    assert any("ne change rien" in i.value for i in at.info)
    assert not [b for b in at.button if b.label == "Confirmer l'import"]


def test_import_with_errors_shows_them_and_writes_nothing(with_users):
    content = "nom;prenom;date_naissance;commune;email\nNowak;Ewa;31/02/1992;Atlantis;ewa@\nRoux;Anne;01/01/1980;;\n"
    at = _page(Role.SAISIE, "import-participants", "Import de participants")
    _upload(at, content)
    assert {m.label: m.value for m in at.metric}["Erreurs"] == "3"
    errors = next(df.value for df in at.dataframe if "Problème" in df.value.columns)
    assert errors[["Ligne", "Colonne", "Problème"]].values.tolist() == [
        [2, "commune", "commune inconnue du territoire"],
        [2, "date_naissance", "date de naissance impossible"],
        [2, "email", "e-mail invalide"],
    ]
    assert not [b for b in at.button if b.label == "Confirmer l'import"]
    with Session(db.get_engine(with_users)) as session:
        assert session.exec(select(Participant)).first() is None
