"""Clauses › Engagements: award a lot to one company or to a group, the hours split adding up to the lot's."""

import pandas as pd
import streamlit as st

from clausier.formatting import fmt_hours
from clausier.rules.units import in_units
from clausier.services import clauses
from models.enums import Modality, Role
from ui.db import session_scope
from ui.exports import download_buttons
from ui.widgets import conflict_notice, error, flash, require_role, save_seen, seen, table

KEY = "commit"


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Engagements")
    flash(f"{KEY}_flash")
    with session_scope() as session:
        choices = clauses.choices(session)
        c1, c2 = st.columns(2)
        buyer_ids = [None, *choices.buyers]
        buyer_id = c1.selectbox(
            "Donneur d'ordre",
            buyer_ids,
            key=f"{KEY}_buyer_f",
            format_func=lambda i: "Tous" if i is None else choices.buyers[i],
        )
        company_ids = [None, *choices.companies]
        company_id = c2.selectbox(
            "Entreprise",
            company_ids,
            key=f"{KEY}_company_f",
            format_func=lambda i: "Toutes" if i is None else choices.companies[i],
        )
        rows = clauses.list_commitments(session, company_id=company_id, buyer_id=buyer_id)
    frame = pd.DataFrame(
        {
            "Donneur d'ordre": [r.buyer_name for r in rows],
            "Opération": [r.operation_name for r in rows],
            "Lot": [f"{r.lot_reference} {r.lot_label}" for r in rows],
            "Entreprise": [r.company_name for r in rows],
            "SIRET": [r.company_siret for r in rows],
            "Modalité habituelle": [r.commitment.usual_modality.label for r in rows],
            "Globalisation": [r.commitment.pooling_allowed for r in rows],
            "Heures prescrites": [in_units(r.hours.committed_h100) for r in rows],
            "Heures réalisées": [in_units(r.hours.achieved_h100) for r in rows],
            "Reste à réaliser": [in_units(r.hours.remaining_h100) for r in rows],
        }
    )
    st.caption(f"{len(rows)} engagement(s)")
    table(
        frame,
        column_config={
            c: st.column_config.NumberColumn(format="localized")
            for c in ("Heures prescrites", "Heures réalisées", "Reste à réaliser")
        },
    )
    download_buttons(frame, "engagements")

    if not user.can(Role.SAISIE):
        return
    st.subheader("Attribuer un lot")
    lot_id = st.selectbox(
        "Lot",
        list(choices.lots),
        key=f"{KEY}_lot",
        index=None,
        placeholder="Choisir…",
        format_func=lambda i: choices.lots[i],
    )
    if lot_id is None:
        return
    with session_scope() as session:
        lot = clauses.get_lot(session, lot_id)
        current = clauses.list_commitments(session, lot_id=lot_id)
        token = clauses.award_token(session, lot_id)
    prefix = f"{KEY}_{lot.id}_"
    # The award as the form was first drawn: the save gives it back, so a colleague's award in between is
    # refused with a message (the table above shows it), never silently replaced.
    expected = seen(f"{KEY}_seen", lot.id, token, prefix=prefix)
    conflict_notice(f"{KEY}_seen", prefix)
    st.metric("Heures d'insertion du lot", fmt_hours(lot.hours_contractual_h100))
    errors = st.session_state.get(f"{KEY}_errors", {})
    current_hours = {c.commitment.company_id: in_units(c.hours.committed_h100) for c in current}
    selected = st.multiselect(
        "Entreprise attributaire, ou entreprises du groupement",
        list(choices.companies),
        default=[cid for cid in current_hours if cid in choices.companies],
        format_func=lambda i: choices.companies[i],
        key=f"{prefix}companies",
        placeholder="Choisir…",
    )
    shares = []
    for company_id in selected:
        default = current_hours.get(company_id, in_units(lot.hours_contractual_h100) if len(selected) == 1 else 0.0)
        st.session_state.setdefault(f"{prefix}h{company_id}", default)
        hours = st.number_input(
            f"Heures de {choices.companies[company_id]}",
            min_value=0.0,
            step=0.5,
            format="%.2f",
            key=f"{prefix}h{company_id}",
        )
        shares.append(clauses.Share(company_id, hours))
    total = sum(float(share.hours) for share in shares)
    st.caption(f"Total réparti : {fmt_hours(round(total * 100), 2)} sur {fmt_hours(lot.hours_contractual_h100)}")
    for message in errors.values():
        error(message)
    col1, col2 = st.columns(2)
    modality = col1.selectbox(
        "Modalité habituelle",
        list(Modality),
        format_func=lambda m: m.label,
        key=f"{prefix}mod",
        index=list(Modality).index(current[0].commitment.usual_modality) if current else 0,
    )
    pooling = col2.checkbox(
        "Globalisation des heures acceptée par le donneur d'ordre",
        key=f"{prefix}pool",
        value=current[0].commitment.pooling_allowed if current else False,
    )
    if st.button("Enregistrer l'attribution", type="primary", key=f"{prefix}save"):
        save_seen(
            lambda s: clauses.award_lot(s, user, lot.id, expected, shares, modality, pooling),
            key=f"{KEY}_seen",
            errors_key=f"{KEY}_errors",
            flash_key=f"{KEY}_flash",
            message=f"Attribution du lot « {lot.reference} » enregistrée.",
        )


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
