"""Administration › Paramètres et référentiels: the settings of the rules, and the kinds of work."""

import pandas as pd
import streamlit as st

from clausier import settings
from clausier.errors import ValidationError
from clausier.services import reference
from models.enums import Role
from ui.db import session_scope
from ui.widgets import cell, flash, require_role, save_table, table


def render() -> None:
    admin = require_role(Role.ADMIN)
    st.title("Paramètres et référentiels")
    flash("params_flash")
    tab_settings, tab_kinds, tab_lists = st.tabs(
        ["Paramètres des règles", "Natures de travaux", "Critères d'éligibilité et contrats"]
    )
    with session_scope() as session:
        values = settings.get_all(session)
        kinds = reference.list_work_kinds(session)
        criteria = reference.list_criteria(session)
        contract_types = reference.list_contract_types(session)

    with tab_settings:
        _settings_form(admin, values)
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


def _settings_form(admin, values: dict) -> None:
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
    if not submitted:
        return
    try:
        with session_scope() as session:
            changed = reference.save_settings(session, admin, entered)
    except ValidationError as exc:
        st.session_state["settings_errors"] = exc.errors
        st.rerun()
    st.session_state.pop("settings_errors", None)
    st.session_state["params_flash"] = [f"{changed} paramètre(s) modifié(s)."]
    st.rerun()


def _work_kinds(admin, kinds) -> None:
    st.caption(
        "Part de main-d'œuvre et coût horaire moyen chargé par nature de travaux (DESIGN §3.1) : "
        "ils servent de valeurs par défaut au calcul des heures d'insertion d'un lot."
    )
    frame = pd.DataFrame(
        {
            "Code": [k.code for k in kinds],
            "Nature de travaux": [k.label for k in kinds],
            "Part de main-d'œuvre (%)": [k.labour_share_bp / 100 for k in kinds],
            "Coût horaire (€)": [k.hourly_cost_cents / 100 for k in kinds],
            "Taux d'insertion par défaut (%)": [k.default_insertion_rate_bp / 100 for k in kinds],
            "Active": [k.active for k in kinds],
        }
    )
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
        save_table(
            lambda session: f"{reference.save_work_kinds(session, admin, rows)} nature(s) de travaux modifiée(s).",
            editor_key="work_kinds_editor",
            flash_key="params_flash",
        )


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
