"""Bilans › Réunions et comités: the team's meetings (committees, site launches, ESS working groups, information
sessions) and, for a committee, its dossier built in one click as a PDF."""

from datetime import date

import pandas as pd
import streamlit as st

from clausier import db
from clausier.formatting import fmt_date
from clausier.reports.bilan import Scope, ScopeKind
from clausier.services import meetings
from clausier.services.meetings import MeetingInput
from clausier.services.users import CurrentUser
from models.enums import MeetingKind, Role
from ui.db import engine, session_scope
from ui.exports import download_buttons
from ui.progress_filters import today
from ui.widgets import (
    clear_edit_form,
    confirmed_button,
    error,
    field_error,
    flash,
    form_prefix,
    require_role,
    run_action,
    save_edit,
    table,
)

KEY = "mtg"
NEW = "mtg_new"
EDIT = "mtg_edit_"
LOADED = "mtg_loaded"  # (meeting id, version) the edit form was filled from
FIELDS = ("kind", "on", "title", "place", "attendees", "notes")
SCOPE_KEYS = {
    ScopeKind.BUYER: "buyer",
    ScopeKind.OPERATION: "operation",
    ScopeKind.LOT: "lot",
    ScopeKind.COMPANY: "company",
}


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Réunions et comités")
    flash(f"{KEY}_flash")
    with session_scope() as session:
        operations = meetings.operation_choices(session)
    names = ["Réunions", "Dossier de comité"]
    if user.can(Role.SAISIE):
        names += ["Nouvelle réunion", "Modifier ou supprimer"]
    tabs = st.tabs(names)
    with tabs[0]:
        _list(operations)
    with tabs[1]:
        _dossier()
    if user.can(Role.SAISIE):
        with tabs[2]:
            _create(user, operations)
        with tabs[3]:
            _edit(user, operations)


def _label(row: meetings.MeetingRow) -> str:
    m = row.meeting
    return f"{fmt_date(m.on)} – {m.kind.label} – {m.title}"


# --- list -------------------------------------------------------------------------------------------------------


def _list(operations: dict[int, str]) -> None:
    c1, c2, c3 = st.columns([2, 1, 1])
    kinds = c1.multiselect(
        "Types", list(MeetingKind), format_func=lambda k: k.label, key=f"{KEY}_kinds", placeholder="Tous les types"
    )
    start = c2.date_input("Du", value=None, format="DD/MM/YYYY", key=f"{KEY}_start")
    end = c3.date_input("Au", value=None, format="DD/MM/YYYY", key=f"{KEY}_end")
    c4, c5 = st.columns(2)
    operation_id = c4.selectbox(
        "Opération concernée",
        list(operations),
        index=None,
        format_func=operations.get,
        placeholder="Toutes",
        key=f"{KEY}_operation",
    )
    search = c5.text_input("Rechercher", key=f"{KEY}_search", placeholder="Intitulé, lieu, participants, notes…")
    if start and end and end < start:
        error("La fin de la période doit suivre son début : la période n'est pas appliquée.")
        start = end = None
    with session_scope() as session:
        rows = meetings.list_meetings(
            session, kinds=kinds, start=start, end=end, operation_id=operation_id, search=search
        )
    frame = pd.DataFrame(
        {
            "Date": [r.meeting.on for r in rows],
            "Type": [r.meeting.kind.label for r in rows],
            "Intitulé": [r.meeting.title for r in rows],
            "Lieu": [r.meeting.place for r in rows],
            "Participants": [r.meeting.attendees for r in rows],
            "Opérations": [" ; ".join(label for _, label in r.operations) for r in rows],
            "Notes": [r.meeting.notes for r in rows],
        }
    )
    if rows:
        table(frame, column_config={"Date": st.column_config.DateColumn(format="DD/MM/YYYY")})
    else:
        st.info("Aucune réunion ne correspond à ces critères.")
    st.caption(f"{len(rows)} réunion(s)")
    download_buttons(frame, "reunions", key=f"{KEY}_list")


# --- committee dossier ------------------------------------------------------------------------------------------


def _dossier() -> None:
    st.caption(
        "Le dossier d'un comité rassemble en un PDF : le bilan de la période écoulée depuis le comité précédent du "
        "même type (ou des 12 derniers mois), les opérations à venir avec leurs heures, la synthèse GPEC et les "
        "actions menées depuis le dernier comité."
    )
    with session_scope() as session:
        rows = meetings.list_meetings(session, kinds=list(meetings.COMMITTEES))
        if not rows:
            st.info("Aucun comité technique ou de pilotage enregistré : créez d'abord la réunion.")
            return
        labels = {r.meeting.id: _label(r) for r in rows}
        meeting_id = st.selectbox("Comité", list(labels), format_func=labels.get, key=f"{KEY}_committee")
        chosen = next(r for r in rows if r.meeting.id == meeting_id)
        period = meetings.dossier_period(session, chosen.meeting)
        choices = meetings.scope_choices(session)
    st.markdown(f"**Période du bilan** : {period.text}")

    c1, c2 = st.columns([1, 2])
    kind = c1.selectbox("Périmètre", list(ScopeKind), format_func=lambda k: k.label, key=f"{KEY}_scope_kind")
    item_id = None
    if kind is not ScopeKind.ALL:
        items = choices[SCOPE_KEYS[kind]]
        item_id = c2.selectbox(
            kind.label, list(items), index=None, format_func=items.get, placeholder="Choisir…", key=f"{KEY}_item"
        )
        if item_id is None:
            st.info(f"Choisissez : {kind.label.lower()}.")
            return
    scope = Scope(kind, item_id)
    as_of = today()
    bound = engine()  # the deferred download runs on another thread: it opens its own session on this engine

    def build() -> bytes:
        with db.session_scope(bound) as session:
            return meetings.build_dossier(session, meeting_id, scope, as_of).pdf

    st.download_button(
        "Constituer le dossier (PDF)",
        data=build,
        mime="application/pdf",
        file_name=meetings.dossier_file_name(chosen.meeting),
        key=f"{KEY}_dossier_pdf",
        type="primary",
        icon="📄",
    )
    st.caption("Le PDF est construit au clic (quelques secondes) : bilan, opérations à venir, GPEC, actions.")


# --- create and edit --------------------------------------------------------------------------------------------


def _fields(prefix: str, errors: dict[str, str], operations: dict[int, str]) -> MeetingInput:
    c1, c2 = st.columns([2, 1])
    kind = c1.selectbox(
        "Type de réunion",
        list(MeetingKind),
        index=None,
        format_func=lambda k: k.label,
        placeholder="Choisissez un type",
        key=f"{prefix}kind",
    )
    on = c2.date_input("Date", format="DD/MM/YYYY", key=f"{prefix}on")
    field_error(errors, "kind")
    field_error(errors, "on")
    title = st.text_input("Intitulé", key=f"{prefix}title", max_chars=200)
    field_error(errors, "title")
    place = st.text_input("Lieu", key=f"{prefix}place", max_chars=200)
    field_error(errors, "place")
    attendees = st.text_area("Participants (structures et personnes présentes)", key=f"{prefix}attendees")
    operation_ids = st.multiselect(
        "Opérations concernées",
        list(operations),
        format_func=operations.get,
        key=f"{prefix}operation_ids",
        placeholder="Les opérations présentées ou lancées",
    )
    field_error(errors, "operation_ids")
    notes = st.text_area("Notes (relevé de décisions, suites à donner)", key=f"{prefix}notes")
    return MeetingInput(
        kind=kind, on=on, title=title, place=place, attendees=attendees, notes=notes, operation_ids=operation_ids
    )


def _create(user: CurrentUser, operations: dict[int, str]) -> None:
    prefix = form_prefix(NEW)
    st.session_state.setdefault(f"{prefix}on", date.today())
    errors = st.session_state.get(f"{NEW}_errors", {})
    with st.form(f"{prefix}form"):
        data = _fields(prefix, errors, operations)
        submitted = st.form_submit_button("Enregistrer la réunion", type="primary")
    if submitted:
        run_action(
            lambda s: meetings.create_meeting(s, user, data),
            errors_key=f"{NEW}_errors",
            flash_key=f"{KEY}_flash",
            message=f"Réunion « {' '.join(data.title.split())} » enregistrée.",
            clear_prefix=NEW,
        )


def _edit(user: CurrentUser, operations: dict[int, str]) -> None:
    with session_scope() as session:
        rows = meetings.list_meetings(session)
    if not rows:
        st.info("Aucune réunion enregistrée pour l'instant.")
        return
    labels = {r.meeting.id: _label(r) for r in rows}
    meeting_id = st.selectbox("Réunion", list(labels), format_func=labels.get, key=f"{KEY}_pick_edit")
    chosen = next(r for r in rows if r.meeting.id == meeting_id)
    prefix = f"{EDIT}{meeting_id}_"
    loaded = st.session_state.get(LOADED)
    if loaded is None or loaded[0] != meeting_id or f"{prefix}title" not in st.session_state:
        _clear_edit()
        for name in FIELDS:
            st.session_state[f"{prefix}{name}"] = getattr(chosen.meeting, name)
        st.session_state[f"{prefix}operation_ids"] = [oid for oid, _ in chosen.operations if oid in operations]
        st.session_state[LOADED] = (meeting_id, chosen.meeting.version)
    version = st.session_state[LOADED][1]
    errors = st.session_state.get(f"{KEY}_edit_errors", {})
    with st.form(f"{prefix}form"):
        data = _fields(prefix, errors, operations)
        submitted = st.form_submit_button("Enregistrer les modifications", type="primary")
    if submitted:
        _save(
            lambda s: meetings.update_meeting(s, user, meeting_id, version, data),
            f"Réunion « {' '.join(data.title.split())} » enregistrée.",
        )

    st.divider()
    if confirmed_button(
        "Supprimer la réunion",
        "Je confirme la suppression de cette réunion",
        key=f"{KEY}_del_{meeting_id}",
        confirm_key=f"{KEY}_del_ok_{meeting_id}",
    ):
        _save(
            lambda s: meetings.delete_meeting(s, user, meeting_id, version),
            f"Réunion « {chosen.meeting.title} » supprimée.",
        )


def _clear_edit() -> None:
    clear_edit_form(EDIT, LOADED)


def _save(action, message: str) -> None:
    """One write on the chosen meeting; afterwards (or when someone else saved it meanwhile) the form is filled
    again from the database."""
    save_edit(action, message, key=KEY, edit_prefix=EDIT, loaded_key=LOADED)


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
