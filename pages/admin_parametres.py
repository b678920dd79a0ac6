"""Administration › Paramètres et référentiels: the settings of the rules, and the kinds of work."""

import pandas as pd
import streamlit as st

from clausier import settings
from clausier.rules.units import in_units
from clausier.services import reference
from models.enums import Role
from ui.db import session_scope
from ui.widgets import cell, conflict_notice, flash, require_role, save_seen, seen, table


def render() -> None:
    admin = require_role(Role.ADMIN)
    st.title("Paramètres et référentiels")
    flash("params_flash")
    tab_settings, tab_kinds, tab_lists = st.tabs(
        ["Paramètres des règles", "Natures de travaux", "Critères d'éligibilité et contrats"]
    )
    with session_scope() as session:
        tokens = settings.tokens(session)
        kinds = reference.list_work_kinds(session)
        criteria = reference.list_criteria(session)
        contract_types = reference.list_contract_types(session)

    with tab_settings:
        _settings_form(admin, tokens)
    with tab_kinds:
        _work_kinds(admin, kinds)
    with tab_lists:
        st.subheader("Critères d'éligibilité à la clause")
        table(
            pd.DataFrame(
                {
                    "Code": [c.code for c in criteria],
                    "Critère": [c.label for c in criteria],
                    "Avis motivé requis": [c.needs_reason for c in criteria],
                }
            )
        )
        st.subheader("Types de contrat")
        table(
            pd.DataFrame(
                {
                    "Code": [c.code for c in contract_types],
                    "Type de contrat": [c.label for c in contract_types],
                    "Modalité habituelle": [c.usual_modality.label for c in contract_types],
                }
            )
        )


def _settings_form(admin, tokens: dict) -> None:
    # The settings as the form was first drawn: the save writes only what the user changed from them, each
    # refused if another admin saved it meanwhile (the message stays, with what was typed).
    shown = seen("settings_seen", "settings", tokens, prefix="setting_")
    values = {key: settings.value_of(key, token) for key, token in shown.items()}
    conflict_notice("settings_seen", "setting_")
    errors: dict[str, str] = st.session_state.get("settings_errors", {})
    with st.form("settings"):
        entered: dict = {}
        section = None
        for definition in settings.DEFINITIONS:
            if definition.section != section:
                section = definition.section
                st.markdown(f"**{section}**")
            value = values[definition.key]
            key = f"setting_{definition.key}"
            if definition.kind == "bool":
                entered[definition.key] = st.checkbox(definition.label, value=bool(value), key=key)
            elif definition.kind == "int":
                entered[definition.key] = st.number_input(definition.label, value=int(value), step=1, key=key)
            elif definition.kind == "float":
                entered[definition.key] = st.number_input(definition.label, value=float(value), key=key, format="%.2f")
            elif definition.kind == "list":
                entered[definition.key] = st.text_input(
                    definition.label,
                    value=", ".join(value),
                    key=key,
                    help="Plusieurs valeurs séparées par des virgules",
                )
            else:
                entered[definition.key] = st.text_input(definition.label, value=str(value), key=key)
            if definition.key in errors:
                st.error(errors[definition.key])
        submitted = st.form_submit_button("Enregistrer les paramètres", type="primary")
    if submitted:
        save_seen(
            lambda session: reference.save_settings(session, admin, entered, shown),
            key="settings_seen",
            errors_key="settings_errors",
            flash_key="params_flash",
            message=lambda changed: f"{changed} paramètre(s) modifié(s).",
        )


def _work_kinds(admin, kinds) -> None:
    st.caption(
        "Part de main-d'œuvre et coût horaire moyen chargé par nature de travaux (DESIGN §3.1) : "
        "ils servent de valeurs par défaut au calcul des heures d'insertion d'un lot."
    )
    # The table as first drawn (values and versions): the editor's changes apply to it, and the save gives its
    # versions back (a kind saved by another admin meanwhile is refused, the edits kept).
    shown = seen(
        "work_kinds_seen",
        "work_kinds",
        {
            "Code": [k.code for k in kinds],
            "Nature de travaux": [k.label for k in kinds],
            "Part de main-d'œuvre (%)": [in_units(k.labour_share_bp) for k in kinds],
            "Coût horaire (€)": [in_units(k.hourly_cost_cents) for k in kinds],
            "Taux d'insertion par défaut (%)": [in_units(k.default_insertion_rate_bp) for k in kinds],
            "Active": [k.active for k in kinds],
            "version": [k.version for k in kinds],
        },
        prefix="work_kinds_editor",
    )
    conflict_notice("work_kinds_seen", "work_kinds_editor")
    versions = dict(zip(shown["Code"], shown["version"], strict=True))
    frame = pd.DataFrame({name: column for name, column in shown.items() if name != "version"})
    edited = st.data_editor(frame, key="work_kinds_editor", hide_index=True, disabled=["Code"])
    if st.button("Enregistrer les natures de travaux", type="primary"):
        rows = [
            reference.WorkKindRow(
                code=r["Code"],
                label=str(cell(r["Nature de travaux"]) or ""),
                labour_share_pct=cell(r["Part de main-d'œuvre (%)"]),
                hourly_cost_eur=cell(r["Coût horaire (€)"]),
                default_insertion_rate_pct=cell(r["Taux d'insertion par défaut (%)"]),
                active=cell(r["Active"]) is not False,
            )
            for r in edited.to_dict("records")
        ]
        save_seen(
            lambda session: reference.save_work_kinds(session, admin, rows, versions),
            key="work_kinds_seen",
            flash_key="params_flash",
            message=lambda changed: f"{changed} nature(s) de travaux modifiée(s).",
            clear_prefix="work_kinds_editor",
        )


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
