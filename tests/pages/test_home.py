"""The home page with the S demo territory, and the first-run screen's demo option."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, func, select

from clausier import db, demo
from clausier.formatting import fmt_hours, fmt_number
from clausier.services import dashboard
from models import Participant
from models.enums import Role
from tests.pages.conftest import PASSWORD, logged_in, login, new_app


def test_home_page_shows_the_totals_of_the_demo_territory(with_users):
    engine = db.get_engine(with_users)
    demo.generate(engine, size="S", seed=3, today=date(2026, 3, 15))
    with Session(engine) as session:
        totals = dashboard.totals(session)
        buyers = dashboard.by_buyer(session)
    at = logged_in(Role.LECTURE).run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Heures prescrites"] == fmt_hours(totals.hours_committed_h100)
    assert metrics["Heures réalisées"] == fmt_hours(totals.hours_achieved_h100)
    assert metrics["Participants"] == fmt_number(300)
    assert metrics["Offres ouvertes"] == fmt_number(totals.open_offers)
    assert totals.hours_achieved_h100 > 0 and totals.open_offers > 0
    # the upper blocks, read in worker threads, are drawn in their places above the chart
    headings = [h.value for h in at.subheader]
    assert headings[:4] == [
        "À faire cette semaine",
        "Heures d'insertion",
        "Opérations, candidats et offres",
        "Heures réalisées face aux engagements",
    ]
    assert headings[-1] == "Par donneur d'ordre"
    frame = next(df.value for df in at.dataframe if "Opérations" in df.value.columns)
    assert frame["Donneur d'ordre"].tolist() == [b.buyer for b in buyers]
    assert abs(frame["Heures réalisées"].sum() - totals.hours_achieved_h100 / 100) < 1e-6


def test_home_page_draws_the_progress_chart_and_the_late_commitments(with_users):
    from clausier.services import progress

    engine = db.get_engine(with_users)
    demo.generate(engine, size="S", seed=3, today=date(2026, 3, 15))
    at = logged_in(Role.LECTURE).run()
    assert not at.exception
    charts = at.get("vega_lite_chart")
    assert len(charts) == 1
    assert {b.label for b in at.get("download_button")} >= {"Image PNG pour diaporama", "Image SVG"}
    with Session(engine) as session:
        rows = progress.commitment_progress(session, as_of=date.today(), limits=progress.thresholds(session))
    late = progress.late_commitments(rows)
    assert late  # the S demo has late commitments to show
    assert any(f"Engagements en retard ({len(late)})" == h.value for h in at.subheader)
    shown = next(df.value for df in at.dataframe if "Attendues à date" in df.value.columns)
    assert shown["Entreprise"].tolist() == [r.company for r in late[: len(shown)]]
    assert shown["Heures réalisées"].tolist() == [r.progress.achieved_h100 / 100 for r in late[: len(shown)]]
    assert shown["Statut"].tolist() == [r.progress.status.label for r in late[: len(shown)]]


def test_first_run_can_load_the_s_demo(app_db):
    at = new_app().run()
    fields = {ti.label: ti for ti in at.text_input}
    fields["Nom et prénom"].input("Marie Dupont")
    fields["Identifiant de connexion"].input("mdupont")
    fields["Adresse e-mail"].input("marie.dupont@plie.test")
    fields["Mot de passe"].input(PASSWORD)
    fields["Mot de passe (confirmation)"].input(PASSWORD)
    at.checkbox[0].check()
    at.button[0].click().run()
    assert not at.exception
    assert any("300 participants" in s.value for s in at.success)
    with Session(db.get_engine(app_db)) as session:
        assert session.exec(select(func.count()).select_from(Participant)).one() == 300
    at.button[0].click().run()
    at = login(at, "mdupont", PASSWORD)
    assert at.title[0].value == "Tableau de bord"


def test_home_page_lists_the_eligibilities_to_renew(with_users):
    from datetime import timedelta

    from models import Eligibility
    from tests.builders import make_participant

    engine = db.get_engine(with_users)
    today = date.today()
    with Session(engine) as session:
        soon = make_participant(session, last_name="Bientôt", first_name="Léa")
        fine = make_participant(session, last_name="Tranquille", first_name="Marc")
        # valid 24 months (the setting): validated 700 days ago, it ends in about 30 days, within the 60-day warning
        for person, validated in ((soon, today - timedelta(days=700)), (fine, today)):
            session.add(Eligibility(participant_id=person.id, criterion_code="rsa", validated_on=validated,
                                    validated_by="sophie"))  # fmt: skip
        session.commit()
    at = logged_in(Role.LECTURE).run()
    assert not at.exception
    expander = next(e for e in at.expander if e.label.startswith("Éligibilités à renouveler"))
    assert expander.label.startswith("Éligibilités à renouveler : 1 participant(s), dont 0 expirée(s)")
    frame = expander.dataframe[0].value
    assert frame["Participant"].tolist() == ["Bientôt Léa"]
    assert 0 < frame["Jours restants"].iloc[0] <= 60
