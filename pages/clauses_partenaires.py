"""Clauses › Partenaires: the directory of partners, the ESS and SIAE structures by trade, create, edit, archive."""

import pandas as pd
import streamlit as st

from clausier.db import ConcurrentEditError
from clausier.errors import DomainError, ValidationError
from clausier.rules.siret import format_siret
from clausier.services import partners, territory
from clausier.services.partners import PartnerInput
from clausier.services.users import CurrentUser
from models.enums import PartnerKind, Role
from ui.db import session_scope
from ui.exports import download_buttons
from ui.widgets import error, field_error, require_role, success, table

FIELDS = ("name", "kind", "siret", "commune_id", "address", "contact_name", "contact_email", "contact_phone")
STRUCTURES_HELP = (
    "Partenaires de type ESS, SIAE ou GEIQ, et entreprises de type EI, ETTI, AI, ACI, ESS, EA ou ESAT. "
    "Pour une entreprise, les métiers sont ceux des lots où elle est engagée et de ses offres d'emploi."
)


def _flash() -> None:
    message = st.session_state.pop("partners_flash", None)
    if message:
        success(message)
    problem = st.session_state.pop("partners_flash_error", None)
    if problem:
        error(problem)


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Partenaires")
    _flash()
    with session_scope() as session:
        trade_labels = {t.code: f"{t.code} – {t.label}" for t in partners.trades(session)}
        communes = {c.id: c.name for c in territory.list_communes(session)}

    names = ["Annuaire", "Structures ESS / SIAE par métier"]
    if user.can(Role.SAISIE):
        names += ["Nouveau partenaire", "Modifier ou archiver"]
    tabs = st.tabs(names)
    with tabs[0]:
        _directory(trade_labels)
    with tabs[1]:
        _structures(trade_labels)
    if user.can(Role.SAISIE):
        with tabs[2]:
            _create_form(user, trade_labels, communes)
        with tabs[3]:
            _edit_form(user, trade_labels, communes)


def _trade_choice(label: str, trade_labels: dict[str, str], key: str) -> str | None:
    return st.selectbox(
        label,
        [None, *trade_labels],
        format_func=lambda code: "Tous les métiers" if code is None else trade_labels[code],
        key=key,
    )


def _trades_text(trades: list[partners.TradeRef]) -> str:
    return " ; ".join(t.text for t in trades)


# --- lists ------------------------------------------------------------------------------------------------------


def _directory(trade_labels: dict[str, str]) -> None:
    left, middle, right = st.columns(3)
    with left:
        search = st.text_input("Rechercher", key="pt_search", placeholder="Nom, contact, commune, SIRET…")
    with middle:
        kinds = st.multiselect(
            "Types", list(PartnerKind), format_func=lambda k: k.label, key="pt_kinds", placeholder="Tous les types"
        )
    with right:
        trade = _trade_choice("Métier", trade_labels, "pt_trade")
    archived = st.checkbox("Montrer aussi les partenaires archivés", key="pt_archived")
    with session_scope() as session:
        rows = partners.list_partners(session, search=search, kinds=kinds, trade_code=trade, include_archived=archived)

    frame = pd.DataFrame(
        {
            "Nom": [r.partner.name for r in rows],
            "Type": [r.partner.kind.label for r in rows],
            "SIRET": [format_siret(r.partner.siret) if r.partner.siret else "" for r in rows],
            "Commune": [r.commune for r in rows],
            "Adresse": [r.partner.address for r in rows],
            "Contact": [r.partner.contact_name for r in rows],
            "E-mail": [r.partner.contact_email for r in rows],
            "Téléphone": [r.partner.contact_phone for r in rows],
            "Métiers": [_trades_text(r.trades) for r in rows],
        }
    )
    if archived:
        frame["Archivé"] = [r.partner.archived for r in rows]
    if rows:
        table(frame)
    else:
        st.info("Aucun partenaire ne correspond à ces critères.")
    st.caption(f"{len(rows)} partenaire(s)")
    # Professional contacts of partner bodies, not participants' data: every role may download them, logged.
    download_buttons(frame, "partenaires", label="Télécharger l'annuaire", logged=True)


def _structures(trade_labels: dict[str, str]) -> None:
    st.caption(STRUCTURES_HELP)
    trade = _trade_choice("Métier recherché", trade_labels, "ps_trade")
    with session_scope() as session:
        found = partners.structures_by_trade(session, trade)
    frame = pd.DataFrame(
        {
            "Structure": [s.name for s in found],
            "Fiche": ["Partenaire" if s.source == "partenaire" else "Entreprise" for s in found],
            "Type": [s.kind_label for s in found],
            "SIRET": [format_siret(s.siret) if s.siret else "" for s in found],
            "Commune": [s.commune for s in found],
            "Contact": [s.contact_name for s in found],
            "E-mail": [s.contact_email for s in found],
            "Téléphone": [s.contact_phone for s in found],
            "Métiers": [_trades_text(s.trades) for s in found],
        }
    )
    if found:
        table(frame)
    elif trade:
        st.info("Aucune structure de l'ESS ou de l'IAE connue pour ce métier.")
    else:
        st.info("Aucune structure de l'ESS ou de l'IAE enregistrée pour l'instant.")
    st.caption(f"{len(found)} structure(s)")
    title = "Structures ESS / SIAE" + (f" – {trade_labels[trade]}" if trade else "")
    download_buttons(frame, "structures-ess-siae", label="Télécharger la liste", logged=True, title=title)


# --- forms ------------------------------------------------------------------------------------------------------


def _fields(prefix: str, errors: dict[str, str], trade_labels: dict[str, str], communes: dict) -> PartnerInput:
    """The partner's fields, keyed ``prefix + field`` (their values live in session state), errors under each."""
    name = st.text_input("Nom", key=f"{prefix}name", max_chars=200)
    field_error(errors, "name")
    kind = st.selectbox(
        "Type de partenaire",
        list(PartnerKind),
        format_func=lambda k: k.label,
        key=f"{prefix}kind",
        placeholder="Choisissez un type",
    )
    field_error(errors, "kind")
    siret = st.text_input(
        "SIRET (facultatif)", key=f"{prefix}siret", help="14 chiffres, espaces permis ; clé vérifiée."
    )
    field_error(errors, "siret")
    commune_id = st.selectbox(
        "Commune",
        [None, *communes],
        format_func=lambda cid: "—" if cid is None else communes[cid],
        key=f"{prefix}commune_id",
        placeholder="—",
    )
    field_error(errors, "commune_id")
    address = st.text_input("Adresse", key=f"{prefix}address", max_chars=300)
    field_error(errors, "address")
    c1, c2, c3 = st.columns(3)
    with c1:
        contact_name = st.text_input("Contact (nom et fonction)", key=f"{prefix}contact_name", max_chars=120)
        field_error(errors, "contact_name")
    with c2:
        contact_email = st.text_input("E-mail du contact", key=f"{prefix}contact_email", max_chars=200)
        field_error(errors, "contact_email")
    with c3:
        contact_phone = st.text_input("Téléphone du contact", key=f"{prefix}contact_phone", max_chars=30)
        field_error(errors, "contact_phone")
    trade_codes = st.multiselect(
        "Métiers (codes ROME)",
        list(trade_labels),
        format_func=lambda code: trade_labels[code],
        key=f"{prefix}trade_codes",
        placeholder="Les métiers où il intervient",
    )
    field_error(errors, "trade_codes")
    notes = st.text_area("Notes", key=f"{prefix}notes")
    return PartnerInput(
        name=name,
        kind=kind,
        siret=siret,
        commune_id=commune_id,
        address=address,
        contact_name=contact_name,
        contact_email=contact_email,
        contact_phone=contact_phone,
        notes=notes,
        trade_codes=trade_codes,
    )


def _fill(prefix: str, values: dict) -> None:
    for name, value in values.items():
        st.session_state[prefix + name] = value


def _clear(prefix: str) -> None:
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]


EMPTY = {
    "name": "",
    "kind": None,
    "siret": "",
    "commune_id": None,
    "address": "",
    "contact_name": "",
    "contact_email": "",
    "contact_phone": "",
    "notes": "",
    "trade_codes": [],
}


def _create_form(user: CurrentUser, trade_labels: dict[str, str], communes: dict) -> None:
    if "pc_name" not in st.session_state:
        _fill("pc_", EMPTY)
    errors: dict[str, str] = st.session_state.get("partner_create_errors", {})
    with st.form("partner_create"):
        data = _fields("pc_", errors, trade_labels, communes)
        submitted = st.form_submit_button("Créer le partenaire", type="primary")
    if not submitted:
        return
    try:
        with session_scope() as session:
            partner = partners.create_partner(session, user, data)
            name = partner.name
    except ValidationError as exc:
        st.session_state["partner_create_errors"] = exc.errors
        st.rerun()
    except DomainError as exc:
        error(str(exc))
        return
    st.session_state.pop("partner_create_errors", None)
    _clear("pc_")
    st.session_state["partners_flash"] = f"Partenaire « {name} » créé."
    st.rerun()


def _edit_form(user: CurrentUser, trade_labels: dict[str, str], communes: dict) -> None:
    with session_scope() as session:
        rows = partners.list_partners(session, include_archived=True)
    if not rows:
        st.info("Aucun partenaire enregistré pour l'instant.")
        return
    labels = {
        r.partner.id: f"{r.partner.name} ({r.partner.kind.label})" + (" — archivé" if r.partner.archived else "")
        for r in rows
    }
    partner_id = st.selectbox("Partenaire", list(labels), format_func=labels.get, key="pe_pick")
    chosen = next(r for r in rows if r.partner.id == partner_id)
    prefix = f"pe_{partner_id}_"
    loaded = st.session_state.get("pe_loaded")
    if loaded is None or loaded[0] != partner_id or f"{prefix}name" not in st.session_state:
        # The form is filled from the record once; its version is the one the save will check.
        if loaded is not None:
            _clear(f"pe_{loaded[0]}_")
        record = chosen.partner
        values = {name: getattr(record, name) for name in FIELDS}
        values["siret"] = record.siret or ""
        values["notes"] = record.notes
        values["trade_codes"] = [t.code for t in chosen.trades]
        _fill(prefix, values)
        st.session_state["pe_loaded"] = (partner_id, record.version)
    version = st.session_state["pe_loaded"][1]

    all_errors = st.session_state.get("partner_edit_errors", {})
    errors: dict[str, str] = all_errors.get(partner_id, {})
    with st.form(f"partner_edit_{partner_id}"):
        data = _fields(prefix, errors, trade_labels, communes)
        submitted = st.form_submit_button("Enregistrer les modifications", type="primary")
    if submitted:
        _save(lambda session: partners.update_partner(session, user, partner_id, version, data), partner_id, data.name)

    st.divider()
    if chosen.partner.archived:
        st.caption("Ce partenaire est archivé : il n'apparaît plus dans l'annuaire ni dans les choix.")
        if st.button("Remettre dans l'annuaire", key="pe_unarchive"):
            _save(
                lambda session: partners.archive_partner(session, user, partner_id, version, archived=False),
                partner_id,
                chosen.partner.name,
                "remis dans l'annuaire",
            )
    else:
        st.caption("Archiver retire le partenaire de l'annuaire et des choix ; son historique est gardé.")
        if st.button("Archiver ce partenaire", key="pe_archive"):
            _save(
                lambda session: partners.archive_partner(session, user, partner_id, version),
                partner_id,
                chosen.partner.name,
                "archivé",
            )


def _save(action, partner_id: int, name: str, done: str = "enregistré") -> None:
    """Run one write on the chosen partner; afterwards the form is filled again from the database."""
    try:
        with session_scope() as session:
            action(session)
    except ValidationError as exc:
        st.session_state["partner_edit_errors"] = {partner_id: exc.errors}
        st.rerun()
    except ConcurrentEditError as exc:
        # Someone else saved it: show their version (the form is refilled), with the reason.
        st.session_state.pop("pe_loaded", None)
        st.session_state.pop("partner_edit_errors", None)
        _clear(f"pe_{partner_id}_")
        st.session_state["partners_flash_error"] = str(exc)
        st.rerun()
    except DomainError as exc:
        error(str(exc))
        return
    st.session_state.pop("partner_edit_errors", None)
    st.session_state.pop("pe_loaded", None)
    _clear(f"pe_{partner_id}_")
    st.session_state["partners_flash"] = f"Partenaire « {' '.join(name.split())} » {done}."
    st.rerun()


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
