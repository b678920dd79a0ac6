"""Suivi › Suivi dans l'emploi (DESIGN §3.7): whom to call this week, the running contracts with their next
follow-up due and who follows them, a contract's log of calls, mails and site visits with the form to add one,
the end of a contract with its outcome, and the situations six months after the end."""

from datetime import date

import pandas as pd
import streamlit as st

from clausier import config, privacy
from clausier.formatting import fmt_date
from clausier.services import contracts, followup
from clausier.services.contracts import ContractFilters
from clausier.services.followup import ContractDue, FollowUpInput, SixMonthDue
from clausier.services.users import CurrentUser
from models.enums import ContractOutcome, FollowUpKind, Role, SixMonthOutcome
from ui import cached
from ui.db import session_scope
from ui.exports import download_buttons
from ui.widgets import (
    conflict_notice,
    field_error,
    flash,
    form_prefix,
    md_escape,
    require_role,
    run_action,
    save_seen,
    seen,
    table,
)

KEY = "fu"
VIEW_WEEK = "À faire cette semaine"
VIEW_RUNNING = "Contrats en cours"
VIEW_LOG = "Journal d'un contrat"
VIEW_SIX = "Situations à 6 mois"
MINE, TEAM = "Les miens", "Toute l'équipe"
SHOWN = 2_000  # a screen, not an archive: the downloads hold the whole lists
PICK_LIMIT = 500


def today() -> date:
    return date.today()


Users = tuple[tuple[str, str], ...]  # (login, name) pairs: a hashable cache key


# cache_resource, not cache_data: the lists (14,000 running contracts, tens of thousands of six-month situations
# at size L) and their tables are shared as they are between reruns and sessions instead of being copied
# (unpickled) or built again at each run; never modified by the callers. At most a minute old, and cleared at
# the run that follows a write of this page (see render).
# ``personal``: read with the participants' phones (admin, saisie; ``clausier.privacy``) — a key of every cache,
# so that a list read for one role is never shown to another.
@cached.reads("contracts")
@st.cache_resource(ttl=60, show_spinner="Calcul des suivis…")
def _running(database_url: str, personal: bool) -> list[ContractDue]:
    """Every running contract with its next follow-up due."""
    with session_scope() as session:
        return followup.running_contracts(session, with_personal_data=personal)


@cached.reads("contracts")
@st.cache_resource(ttl=60, show_spinner=False)
def _week_view(database_url: str, as_of: date, in_charge: str | None, users: Users, personal: bool):
    """(the follow-ups to do this week, their table, how many running contracts) of ``in_charge`` or the team."""
    rows = _running(database_url, personal)
    todo = followup.this_week(rows, as_of, in_charge)
    followed = sum(1 for r in rows if in_charge is None or r.in_charge == in_charge)
    return todo, _due_frame(todo, dict(users), as_of, personal), followed


@cached.reads("contracts")
@st.cache_resource(ttl=60, show_spinner=False)
def _running_view(database_url: str, as_of: date, in_charge: str | None, users: Users, personal: bool):
    rows = [r for r in _running(database_url, personal) if in_charge is None or r.in_charge == in_charge]
    return rows, _due_frame(rows, dict(users), as_of, personal)


@cached.reads("contracts")
@st.cache_resource(ttl=60, show_spinner="Recherche des situations à 6 mois…")
def _six_view(database_url: str, as_of: date, in_charge: str | None, users: Users, personal: bool):
    with session_scope() as session:
        rows = followup.six_month_due(session, as_of, in_charge=in_charge, with_personal_data=personal)
    return rows, _six_frame(rows, dict(users), personal)


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Suivi dans l'emploi")
    if st.session_state.get(f"{KEY}_flash"):  # a write just succeeded (and committed): read the lists again
        cached.changed("contracts")  # the contracts page's list too: it shows ends and outcomes
    flash(f"{KEY}_flash")
    with session_scope() as session:
        users = contracts.user_names(session)
    view = st.radio(
        "Affichage",
        [VIEW_WEEK, VIEW_RUNNING, VIEW_LOG, VIEW_SIX],
        horizontal=True,
        key=f"{KEY}_view",
        label_visibility="collapsed",
    )
    as_of = today()
    personal = privacy.with_personal_data(user)  # phones and notes: admin and saisie only
    if view == VIEW_WEEK:
        _week(user, users, as_of, personal)
    elif view == VIEW_RUNNING:
        _running_list(users, personal)
    elif view == VIEW_LOG:
        _journal(user, users, as_of, personal)
    else:
        _six_month_list(user, users, as_of, personal)


def _who(users: dict[str, str], login: str) -> str:
    return users.get(login, login) if login else "—"


def _scope(user: CurrentUser, key: str) -> str | None:
    """« Les miens » (the contracts the user follows) or the whole team: the login to filter on, or None."""
    scope = st.radio("Contrats", [MINE, TEAM], horizontal=True, key=key)
    return user.login if scope == MINE else None


def _open_log(contract_id: int) -> None:
    """on_click: open a contract's log (callbacks run before the widgets, so the view can change)."""
    st.session_state[f"{KEY}_contract"] = contract_id
    st.session_state[f"{KEY}_view"] = VIEW_LOG


def _open_picker(options: dict[int, str], key: str) -> None:
    """Choose one of the listed contracts and open its log."""
    if not options:
        return
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    picked = c1.selectbox(
        "Ouvrir le journal de",
        list(options),
        index=None,
        placeholder="Choisir un contrat…",
        format_func=options.get,
        key=key,
    )
    c2.button(
        "Ouvrir le journal",
        key=f"{key}_go",
        disabled=picked is None,
        on_click=_open_log,
        args=(picked,),
    )


def _due_frame(rows: list[ContractDue], users: dict[str, str], as_of: date, personal: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Échéance": [r.due.on if r.due else None for r in rows],
            "Retard (jours)": [r.due.days_late(as_of) if r.due else 0 for r in rows],
            "À faire": [r.due.kind.label if r.due else "" for r in rows],
            "Participant": [r.participant for r in rows],
            **({"Téléphone": [r.phone for r in rows]} if personal else {}),
            "Entreprise": [r.user_company or r.employer for r in rows],
            "Contrat": [f"{r.contract_type} n° {r.contract_id}" for r in rows],
            "Début": [r.start_date for r in rows],
            "Fin prévue": [r.planned_end for r in rows],
            "Dernier contact": [r.last_contact for r in rows],
            "Suivi par": [_who(users, r.in_charge) for r in rows],
        }
    )


def _six_frame(rows: list[SixMonthDue], users: dict[str, str], personal: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Situation attendue le": [r.due_on for r in rows],
            "Participant": [r.participant for r in rows],
            **({"Téléphone": [r.phone for r in rows]} if personal else {}),
            "Entreprise": [r.user_company for r in rows],
            "Contrat": [f"{r.contract_type} n° {r.contract_id}" for r in rows],
            "Début": [r.start_date for r in rows],
            "Fin du contrat": [r.actual_end for r in rows],
            "Issue": [r.outcome.label if r.outcome else "" for r in rows],
            "Suivi par": [_who(users, r.in_charge) for r in rows],
        }
    )


DATE_COLUMNS = ("Échéance", "Début", "Fin prévue", "Dernier contact", "Fin du contrat", "Situation attendue le")


def _show(frame: pd.DataFrame) -> None:
    table(
        frame.head(SHOWN),
        column_config={c: st.column_config.DateColumn(format="DD/MM/YYYY") for c in DATE_COLUMNS if c in frame},
    )
    if len(frame) > SHOWN:
        st.caption(f"Les {SHOWN} premières lignes sur {len(frame)} ; le téléchargement donne la liste complète.")


# --- whom to call this week --------------------------------------------------------------------------------------


def _week(user: CurrentUser, users: dict[str, str], as_of: date, personal: bool) -> None:
    in_charge = _scope(user, f"{KEY}_week_scope")
    todo, frame, followed = _week_view(config.database_url(), as_of, in_charge, tuple(users.items()), personal)
    late = sum(1 for r in todo if r.due.overdue(as_of))
    c1, c2, c3 = st.columns(3)
    c1.metric("Suivis en retard", late)
    c2.metric("À faire dans les 7 jours", len(todo) - late)
    c3.metric("Contrats en cours suivis", followed)
    if not todo:
        st.info("Aucun suivi en retard ni à faire cette semaine.")
        return
    _show(frame)
    download_buttons(frame, "suivis-de-la-semaine", personal_data=True, key=f"{KEY}_week_export")
    _open_picker(
        {r.contract_id: f"{r.participant} — {r.due.kind.label}" for r in todo[:PICK_LIMIT]}, f"{KEY}_week_pick"
    )


# --- running contracts ------------------------------------------------------------------------------------------


def _running_list(users: dict[str, str], personal: bool) -> None:
    in_charge = st.selectbox(
        "Suivi par",
        [None, *users],
        format_func=lambda login: "Tout le monde" if login is None else users.get(login, login),
        key=f"{KEY}_running_in_charge",
    )
    rows, frame = _running_view(config.database_url(), today(), in_charge, tuple(users.items()), personal)
    st.caption(f"{len(rows)} contrat(s) en cours, le prochain suivi le plus proche d'abord.")
    if not rows:
        st.info("Aucun contrat en cours.")
        return
    _show(frame)
    download_buttons(frame, "contrats-en-cours", personal_data=True, key=f"{KEY}_running_export")


# --- a contract's log -------------------------------------------------------------------------------------------


def _journal(user: CurrentUser, users: dict[str, str], as_of: date, personal: bool) -> None:
    chosen = st.session_state.get(f"{KEY}_contract")
    c1, c2 = st.columns(2)
    search = c1.text_input("Participant", key=f"{KEY}_log_search", placeholder="Nom et prénom")
    mine = c2.checkbox("Seulement les contrats que je suis", key=f"{KEY}_log_mine")
    labelled = lambda rows: {r.id: r.label + ("" if r.running else " (terminé)") for r in rows}  # noqa: E731
    if search.strip():  # every contract of the people found, ended ones too
        filters = ContractFilters(state="all", participant=search, in_charge=user.login if mine else None)
        with session_scope() as session:
            options = labelled(contracts.list_contracts(session, filters, limit=PICK_LIMIT))
    else:  # the running contracts, the most urgent follow-up first
        running = [r for r in _running(config.database_url(), personal) if not mine or r.in_charge == user.login]
        options = {r.contract_id: r.label for r in running[:PICK_LIMIT]}
    if chosen is not None and chosen not in options:
        with session_scope() as session:
            options = {**labelled(contracts.list_contracts(session, ContractFilters(state="all", contract_id=chosen))),
                       **options}  # fmt: skip
    if chosen not in options:
        st.session_state[f"{KEY}_contract"] = None
    contract_id = st.selectbox(
        "Contrat",
        list(options),
        index=None,
        placeholder="Choisir un contrat…",
        format_func=options.get,
        key=f"{KEY}_contract",
    )
    if contract_id is None:
        st.caption("Recherchez la personne par son nom, ou ouvrez un journal depuis « À faire cette semaine ».")
        return

    with session_scope() as session:
        contract = contracts.get_contract(session, contract_id, with_personal_data=personal)
        entries = followup.log(session, contract_id, with_personal_data=personal)
        due = followup.next_due_of(session, contract_id)
    if contract is None:
        st.warning("Ce contrat n'existe plus.")
        return
    end = contract.actual_end or contract.planned_end
    kind_of_end = "réelle" if contract.actual_end else "prévue"
    period = f"fin {kind_of_end} le {fmt_date(end)}" if end else "sans date de fin"
    facts = f"Début le {fmt_date(contract.start_date)}, {period} ; suivi par {_who(users, contract.in_charge)}"
    st.caption(md_escape(facts))
    if due is not None:
        text = f"Prochaine échéance : {due.kind.label.lower()} le {fmt_date(due.on)}"
        if due.overdue(as_of):
            st.warning(f"{text} — en retard de {due.days_late(as_of)} jour(s).")
        else:
            st.info(text + ".")

    st.markdown("**Journal des suivis**")
    if entries:
        table(
            pd.DataFrame(
                {
                    "Date": [e.on for e in entries],
                    "Type": [e.kind.label for e in entries],
                    "Par": [_who(users, e.by) for e in entries],
                    **({"Notes": [e.notes for e in entries]} if personal else {}),
                    "Prochain suivi fixé": pd.to_datetime(pd.Series([e.next_due for e in entries], dtype=object)),
                }
            ),
            column_config={
                "Date": st.column_config.DateColumn(format="DD/MM/YYYY"),
                "Prochain suivi fixé": st.column_config.DateColumn(format="DD/MM/YYYY"),
            },
        )
    else:
        st.caption("Aucun suivi noté pour ce contrat.")

    if contract.actual_end is not None:
        outcome = contract.outcome.label if contract.outcome else "non renseignée"
        st.markdown(md_escape(f"Contrat terminé le {fmt_date(contract.actual_end)} — issue : {outcome}."))
        if contract.outcome_6m is not None:
            st.markdown(
                md_escape(
                    f"Situation à 6 mois : {contract.outcome_6m.label} "
                    f"(recueillie le {fmt_date(contract.outcome_6m_recorded_on)})."
                )
            )
    if not user.can(Role.SAISIE):
        return
    _add_form(user, contract_id, as_of)
    if contract.actual_end is None:
        _end_form(user, contract_id, contract.version, as_of)
    elif contract.outcome_6m is None:
        _six_month_form(user, contract_id, contract.version, as_of, f"{KEY}_log6_")


def _add_form(user: CurrentUser, contract_id: int, as_of: date) -> None:
    base = f"{KEY}_add_{contract_id}"
    prefix = form_prefix(base)
    errors = st.session_state.get(f"{KEY}_add_errors", {})
    st.markdown("**Noter un suivi**")
    with st.form(prefix + "form"):
        c1, c2, c3 = st.columns(3)
        on = c1.date_input("Date du contact", value=as_of, key=prefix + "on", format="DD/MM/YYYY", max_value=as_of)
        field_error(errors, "on")
        kind = c2.selectbox("Type", list(FollowUpKind), format_func=lambda k: k.label, key=prefix + "kind")
        field_error(errors, "kind")
        next_due = c3.date_input(
            "Prochain suivi (facultatif)",
            value=None,
            key=prefix + "next_due",
            format="DD/MM/YYYY",
            help="Laissez vide : un contact par mois (paramètre), et une visite sur site pour les contrats longs.",
        )
        field_error(errors, "next_due")
        notes = st.text_area("Notes", key=prefix + "notes", max_chars=followup.NOTES_LIMIT)
        field_error(errors, "notes")
        submitted = st.form_submit_button("Enregistrer le suivi", type="primary")
    if submitted:
        data = FollowUpInput(on=on, kind=kind, notes=notes, next_due=next_due)
        run_action(
            lambda session: followup.add_follow_up(session, user, contract_id, data, today()) and None,
            errors_key=f"{KEY}_add_errors",
            flash_key=f"{KEY}_flash",
            message=f"{kind.label} du {fmt_date(on)} noté.",
            clear_prefix=base,
        )


def _end_form(user: CurrentUser, contract_id: int, version: int, as_of: date) -> None:
    prefix = f"{KEY}_end_{contract_id}_"
    # The contract's version as the form was first drawn: a colleague's save in between is refused with a
    # message (what was typed kept), never overwritten.
    version = seen(f"{KEY}_end_seen", contract_id, version, prefix=prefix)
    conflict_notice(f"{KEY}_end_seen", prefix)
    errors = st.session_state.get(f"{KEY}_end_errors", {})
    st.markdown("**Fin du contrat**")
    with st.form(prefix + "form"):
        c1, c2 = st.columns(2)
        actual_end = c1.date_input(
            "Fin réelle", value=None, key=prefix + "actual_end", format="DD/MM/YYYY", max_value=as_of
        )
        field_error(errors, "actual_end")
        outcome = c2.selectbox(
            "Issue",
            list(ContractOutcome),
            index=None,
            placeholder="Choisir…",
            format_func=lambda o: o.label,
            key=prefix + "outcome",
        )
        field_error(errors, "outcome")
        submitted = st.form_submit_button("Enregistrer la fin du contrat")
    if submitted:
        save_seen(
            lambda session: followup.record_end(session, user, contract_id, version, actual_end, outcome, today()),
            key=f"{KEY}_end_seen",
            errors_key=f"{KEY}_end_errors",
            flash_key=f"{KEY}_flash",
            message=f"Fin du contrat n° {contract_id} enregistrée.",
            clear_prefix=prefix,
        )


def _six_month_form(user: CurrentUser, contract_id: int, version: int, as_of: date, prefix: str) -> None:
    version = seen(f"{prefix}seen", contract_id, version, prefix=f"{prefix}{contract_id}_")  # as first drawn
    conflict_notice(f"{prefix}seen", f"{prefix}{contract_id}_")
    errors = st.session_state.get(f"{KEY}_six_errors", {})
    st.markdown("**Situation six mois après la fin du contrat**")
    with st.form(f"{prefix}{contract_id}_form"):
        c1, c2 = st.columns(2)
        outcome = c1.selectbox(
            "Situation",
            list(SixMonthOutcome),
            index=None,
            placeholder="Choisir…",
            format_func=lambda o: o.label,
            key=f"{prefix}{contract_id}_outcome",
        )
        field_error(errors, "outcome_6m")
        recorded_on = c2.date_input(
            "Recueillie le", value=as_of, key=f"{prefix}{contract_id}_on", format="DD/MM/YYYY", max_value=as_of
        )
        field_error(errors, "recorded_on")
        submitted = st.form_submit_button("Enregistrer la situation")
    if submitted:
        save_seen(
            lambda session: followup.record_six_month(
                session, user, contract_id, version, outcome, recorded_on, today()
            ),
            key=f"{prefix}seen",
            errors_key=f"{KEY}_six_errors",
            flash_key=f"{KEY}_flash",
            message=f"Situation à 6 mois du contrat n° {contract_id} enregistrée.",
            clear_prefix=f"{prefix}{contract_id}_",
        )


# --- six-month situations ---------------------------------------------------------------------------------------


def _six_month_list(user: CurrentUser, users: dict[str, str], as_of: date, personal: bool) -> None:
    in_charge = _scope(user, f"{KEY}_six_scope")
    rows, frame = _six_view(config.database_url(), as_of, in_charge, tuple(users.items()), personal)
    st.caption(
        "La situation de la personne est demandée six mois (paramètre) après la fin de son contrat : emploi "
        "durable, emploi de transition, formation qualifiante ou sans solution."
    )
    st.metric("Situations à recueillir", len(rows))
    if not rows:
        st.info("Aucune situation à 6 mois à recueillir.")
        return
    _show(frame)
    download_buttons(frame, "situations-a-6-mois", personal_data=True, key=f"{KEY}_six_export")
    if not user.can(Role.SAISIE):
        return
    shown = {r.contract_id: r for r in rows[:PICK_LIMIT]}
    contract_id = st.selectbox(
        "Contrat",
        list(shown),
        index=None,
        placeholder="Choisir la personne…",
        format_func=lambda i: shown[i].label,
        key=f"{KEY}_six_pick",
    )
    if contract_id is not None:
        _six_month_form(user, contract_id, shown[contract_id].version, as_of, f"{KEY}_six_")


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
