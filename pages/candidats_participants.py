"""Candidats › Participants: the pool (vivier) with its search and filters, a participant's page (identity,
eligibility, trades, candidacies, contracts, hours, follow-ups, trainings), create and edit, eligibility added or
removed, and for an admin the GDPR duties (anonymise, right of access, retention list). DESIGN §3.2, §6."""

from datetime import date

import pandas as pd
import streamlit as st

from clausier.formatting import fmt_date, fmt_hours
from clausier.rules.eligibility import PRESCRIBERS
from clausier.rules.units import in_units
from clausier.services import participants
from clausier.services.participants import (
    COMMON_LICENCES,
    EligibilityFilter,
    EligibilityInput,
    ParticipantFilters,
    ParticipantInput,
    TradeInput,
)
from clausier.services.users import CurrentUser
from models.enums import ExperienceLevel, ParticipantStatus, QualificationLevel, Role, Sex
from ui.db import session_scope
from ui.exports import download_buttons
from ui.widgets import (
    confirmed_button,
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

KEY = "part"
SHOWN = 500  # rows drawn on screen (the download has them all)
DATE_COLUMN = st.column_config.DateColumn(format="DD/MM/YYYY")


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Participants")
    flash(f"{KEY}_flash")
    today = date.today()
    with session_scope() as session:
        choices = participants.choices(session)
    names = ["Vivier"]
    if user.can(Role.SAISIE):
        names.append("Nouveau participant")
    if user.can(Role.ADMIN):
        names.append("Conservation des données (RGPD)")
    # Only the open tab runs (the retention list reads every participant's activity).
    tabs = st.tabs(names, key=f"{KEY}_tab", on_change="rerun")
    if tabs[0].open is not False:
        with tabs[0]:
            _pool(user, choices, today)
    if user.can(Role.SAISIE) and tabs[1].open:
        with tabs[1]:
            _create(user, choices, today)
    if user.can(Role.ADMIN) and tabs[2].open:
        with tabs[2]:
            _retention(user, today)


# --- the list ------------------------------------------------------------------------------------------------------


def _filters(user: CurrentUser, choices: participants.ListChoices) -> ParticipantFilters:
    c1, c2, c3 = st.columns([2, 2, 1])
    search = c1.text_input(
        "Rechercher",
        key=f"{KEY}_f_search",
        placeholder="Nom, téléphone, e-mail…" if participants.may_see_contact(user) else "Nom…",
    )
    trade = c2.selectbox(
        "Métier",
        [None, *choices.trades],
        format_func=lambda code: "Tous les métiers" if code is None else choices.trades[code],
        key=f"{KEY}_f_trade",
    )
    states = [None, *EligibilityFilter.LABELS]
    state = c3.selectbox(
        "Éligibilité",
        states,
        format_func=lambda s: "Toutes" if s is None else EligibilityFilter.LABELS[s],
        key=f"{KEY}_f_elig",
    )
    c1, c2, c3, c4, c5 = st.columns(5)
    antenna = c1.selectbox(
        "Antenne", [None, *choices.antennas], format_func=lambda a: "Toutes" if a is None else a, key=f"{KEY}_f_antenna"
    )
    counsellor = c2.selectbox(
        "Conseiller",
        [None, *choices.counsellors],
        format_func=lambda c: "Tous" if c is None else c,
        key=f"{KEY}_f_counsellor",
    )
    status = c3.selectbox(
        "Disponibilité",
        [None, *ParticipantStatus],
        format_func=lambda s: "Toutes" if s is None else s.label,
        key=f"{KEY}_f_status",
    )
    commune = c4.selectbox(
        "Commune",
        [None, *choices.communes],
        format_func=lambda cid: "Toutes" if cid is None else choices.communes[cid],
        key=f"{KEY}_f_commune",
    )
    qpv = c5.selectbox(
        "QPV",
        [None, True, False],
        format_func=lambda q: {None: "Tous", True: "Habite en QPV", False: "Hors QPV"}[q],
        key=f"{KEY}_f_qpv",
    )
    return ParticipantFilters(search, trade, state, antenna, counsellor, status, commune, qpv)


def _frame(rows: list[participants.ParticipantRow], contact: bool) -> pd.DataFrame:
    data = {
        "N°": [r.id for r in rows],
        "Nom": [r.last_name for r in rows],
        "Prénom": [r.first_name for r in rows],
        "Âge": [r.age for r in rows],
    }
    if contact:
        data["Date de naissance"] = [r.birth_date for r in rows]
        data["Téléphone"] = [r.phone for r in rows]
        data["E-mail"] = [r.email for r in rows]
    data.update(
        {
            "Commune": [r.commune for r in rows],
            "QPV": [r.qpv for r in rows],
            "Métiers": [", ".join(r.trades) for r in rows],
            "Éligibilité": [participants.eligibility_text(r.eligibility_state, r.eligibility_end) for r in rows],
            "Fin d'éligibilité": [r.eligibility_end for r in rows],
            "Permis": [r.licences.replace(";", ", ") for r in rows],
            "Conseiller": [r.counsellor for r in rows],
            "Antenne": [r.antenna for r in rows],
            "Disponibilité": [r.status.label for r in rows],
        }
    )
    return pd.DataFrame(data)


def _pool(user: CurrentUser, choices: participants.ListChoices, today: date) -> None:
    filters = _filters(user, choices)
    contact = participants.may_see_contact(user)
    with session_scope() as session:
        rows, total = participants.list_participants(session, user, filters, today=today, limit=SHOWN)
    if rows:
        table(
            _frame(rows, contact),
            column_config={"Fin d'éligibilité": DATE_COLUMN, "Date de naissance": DATE_COLUMN},
        )
        if total > SHOWN:
            st.caption(
                f"Les {SHOWN} premiers sont affichés sur {total} : affinez la recherche. Le téléchargement les a tous."
            )
    else:
        st.info("Aucun participant ne correspond à ces critères.")
    st.caption(f"{total} participant(s)")
    _downloads(user, filters, today, total)

    st.subheader("Fiche d'un participant")
    listed = {r.id: r for r in rows}
    chosen = st.selectbox(
        "Participant",
        list(listed),
        index=None,
        placeholder="Choisir dans la liste ci-dessus…",
        format_func=lambda pid: _label(listed[pid]),
        key=f"{KEY}_pick",
    )
    if chosen is not None:
        _page(user, chosen, choices, today)


def _downloads(user: CurrentUser, filters: ParticipantFilters, today: date, total: int) -> None:
    """The whole list (every row, not only those shown) as CSV and Excel, read only when a button is clicked:
    personal data, for admin and saisie only, each download logged."""

    def frame() -> pd.DataFrame:
        with session_scope() as session:
            rows, _ = participants.list_participants(session, user, filters, today=today)
        return _frame(rows, contact=True)

    download_buttons(
        frame, "participants", personal_data=True, label="Télécharger la liste", key=f"{KEY}_dl",
        sheet="Participants", rows=total,
    )  # fmt: skip


def _label(row: participants.ParticipantRow) -> str:
    parts = [row.name]
    if row.birth_date:
        parts.append(f"né(e) le {fmt_date(row.birth_date)}")
    elif row.age is not None:
        parts.append(f"{row.age} ans")
    if row.commune:
        parts.append(row.commune)
    return " — ".join(parts) + f" (n° {row.id})"


# --- a participant's page -----------------------------------------------------------------------------------------


def _line(label: str, value) -> str:
    shown = "—" if value in (None, "", []) else value
    return f"**{label}** : {md_escape(shown)}"


def _page(user: CurrentUser, participant_id: int, choices: participants.ListChoices, today: date) -> None:
    with session_scope() as session:
        d = participants.detail(session, user, participant_id, today)
    st.markdown(f"### {md_escape(d.name)}")
    status = d.eligibility
    if status.valid:
        when = fmt_date(status.end)
        if status.lapsing(_warning_days()):
            st.warning(f"Éligibilité valide jusqu'au {when} : elle expire bientôt.")
        else:
            st.success(f"Éligible jusqu'au {when}.")
    elif status.lapsed:
        st.warning(f"Éligibilité expirée le {fmt_date(status.end)}.")
    else:
        st.info("Aucune éligibilité validée.")

    c1, c2, c3 = st.columns(3)
    with c1:
        st.markdown("**Identité**")
        st.markdown(_line("Sexe", d.sex.label if d.sex else None))
        if d.contact_visible:
            st.markdown(_line("Date de naissance", fmt_date(d.birth_date)))
        st.markdown(_line("Âge", f"{d.age} ans" if d.age is not None else None))
        st.markdown(_line("Niveau de qualification", d.qualification_level.label if d.qualification_level else None))
        if d.contact_visible:
            st.markdown(_line("Identifiant du logiciel du PLIE", d.external_id))
    with c2:
        st.markdown("**Coordonnées**")
        if d.contact_visible:
            st.markdown(_line("Téléphone", d.phone))
            st.markdown(_line("E-mail", d.email))
            st.markdown(_line("Adresse", d.address))
        st.markdown(_line("Commune", d.commune))
        st.markdown(_line("Quartier prioritaire", d.qpv))
    with c3:
        st.markdown("**Accompagnement et mobilité**")
        st.markdown(_line("Conseiller référent", d.counsellor))
        st.markdown(_line("Antenne", d.antenna))
        st.markdown(_line("Disponibilité", d.status.label))
        st.markdown(_line("Disponible à partir du", fmt_date(d.available_from)))
        st.markdown(_line("Véhicule personnel", "oui" if d.own_vehicle else "non"))
        st.markdown(_line("Distance maximale", f"{d.max_distance_km} km" if d.max_distance_km is not None else None))
        st.markdown(_line("Permis et certificats", ", ".join(d.licences)))
    if d.contact_visible and d.notes:
        st.markdown("**Notes**")
        st.text(d.notes)

    st.markdown("**Métiers**")
    if d.trades:
        table(
            pd.DataFrame(
                {
                    "Code ROME": [t.code for t in d.trades],
                    "Métier": [t.label for t in d.trades],
                    "Expérience": [t.experience.label for t in d.trades],
                    "Mois d'expérience": [t.experience_months for t in d.trades],
                }
            )
        )
    else:
        st.caption("Aucun métier renseigné.")

    st.markdown("**Critères d'éligibilité**")
    if d.eligibility_lines:
        data = {
            "Critère": [e.criterion_label for e in d.eligibility_lines],
            "Justificatif du": [e.proof_date for e in d.eligibility_lines],
            "Validé le": [e.validated_on for e in d.eligibility_lines],
            "Validé par": [e.validated_by for e in d.eligibility_lines],
            "Fin de validité": [e.end for e in d.eligibility_lines],
            "Valide aujourd'hui": [e.valid_today for e in d.eligibility_lines],
        }
        if d.contact_visible:
            data["Motif"] = [e.reason for e in d.eligibility_lines]
        table(
            pd.DataFrame(data),
            column_config={c: DATE_COLUMN for c in ("Justificatif du", "Validé le", "Fin de validité")},
        )
    else:
        st.caption("Aucun critère enregistré.")

    _history_tables(d)

    if d.anonymised_at is not None:
        st.info(f"Fiche anonymisée le {fmt_date(d.anonymised_at)} : elle ne se modifie plus.")
        return
    if user.can(Role.SAISIE):
        names = ["Modifier la fiche", "Éligibilité"] + (["RGPD"] if user.can(Role.ADMIN) else [])
        tabs = st.tabs(names)
        with tabs[0]:
            _edit(user, d, choices, today)
        with tabs[1]:
            _eligibility(user, d, choices, today)
        if user.can(Role.ADMIN):
            with tabs[2]:
                _gdpr(user, d, today)


def _warning_days() -> int:
    with session_scope() as session:
        return participants.warning_days(session)


def _history_tables(d: participants.ParticipantDetail) -> None:
    st.markdown("**Positionnements**")
    if d.candidacies:
        data = {
            "Offre": [c.offer_title for c in d.candidacies],
            "Entreprise": [c.company for c in d.candidacies],
            "Statut": [c.status_label for c in d.candidacies],
            "Depuis le": [c.created_on for c in d.candidacies],
        }
        if d.contact_visible:
            data["Motif de non-retenue"] = [c.refusal_reason for c in d.candidacies]
        table(pd.DataFrame(data), column_config={"Depuis le": DATE_COLUMN})
    else:
        st.caption("Aucun positionnement.")

    st.markdown("**Contrats**")
    if d.contracts:
        table(
            pd.DataFrame(
                {
                    "Employeur": [c.employer for c in d.contracts],
                    "Entreprise utilisatrice": [c.user_company for c in d.contracts],
                    "Contrat": [c.contract_type for c in d.contracts],
                    "Modalité": [c.modality_label for c in d.contracts],
                    "Début": [c.start_date for c in d.contracts],
                    "Fin prévue": [c.planned_end for c in d.contracts],
                    "Fin réelle": [c.actual_end for c in d.contracts],
                    "Issue": [c.outcome_label for c in d.contracts],
                }
            ),
            column_config={c: DATE_COLUMN for c in ("Début", "Fin prévue", "Fin réelle")},
        )
    else:
        st.caption("Aucun contrat.")

    st.markdown(f"**Heures réalisées** : {fmt_hours(d.hours_total_h100)}")
    if d.hours:
        table(
            pd.DataFrame(
                {
                    "Entreprise": [h.company for h in d.hours],
                    "Lot": [h.lot for h in d.hours],
                    "Premier mois": [h.first_month.strftime("%m/%Y") for h in d.hours],
                    "Dernier mois": [h.last_month.strftime("%m/%Y") for h in d.hours],
                    "Mois": [h.months for h in d.hours],
                    "Heures": [in_units(h.hours_h100) for h in d.hours],
                }
            ),
            column_config={"Heures": st.column_config.NumberColumn(format="localized")},
        )

    st.markdown("**Suivis dans l'emploi**")
    if d.followups:
        data = {
            "Date": [f.on for f in d.followups],
            "Type": [f.kind_label for f in d.followups],
            "Par": [f.by for f in d.followups],
            "Employeur": [f.employer for f in d.followups],
            "Prochain suivi": [f.next_due for f in d.followups],
        }
        if d.contact_visible:
            data["Notes"] = [f.notes for f in d.followups]
        table(pd.DataFrame(data), column_config={"Date": DATE_COLUMN, "Prochain suivi": DATE_COLUMN})
    else:
        st.caption("Aucun suivi.")

    if d.trainings:
        st.markdown("**Formations**")
        table(
            pd.DataFrame(
                {
                    "Formation": [t.title for t in d.trainings],
                    "Métier": [t.trade for t in d.trainings],
                    "Début": [t.start_date for t in d.trainings],
                    "Fin": [t.end_date for t in d.trainings],
                    "Statut": [t.status_label for t in d.trainings],
                }
            ),
            column_config={"Début": DATE_COLUMN, "Fin": DATE_COLUMN},
        )


# --- create and edit -------------------------------------------------------------------------------------------


def _fields(prefix: str, errors: dict, choices: participants.ListChoices, current=None) -> ParticipantInput:
    """The participant's fields (no st.form: the experience of each chosen trade appears as soon as it is chosen);
    the values live under their keys, so a refused save keeps what was typed."""
    c = current

    def initial(name: str, value) -> None:
        if f"{prefix}{name}" not in st.session_state:
            st.session_state[f"{prefix}{name}"] = value

    initial("last_name", c.last_name if c else "")
    initial("first_name", c.first_name if c else "")
    initial("sex", c.sex if c else None)
    initial("birth_date", c.birth_date if c else None)
    initial("commune_id", c.commune_id if c else None)
    initial("qpv_id", c.qpv_id if c else None)
    initial("address", c.address if c else "")
    initial("phone", c.phone if c else "")
    initial("email", c.email if c else "")
    initial("qualification_level", c.qualification_level if c else None)
    initial("counsellor", c.counsellor if c else "")
    initial("antenna", c.antenna if c else "")
    initial("licences", list(c.licences) if c else [])
    initial("own_vehicle", c.own_vehicle if c else False)
    initial("max_distance_km", "" if c is None or c.max_distance_km is None else str(c.max_distance_km))
    initial("available_from", c.available_from if c else None)
    initial("status", c.status if c else ParticipantStatus.ACTIVE)
    initial("external_id", c.external_id if c else "")
    initial("notes", c.notes if c else "")
    initial("trades", [t.code for t in c.trades] if c else [])
    for t in c.trades if c else []:
        initial(f"exp_{t.code}", t.experience)
        initial(f"months_{t.code}", t.experience_months)

    c1, c2, c3, c4 = st.columns(4)
    last_name = c1.text_input("Nom", key=f"{prefix}last_name", max_chars=120)
    with c1:
        field_error(errors, "last_name")
    first_name = c2.text_input("Prénom", key=f"{prefix}first_name", max_chars=120)
    with c2:
        field_error(errors, "first_name")
    sex = c3.selectbox("Sexe", [None, *Sex], format_func=lambda s: "—" if s is None else s.label, key=f"{prefix}sex")
    birth_date = c4.date_input(
        "Date de naissance",
        key=f"{prefix}birth_date",
        min_value=date(1900, 1, 1),
        max_value=date.today(),
        format="DD/MM/YYYY",
    )
    with c4:
        field_error(errors, "birth_date")

    c1, c2, c3 = st.columns(3)
    commune_id = c1.selectbox(
        "Commune",
        [None, *choices.communes],
        format_func=lambda cid: "—" if cid is None else choices.communes[cid],
        key=f"{prefix}commune_id",
    )
    with c1:
        field_error(errors, "commune_id")
    qpv_id = c2.selectbox(
        "Quartier prioritaire (QPV)",
        [None, *choices.qpv],
        format_func=lambda q: "Hors QPV" if q is None else choices.qpv[q],
        key=f"{prefix}qpv_id",
    )
    with c2:
        field_error(errors, "qpv_id")
    address = c3.text_input("Adresse", key=f"{prefix}address", max_chars=300)

    c1, c2, c3 = st.columns(3)
    phone = c1.text_input("Téléphone", key=f"{prefix}phone", max_chars=30)
    with c1:
        field_error(errors, "phone")
    email = c2.text_input("E-mail", key=f"{prefix}email", max_chars=200)
    with c2:
        field_error(errors, "email")
    level = c3.selectbox(
        "Niveau de qualification",
        [None, *QualificationLevel],
        format_func=lambda q: "—" if q is None else q.label,
        key=f"{prefix}qualification_level",
    )

    c1, c2, c3 = st.columns(3)
    counsellor = c1.text_input("Conseiller référent", key=f"{prefix}counsellor", max_chars=120)
    antenna = c2.text_input("Antenne", key=f"{prefix}antenna", max_chars=120)
    status = c3.selectbox(
        "Disponibilité", list(ParticipantStatus), format_func=lambda s: s.label, key=f"{prefix}status"
    )

    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    current_licences = st.session_state.get(f"{prefix}licences", [])
    licences = c1.multiselect(
        "Permis et certificats",
        list(dict.fromkeys([*COMMON_LICENCES, *current_licences])),
        key=f"{prefix}licences",
        accept_new_options=True,
        placeholder="B, CACES R489…",
    )
    with c1:
        field_error(errors, "licences")
    own_vehicle = c2.checkbox("Véhicule personnel", key=f"{prefix}own_vehicle")
    distance = c3.text_input("Distance maximale (km)", key=f"{prefix}max_distance_km")
    with c3:
        field_error(errors, "max_distance_km")
    available_from = c4.date_input(
        "Disponible à partir du", key=f"{prefix}available_from", format="DD/MM/YYYY", min_value=date(2000, 1, 1)
    )

    codes = st.multiselect(
        "Métiers (codes ROME)",
        list(choices.trades),
        format_func=lambda code: choices.trades[code],
        key=f"{prefix}trades",
        placeholder="Les métiers recherchés ou pratiqués",
    )
    trades = []
    for code in codes:
        c1, c2, c3 = st.columns([3, 2, 1])
        c1.markdown(md_escape(choices.trades[code]))
        level_of = c2.selectbox(
            f"Expérience en {code}",
            list(ExperienceLevel),
            format_func=lambda e: e.label,
            key=f"{prefix}exp_{code}",
        )
        months = c3.number_input(f"Mois ({code})", min_value=0, max_value=600, step=1, key=f"{prefix}months_{code}")
        trades.append(TradeInput(code, level_of, int(months or 0)))
    field_error(errors, "trades")

    c1, c2 = st.columns([1, 3])
    external_id = c1.text_input("Identifiant du logiciel du PLIE", key=f"{prefix}external_id", max_chars=60)
    with c1:
        field_error(errors, "external_id")
    notes = c2.text_area("Notes", key=f"{prefix}notes", height=80)
    return ParticipantInput(
        last_name=last_name,
        first_name=first_name,
        sex=sex,
        birth_date=birth_date,
        commune_id=commune_id,
        address=address,
        qpv_id=qpv_id,
        phone=phone,
        email=email,
        qualification_level=level,
        counsellor=counsellor,
        antenna=antenna,
        licences=licences,
        own_vehicle=own_vehicle,
        max_distance_km=distance,
        available_from=available_from,
        status=status,
        notes=notes,
        external_id=external_id,
        trades=trades,
    )


def _create(user: CurrentUser, choices: participants.ListChoices, today: date) -> None:
    errors = st.session_state.get(f"{KEY}_create_errors", {})
    prefix = form_prefix(f"{KEY}_new")
    data = _fields(prefix, errors, choices)
    if st.button("Créer le participant", type="primary", key=f"{KEY}_create"):
        run_action(
            lambda s: participants.create_participant(s, user, data, today),
            errors_key=f"{KEY}_create_errors",
            flash_key=f"{KEY}_flash",
            message=f"Participant « {' '.join(f'{data.last_name} {data.first_name}'.split())} » créé.",
            clear_prefix=f"{KEY}_new",
        )


def _edit(user: CurrentUser, current: participants.ParticipantDetail, choices, today: date) -> None:
    participant_id = current.id
    errors = st.session_state.get(f"{KEY}_edit_errors_{participant_id}", {})
    prefix = f"{KEY}_e{participant_id}_"
    # The record's version as its fields were first filled: a colleague's save in between is refused with a
    # message (what was typed kept), never overwritten.
    version = seen(f"{KEY}_seen", participant_id, current.version, prefix=prefix)
    conflict_notice(f"{KEY}_seen", prefix)
    data = _fields(prefix, errors, choices, current)
    if st.button("Enregistrer les modifications", type="primary", key=f"{KEY}_save"):
        save_seen(
            lambda s: participants.update_participant(s, user, participant_id, version, data, today),
            key=f"{KEY}_seen",
            errors_key=f"{KEY}_edit_errors_{participant_id}",
            flash_key=f"{KEY}_flash",
            message=f"Fiche de « {' '.join(f'{data.last_name} {data.first_name}'.split())} » enregistrée.",
            clear_prefix=prefix,
        )


# --- eligibility ---------------------------------------------------------------------------------------------------


def _eligibility(user: CurrentUser, d: participants.ParticipantDetail, choices, today: date) -> None:
    errors = st.session_state.get(f"{KEY}_elig_errors", {})
    prefix = form_prefix(f"{KEY}_elig{d.id}_")
    with st.form(f"{KEY}_elig_form_{d.id}"):
        c1, c2, c3 = st.columns([3, 1, 1])
        code = c1.selectbox(
            "Critère",
            list(choices.criteria),
            index=None,
            placeholder="Choisir le critère…",
            format_func=lambda c: choices.criteria[c],
            key=f"{prefix}criterion",
        )
        with c1:
            field_error(errors, "criterion_code")
        validated_on = c2.date_input(
            "Validé le", value=today, max_value=today, format="DD/MM/YYYY", key=f"{prefix}validated_on"
        )
        with c2:
            field_error(errors, "validated_on")
        proof_date = c3.date_input("Justificatif du", value=None, format="DD/MM/YYYY", key=f"{prefix}proof_date")
        with c3:
            field_error(errors, "proof_date")
        c1, c2, c3 = st.columns([1, 2, 1])
        prescriber = c1.selectbox(
            "Prescripteur (avis motivé)",
            ["", *PRESCRIBERS],
            format_func=lambda p: p or "—",
            key=f"{prefix}prescriber",
        )
        reason = c2.text_input("Motif (avis motivé)", key=f"{prefix}reason")
        registered = c3.date_input(
            "Inscrit à France Travail depuis",
            value=None,
            format="DD/MM/YYYY",
            key=f"{prefix}registered",
            help="Facultatif : vérifie les 12 mois d'inscription du critère « longue durée » (non enregistré).",
        )
        field_error(errors, "reason")
        submitted = st.form_submit_button("Ajouter le critère", type="primary")
    if submitted:
        data = EligibilityInput(code, validated_on, proof_date, prescriber, reason, registered)
        run_action(
            lambda s: participants.add_eligibility(s, user, d.id, data, today),
            errors_key=f"{KEY}_elig_errors",
            flash_key=f"{KEY}_flash",
            message="Critère d'éligibilité ajouté.",
            clear_prefix=f"{KEY}_elig{d.id}_",
        )
    if d.eligibility_lines:
        lines = {e.id: e for e in d.eligibility_lines}
        c1, c2 = st.columns([3, 1])
        removed = c1.selectbox(
            "Retirer un critère enregistré par erreur",
            list(lines),
            index=None,
            placeholder="Choisir…",
            format_func=lambda i: f"{lines[i].criterion_label} — validé le {fmt_date(lines[i].validated_on)}",
            key=f"{KEY}_elig_remove_{d.id}",
        )
        if removed is not None and c2.button("Retirer ce critère", key=f"{KEY}_elig_remove_btn"):
            run_action(
                lambda s: participants.remove_eligibility(s, user, removed),
                errors_key=f"{KEY}_elig_errors",
                flash_key=f"{KEY}_flash",
                message="Critère d'éligibilité retiré.",
            )


# --- GDPR --------------------------------------------------------------------------------------------------------


def _access_file(user: CurrentUser, participant_id: int, today: date) -> bytes:
    with session_scope() as session:  # built on click, and logged in the same transaction
        return participants.personal_data_workbook(session, user, participant_id, today)


def _gdpr(user: CurrentUser, d: participants.ParticipantDetail, today: date) -> None:
    st.caption(
        "Droit d'accès : toutes les données enregistrées sur cette personne, en un fichier Excel (téléchargement "
        "journalisé)."
    )
    st.download_button(
        "Télécharger toutes ses données (Excel)",
        data=lambda: _access_file(user, d.id, today),
        file_name=f"participant-{d.id}-donnees-{today.isoformat()}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{KEY}_access_{d.id}",
        icon="⬇️",
    )
    st.caption(
        "Anonymiser efface le nom, le jour de naissance, les coordonnées et les notes ; le sexe, l'année de naissance, "
        "la commune, le QPV, le niveau, les métiers, l'éligibilité, les contrats et les heures restent pour les bilans. "
        "C'est irréversible."
    )
    if confirmed_button(
        "Anonymiser ce participant",
        "Je confirme l'anonymisation de cette personne",
        key=f"{KEY}_anon_{d.id}",
        confirm_key=f"{KEY}_anon_ok_{d.id}",
    ):
        run_action(
            lambda s: participants.anonymise(s, user, d.id),
            errors_key=f"{KEY}_gdpr_errors",
            flash_key=f"{KEY}_flash",
            message=f"Participant n° {d.id} anonymisé.",
        )


def _retention(user: CurrentUser, today: date) -> None:
    with session_scope() as session:
        limit = participants.retention_limit(session, today)
        rows = participants.retention_candidates(session, today)
    st.caption(
        f"Participants sans activité depuis le {fmt_date(limit)} (dernier contrat, heures, positionnement ou "
        "éligibilité) : à anonymiser (paramètre « Anonymisation après la fin du dernier contrat »)."
    )
    if not rows:
        st.info("Aucun participant n'est à anonymiser.")
        return
    frame = pd.DataFrame(
        {
            "N°": [r.participant_id for r in rows],
            "Participant": [r.name for r in rows],
            "Conseiller": [r.counsellor for r in rows],
            "Antenne": [r.antenna for r in rows],
            "Dernière activité": [r.last_activity for r in rows],
        }
    )
    table(frame, column_config={"Dernière activité": DATE_COLUMN})
    names = {r.participant_id: f"{r.name} (n° {r.participant_id})" for r in rows}
    kept = st.multiselect(
        "Garder (ne pas anonymiser)", list(names), format_func=names.get, key=f"{KEY}_keep", placeholder="Personne"
    )
    chosen = [pid for pid in names if pid not in set(kept)]
    if confirmed_button(
        f"Anonymiser {len(chosen)} participant(s)",
        f"Je confirme l'anonymisation de {len(chosen)} participant(s)",
        key=f"{KEY}_bulk",
        confirm_key=f"{KEY}_bulk_ok",
        enabled=bool(chosen),
    ):
        run_action(
            lambda s: participants.anonymise_expired(s, user, chosen, today),
            errors_key=f"{KEY}_gdpr_errors",
            flash_key=f"{KEY}_flash",
            message=f"{len(chosen)} participant(s) anonymisé(s).",
        )


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
