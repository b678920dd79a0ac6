"""Suivi › Saisie des heures: enter or correct the hours of one commitment in a table, with the checks of
the file import; each value keeps the file (or the manual entry) that brought it."""

from datetime import date

import pandas as pd
import streamlit as st

from clausier.db import ConcurrentEditError
from clausier.errors import DomainError
from clausier.rules.units import in_units
from clausier.services import clauses, manual_hours
from models.enums import Modality, Role
from ui import cached
from ui.db import session_scope
from ui.widgets import cell, confirmed_button, conflict_notice, error, flash, forget_seen, require_role, seen, table

KEY = "manual_hours"


def render() -> None:
    user = require_role(Role.SAISIE)
    st.title("Saisie des heures")
    st.caption(
        "Saisissez ou corrigez les heures d'un engagement, mois par mois (mois au format 03/2026). "
        "Les mêmes contrôles que l'import s'appliquent ; rien n'est enregistré si une ligne est refusée."
    )
    flash(f"{KEY}_flash")
    with session_scope() as session:
        companies = clauses.choices(session).companies
    company_id = st.selectbox(
        "Entreprise",
        list(companies),
        index=None,
        placeholder="Choisir…",
        format_func=lambda i: companies[i],
        key=f"{KEY}_company",
    )
    if company_id is None:
        return
    with session_scope() as session:
        commitments = manual_hours.commitments_of(session, company_id)
    if not commitments:
        st.info("Cette entreprise n'a pas d'engagement.")
        return
    commitment_id = st.selectbox(
        "Engagement (lot)",
        list(commitments),
        index=None,
        placeholder="Choisir…",
        format_func=lambda i: commitments[i],
        key=f"{KEY}_commitment",
    )
    if commitment_id is None:
        return
    with session_scope() as session:
        existing = manual_hours.entries(session, commitment_id)
        people = manual_hours.participants_for(session, commitment_id)

    if existing:
        st.markdown("**Heures enregistrées**")
        table(
            pd.DataFrame(
                {
                    "Participant": [e.participant for e in existing],
                    "Mois": [e.month.strftime("%m/%Y") for e in existing],
                    "Heures": [in_units(e.hours_h100) for e in existing],
                    "Modalité": [e.modality.label for e in existing],
                    "Source": [e.source for e in existing],
                    "Par": [e.by for e in existing],
                }
            ),
            column_config={"Heures": st.column_config.NumberColumn(format="localized")},
        )
        _removal(user, commitment_id, existing)
    if not people:
        st.info("Aucun participant n'est sous contrat avec cette entreprise : enregistrez d'abord son contrat.")
        return

    st.markdown("**Saisir ou corriger**")
    by_label = {label: pid for pid, label in people.items()}
    modalities = {m.label: m for m in Modality}
    editor_prefix = f"{KEY}_editor_{commitment_id}_"
    editor_key = f"{editor_prefix}{st.session_state.get(f'{KEY}_gen', 0)}"
    # The hours as the table was first drawn: the editor starts from them, and the save gives them back — a line
    # someone else saved meanwhile is refused with a message (the edits kept), never overwritten.
    shown = seen(f"{KEY}_seen", commitment_id, existing, prefix=editor_prefix)
    conflict_notice(f"{KEY}_seen", editor_prefix)
    start = pd.DataFrame(
        [
            {
                "Participant": people.get(e.participant_id),
                "Mois": e.month.strftime("%m/%Y"),
                "Heures": in_units(e.hours_h100),
                "Modalité": e.modality.label,
            }
            for e in shown
            if e.participant_id in people
        ],
        columns=["Participant", "Mois", "Heures", "Modalité"],
    )
    edited = st.data_editor(
        start,
        key=editor_key,
        num_rows="add",
        hide_index=True,
        column_config={
            "Participant": st.column_config.SelectboxColumn(options=list(by_label), required=True, width="large"),
            "Mois": st.column_config.TextColumn(help="03/2026, mars 2026 ou 2026-03", required=True),
            "Heures": st.column_config.NumberColumn(min_value=0.0, step=0.5, format="%.2f", required=True),
            "Modalité": st.column_config.SelectboxColumn(
                options=list(modalities), help="Par défaut, la modalité habituelle de l'engagement"
            ),
        },
    )
    if not st.button("Enregistrer les heures", type="primary", key=f"{KEY}_save"):
        return
    rows = [
        manual_hours.ManualRow(
            participant_id=by_label.get(cell(r["Participant"])),
            month=cell(r["Mois"]),
            hours=cell(r["Heures"]),
            modality=modalities.get(cell(r["Modalité"])),
        )
        for r in edited.to_dict("records")
    ]
    before = [(e.participant_id, e.month, e.hours_h100) for e in shown]
    try:
        with session_scope() as session:
            preview, batch = manual_hours.save(session, user, commitment_id, rows, date.today(), before)
    except ConcurrentEditError as exc:
        st.session_state[f"{KEY}_seen_conflict"] = str(exc)
        st.rerun()
    except DomainError as exc:
        error(str(exc))
        return
    if preview.errors:
        error(
            f"{len(preview.errors)} ligne(s) refusée(s) : rien n'a été enregistré. Ligne 2 = première ligne du tableau."
        )
        table(
            pd.DataFrame(
                [
                    {"Ligne": e.line, "Colonne": e.column, "Valeur": e.value, "Problème": e.reason}
                    for e in preview.errors
                ]
            )
        )
        return
    if batch is None:
        st.info("Rien à enregistrer : ces heures sont déjà celles de la base.")
        return
    st.session_state[f"{KEY}_flash"] = [
        f"Heures enregistrées : {batch.rows_added} ajoutée(s), {batch.rows_changed} corrigée(s)."
    ]
    st.session_state[f"{KEY}_gen"] = st.session_state.get(f"{KEY}_gen", 0) + 1
    forget_seen(f"{KEY}_seen")
    cached.clear()
    st.rerun()


def _removal(user, commitment_id: int, existing: list[manual_hours.EntryRow]) -> None:
    """Delete the hours of a month (or some of its lines), after an explicit confirmation."""
    with st.expander("Supprimer des heures", expanded=False):
        months = sorted({e.month for e in existing}, reverse=True)
        month = st.selectbox(
            "Mois", months, format_func=lambda m: m.strftime("%m/%Y"), key=f"{KEY}_del_month_{commitment_id}"
        )
        lines = {
            f"{e.participant} — {in_units(e.hours_h100):.2f} h".replace(".", ","): e
            for e in existing
            if e.month == month
        }
        chosen = st.multiselect(
            "Lignes à supprimer (toutes celles du mois par défaut)",
            list(lines),
            default=list(lines),
            key=f"{KEY}_del_lines_{commitment_id}_{month}",
        )
        if not confirmed_button(
            "Supprimer ces heures",
            "Je confirme la suppression (elle reste tracée dans l'historique des heures)",
            key=f"{KEY}_del_{commitment_id}",
            confirm_key=f"{KEY}_del_sure_{commitment_id}",
            enabled=bool(chosen),
        ):
            return
        shown = [(lines[c].participant_id, lines[c].month, lines[c].hours_h100) for c in chosen]
        try:
            with session_scope() as session:
                deleted = manual_hours.remove(session, user, commitment_id, shown)
        except DomainError as exc:
            error(str(exc))
            return
        st.session_state[f"{KEY}_flash"] = [f"{deleted} ligne(s) d'heures supprimée(s) pour {month:%m/%Y}."]
        st.session_state[f"{KEY}_gen"] = st.session_state.get(f"{KEY}_gen", 0) + 1
        forget_seen(f"{KEY}_seen")
        st.session_state.pop(f"{KEY}_del_sure_{commitment_id}", None)
        cached.clear()
        st.rerun()


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
