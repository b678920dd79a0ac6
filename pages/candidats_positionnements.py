"""Candidats › Positionnements (DESIGN §3.5): the board of every candidacy by step, filterable by offer, company and
person in charge; one candidacy opened shows its history and the next moves allowed. « Retenu » opens the contract
form pre-filled."""

from datetime import UTC, datetime

import pandas as pd
import streamlit as st

from clausier import config, privacy
from clausier.db import ConcurrentEditError
from clausier.errors import DomainError, ValidationError
from clausier.formatting import fmt_date
from clausier.reports.exports import LOCAL_TZ
from clausier.rules.candidacy import CHECK_QUESTIONS, Action, CheckAnswers
from clausier.services import candidacies, offers
from models.enums import CandidacyStatus, OfferStatus, Role
from ui import cached
from ui.db import session_scope
from ui.exports import download_buttons
from ui.widgets import (
    error,
    field_error,
    flash,
    keep_choice,
    last_shown,
    md_escape,
    require_role,
    restore_choice,
    run_action,
    table,
)

KEY = "cand"
SHOWN = 100  # per step: the latest moved (the filters narrow it)
CONTRACT_PREFILL = "contract_prefill_candidacy"  # read by the contracts page (Suivi › Contrats)
CONTRACTS_URL = "contrats"
BUTTONS = {
    Action.CHECK: "Enregistrer la vérification",
    Action.VALIDATE: "Valider (Candidathèque)",
    Action.PRESENT: "Présenter à l'employeur",
    Action.HIRE: "Retenu par l'employeur",
    Action.REJECT: "Non retenu",
    Action.WITHDRAW: "Désistement",
}


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Positionnements")
    flash(f"{KEY}_flash")
    people_in_charge = _in_charge(config.database_url())
    company_labels, full = _companies_and_full_offers(config.database_url())

    c1, c2, c3 = st.columns(3)
    company_id = c1.selectbox(
        "Entreprise",
        [None, *company_labels],
        format_func=lambda i: "Toutes les entreprises" if i is None else company_labels[i],
        key=f"{KEY}_company",
    )
    offer_labels = _offer_labels(config.database_url(), company_id)  # the open ones, or every one of the company
    offer_id = c2.selectbox(
        "Offre" if company_id else "Offre ouverte",
        [None, *offer_labels],
        format_func=lambda i: "Toutes les offres" if i is None else offer_labels[i],
        key=f"{KEY}_offer",
    )
    in_charge = c3.selectbox(
        "Chargé(e) du positionnement",
        [None, *people_in_charge],
        format_func=lambda login: "Toute l'équipe" if login is None else people_in_charge[login],
        key=f"{KEY}_in_charge",
    )
    counts, rows = _board_rows(config.database_url(), offer_id, company_id, in_charge)

    if full and user.can(Role.SAISIE):
        _full_offers(user, full)
    _board(rows, counts, people_in_charge)
    if rows:
        _one(user, rows)


@st.cache_data(ttl=60, show_spinner=False)
def _board_rows(database_url: str, offer_id, company_id, in_charge) -> tuple[dict, list[candidacies.BoardRow]]:
    """The board for these filters; cleared by every move made in the app (ui.cached.clear), else a minute old."""
    filters = {"offer_id": offer_id, "company_id": company_id, "in_charge": in_charge}
    with session_scope() as session:
        return candidacies.board_counts(session, **filters), candidacies.board(
            session, **filters, limit_per_status=SHOWN
        )


@st.cache_data(ttl=60, show_spinner=False)
def _companies_and_full_offers(database_url: str) -> tuple[dict[int, str], list[candidacies.FullOffer]]:
    with session_scope() as session:
        return offers.company_choices(session), candidacies.full_open_offers(session)


@st.cache_data(ttl=60, show_spinner=False)
def _offer_labels(database_url: str, company_id: int | None) -> dict[int, str]:
    with session_scope() as session:
        return offers.offer_labels(session, company_id=company_id, open_only=company_id is None)


@st.cache_data(ttl=300, show_spinner=False)
def _in_charge(database_url: str) -> dict[str, str]:
    with session_scope() as session:
        return candidacies.in_charge_choices(session)


def _when(moment: datetime | None) -> str:
    """A stored UTC timestamp in the team's local time, « dd/mm/yyyy hh:mm »."""
    if moment is None:
        return ""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return fmt_date(moment.astimezone(LOCAL_TZ).replace(tzinfo=None))


def _full_offers(user, full: list[candidacies.FullOffer]) -> None:
    for f in full:
        left, right = st.columns([4, 1])
        left.warning(
            md_escape(
                f"« {f.title} » ({f.company}) : {f.hired} retenu(s) pour {f.posts} poste(s), l'offre est pourvue."
            )
        )
        version = last_shown(f"{KEY}_fill_shown_{f.offer_id}", f.offer_id, f.version)  # as shown at the click
        if right.button("Marquer l'offre pourvue", key=f"{KEY}_fill_{f.offer_id}"):
            run_action(
                lambda s, f=f, version=version: offers.set_status(s, user, f.offer_id, version, OfferStatus.FILLED),
                errors_key=f"{KEY}_errors",
                flash_key=f"{KEY}_flash",
                message=f"Offre « {f.title} » marquée pourvue.",
            )


def _board(rows: list[candidacies.BoardRow], counts: dict, people_in_charge: dict[str, str]) -> None:
    metrics = st.columns(len(CandidacyStatus))
    for column, status in zip(metrics, CandidacyStatus, strict=True):
        column.metric(status.label, counts[status])
    if not rows:
        st.info("Aucun positionnement pour ces critères : positionnez des participants depuis « Rapprochement ».")
        return
    frame = pd.DataFrame(
        {
            "Étape": [r.status.label for r in rows],
            "Participant": [r.participant for r in rows],
            "Offre": [r.offer_title for r in rows],
            "Entreprise": [r.company for r in rows],
            "Début du poste": [r.start_date for r in rows],
            "Score": [r.score for r in rows],
            "Chargé(e)": [people_in_charge.get(r.in_charge, r.in_charge) for r in rows],
            "Dernier mouvement": [_when(r.updated_at) for r in rows],
        }
    )
    column_config = {"Début du poste": st.column_config.DateColumn(format="DD/MM/YYYY")}
    tabs = st.tabs([f"{s.label} ({counts[s]})" for s in CandidacyStatus])
    for tab, status in zip(tabs, CandidacyStatus, strict=True):
        with tab:
            part = frame[frame["Étape"] == status.label].drop(columns=["Étape"])
            if part.empty:
                st.caption("Aucun positionnement à cette étape.")
            else:
                table(part, column_config=column_config)
                if counts[status] > len(part):
                    st.caption(
                        f"Les {len(part)} derniers mouvements sur {counts[status]} : filtrez pour voir les autres."
                    )
    download_buttons(frame, "positionnements", personal_data=True, title="Positionnements")


# --- one candidacy ----------------------------------------------------------------------------------------------


def _one(user, rows: list[candidacies.BoardRow]) -> None:
    st.subheader("Un positionnement")
    labels = {r.candidacy_id: f"{r.participant} — {r.offer_title} ({r.company}) · {r.status.label}" for r in rows}
    # A move changes the candidacy's label (its step): the browser names the choice by its old label, no longer
    # offered, and would drop it at the next click (a submitted move lost); set again, the choice goes with it.
    restore_choice(f"{KEY}_pick", labels)
    candidacy_id = st.selectbox(
        "Positionnement", list(labels), index=None, placeholder="Choisir…", format_func=labels.get, key=f"{KEY}_pick"
    )
    if candidacy_id is None:
        return
    personal = privacy.with_personal_data(user)  # phone, check comment, reason, notes: admin and saisie only
    try:
        with session_scope() as session:
            d = candidacies.detail(session, candidacy_id, with_personal_data=personal)
            fills = candidacies.would_fill_offer(session, candidacy_id)
    except DomainError as exc:
        error(str(exc))
        return
    c = d.candidacy
    offer = d.offer
    eligibility = (
        f"valide jusqu'au {fmt_date(d.eligibility.end)}"
        if d.eligibility.valid
        else ("a pris fin le " + fmt_date(d.eligibility.end) if d.eligibility.end else "aucune validée à cette date")
    )
    phone = f" · tél. {d.phone or '—'}" if personal else ""
    st.markdown(
        md_escape(
            f"{d.participant}{phone} — « {offer.title} » chez {d.company}, "
            f"début le {fmt_date(offer.start_date)} · étape : {c.status.label}"
        )
    )
    st.caption(
        md_escape(
            f"Éligibilité au début du poste : {eligibility}. "
            f"Postes : {offer.posts}, retenu(s) : {d.hired}. Offre {offer.status.label.lower()}."
        )
    )
    if c.checked_at is not None:
        answers = " ; ".join(
            f"{label} : {'oui' if getattr(c, f'check_{name}') else 'non'}" for name, label in CHECK_QUESTIONS.items()
        )
        comment = f" {c.check_comment}" if personal else ""
        st.caption(md_escape(f"Vérification du {_when(c.checked_at)} par {c.checked_by} — {answers}.{comment}"))
    if c.refusal_reason:
        st.caption(md_escape(f"Motif : {c.refusal_reason}"))

    history = pd.DataFrame(
        {
            "Date": [_when(h.at) for h in d.history],
            "Par": [h.by for h in d.history],
            "De": [h.from_status.label if h.from_status else "—" for h in d.history],
            "À": [h.to_status.label for h in d.history],
            **({"Note": [h.comment for h in d.history]} if personal else {}),
        }
    )
    st.markdown("**Historique**")
    table(history)

    if not user.can(Role.SAISIE):
        return
    if c.status is CandidacyStatus.HIRED:
        if _contracts_page() is not None and st.button("Établir le contrat de travail", key=f"{KEY}_contract"):
            _to_contract(c.id)
        return
    if not d.actions:
        return
    # The moves use the version read when the candidacy was opened: a colleague's move in between is refused
    # with a message (never applied on top of theirs).
    loaded = st.session_state.get(f"{KEY}_loaded")
    if loaded is None or loaded[0] != c.id:
        if loaded is not None:
            _forget(loaded[0])
        st.session_state[f"{KEY}_loaded"] = loaded = (c.id, c.version)
    st.markdown("**Étape suivante**")
    errors = st.session_state.get(f"{KEY}_errors_{c.id}", {})
    for action in d.actions:
        _action(user, c.id, loaded[1], action, errors, fills)


def _action(user, candidacy_id: int, version: int, action: Action, errors: dict, fills: bool) -> None:
    """One allowed move as a small form: the forward step open, closing moves (non retenu, désisté) folded."""
    prefix = f"{KEY}_{candidacy_id}_{action.value}_"
    with st.expander(action.label, expanded=action not in (Action.REJECT, Action.WITHDRAW)):
        with st.form(f"{prefix}form"):
            answers, reason, mark = None, "", False
            if action is Action.CHECK:
                values = {}
                for name, label in CHECK_QUESTIONS.items():
                    choice = st.radio(label, ["Oui", "Non"], index=None, horizontal=True, key=f"{prefix}{name}")
                    field_error(errors, name)
                    values[name] = None if choice is None else choice == "Oui"
                comment = st.text_area("Commentaire de l'appel", key=f"{prefix}comment")
                field_error(errors, "comment")
                answers = CheckAnswers(**values, comment=comment)
            elif action in (Action.REJECT, Action.WITHDRAW):
                reason = st.text_area("Motif", key=f"{prefix}reason")
                field_error(errors, "reason")
            elif action is Action.HIRE and fills:
                mark = st.checkbox(
                    "C'est le dernier poste de l'offre : la marquer « pourvue »", value=True, key=f"{prefix}mark"
                )
            note = ""
            if action is not Action.CHECK:
                note = st.text_input("Note (facultative)", key=f"{prefix}note", max_chars=candidacies.NOTE_MAX)
                field_error(errors, "note")
            submitted = st.form_submit_button(BUTTONS[action], type="primary")
        if submitted:
            _move(user, candidacy_id, version, action, answers=answers, reason=reason, note=note, mark=mark)


def _move(
    user, candidacy_id: int, version: int, action: Action, *, answers=None, reason="", note="", mark=False
) -> None:
    errors_key = f"{KEY}_errors_{candidacy_id}"
    try:
        with session_scope() as session:
            result = candidacies.move(
                session,
                user,
                candidacy_id,
                version,
                action,
                answers=answers,
                reason=reason,
                note=note,
                mark_offer_filled=mark,
            )
    except ValidationError as exc:
        st.session_state[errors_key] = exc.errors
        st.rerun()
    except ConcurrentEditError as exc:
        _forget(candidacy_id)
        keep_choice(f"{KEY}_pick", candidacy_id)
        st.session_state[f"{KEY}_flash"] = [("warning", str(exc))]
        cached.clear()
        st.rerun()
    except DomainError as exc:
        error(str(exc))
        return
    _forget(candidacy_id)
    st.session_state[f"{KEY}_flash"] = [result.message]
    cached.clear()
    if result.to_status is CandidacyStatus.HIRED:
        _to_contract(candidacy_id)
    keep_choice(f"{KEY}_pick", candidacy_id)
    st.rerun()


def _forget(candidacy_id: int) -> None:
    """Drop the typed values and the version read of a candidacy: read again on the next run."""
    st.session_state.pop(f"{KEY}_loaded", None)
    st.session_state.pop(f"{KEY}_errors_{candidacy_id}", None)
    prefix = f"{KEY}_{candidacy_id}_"
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]


def _contracts_page():
    """The contracts page as registered in the navigation, or None when it is not there."""
    from ui import navigation

    spec = next((s for s in navigation.PAGES if s.url_path == CONTRACTS_URL), None)
    if spec is None:
        return None
    return st.Page(spec.render, title=spec.title, url_path=spec.url_path, icon=spec.icon)


def _to_contract(candidacy_id: int) -> None:
    """« Retenu »: the contract form, pre-filled from the candidacy (the contracts page reads the key)."""
    st.session_state[CONTRACT_PREFILL] = candidacy_id
    page = _contracts_page()
    if page is not None:
        st.switch_page(page)


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
