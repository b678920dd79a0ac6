"""Candidats › Offres d'emploi: the positions companies open under their clause (DESIGN §3.5) — list with filters
and export, create, edit, mark filled or cancelled."""

from datetime import date

import pandas as pd
import streamlit as st

from clausier import config
from clausier.db import ConcurrentEditError
from clausier.errors import DomainError, ValidationError
from clausier.formatting import fmt_number
from clausier.rules.units import in_units
from clausier.services import offers
from models.enums import OfferChannel, OfferStatus, Role
from ui import cached
from ui.db import session_scope
from ui.exports import download_buttons
from ui.widgets import (
    error,
    field_error,
    flash,
    form_prefix,
    keep_choice,
    require_role,
    restore_choice,
    run_action,
    table,
)

KEY = "offer"
SHOWN = 2_000  # a screen, not an archive: filters narrow it


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Offres d'emploi")
    flash(f"{KEY}_flash")
    with session_scope() as session:
        choices = offers.choices(session)
    rows = _list(choices)
    if not user.can(Role.SAISIE):
        return
    create, edit = st.tabs(["Nouvelle offre", "Modifier une offre"])
    with create:
        _create(user, choices)
    with edit:
        _edit(user, choices, rows)


@st.cache_data(ttl=60, show_spinner=False)
def _offers(database_url: str, statuses: tuple, company_id, trade, channel, search: str) -> list[offers.OfferRow]:
    """The offers for these filters; cleared by every write of the app (ui.cached.clear), else a minute old."""
    with session_scope() as session:
        return offers.list_offers(
            session,
            statuses=statuses,
            company_id=company_id,
            trade_code=trade,
            channel=channel,
            search=search,
            limit=SHOWN + 1,
        )


# --- list -------------------------------------------------------------------------------------------------------


def _list(choices: offers.OfferChoices) -> list[offers.OfferRow]:
    c1, c2, c3 = st.columns([2, 2, 2])
    search = c1.text_input("Rechercher", key=f"{KEY}_search", placeholder="Intitulé, entreprise, métier, lieu…")
    statuses = c2.multiselect(
        "Statut",
        list(OfferStatus),
        default=[OfferStatus.OPEN],
        format_func=lambda s: s.label,
        key=f"{KEY}_statuses",
        placeholder="Tous les statuts",
    )
    channel = c3.selectbox(
        "Canal",
        [None, *OfferChannel],
        format_func=lambda c: "Tous les canaux" if c is None else c.label,
        key=f"{KEY}_channel",
    )
    c1, c2 = st.columns(2)
    company_id = c1.selectbox(
        "Entreprise",
        [None, *choices.companies],
        format_func=lambda i: "Toutes les entreprises" if i is None else choices.companies[i],
        key=f"{KEY}_company_f",
    )
    trade = c2.selectbox(
        "Métier",
        [None, *choices.trades],
        format_func=lambda t: "Tous les métiers" if t is None else choices.trades[t],
        key=f"{KEY}_trade_f",
    )
    rows = _offers(config.database_url(), tuple(statuses), company_id, trade, channel, search)
    more = len(rows) > SHOWN
    rows = rows[:SHOWN]
    frame = pd.DataFrame(
        {
            "Offre": [r.offer.title for r in rows],
            "Entreprise": [r.company_name for r in rows],
            "Lot": [r.lot_label for r in rows],
            "Métier": [f"{r.offer.trade_code} – {r.trade_label}" for r in rows],
            "Contrat": [r.contract_type_label for r in rows],
            "Postes": [r.offer.posts for r in rows],
            "Retenus": [r.hired for r in rows],
            "Positionnements": [r.candidacies for r in rows],
            "Début": [r.offer.start_date for r in rows],
            "Fin": [r.offer.end_date for r in rows],
            "Heures/semaine": [
                fmt_number(in_units(r.offer.weekly_hours_h100), 2 if r.offer.weekly_hours_h100 % 100 else 0)
                for r in rows
            ],
            "Commune": [r.commune for r in rows],
            "Lieu": [r.offer.place for r in rows],
            "Prérequis": [r.offer.requirements.replace(";", ", ") for r in rows],
            "Canal": [r.offer.channel.label for r in rows],
            "Statut": [r.offer.status.label for r in rows],
        }
    )
    st.caption(
        f"Les {SHOWN} premières offres : précisez les filtres pour voir les autres."
        if more
        else f"{len(rows)} offre(s)"
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
        st.info("Aucune offre ne correspond à ces critères.")
    download_buttons(frame, "offres-emploi", title="Offres d'emploi")
    return rows


# --- forms ------------------------------------------------------------------------------------------------------


def _fields(prefix: str, errors: dict, choices: offers.OfferChoices, company_id, current=None) -> offers.OfferInput:
    """The offer's fields inside a form; the company is chosen above the form (its lots depend on it)."""
    c = current
    with session_scope() as session:
        lots, lot_trades = offers.lots_of(session, company_id)
    lot_ids = [None, *lots]
    # A keyed select box keeps its value when its options change: another company's lots start afresh (its only
    # lot chosen by default) instead of keeping « Sans lot » from before the company was chosen.
    seen = f"{prefix}lot_company"
    if st.session_state.get(seen, company_id) != company_id:
        st.session_state[f"{prefix}lot"] = lot_ids[1] if len(lot_ids) == 2 else None
        default = 0  # the value set here is the one shown
    elif c and c.lot_id in lot_ids:
        default = lot_ids.index(c.lot_id)
    else:
        default = 1 if len(lot_ids) == 2 else 0
    st.session_state[seen] = company_id
    lot_id = st.selectbox(
        "Lot (marché où l'entreprise est engagée)",
        lot_ids,
        index=default,
        format_func=lambda i: "Sans lot" if i is None else lots[i],
        key=f"{prefix}lot",
        placeholder="Sans lot",  # shown for None when set through the session state
    )
    field_error(errors, "lot_id")
    trades = [None, *choices.trades]
    trade = st.selectbox(
        "Métier (ROME)",
        trades,
        index=trades.index(c.trade_code) if c and c.trade_code in trades else 0,
        format_func=lambda t: "Choisir… (par défaut : le métier du lot)" if t is None else choices.trades[t],
        key=f"{prefix}trade",
    )
    field_error(errors, "trade_code")
    title = st.text_input(
        "Intitulé du poste",
        value=c.title if c else "",
        key=f"{prefix}title",
        max_chars=offers.TITLE_MAX,
        help="Par défaut : le libellé du métier, suivi de « (H/F) ».",
    )
    field_error(errors, "title")
    col1, col2, col3 = st.columns(3)
    types = [None, *choices.contract_types]
    contract_type = col1.selectbox(
        "Type de contrat",
        types,
        index=types.index(c.contract_type_code) if c and c.contract_type_code in types else 0,
        format_func=lambda t: "Choisir…" if t is None else choices.contract_types[t],
        key=f"{prefix}contract",
    )
    posts = col2.text_input("Nombre de postes", value=str(c.posts) if c else "1", key=f"{prefix}posts")
    weekly = col3.text_input(
        "Heures par semaine",
        value=fmt_number(in_units(c.weekly_hours_h100), 2).replace(",00", "") if c else "35",
        key=f"{prefix}weekly",
    )
    with col1:
        field_error(errors, "contract_type_code")
    with col2:
        field_error(errors, "posts")
    with col3:
        field_error(errors, "weekly_hours")
    col1, col2 = st.columns(2)
    start = col1.date_input(
        "Date de début", value=c.start_date if c else None, format="DD/MM/YYYY", key=f"{prefix}start"
    )
    end = col2.date_input(
        "Date de fin (vide pour un CDI)", value=c.end_date if c else None, format="DD/MM/YYYY", key=f"{prefix}end"
    )
    with col1:
        field_error(errors, "start_date")
    with col2:
        field_error(errors, "end_date")
    col1, col2 = st.columns(2)
    communes = [None, *choices.communes]
    commune_id = col1.selectbox(
        "Commune du lieu de travail",
        communes,
        index=communes.index(c.place_commune_id) if c and c.place_commune_id in communes else 0,
        format_func=lambda i: "—" if i is None else choices.communes[i],
        key=f"{prefix}commune",
    )
    place = col2.text_input(
        "Lieu (chantier, adresse)", value=c.place if c else "", key=f"{prefix}place", max_chars=offers.PLACE_MAX
    )
    field_error(errors, "place_commune_id")
    field_error(errors, "place")
    vocabulary = offers.requirement_choices()
    requirements = st.multiselect(
        "Prérequis (permis, CACES, habilitations)",
        list(vocabulary),
        default=[r for r in (c.requirements.split(";") if c and c.requirements else []) if r in vocabulary],
        format_func=lambda r: vocabulary[r],
        key=f"{prefix}requirements",
        placeholder="Aucun",
    )
    field_error(errors, "requirements")
    channels = list(OfferChannel)
    channel = st.radio(
        "Canal de diffusion",
        channels,
        index=channels.index(c.channel) if c else 0,
        format_func=lambda ch: ch.label,
        key=f"{prefix}channel",
        horizontal=True,
    )
    field_error(errors, "channel")
    description = st.text_area("Description du poste", value=c.description if c else "", key=f"{prefix}description")
    if trade is None and lot_id is not None:
        trade = lot_trades.get(lot_id)  # the lot's trade when none is chosen
    return offers.OfferInput(
        company_id=company_id,
        lot_id=lot_id,
        trade_code=trade,
        title=title,
        contract_type_code=contract_type,
        posts=posts,
        start_date=start,
        end_date=end,
        weekly_hours=weekly,
        place_commune_id=commune_id,
        place=place,
        requirements=requirements,
        description=description,
        channel=channel,
    )


def _company_choice(prefix: str, errors: dict, choices: offers.OfferChoices, current=None):
    companies = [None, *choices.companies]
    if current is not None and current.company_id not in companies:
        companies.append(current.company_id)  # an archived company keeps its offers
    company_id = st.selectbox(
        "Entreprise",
        companies,
        index=companies.index(current.company_id) if current is not None else 0,
        format_func=lambda i: "Choisir…" if i is None else choices.companies.get(i, f"Entreprise n° {i} (archivée)"),
        key=f"{prefix}company",
        help="Ses lots sont proposés ci-dessous.",
    )
    field_error(errors, "company_id")
    return company_id


def _create(user, choices: offers.OfferChoices) -> None:
    prefix = form_prefix(f"{KEY}_c")
    errors = st.session_state.get(f"{KEY}_create_errors", {})
    company_id = _company_choice(prefix, errors, choices)
    with st.form(f"{KEY}_create"):
        data = _fields(prefix, errors, choices, company_id)
        submitted = st.form_submit_button("Créer l'offre", type="primary")
    if submitted:
        run_action(
            lambda s: offers.create_offer(s, user, data),
            errors_key=f"{KEY}_create_errors",
            flash_key=f"{KEY}_flash",
            message=f"Offre « {data.title.strip() or 'sans intitulé'} » créée.",
            clear_prefix=f"{KEY}_c",
        )


def _edit(user, choices: offers.OfferChoices, every: list[offers.OfferRow]) -> None:
    if not every:
        st.info("Aucune offre dans la liste ci-dessus : changez les filtres (le statut, par exemple).")
        return
    labels = {
        r.offer.id: f"{r.offer.title} — {r.company_name} (début {r.offer.start_date:%d/%m/%Y}, {r.offer.status.label})"
        for r in every
    }
    restore_choice(f"{KEY}_pick", labels)  # after a save that changed the offer's label
    offer_id = st.selectbox(
        "Offre", list(labels), index=None, placeholder="Choisir…", format_func=labels.get, key=f"{KEY}_pick"
    )
    if offer_id is None:
        return
    try:
        with session_scope() as session:  # the record itself, fresh (the list above may be a minute old)
            row = offers.get_offer(session, offer_id)
    except DomainError as exc:
        error(str(exc))
        return
    offer = row.offer
    # The form is filled from the record once; the version read then is the one the save checks (a colleague's
    # save in between is refused with a message, never silently overwritten).
    loaded = st.session_state.get(f"{KEY}_loaded")
    if loaded is None or loaded[0] != offer.id:
        if loaded is not None:
            _forget(loaded[0])
        st.session_state[f"{KEY}_loaded"] = loaded = (offer.id, offer.version)
    version = loaded[1]
    st.caption(f"{row.hired} personne(s) retenue(s) sur {offer.posts} poste(s) ; {row.candidacies} positionnement(s).")
    prefix = f"{KEY}_e{offer.id}_"
    errors = st.session_state.get(f"{KEY}_edit_errors", {})
    company_id = _company_choice(prefix, errors, choices, offer)
    with st.form(f"{KEY}_edit_{offer.id}"):
        data = _fields(prefix, errors, choices, company_id, offer)
        submitted = st.form_submit_button("Enregistrer l'offre", type="primary")
    if submitted:
        _save(
            lambda s: offers.update_offer(s, user, offer.id, version, data),
            offer.id,
            f"Offre « {data.title.strip() or offer.title} » enregistrée.",
        )
    moves = {
        OfferStatus.OPEN: [("Marquer l'offre pourvue", OfferStatus.FILLED), ("Annuler l'offre", OfferStatus.CANCELLED)],
        OfferStatus.FILLED: [("Rouvrir l'offre", OfferStatus.OPEN)],
        OfferStatus.CANCELLED: [("Rouvrir l'offre", OfferStatus.OPEN)],
    }[offer.status]
    columns = st.columns(len(moves))
    for column, (label, status) in zip(columns, moves, strict=True):
        if column.button(label, key=f"{KEY}_status_{status.value}"):
            _save(
                lambda s, status=status: offers.set_status(s, user, offer.id, version, status),
                offer.id,
                f"Offre « {offer.title} » : {status.label.lower()}.",
            )
    if offer.status is OfferStatus.OPEN and offer.start_date < date.today():
        st.caption("La date de début de cette offre est passée.")


def _forget(offer_id: int) -> None:
    """Drop the edit form's typed values of an offer: it is filled again from the database on the next run."""
    st.session_state.pop(f"{KEY}_loaded", None)
    st.session_state.pop(f"{KEY}_edit_errors", None)
    prefix = f"{KEY}_e{offer_id}_"
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]


def _save(action, offer_id: int, message: str) -> None:
    """One write on the offer being edited. Refused input: messages by field, what was typed kept. Someone else
    saved it meanwhile: their version shown, with the reason."""
    try:
        with session_scope() as session:
            action(session)
    except ValidationError as exc:
        st.session_state[f"{KEY}_edit_errors"] = exc.errors
        st.rerun()
    except ConcurrentEditError as exc:
        _forget(offer_id)
        keep_choice(f"{KEY}_pick", offer_id)
        st.session_state[f"{KEY}_flash"] = [("warning", str(exc))]
        cached.clear()
        st.rerun()
    except DomainError as exc:
        error(str(exc))
        return
    _forget(offer_id)
    keep_choice(f"{KEY}_pick", offer_id)
    st.session_state[f"{KEY}_flash"] = [message]
    cached.clear()
    st.rerun()


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
