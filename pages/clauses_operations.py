"""Clauses › Opérations et lots: operations of the buyers, their lots, and the insertion hours calculator (§3.1)."""

import pandas as pd
import streamlit as st

from clausier.formatting import fmt_hours
from clausier.rules.units import in_units
from clausier.services import clauses
from models.enums import ClauseKind, LegalBasis, OperationStatus, Role
from ui.db import session_scope
from ui.exports import download_buttons
from ui.widgets import (
    conflict_notice,
    error,
    field_error,
    flash,
    form_prefix,
    require_role,
    run_action,
    save_seen,
    seen,
    table,
)

KEY = "op"


def _operation_form(prefix: str, errors: dict, choices: clauses.Choices, current=None) -> clauses.OperationInput:
    c = current
    buyers = list(choices.buyers)
    buyer_id = st.selectbox(
        "Donneur d'ordre",
        [None, *buyers],
        key=f"{prefix}buyer",
        index=[None, *buyers].index(c.buyer_id) if c and c.buyer_id in buyers else 0,
        format_func=lambda i: "Choisir…" if i is None else choices.buyers[i],
    )
    field_error(errors, "buyer_id")
    name = st.text_input("Nom de l'opération", value=c.name if c else "", key=f"{prefix}name")
    field_error(errors, "name")
    col1, col2 = st.columns(2)
    communes = [None, *choices.communes]
    commune_id = col1.selectbox(
        "Commune",
        communes,
        key=f"{prefix}commune",
        index=communes.index(c.commune_id) if c and c.commune_id in communes else 0,
        format_func=lambda i: "—" if i is None else choices.communes[i],
    )
    kinds = [None, *choices.work_kinds]
    work_kind = col2.selectbox(
        "Nature de travaux",
        kinds,
        key=f"{prefix}kind",
        index=kinds.index(c.work_kind_code) if c and c.work_kind_code in kinds else 0,
        format_func=lambda k: "—" if k is None else choices.work_kinds[k],
    )
    status = col1.selectbox(
        "Statut",
        list(OperationStatus),
        format_func=lambda s: s.label,
        key=f"{prefix}status",
        index=list(OperationStatus).index(c.status) if c else 0,
    )
    basis = col2.selectbox(
        "Fondement juridique de la clause",
        list(LegalBasis),
        format_func=lambda b: b.label,
        key=f"{prefix}basis",
        index=list(LegalBasis).index(c.legal_basis) if c else 0,
    )
    start = col1.date_input(
        "Début prévu", value=c.planned_start if c else None, format="DD/MM/YYYY", key=f"{prefix}start"
    )
    end = col2.date_input("Fin prévue", value=c.planned_end if c else None, format="DD/MM/YYYY", key=f"{prefix}end")
    field_error(errors, "planned_end")
    description = st.text_area("Description", value=c.description if c else "", key=f"{prefix}description")
    return clauses.OperationInput(buyer_id, name, commune_id, work_kind, status, basis, description, start, end)


def _lot_editor(user, prefix: str, operation_id: int, choices: clauses.Choices, current=None) -> None:
    """Lot fields with the live hours calculator (no form: the hours follow each change)."""
    c = current
    base = prefix
    if current is None:
        prefix = form_prefix(base)
    else:  # the lot's version as its fields were first filled: the one the save checks
        version = seen("lot_seen", current.id, current.version, prefix=prefix)
        conflict_notice("lot_seen", prefix)
    errors = st.session_state.get(f"{prefix}errors", {})
    col1, col2 = st.columns([1, 3])
    reference = col1.text_input("Référence", value=c.reference if c else "", key=f"{prefix}ref", placeholder="Lot 01")
    label = col2.text_input("Intitulé", value=c.label if c else "", key=f"{prefix}label")
    field_error(errors, "reference")
    field_error(errors, "label")
    trades = [None, *choices.trades]
    trade = st.selectbox(
        "Métier (ROME)",
        trades,
        key=f"{prefix}trade",
        index=trades.index(c.trade_code) if c and c.trade_code in trades else 0,
        format_func=lambda t: "—" if t is None else choices.trades[t],
    )
    kinds = [None, *choices.work_kinds]
    kind = st.selectbox(
        "Nature de travaux (valeurs par défaut du calcul)",
        kinds,
        key=f"{prefix}kind",
        index=kinds.index(c.work_kind_code) if c and c.work_kind_code in kinds else 0,
        format_func=lambda k: "—" if k is None else choices.work_kinds[k],
    )
    # Defaults of the kind of work, applied when it changes (the facilitator may still type other values).
    if kind and st.session_state.get(f"{prefix}kind_applied") != kind and current is None:
        with session_scope() as session:
            defaults = clauses.work_kind_defaults(session, kind)
        st.session_state[f"{prefix}share"] = in_units(defaults.labour_share_bp)
        st.session_state[f"{prefix}cost"] = in_units(defaults.hourly_cost_cents)
        st.session_state[f"{prefix}rate"] = in_units(defaults.default_insertion_rate_bp)
        st.session_state[f"{prefix}kind_applied"] = kind
    for name, default in (
        ("amount", in_units(c.amount_cents) if c else 0.0),
        ("share", in_units(c.labour_share_bp) if c else 50.0),
        ("rate", in_units(c.insertion_rate_bp) if c else 5.0),
        ("cost", in_units(c.hourly_cost_cents) if c else 30.0),
    ):
        st.session_state.setdefault(f"{prefix}{name}", default)  # set once; the widgets then keep what is typed
    col1, col2, col3, col4 = st.columns(4)
    amount = col1.number_input("Montant HT (€)", min_value=0.0, step=1000.0, format="%.2f", key=f"{prefix}amount")
    share = col2.number_input(
        "Part de main-d'œuvre (%)", min_value=0.0, max_value=100.0, step=5.0, key=f"{prefix}share"
    )
    rate = col3.number_input("Taux d'insertion (%)", min_value=0.0, max_value=100.0, step=1.0, key=f"{prefix}rate")
    cost = col4.number_input("Coût horaire chargé (€/h)", min_value=0.0, step=1.0, key=f"{prefix}cost")
    computed = None
    try:
        computed = clauses.calculate_hours(amount, share, rate, cost)
    except ValueError as exc:
        error(str(exc))
    field_error(errors, "hours")
    if computed is not None:
        st.metric(
            "Heures d'insertion calculées",
            fmt_hours(computed.hours_h100),
            help="Montant HT × part de main-d'œuvre × taux d'insertion ÷ coût horaire, arrondi à l'heure.",
        )
    override = st.checkbox(
        "Le marché fixe un autre nombre d'heures (c'est le texte de la clause qui compte)",
        key=f"{prefix}override",
        value=bool(c and c.hours_contractual_h100 != c.hours_computed_h100),
    )
    contractual = None
    if override:
        contractual = st.number_input(
            "Heures du marché",
            min_value=0.0,
            step=1.0,
            key=f"{prefix}contractual",
            value=in_units(c.hours_contractual_h100) if c else 0.0,
        )
        field_error(errors, "contractual_hours")
    col1, col2, col3 = st.columns(3)
    start = col1.date_input(
        "Début d'exécution", value=c.execution_start if c else None, format="DD/MM/YYYY", key=f"{prefix}start"
    )
    end = col2.date_input(
        "Fin d'exécution", value=c.execution_end if c else None, format="DD/MM/YYYY", key=f"{prefix}end"
    )
    clause_kind = col3.selectbox(
        "Forme de la clause",
        list(ClauseKind),
        format_func=lambda k: k.label,
        key=f"{prefix}clause_kind",
        index=list(ClauseKind).index(c.clause_kind) if c else 0,
    )
    field_error(errors, "execution_end")
    carries = st.checkbox(
        "Ce lot porte une clause d'insertion", value=c.carries_clause if c else True, key=f"{prefix}carries"
    )
    data = clauses.LotInput(
        operation_id,
        reference,
        label,
        trade,
        kind,
        carries,
        clause_kind,
        amount,
        share,
        rate,
        cost,
        contractual,
        start,
        end,
    )
    if current is None:
        if st.button("Créer le lot", type="primary", key=f"{prefix}create"):
            run_action(
                lambda s: clauses.create_lot(s, user, data),
                errors_key=f"{prefix}errors",
                flash_key=f"{KEY}_flash",
                message=f"Lot « {reference.strip()} » créé.",
                clear_prefix=base,
            )
    elif st.button("Enregistrer le lot", type="primary", key=f"{prefix}save"):
        save_seen(
            lambda s: clauses.update_lot(s, user, c.id, version, data),
            key="lot_seen",
            errors_key=f"{prefix}errors",
            flash_key=f"{KEY}_flash",
            message=f"Lot « {reference.strip()} » enregistré.",
            clear_prefix=prefix,
        )


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Opérations et lots")
    flash(f"{KEY}_flash")
    c1, c2, c3 = st.columns([3, 2, 2])
    search = c1.text_input("Rechercher une opération", key=f"{KEY}_search")
    statuses = [None, *OperationStatus]
    status = c2.selectbox(
        "Filtrer par statut",
        statuses,
        format_func=lambda s: "Tous" if s is None else s.label,
        key=f"{KEY}_status_filter",
    )
    with session_scope() as session:
        choices = clauses.choices(session)
        buyer_ids = [None, *choices.buyers]
        buyer_id = c3.selectbox(
            "Filtrer par donneur d'ordre",
            buyer_ids,
            key=f"{KEY}_buyer_filter",
            format_func=lambda i: "Tous" if i is None else choices.buyers[i],
        )
        rows = clauses.list_operations(session, search, buyer_id, status)
    frame = pd.DataFrame(
        {
            "Opération": [r.operation.name for r in rows],
            "Donneur d'ordre": [r.buyer_name for r in rows],
            "Commune": [choices.communes.get(r.operation.commune_id, "") for r in rows],
            "Statut": [r.operation.status.label for r in rows],
            "Fondement": [r.operation.legal_basis.label for r in rows],
            "Lots": [r.lots for r in rows],
            "Heures prescrites": [in_units(r.hours.committed_h100) for r in rows],
            "Heures réalisées": [in_units(r.hours.achieved_h100) for r in rows],
        }
    )
    st.caption(f"{len(rows)} opération(s)")
    table(
        frame,
        column_config={
            "Heures prescrites": st.column_config.NumberColumn(format="localized"),
            "Heures réalisées": st.column_config.NumberColumn(format="localized"),
        },
    )
    download_buttons(frame, "operations")

    by_id = {r.operation.id: r.operation for r in rows}
    st.subheader("Lots d'une opération")
    chosen_id = st.selectbox(
        "Opération",
        list(by_id),
        key=f"{KEY}_pick",
        index=None,
        placeholder="Choisir…",
        format_func=lambda i: choices.operations.get(i, by_id[i].name),
    )
    lots = []
    if chosen_id is not None:
        with session_scope() as session:
            lots = clauses.list_lots(session, operation_id=chosen_id)
        lot_frame = pd.DataFrame(
            {
                "Lot": [r.lot.reference for r in lots],
                "Intitulé": [r.lot.label for r in lots],
                "Métier": [choices.trades.get(r.lot.trade_code, "") for r in lots],
                "Montant HT (€)": [in_units(r.lot.amount_cents) for r in lots],
                "Heures calculées": [in_units(r.lot.hours_computed_h100) for r in lots],
                "Heures du marché": [in_units(r.lot.hours_contractual_h100) for r in lots],
                "Attributaires": [r.companies for r in lots],
                "Heures réalisées": [in_units(r.hours.achieved_h100) for r in lots],
            }
        )
        if lots:
            table(
                lot_frame,
                column_config={
                    c: st.column_config.NumberColumn(format="localized")
                    for c in ("Montant HT (€)", "Heures calculées", "Heures du marché", "Heures réalisées")
                },
            )
            download_buttons(lot_frame, "lots")
        else:
            st.info("Cette opération n'a pas encore de lot.")

    if not user.can(Role.SAISIE):
        return
    tabs = st.tabs(["Nouvelle opération", "Modifier l'opération", "Nouveau lot", "Modifier un lot"])
    with tabs[0]:
        errors = st.session_state.get(f"{KEY}_create_errors", {})
        with st.form(f"{KEY}_create"):
            data = _operation_form(form_prefix(f"{KEY}_c"), errors, choices)
            submitted = st.form_submit_button("Créer l'opération", type="primary")
        if submitted:
            run_action(
                lambda s: clauses.create_operation(s, user, data),
                errors_key=f"{KEY}_create_errors",
                flash_key=f"{KEY}_flash",
                message=f"Opération « {data.name.strip()} » créée.",
                clear_prefix=f"{KEY}_c",
            )
    if chosen_id is None:
        for tab in tabs[1:]:
            with tab:
                st.info("Choisissez d'abord une opération ci-dessus.")
        return
    operation = by_id[chosen_id]
    with tabs[1]:
        prefix = f"{KEY}_e{operation.id}_"
        # The operation's version as the form was first filled: a colleague's save in between is refused with a
        # message (what was typed kept), never overwritten.
        version = seen(f"{KEY}_seen", operation.id, operation.version, prefix=prefix)
        conflict_notice(f"{KEY}_seen", prefix)
        errors = st.session_state.get(f"{KEY}_edit_errors", {})
        with st.form(f"{KEY}_edit_{operation.id}"):
            data = _operation_form(prefix, errors, choices, operation)
            submitted = st.form_submit_button("Enregistrer l'opération", type="primary")
        if submitted:
            save_seen(
                lambda s: clauses.update_operation(s, user, operation.id, version, data),
                key=f"{KEY}_seen",
                errors_key=f"{KEY}_edit_errors",
                flash_key=f"{KEY}_flash",
                message=f"Opération « {data.name.strip()} » enregistrée.",
                clear_prefix=prefix,
            )
    with tabs[2]:
        _lot_editor(user, f"lot_c{operation.id}", operation.id, choices)
    with tabs[3]:
        if not lots:
            st.info("Cette opération n'a pas encore de lot.")
        else:
            by_lot = {r.lot.id: r.lot for r in lots}
            lot_id = st.selectbox(
                "Lot",
                list(by_lot),
                key=f"{KEY}_lot_pick",
                format_func=lambda i: f"{by_lot[i].reference} {by_lot[i].label}",
            )
            lot = by_lot[lot_id]
            _lot_editor(user, f"lot_e{lot.id}_", operation.id, choices, lot)


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
