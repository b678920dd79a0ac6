"""A form saved after a colleague's save (issue 10, item 2): the French conflict message, what the user typed kept,
the colleague's save left whole; « Recharger » shows the colleague's version. The award of a lot, the settings
and a user's record; a setting nobody else touched is saved without sending the colleague's values back."""

from __future__ import annotations

from sqlmodel import Session, select

from clausier import db, settings
from clausier.services import clauses, users
from clausier.services.users import CurrentUser
from models import Commitment, User
from models.enums import Role
from tests.builders import make_company, make_lot, set_setting
from tests.pages.conftest import logged_in, open_url_path

MARC = CurrentUser(login="marc", name="Marc", role=Role.SAISIE)
RELOAD = "Recharger la version enregistrée (abandonner ma saisie)"


def _page(role: Role, url_path: str):
    return open_url_path(logged_in(role).run(), url_path).run()


def _click(at, label: str):
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception, at.exception
    return at


def _award(engine) -> dict[int, int]:
    with Session(engine) as session:
        return {c.company_id: c.hours_committed_h100 for c in session.exec(select(Commitment))}


def test_a_stale_award_shows_the_conflict_and_keeps_the_input(with_users):
    engine = db.get_engine(with_users)
    with Session(engine, expire_on_commit=False) as session:
        lot = make_lot(session, hours_contractual_h100=83_300)
        alpha, beta, gamma = (make_company(session, name=n).id for n in ("Alpha BTP", "Bêta TP", "Gamma Services"))
        session.commit()
        clauses.award_lot(session, MARC, lot.id, "", [clauses.Share(alpha, "833")])
        session.commit()

    at = _page(Role.SAISIE, "engagements")  # the form shows the lot all to Alpha
    at.selectbox(key="commit_lot").set_value(lot.id).run()
    assert at.multiselect(key=f"commit_{lot.id}_companies").value == [alpha]

    with Session(engine) as session:  # meanwhile a colleague splits the lot between Alpha and Bêta
        split = [clauses.Share(alpha, "500"), clauses.Share(beta, "333")]
        clauses.award_lot(session, MARC, lot.id, clauses.award_token(session, lot.id), split)
        session.commit()

    at.multiselect(key=f"commit_{lot.id}_companies").unselect(alpha).select(gamma).run()
    assert at.number_input(key=f"commit_{lot.id}_h{gamma}").value == 833.0
    _click(at, "Enregistrer l'attribution")
    assert any(
        e.value.startswith(f"Quelqu'un d'autre a modifié l'attribution du lot « {lot.reference} » pendant votre")
        for e in at.error
    ), [e.value for e in at.error]
    assert at.multiselect(key=f"commit_{lot.id}_companies").value == [gamma]  # what was typed stays
    assert at.number_input(key=f"commit_{lot.id}_h{gamma}").value == 833.0
    assert _award(engine) == {alpha: 50_000, beta: 33_300}  # the colleague's split is whole

    _click(at, "Enregistrer l'attribution")  # saving again is refused again: the form still shows the old award
    assert _award(engine) == {alpha: 50_000, beta: 33_300}

    _click(at, RELOAD)  # the colleague's version, then a change made on it is saved
    assert sorted(at.multiselect(key=f"commit_{lot.id}_companies").value) == sorted([alpha, beta])
    assert at.number_input(key=f"commit_{lot.id}_h{beta}").value == 333.0
    assert not [e for e in at.error if "Quelqu'un d'autre" in e.value]
    at.number_input(key=f"commit_{lot.id}_h{alpha}").set_value(433.0)
    at.number_input(key=f"commit_{lot.id}_h{beta}").set_value(400.0).run()
    _click(at, "Enregistrer l'attribution")
    assert _award(engine) == {alpha: 43_300, beta: 40_000}
    assert any(f"Attribution du lot « {lot.reference} » enregistrée." in s.value for s in at.success)

    at.number_input(key=f"commit_{lot.id}_h{alpha}").set_value(533.0)  # its own save is no conflict
    at.number_input(key=f"commit_{lot.id}_h{beta}").set_value(300.0).run()
    _click(at, "Enregistrer l'attribution")
    assert _award(engine) == {alpha: 53_300, beta: 30_000}


def test_a_stale_setting_shows_the_conflict_and_keeps_the_input(with_users):
    engine = db.get_engine(with_users)
    at = _page(Role.ADMIN, "parametres")
    at.number_input(key="setting_eligibility_validity_months").set_value(18)
    with Session(engine) as session:  # meanwhile another admin sets it to 30 months
        set_setting(session, "eligibility_validity_months", 30, by="anne")
        session.commit()
    _click(at, "Enregistrer les paramètres")
    assert any(
        e.value.startswith(
            "Quelqu'un d'autre a modifié le paramètre « Durée de validité de l'éligibilité (mois) » pendant votre"
        )
        for e in at.error
    ), [e.value for e in at.error]
    assert at.number_input(key="setting_eligibility_validity_months").value == 18  # what was typed stays
    with Session(engine) as session:
        assert settings.get(session, "eligibility_validity_months") == 30

    _click(at, RELOAD)
    assert at.number_input(key="setting_eligibility_validity_months").value == 30


def test_a_setting_changed_by_a_colleague_is_not_sent_back(with_users):
    """Admin A changes one setting; admin B had changed another meanwhile: A's save writes only A's change."""
    engine = db.get_engine(with_users)
    at = _page(Role.ADMIN, "parametres")
    assert at.number_input(key="setting_retention_years").value == 5
    with Session(engine) as session:
        set_setting(session, "retention_years", 6, by="anne")
        session.commit()
    at.number_input(key="setting_eligibility_validity_months").set_value(18)
    _click(at, "Enregistrer les paramètres")
    assert any("1 paramètre(s) modifié(s)." in s.value for s in at.success)
    with Session(engine) as session:
        assert settings.get(session, "eligibility_validity_months") == 18
        assert settings.get(session, "retention_years") == 6  # the colleague's value, not the 5 the form showed
    assert at.number_input(key="setting_retention_years").value == 6  # the form is filled again after the save


def test_a_stale_user_edit_shows_the_conflict_and_keeps_the_input(with_users):
    engine = db.get_engine(with_users)
    at = _page(Role.ADMIN, "utilisateurs")
    people = at.selectbox(key="ue_pick").options
    at.selectbox(key="ue_pick").select_index(next(i for i, label in enumerate(people) if "louis" in label)).run()
    with Session(engine) as session:
        louis = session.exec(select(User).where(User.login == "louis")).one()
        louis_id = louis.id
        users.update_user(  # another admin deactivates Louis meanwhile
            session,
            CurrentUser(login="anne", name="Anne", role=Role.ADMIN),
            louis.id,
            louis.version,
            name=louis.name,
            email=louis.email,
            role=louis.role,
            active=False,
        )
        session.commit()
    at.selectbox(key=f"ue_{louis_id}_role").set_value(Role.SAISIE)
    _click(at, "Enregistrer")
    assert any("Quelqu'un d'autre a modifié l'utilisateur louis" in e.value for e in at.error)
    assert at.selectbox(key=f"ue_{louis_id}_role").value is Role.SAISIE
    assert at.checkbox(key=f"ue_{louis_id}_active").value is True  # as the form showed it
    with Session(engine) as session:
        louis = session.get(User, louis_id)
        assert (louis.role, louis.active) == (Role.LECTURE, False)
