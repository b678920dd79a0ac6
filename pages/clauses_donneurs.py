"""Clauses › Donneurs d'ordre: list with search and filters, create, edit, archive; each buyer's operations."""

import pandas as pd
import streamlit as st

from clausier.rules.units import in_units
from clausier.services import clauses
from models.enums import BuyerKind, Role
from ui.db import session_scope
from ui.exports import download_buttons
from ui.widgets import create_and_edit_tabs, field_error, flash, require_role, table

KEY = "buyer"


def _form(prefix: str, errors: dict[str, str], communes: dict[int, str], current=None) -> clauses.BuyerInput:
    c = current
    name = st.text_input("Nom", value=c.name if c else "", key=f"{prefix}_name")
    field_error(errors, "name")
    kind = st.selectbox(
        "Type",
        list(BuyerKind),
        format_func=lambda k: k.label,
        key=f"{prefix}_kind",
        index=list(BuyerKind).index(c.kind) if c else 1,
    )
    siret = st.text_input("SIRET (facultatif)", value=c.siret or "" if c else "", key=f"{prefix}_siret")
    field_error(errors, "siret")
    ids = [None, *communes]
    commune_id = st.selectbox(
        "Commune",
        ids,
        format_func=lambda i: "—" if i is None else communes[i],
        index=ids.index(c.commune_id) if c and c.commune_id in ids else 0,
        key=f"{prefix}_commune",
    )
    address = st.text_input("Adresse", value=c.address if c else "", key=f"{prefix}_address")
    col1, col2, col3 = st.columns(3)
    contact_name = col1.text_input("Contact", value=c.contact_name if c else "", key=f"{prefix}_contact")
    contact_email = col2.text_input("E-mail du contact", value=c.contact_email if c else "", key=f"{prefix}_email")
    contact_phone = col3.text_input("Téléphone", value=c.contact_phone if c else "", key=f"{prefix}_phone")
    field_error(errors, "contact_email")
    notes = st.text_area("Notes", value=c.notes if c else "", key=f"{prefix}_notes")
    return clauses.BuyerInput(
        name=name,
        kind=kind,
        siret=siret,
        commune_id=commune_id,
        address=address,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        notes=notes,
    )


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Donneurs d'ordre")
    flash(f"{KEY}_flash")
    c1, c2, c3 = st.columns([3, 2, 1])
    search = c1.text_input("Rechercher (nom, SIRET)", key=f"{KEY}_search")
    kinds = [None, *BuyerKind]
    kind = c2.selectbox("Type", kinds, format_func=lambda k: "Tous" if k is None else k.label, key=f"{KEY}_kind_filter")
    archived = c3.checkbox("Archivés aussi", key=f"{KEY}_archived")
    with session_scope() as session:
        rows = clauses.list_buyers(session, search, kind, archived)
        choices = clauses.choices(session)

    frame = pd.DataFrame(
        {
            "Donneur d'ordre": [r.buyer.name for r in rows],
            "Type": [r.buyer.kind.label for r in rows],
            "SIRET": [r.buyer.siret or "" for r in rows],
            "Commune": [choices.communes.get(r.buyer.commune_id, "") for r in rows],
            "Opérations": [r.operations for r in rows],
            "Heures prescrites": [in_units(r.hours.committed_h100) for r in rows],
            "Heures réalisées": [in_units(r.hours.achieved_h100) for r in rows],
            "Archivé": [r.buyer.archived for r in rows],
        }
    )
    st.caption(f"{len(rows)} donneur(s) d'ordre")
    table(
        frame,
        column_config={
            "Heures prescrites": st.column_config.NumberColumn(format="localized"),
            "Heures réalisées": st.column_config.NumberColumn(format="localized"),
        },
    )
    download_buttons(frame, "donneurs-ordre")

    by_id = {r.buyer.id: r.buyer for r in rows}
    st.subheader("Opérations d'un donneur d'ordre")
    chosen_id = st.selectbox(
        "Donneur d'ordre",
        list(by_id),
        key=f"{KEY}_pick",
        index=None,
        placeholder="Choisir…",
        format_func=lambda i: by_id[i].name,
    )
    if chosen_id is not None:
        with session_scope() as session:
            operations = clauses.list_operations(session, buyer_id=chosen_id, include_archived=True)
        if operations:
            operations_frame = pd.DataFrame(
                {
                    "Opération": [o.operation.name for o in operations],
                    "Statut": [o.operation.status.label for o in operations],
                    "Lots": [o.lots for o in operations],
                    "Heures prescrites": [in_units(o.hours.committed_h100) for o in operations],
                    "Heures réalisées": [in_units(o.hours.achieved_h100) for o in operations],
                    "Reste à réaliser": [in_units(o.hours.remaining_h100) for o in operations],
                }
            )
            table(operations_frame)
            download_buttons(operations_frame, "operations-du-donneur", key=f"{KEY}_dl_operations")
        else:
            st.info("Aucune opération pour ce donneur d'ordre.")

    if not user.can(Role.SAISIE):
        return
    buyer = by_id[chosen_id] if chosen_id is not None else None
    create_and_edit_tabs(
        user,
        key=KEY,
        tabs=("Nouveau donneur d'ordre", "Modifier ou archiver"),
        form=lambda prefix, errors, current: _form(prefix, errors, choices.communes, current),
        record=buyer,
        edit_prefix=f"{KEY}_e{buyer.id}_" if buyer else "",
        create=lambda s, data: clauses.create_buyer(s, user, data),
        update=lambda s, data, version: clauses.update_buyer(s, user, buyer.id, version, data),
        archive=lambda s, version: clauses.archive_buyer(s, user, buyer.id, version, not buyer.archived),
        create_button="Créer le donneur d'ordre",
        created=lambda data: f"Donneur d'ordre « {data.name.strip()} » créé.",
        saved=lambda data: f"Donneur d'ordre « {data.name.strip()} » enregistré.",
        archived=lambda: f"« {buyer.name} » {'désarchivé' if buyer.archived else 'archivé'}.",
        choose_first="Choisissez un donneur d'ordre ci-dessus pour le modifier.",
    )


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
