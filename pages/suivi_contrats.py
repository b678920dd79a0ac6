"""Suivi › Contrats: the employment contracts (participant, employer, user company, commitment, contract type,
modality, dates, weekly hours), their hours statements, a new contract (pre-filled from a hired candidacy) and
the edit of a contract."""

from datetime import date

import pandas as pd
import streamlit as st

from clausier import config, privacy
from clausier.db import ConcurrentEditError
from clausier.errors import DomainError, ValidationError
from clausier.formatting import fmt_hours, fmt_number
from clausier.rules.units import in_units
from clausier.services import contracts
from clausier.services.contracts import ContractFilters, ContractInput, FormChoices
from clausier.services.users import CurrentUser
from models.enums import ContractOutcome, Modality, Role
from ui import cached
from ui.db import session_scope
from ui.exports import download_buttons
from ui.widgets import (
    error,
    field_error,
    flash,
    form_prefix,
    keep_choice,
    md_escape,
    require_role,
    restore_choice,
    run_action,
    table,
)

KEY = "ct"
NEW = "ct_new"  # widget keys of the new-contract form (a new generation after each success)
PREFILL_KEY = "contract_prefill_candidacy"  # set by the candidacies page when a candidacy becomes « retenu »
VIEW_LIST, VIEW_NEW = "Liste des contrats", "Nouveau contrat"
STATES = {"running": "En cours", "ended": "Terminés", "all": "Tous"}
DATE_MIN, DATE_MAX = date(1990, 1, 1), date(2100, 12, 31)
# Listed, shown and downloadable at most: a regional platform has 200,000 contracts, the filters narrow them.
LISTED = 2_000
FIELDS = (
    "participant_id",
    "user_company_id",
    "commitment_id",
    "employer_company_id",
    "contract_type_code",
    "modality",
    "start_date",
    "planned_end",
    "actual_end",
    "outcome",
    "weekly_hours",
    "in_charge",
    "notes",
)


def today() -> date:
    return date.today()


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Contrats")
    candidacy_id = st.session_state.pop(PREFILL_KEY, None)
    if candidacy_id is not None and user.can(Role.SAISIE) and _prefill(candidacy_id):
        st.session_state[f"{KEY}_view"] = VIEW_NEW
    if st.session_state.get(f"{KEY}_flash"):  # a write just succeeded (and committed): read the lists again
        cached.changed("contracts")  # the follow-up page's lists too: its running contracts changed
    flash(f"{KEY}_flash")
    with session_scope() as session:
        choices = contracts.form_choices(session)

    views = [VIEW_LIST] + ([VIEW_NEW] if user.can(Role.SAISIE) else [])
    view = st.radio("Affichage", views, horizontal=True, key=f"{KEY}_view", label_visibility="collapsed")
    if view == VIEW_NEW:
        _create(user, choices)
    else:
        _list(user, choices)


# --- the form ---------------------------------------------------------------------------------------------------


def _values_of(data: ContractInput) -> dict:
    values = {name: getattr(data, name) for name in FIELDS}
    try:
        values["weekly_hours"] = float(str(data.weekly_hours).replace(",", "."))
    except ValueError:
        values["weekly_hours"] = 35.0
    values["in_charge"] = data.in_charge or ""
    values["notes"] = data.notes or ""
    values["modality"] = Modality(data.modality) if data.modality else None
    values["outcome"] = ContractOutcome(data.outcome) if data.outcome else None
    return values


def _fill(prefix: str, data: ContractInput) -> None:
    for name, value in _values_of(data).items():
        st.session_state[prefix + name] = value
    st.session_state[prefix + "offer_id"] = data.offer_id
    st.session_state[prefix + "candidacy_id"] = data.candidacy_id
    st.session_state[prefix + "search"] = ""


def _prefill(candidacy_id: int) -> bool:
    """Fill the new-contract form from a hired candidacy; False (and a warning) when it cannot be read."""
    prefix = form_prefix(NEW)
    try:
        with session_scope() as session:
            data = contracts.defaults_from_candidacy(session, candidacy_id)
    except DomainError as exc:
        st.warning(md_escape(str(exc)))
        return False
    _fill(prefix, data)
    st.session_state.pop(f"{KEY}_errors", None)
    return True


def _pick(label: str, options: dict, key: str, *, none_label: str = "—", help: str | None = None):
    """A selectbox over ``options`` (id → label) with None first; a value no longer offered is dropped."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = None
    return st.selectbox(
        label,
        [None, *options],
        format_func=lambda v: none_label if v is None else options.get(v, str(v)),
        key=key,
        help=help,
        placeholder=none_label,  # a value set to None through the session state shows the placeholder
    )


def _fields(prefix: str, errors: dict[str, str], choices: FormChoices, *, personal: bool = False) -> ContractInput:
    """The contract's fields (values in session state under ``prefix``), each French message under its field.
    ``personal``: the people are labelled with their birth dates (admin, saisie)."""
    c1, c2 = st.columns(2)
    with c1:
        search = st.text_input(
            "Rechercher un participant", key=prefix + "search", placeholder="Nom et prénom, sans accents si vous voulez"
        )
        current = st.session_state.get(prefix + "participant_id")
        with session_scope() as session:
            people = contracts.find_participants(session, search, with_personal_data=personal) if search.strip() else {}
            if current is not None and current not in people:
                people = {**contracts.participant_labels(session, [current], with_personal_data=personal), **people}
        participant_id = _pick("Participant", people, prefix + "participant_id", none_label="Choisir…")
        field_error(errors, "participant_id")
    with c2:
        logins = ["", *choices.users]
        current_in_charge = st.session_state.get(prefix + "in_charge") or ""
        if current_in_charge not in logins:  # a former user still following the contract
            logins.append(current_in_charge)
        in_charge = st.selectbox(
            "Suivi par",
            logins,
            format_func=lambda login: "—" if not login else choices.users.get(login, login),
            key=prefix + "in_charge",
        )
        field_error(errors, "in_charge")

    c1, c2 = st.columns(2)
    with c1:
        user_company_id = _pick(
            "Entreprise utilisatrice", choices.companies, prefix + "user_company_id", none_label="Choisir…"
        )
        field_error(errors, "user_company_id")
    with c2:
        with session_scope() as session:
            commitments = contracts.commitments_of(session, user_company_id)
        commitment_id = _pick("Engagement (lot)", commitments, prefix + "commitment_id", none_label="Aucun engagement")
        field_error(errors, "commitment_id")

    c1, c2, c3 = st.columns(3)
    with c1:
        employer_company_id = _pick(
            "Employeur",
            choices.companies,
            prefix + "employer_company_id",
            none_label="Choisir…",
            help="L'entreprise elle-même, ou l'ETTI, le GEIQ, l'association intermédiaire ou l'agence d'intérim "
            "qui met la personne à disposition.",
        )
        field_error(errors, "employer_company_id")
    with c2:
        contract_type_code = _pick(
            "Type de contrat", choices.contract_types, prefix + "contract_type_code", none_label="Choisir…"
        )
        field_error(errors, "contract_type_code")
    with c3:
        modality = st.selectbox(
            "Modalité",
            [None, *Modality],
            format_func=lambda m: "Celle du type de contrat" if m is None else m.label,
            key=prefix + "modality",
            placeholder="Celle du type de contrat",
        )
        field_error(errors, "modality")

    c1, c2, c3, c4 = st.columns(4)
    with c1:
        start_date = _date("Début", prefix + "start_date")
        field_error(errors, "start_date")
    with c2:
        planned_end = _date("Fin prévue", prefix + "planned_end")
        field_error(errors, "planned_end")
    with c3:
        actual_end = _date("Fin réelle", prefix + "actual_end")
        field_error(errors, "actual_end")
    with c4:
        weekly_hours = st.number_input(
            "Heures par semaine", min_value=0.0, max_value=48.0, step=0.5, format="%.2f", key=prefix + "weekly_hours"
        )
        field_error(errors, "weekly_hours_h100")
    outcome = st.selectbox(
        "Issue du contrat (avec la fin réelle)",
        [None, *ContractOutcome],
        format_func=lambda o: "—" if o is None else o.label,
        key=prefix + "outcome",
        placeholder="—",
    )
    field_error(errors, "outcome")
    notes = st.text_area("Notes", key=prefix + "notes", max_chars=contracts.NOTES_LIMIT)
    field_error(errors, "notes")
    return ContractInput(
        participant_id=participant_id,
        employer_company_id=employer_company_id,
        user_company_id=user_company_id,
        commitment_id=commitment_id,
        contract_type_code=contract_type_code,
        modality=modality,
        start_date=start_date,
        planned_end=planned_end,
        actual_end=actual_end,
        outcome=outcome,
        weekly_hours=weekly_hours,
        in_charge=in_charge,
        notes=notes,
        offer_id=st.session_state.get(prefix + "offer_id"),
        candidacy_id=st.session_state.get(prefix + "candidacy_id"),
    )


def _date(label: str, key: str) -> date | None:
    return st.date_input(label, key=key, format="DD/MM/YYYY", min_value=DATE_MIN, max_value=DATE_MAX)


EMPTY = ContractInput(start_date=None, weekly_hours=35)


def _create(user: CurrentUser, choices: FormChoices) -> None:
    prefix = form_prefix(NEW)
    if prefix + "participant_id" not in st.session_state:
        _fill(prefix, EMPTY)
        st.session_state[prefix + "in_charge"] = user.login if user.login in choices.users else ""
    _follow_type(prefix, choices)
    if st.session_state.get(prefix + "candidacy_id"):
        st.info(f"Pré-rempli depuis le positionnement n° {st.session_state[prefix + 'candidacy_id']} : vérifiez, "
                "complétez (l'employeur si une ETTI, un GEIQ ou une agence met la personne à disposition) et enregistrez.")  # fmt: skip
    errors: dict[str, str] = st.session_state.get(f"{KEY}_errors", {})
    data = _fields(prefix, errors, choices, personal=privacy.with_personal_data(user))
    if st.button("Enregistrer le contrat", type="primary", key=prefix + "save"):
        run_action(
            lambda session: contracts.create_contract(session, user, data, today()).warning,
            errors_key=f"{KEY}_errors",
            flash_key=f"{KEY}_flash",
            message="Contrat enregistré.",
            clear_prefix=NEW,
        )


def _follow_type(prefix: str, choices: FormChoices) -> None:
    """The modality follows a newly chosen contract type (remembered to notice the change)."""
    code = st.session_state.get(prefix + "contract_type_code")
    seen = prefix + "seen_type"
    if st.session_state.get(seen, code) != code and code in choices.usual_modality:
        st.session_state[prefix + "modality"] = choices.usual_modality[code]
    st.session_state[seen] = code


# --- the list, a contract's hours, its edit ----------------------------------------------------------------------


# cache_resource: the list and its table are shared between reruns, not copied; at most a minute old, and
# cleared at the run that follows a write of this page (see render).
@cached.reads("contracts")
@st.cache_resource(ttl=60, show_spinner=False)
def _listed(database_url: str, filters: ContractFilters, users: tuple[tuple[str, str], ...]):
    """(the first LISTED contracts for these filters, how many there are, their table)."""
    names = dict(users)
    with session_scope() as session:
        rows = contracts.list_contracts(session, filters, limit=LISTED)
        total = contracts.count_contracts(session, filters) if len(rows) == LISTED else len(rows)
    frame = pd.DataFrame(
        {
            "N°": [r.id for r in rows],
            "Participant": [r.participant for r in rows],
            "Employeur": [r.employer for r in rows],
            "Entreprise utilisatrice": [r.user_company for r in rows],
            "Engagement": [r.commitment for r in rows],
            "Type de contrat": [r.contract_type for r in rows],
            "Modalité": [r.modality.label for r in rows],
            "Début": [r.start_date for r in rows],
            "Fin prévue": [r.planned_end for r in rows],
            "Fin réelle": [r.actual_end for r in rows],
            "Heures par semaine": [in_units(r.weekly_hours_h100) for r in rows],
            "Suivi par": [names.get(r.in_charge, r.in_charge) for r in rows],
            "Issue": [r.outcome.label if r.outcome else "" for r in rows],
        }
    )
    return rows, total, frame


def _list(user: CurrentUser, choices: FormChoices) -> None:
    c1, c2, c3 = st.columns(3)
    company_id = c1.selectbox(
        "Entreprise (employeur ou utilisatrice)",
        [None, *choices.companies],
        format_func=lambda i: "Toutes" if i is None else choices.companies[i],
        key=f"{KEY}_f_company",
    )
    with session_scope() as session:
        commitments = contracts.commitments_of(session, company_id)
    if st.session_state.get(f"{KEY}_f_commitment") not in commitments:
        st.session_state[f"{KEY}_f_commitment"] = None
    commitment_id = c2.selectbox(
        "Engagement",
        [None, *commitments],
        format_func=lambda i: "Tous" if i is None else commitments[i],
        key=f"{KEY}_f_commitment",
        disabled=company_id is None,
        help="Choisissez d'abord l'entreprise.",
    )
    state = c3.radio("Contrats", list(STATES), format_func=STATES.get, horizontal=True, key=f"{KEY}_f_state")
    c1, c2 = st.columns(2)
    search = c1.text_input("Participant", key=f"{KEY}_f_person", placeholder="Nom et prénom")
    in_charge = c2.selectbox(
        "Suivi par",
        [None, *choices.users],
        format_func=lambda login: "Tout le monde" if login is None else choices.users.get(login, login),
        key=f"{KEY}_f_in_charge",
    )
    filters = ContractFilters(
        company_id=company_id, commitment_id=commitment_id, state=state, participant=search, in_charge=in_charge
    )
    rows, total, frame = _listed(config.database_url(), filters, tuple(choices.users.items()))
    if total > len(rows):
        st.caption(
            f"{fmt_number(total)} contrats : les {fmt_number(len(rows))} plus récents sont affichés et "
            "téléchargeables. Affinez les filtres (entreprise, engagement, participant) pour voir les autres."
        )
    else:
        st.caption(f"{total} contrat(s)")
    if rows:
        table(
            frame,
            column_config={
                "N°": st.column_config.NumberColumn(format="%d"),
                "Début": st.column_config.DateColumn(format="DD/MM/YYYY"),
                "Fin prévue": st.column_config.DateColumn(format="DD/MM/YYYY"),
                "Fin réelle": st.column_config.DateColumn(format="DD/MM/YYYY"),
                "Heures par semaine": st.column_config.NumberColumn(format="localized"),
            },
        )
        download_buttons(frame, "contrats", personal_data=True, label="Télécharger les contrats")
    else:
        st.info("Aucun contrat ne correspond à ces critères.")
        return

    st.subheader("Un contrat")
    shown = {r.id: r for r in rows}
    restore_choice(f"{KEY}_pick", shown)  # after a save that changed the contract's label (its dates)
    contract_id = st.selectbox(
        "Contrat",
        list(shown),
        index=None,
        placeholder="Choisir un contrat de la liste…",
        format_func=lambda i: shown[i].label,
        key=f"{KEY}_pick",
    )
    if contract_id is None:
        return
    _hours(contract_id)
    if user.can(Role.SAISIE):
        _edit(user, contract_id, choices)


def _hours(contract_id: int) -> None:
    with session_scope() as session:
        hours = contracts.contract_hours(session, contract_id)
    st.markdown("**Heures réalisées sous ce contrat** (relevés d'heures)")
    if not hours:
        st.caption("Aucune heure enregistrée sur ce contrat pour l'instant.")
        return
    table(
        pd.DataFrame(
            {
                "Mois": [h.month.strftime("%m/%Y") for h in hours],
                "Heures": [in_units(h.hours_h100) for h in hours],
                "Modalité": [h.modality.label for h in hours],
                "Source": [h.source for h in hours],
                "Rattachée au contrat": [h.linked for h in hours],
            }
        ),
        column_config={"Heures": st.column_config.NumberColumn(format="localized")},
    )
    st.caption(f"Total : {fmt_hours(sum(h.hours_h100 for h in hours), 2)} sur {len(hours)} mois.")


def _edit(user: CurrentUser, contract_id: int, choices: FormChoices) -> None:
    prefix = f"ce_{contract_id}_"
    loaded = st.session_state.get("ce_loaded")
    if loaded is None or loaded[0] != contract_id or prefix + "participant_id" not in st.session_state:
        # Filled from the record once; its version is the one the save will check.
        if loaded is not None:
            _clear(f"ce_{loaded[0]}_")
        with session_scope() as session:
            contract = contracts.get_contract(session, contract_id, with_personal_data=privacy.with_personal_data(user))
            if contract is None:
                error("Ce contrat n'existe plus.")
                return
            _fill(prefix, contracts.input_of(contract))
            st.session_state[prefix + "seen_type"] = contract.contract_type_code
            version = contract.version
        st.session_state["ce_loaded"] = (contract_id, version)
    version = st.session_state["ce_loaded"][1]
    _follow_type(prefix, choices)
    st.markdown(f"**Modifier le contrat n° {contract_id}**")
    errors = st.session_state.get("ce_errors", {}).get(contract_id, {})
    data = _fields(prefix, errors, choices, personal=privacy.with_personal_data(user))
    if st.button("Enregistrer les modifications", type="primary", key=prefix + "save"):
        _save_edit(user, contract_id, version, data)


def _clear(prefix: str) -> None:
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]


def _save_edit(user: CurrentUser, contract_id: int, version: int, data: ContractInput) -> None:
    try:
        with session_scope() as session:
            saved = contracts.update_contract(session, user, contract_id, version, data, today())
    except ValidationError as exc:
        st.session_state["ce_errors"] = {contract_id: exc.errors}
        st.rerun()
    except ConcurrentEditError as exc:
        # Someone else saved it: their version is shown (the form is filled again), with the reason.
        st.session_state.pop("ce_loaded", None)
        st.session_state.pop("ce_errors", None)
        _clear(f"ce_{contract_id}_")
        keep_choice(f"{KEY}_pick", contract_id)
        st.session_state[f"{KEY}_flash"] = [("warning", str(exc))]
        st.rerun()
    except DomainError as exc:
        error(str(exc))
        return
    st.session_state.pop("ce_errors", None)
    st.session_state.pop("ce_loaded", None)
    _clear(f"ce_{contract_id}_")
    keep_choice(f"{KEY}_pick", contract_id)
    messages = [f"Contrat n° {contract_id} enregistré."]
    if saved.warning:
        messages.append(("warning", saved.warning))
    st.session_state[f"{KEY}_flash"] = messages
    cached.clear()
    st.rerun()


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
