"""Clauses › Entreprises: companies with a checked SIRET, their commitments and hours."""

import pandas as pd
import streamlit as st

from clausier.rules.siret import format_siret
from clausier.rules.units import in_units
from clausier.services import clauses
from models.enums import CompanyKind, CompanySize, Role
from ui.db import session_scope
from ui.exports import download_buttons
from ui.widgets import create_and_edit_tabs, field_error, flash, require_role, table

KEY = "company"


def _form(prefix: str, errors: dict, communes: dict[int, str], current=None) -> clauses.CompanyInput:
    c = current
    col1, col2 = st.columns([1, 2])
    siret = col1.text_input(
        "SIRET",
        value=format_siret(c.siret) if c else "",
        key=f"{prefix}siret",
        help="14 chiffres, espaces acceptés ; la clé de contrôle est vérifiée.",
    )
    name = col2.text_input("Raison sociale", value=c.name if c else "", key=f"{prefix}name")
    field_error(errors, "siret")
    field_error(errors, "name")
    col1, col2 = st.columns(2)
    kind = col1.selectbox(
        "Type de structure",
        list(CompanyKind),
        format_func=lambda k: k.label,
        key=f"{prefix}kind",
        index=list(CompanyKind).index(c.kind) if c else 0,
    )
    sizes = [None, *CompanySize]
    size = col2.selectbox(
        "Taille",
        sizes,
        format_func=lambda s: "—" if s is None else s.label,
        key=f"{prefix}size",
        index=sizes.index(c.size) if c and c.size in sizes else 0,
    )
    sector = col1.text_input("Secteur (code NAF ou libellé)", value=c.sector if c else "", key=f"{prefix}sector")
    ids = [None, *communes]
    commune_id = col2.selectbox(
        "Commune",
        ids,
        format_func=lambda i: "—" if i is None else communes[i],
        index=ids.index(c.commune_id) if c and c.commune_id in ids else 0,
        key=f"{prefix}commune",
    )
    address = st.text_input("Adresse", value=c.address if c else "", key=f"{prefix}address")
    col1, col2, col3 = st.columns(3)
    contact_name = col1.text_input("Contact", value=c.contact_name if c else "", key=f"{prefix}contact")
    contact_email = col2.text_input("E-mail du contact", value=c.contact_email if c else "", key=f"{prefix}email")
    contact_phone = col3.text_input("Téléphone", value=c.contact_phone if c else "", key=f"{prefix}phone")
    field_error(errors, "contact_email")
    notes = st.text_area("Notes", value=c.notes if c else "", key=f"{prefix}notes")
    return clauses.CompanyInput(
        siret, name, kind, size, sector, commune_id, address, contact_name, contact_email, contact_phone, notes
    )


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Entreprises")
    flash(f"{KEY}_flash")
    c1, c2, c3 = st.columns([3, 2, 1])
    search = c1.text_input("Rechercher (raison sociale, SIRET)", key=f"{KEY}_search")
    kinds = [None, *CompanyKind]
    kind = c2.selectbox("Type", kinds, format_func=lambda k: "Tous" if k is None else k.label, key=f"{KEY}_kind_f")
    archived = c3.checkbox("Archivées aussi", key=f"{KEY}_archived")
    with session_scope() as session:
        rows = clauses.list_companies(session, search, kind, archived)
        choices = clauses.choices(session)
    frame = pd.DataFrame(
        {
            "Entreprise": [r.company.name for r in rows],
            "SIRET": [format_siret(r.company.siret) for r in rows],
            "Type": [r.company.kind.label for r in rows],
            "Commune": [choices.communes.get(r.company.commune_id, "") for r in rows],
            "Engagements": [r.commitments for r in rows],
            "Heures prescrites": [in_units(r.hours.committed_h100) for r in rows],
            "Heures réalisées": [in_units(r.hours.achieved_h100) for r in rows],
            "Reste à réaliser": [in_units(r.hours.remaining_h100) for r in rows],
        }
    )
    st.caption(f"{len(rows)} entreprise(s)")
    table(
        frame,
        column_config={
            c: st.column_config.NumberColumn(format="localized")
            for c in ("Heures prescrites", "Heures réalisées", "Reste à réaliser")
        },
    )
    download_buttons(frame, "entreprises")

    by_id = {r.company.id: r.company for r in rows}
    st.subheader("Fiche d'une entreprise")
    chosen_id = st.selectbox(
        "Entreprise",
        list(by_id),
        key=f"{KEY}_pick",
        index=None,
        placeholder="Choisir…",
        format_func=lambda i: f"{by_id[i].name} ({by_id[i].siret})",
    )
    if chosen_id is not None:
        with session_scope() as session:
            commitments = clauses.list_commitments(session, company_id=chosen_id)
            offers = clauses.list_company_offers(session, chosen_id)
        st.markdown("**Engagements**")
        if commitments:
            commitments_frame = pd.DataFrame(
                {
                    "Donneur d'ordre": [c.buyer_name for c in commitments],
                    "Opération": [c.operation_name for c in commitments],
                    "Lot": [f"{c.lot_reference} {c.lot_label}" for c in commitments],
                    "Heures prescrites": [in_units(c.hours.committed_h100) for c in commitments],
                    "Heures réalisées": [in_units(c.hours.achieved_h100) for c in commitments],
                    "Taux (%)": [round((c.hours.rate or 0) * 100, 1) for c in commitments],
                }
            )
            table(commitments_frame)
            download_buttons(commitments_frame, f"engagements-{by_id[chosen_id].siret}", key=f"{KEY}_dl_commitments")
        else:
            st.info("Cette entreprise n'a pas d'engagement.")
        st.markdown("**Offres d'emploi**")
        if offers:
            offers_frame = pd.DataFrame(
                {
                    "Offre": [o.offer.title for o in offers],
                    "Métier": [o.trade_label for o in offers],
                    "Lot": [o.lot_reference or "" for o in offers],
                    "Postes": [o.offer.posts for o in offers],
                    "Début": [o.offer.start_date for o in offers],
                    "Statut": [o.offer.status.label for o in offers],
                }
            )
            table(offers_frame, column_config={"Début": st.column_config.DateColumn(format="DD/MM/YYYY")})
            download_buttons(offers_frame, f"offres-{by_id[chosen_id].siret}", key=f"{KEY}_dl_offers")
        else:
            st.info("Cette entreprise n'a pas encore d'offre d'emploi.")

    if not user.can(Role.SAISIE):
        return
    company = by_id[chosen_id] if chosen_id is not None else None
    create_and_edit_tabs(
        user,
        key=KEY,
        tabs=("Nouvelle entreprise", "Modifier ou archiver"),
        form=lambda prefix, errors, current: _form(prefix, errors, choices.communes, current),
        record=company,
        edit_prefix=f"{KEY}_e{company.id}_" if company else "",
        create=lambda s, data: clauses.create_company(s, user, data),
        update=lambda s, data, version: clauses.update_company(s, user, company.id, version, data),
        archive=lambda s, version: clauses.archive_company(s, user, company.id, version, not company.archived),
        create_button="Créer l'entreprise",
        created=lambda data: f"Entreprise « {data.name.strip()} » créée.",
        saved=lambda data: f"Entreprise « {data.name.strip()} » enregistrée.",
        archived=lambda: f"« {company.name} » {'désarchivée' if company.archived else 'archivée'}.",
        choose_first="Choisissez une entreprise ci-dessus pour la modifier.",
    )


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
