"""Bilans › Formations: short trainings (title, trade, training body or funder, dates, seats) and their
participants; they count in the GPEC supply. Everyone reads; saisie and admin write."""

import pandas as pd
import streamlit as st

from clausier import privacy
from clausier.formatting import fmt_date
from clausier.services import partners, trainings
from clausier.services.trainings import Period, TrainingInput
from clausier.services.users import CurrentUser
from models.enums import Role, TrainingStatus
from ui.db import session_scope
from ui.exports import download_buttons
from ui.progress_filters import today
from ui.widgets import (
    clear_edit_form,
    confirmed_button,
    field_error,
    flash,
    form_prefix,
    last_shown,
    md_escape,
    require_role,
    run_action,
    save_edit,
    table,
)

KEY = "trn"
NEW = "trn_new"  # widget keys of the create form (a new generation after each success)
EDIT = "trn_edit_"
LOADED = "trn_loaded"  # (training id, version) the edit form was filled from
FIELDS = ("title", "trade_code", "partner_id", "funder", "start_date", "end_date", "seats", "notes")


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Formations")
    flash(f"{KEY}_flash")
    with session_scope() as session:
        trade_labels = {t.code: f"{t.code} – {t.label}" for t in partners.trades(session)}
    names = ["Formations", "Participants d'une formation"]
    if user.can(Role.SAISIE):
        names += ["Nouvelle formation", "Modifier ou supprimer"]
    tabs = st.tabs(names)
    with tabs[0]:
        _list(trade_labels)
    with tabs[1]:
        _participants(user)
    if user.can(Role.SAISIE):
        with tabs[2]:
            _create(user, trade_labels)
        with tabs[3]:
            _edit(user, trade_labels)


def _training_label(row: trainings.TrainingRow) -> str:
    t = row.training
    return f"{t.title} ({t.trade_code}) – du {fmt_date(t.start_date)} au {fmt_date(t.end_date)}"


# --- list -------------------------------------------------------------------------------------------------------


def _list(trade_labels: dict[str, str]) -> None:
    c1, c2, c3 = st.columns(3)
    period = c1.selectbox("Période", list(Period.LABELS), format_func=Period.LABELS.get, key=f"{KEY}_period", index=0)
    trade = c2.selectbox(
        "Métier",
        [None, *trade_labels],
        format_func=lambda code: "Tous les métiers" if code is None else trade_labels[code],
        key=f"{KEY}_trade",
    )
    search = c3.text_input("Rechercher", key=f"{KEY}_search", placeholder="Intitulé, organisme, financeur…")
    with session_scope() as session:
        rows = trainings.list_trainings(session, today=today(), period=period, trade_code=trade, search=search)
    frame = pd.DataFrame(
        {
            "Intitulé": [r.training.title for r in rows],
            "Métier": [f"{r.training.trade_code} – {r.trade_label}" for r in rows],
            "Organisme": [r.partner for r in rows],
            "Financeur": [r.training.funder for r in rows],
            "Début": [r.training.start_date for r in rows],
            "Fin": [r.training.end_date for r in rows],
            "Places": [r.training.seats for r in rows],
            "Inscrits": [r.registered for r in rows],
            "Places libres": [r.free_seats for r in rows],
            "Terminé": [r.completed for r in rows],
            "Abandons": [r.dropped for r in rows],
        }
    )
    if rows:
        table(
            frame,
            column_config={
                "Début": st.column_config.DateColumn(format="DD/MM/YYYY"),
                "Fin": st.column_config.DateColumn(format="DD/MM/YYYY"),
            },
        )
    else:
        st.info("Aucune formation ne correspond à ces critères.")
    st.caption(
        f"{len(rows)} formation(s). « Inscrits » compte les participants qui occupent une place (hors abandons)."
    )
    download_buttons(frame, "formations", key=f"{KEY}_list")


# --- participants -----------------------------------------------------------------------------------------------


def _participants(user: CurrentUser) -> None:
    with session_scope() as session:
        rows = trainings.list_trainings(session, today=today())
    if not rows:
        st.info("Aucune formation enregistrée pour l'instant.")
        return
    labels = {r.training.id: _training_label(r) for r in rows}
    training_id = st.selectbox("Formation", list(labels), format_func=labels.get, key=f"{KEY}_pick")
    row = next(r for r in rows if r.training.id == training_id)
    training = row.training
    with session_scope() as session:
        people = trainings.enrolments(session, training_id, with_personal_data=privacy.with_personal_data(user))
    details = [
        f"**Métier** : {md_escape(training.trade_code)} – {md_escape(row.trade_label)}",
        f"**Organisme** : {md_escape(row.partner or '—')} · **Financeur** : {md_escape(training.funder or '—')}",
        f"**Places** : {training.seats} · **Inscrits** : {row.registered} · **Places libres** : {row.free_seats}",
    ]
    st.markdown("  \n".join(details))
    frame = pd.DataFrame(
        {
            "Participant": [("Participant anonymisé" if p.anonymised else p.name) for p in people],
            "Statut": [p.status.label for p in people],
        }
    )
    if people:
        table(frame)
    else:
        st.info("Aucun participant inscrit à cette formation.")
    download_buttons(frame, f"formation-{training_id}-participants", personal_data=True, key=f"{KEY}_people")

    if not user.can(Role.SAISIE):
        return
    # The enrolments as the previous run showed them (the training's version, raised by each of them): a
    # colleague's change that the user had not seen when clicking is refused with a message.
    version = last_shown(f"{KEY}_people_shown", training_id, training.version)
    errors = st.session_state.get(f"{KEY}_people_errors", {})
    st.subheader("Inscrire un participant")
    search = st.text_input(
        "Rechercher un participant", key=f"{KEY}_p_search_{training_id}", placeholder="Nom ou prénom"
    )
    with session_scope() as session:
        choices = trainings.participant_choices(
            session,
            search=search,
            trade_code=training.trade_code,
            exclude_training_id=training_id,
            with_personal_data=privacy.with_personal_data(user),
        )
    c1, c2 = st.columns([3, 1])
    participant_id = c1.selectbox(
        "Participant",
        list(choices),
        index=None,
        format_func=choices.get,
        placeholder="Choisir… (ceux qui visent ce métier d'abord)",
        key=f"{KEY}_p_pick_{training_id}",
    )
    status = c2.selectbox(
        "Statut", list(TrainingStatus), format_func=lambda s: s.label, key=f"{KEY}_p_status_{training_id}"
    )
    field_error(errors, "participant_id")
    if st.button("Inscrire", type="primary", key=f"{KEY}_p_add_{training_id}"):
        name = choices.get(participant_id, "")
        run_action(
            lambda s: trainings.add_participant(s, user, training_id, version, participant_id, status),
            errors_key=f"{KEY}_people_errors",
            flash_key=f"{KEY}_flash",
            message=f"{name} inscrit(e) à « {training.title} ».",
            clear_prefix=f"{KEY}_p_pick_",
        )

    if not people:
        return
    st.subheader("Changer un statut ou retirer un participant")
    names = {p.participant_id: ("Participant anonymisé" if p.anonymised else p.name) for p in people}
    c1, c2 = st.columns([3, 1])
    chosen = c1.selectbox("Inscrit", list(names), format_func=names.get, key=f"{KEY}_e_pick_{training_id}")
    new_status = c2.selectbox(
        "Nouveau statut", list(TrainingStatus), format_func=lambda s: s.label, key=f"{KEY}_e_status_{training_id}"
    )
    field_error(errors, "status")
    b1, b2 = st.columns(2)
    if b1.button("Changer le statut", key=f"{KEY}_e_save_{training_id}"):
        run_action(
            lambda s: trainings.set_status(s, user, training_id, version, chosen, new_status),
            errors_key=f"{KEY}_people_errors",
            flash_key=f"{KEY}_flash",
            message=f"Statut de {names[chosen]} : {new_status.label}.",
        )
    if b2.button("Retirer de la formation", key=f"{KEY}_e_remove_{training_id}"):
        run_action(
            lambda s: trainings.remove_participant(s, user, training_id, version, chosen),
            errors_key=f"{KEY}_people_errors",
            flash_key=f"{KEY}_flash",
            message=f"{names[chosen]} retiré(e) de « {training.title} ».",
        )


# --- create and edit --------------------------------------------------------------------------------------------


def _fields(prefix: str, errors: dict[str, str], trade_labels: dict[str, str], bodies: dict) -> TrainingInput:
    title = st.text_input("Intitulé", key=f"{prefix}title", max_chars=200)
    field_error(errors, "title")
    trade = st.selectbox(
        "Métier visé (code ROME)",
        list(trade_labels),
        index=None,
        format_func=trade_labels.get,
        placeholder="Choisissez un métier",
        key=f"{prefix}trade_code",
    )
    field_error(errors, "trade_code")
    c1, c2 = st.columns(2)
    partner_id = c1.selectbox(
        "Organisme de formation",
        [None, *bodies],
        format_func=lambda pid: "—" if pid is None else bodies[pid],
        key=f"{prefix}partner_id",
    )
    funder = c2.text_input("Financeur (agence d'intérim, France Travail, OPCO…)", key=f"{prefix}funder", max_chars=200)
    field_error(errors, "partner_id")
    field_error(errors, "funder")
    c1, c2, c3 = st.columns(3)
    start = c1.date_input("Début", format="DD/MM/YYYY", key=f"{prefix}start_date")
    end = c2.date_input("Fin", format="DD/MM/YYYY", key=f"{prefix}end_date")
    seats = c3.number_input("Places", min_value=1, max_value=trainings.MAX_SEATS, step=1, key=f"{prefix}seats")
    field_error(errors, "start_date")
    field_error(errors, "end_date")
    field_error(errors, "seats")
    notes = st.text_area("Notes", key=f"{prefix}notes")
    return TrainingInput(
        title=title,
        trade_code=trade,
        partner_id=partner_id,
        funder=funder,
        start_date=start,
        end_date=end,
        seats=seats,
        notes=notes,
    )


def _create(user: CurrentUser, trade_labels: dict[str, str]) -> None:
    with session_scope() as session:
        bodies = trainings.partner_choices(session)
    prefix = form_prefix(NEW)
    for name, default in (("start_date", None), ("end_date", None), ("seats", 10)):
        st.session_state.setdefault(f"{prefix}{name}", default)
    errors = st.session_state.get(f"{NEW}_errors", {})
    with st.form(f"{prefix}form"):
        data = _fields(prefix, errors, trade_labels, bodies)
        submitted = st.form_submit_button("Créer la formation", type="primary")
    if submitted:
        run_action(
            lambda s: trainings.create_training(s, user, data),
            errors_key=f"{NEW}_errors",
            flash_key=f"{KEY}_flash",
            message=f"Formation « {' '.join(data.title.split())} » créée.",
            clear_prefix=NEW,
        )


def _edit(user: CurrentUser, trade_labels: dict[str, str]) -> None:
    with session_scope() as session:
        rows = trainings.list_trainings(session, today=today())
    if not rows:
        st.info("Aucune formation enregistrée pour l'instant.")
        return
    labels = {r.training.id: _training_label(r) for r in rows}
    training_id = st.selectbox("Formation", list(labels), format_func=labels.get, key=f"{KEY}_pick_edit")
    record = next(r for r in rows if r.training.id == training_id).training
    prefix = f"{EDIT}{training_id}_"
    loaded = st.session_state.get(LOADED)
    if loaded is None or loaded[0] != training_id or f"{prefix}title" not in st.session_state:
        # Filled from the record once; its version is the one the save will check.
        _clear_edit()
        for name in FIELDS:
            st.session_state[f"{prefix}{name}"] = getattr(record, name)
        st.session_state[LOADED] = (training_id, record.version)
    version = st.session_state[LOADED][1]
    with session_scope() as session:
        bodies = trainings.partner_choices(session, include_id=record.partner_id)
    errors = st.session_state.get(f"{KEY}_edit_errors", {})
    with st.form(f"{prefix}form"):
        data = _fields(prefix, errors, trade_labels, bodies)
        submitted = st.form_submit_button("Enregistrer les modifications", type="primary")
    if submitted:
        _save(
            lambda s: trainings.update_training(s, user, training_id, version, data),
            f"Formation « {' '.join(data.title.split())} » enregistrée.",
        )

    st.divider()
    st.caption("Supprimer une formation retire aussi ses inscriptions ; à réserver aux saisies par erreur.")
    if confirmed_button(
        "Supprimer la formation",
        "Je confirme la suppression de cette formation",
        key=f"{KEY}_del_{training_id}",
        confirm_key=f"{KEY}_del_ok_{training_id}",
    ):
        _save(
            lambda s: trainings.delete_training(s, user, training_id, version),
            f"Formation « {record.title} » supprimée.",
        )


def _clear_edit() -> None:
    clear_edit_form(EDIT, LOADED)


def _save(action, message: str) -> None:
    """One write on the chosen training; afterwards (or when someone else saved it meanwhile) the form is filled
    again from the database."""
    save_edit(action, message, key=KEY, edit_prefix=EDIT, loaded_key=LOADED)


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
