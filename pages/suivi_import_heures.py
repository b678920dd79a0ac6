"""Suivi › Import des heures: the monthly statement of a company or a temp agency (CSV or Excel), previewed
line by line, then written whole or not at all (DESIGN §5.1). An admin can undo an import."""

from datetime import date

import pandas as pd
import streamlit as st

from clausier.errors import DomainError
from clausier.formatting import fmt_date, fmt_hours_exact, fmt_number
from clausier.services import import_hours
from models.enums import Role
from ui import cached
from ui.db import session_scope
from ui.widgets import error, flash, require_role, success, table

KEY = "hours_import"


def _preview(data: bytes, name: str, sheet: str | None) -> import_hours.Preview:
    """Read and check the file once per (file, sheet); kept across reruns until it is imported or refused."""
    cache_key = (import_hours.checksum(data), sheet)
    stored = st.session_state.get(f"{KEY}_preview")
    if stored and stored[0] == cache_key:
        return stored[1]
    bar = st.progress(0.0, text="Vérification du fichier…")
    try:
        with session_scope() as session:
            result = import_hours.preview_file(
                session,
                data,
                name,
                date.today(),
                sheet,
                progress=lambda f: bar.progress(min(max(f, 0.0), 1.0), text=f"Vérification du fichier… {f:.0%}"),
            )
    finally:
        bar.empty()
    st.session_state[f"{KEY}_preview"] = (cache_key, result)
    return result


def _rows_table(result: import_hours.Preview, rows, title: str, with_before: bool = False) -> None:
    if not rows:
        return
    described = import_hours.describe(result, rows)
    st.markdown(f"**{title}** ({fmt_number(len(rows))})")
    frame = pd.DataFrame(
        [
            {
                "Ligne": r["line"],
                "Entreprise": r["company"],
                "Opération": r["operation"],
                "Lot": r["lot"],
                "Participant": r["participant"],
                "Mois": r["month"].strftime("%m/%Y"),
                **({"Heures avant": fmt_hours_exact(r["old_hours_h100"])} if with_before else {}),
                "Heures": fmt_hours_exact(r["hours_h100"]),
                "Modalité": r["modality"],
            }
            for r in described
        ]
    )
    table(frame)
    if len(rows) > len(described):
        st.caption(f"Les {fmt_number(len(described))} premières lignes sont affichées.")


def render() -> None:
    user = require_role(Role.SAISIE)
    st.title("Import des heures")
    st.caption(
        "Relevé mensuel d'une entreprise ou d'une agence : une ligne par participant, engagement et mois "
        "(colonnes siret, marche, nom, prenom, date_naissance ou id_participant, mois, heures, modalite). "
        "CSV (UTF-8 ou Windows-1252, « ; » ou « , ») ou Excel. Rien n'est enregistré avant la confirmation."
    )
    with session_scope() as session:
        st.caption(f"Limites d'un fichier : {import_hours.limits_text(session)} (paramètres « Imports »).")
    flash(f"{KEY}_flash")
    upload = st.file_uploader("Fichier CSV ou Excel", type=["csv", "xlsx", "txt"], key=f"{KEY}_file")
    if upload is not None:
        data = upload.getvalue()
        sheet = None
        if upload.name.lower().endswith(".xlsx"):
            sheets = import_hours.sheet_names(data)
            if len(sheets) > 1:
                sheet = st.selectbox("Feuille", sheets, key=f"{KEY}_sheet")
        try:
            result = _preview(data, upload.name, sheet)
        except DomainError as exc:
            error(str(exc))
        else:
            _show_preview(user, result)
    _history(user)


def _show_preview(user, result: import_hours.Preview) -> None:
    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric("Lignes à ajouter", fmt_number(len(result.to_add)))
    c2.metric("Inchangées", fmt_number(len(result.unchanged)))
    c3.metric("Modifiées", fmt_number(len(result.changed)))
    c4.metric("Erreurs", fmt_number(result.error_count))
    c5.metric("Heures du fichier", fmt_hours_exact(result.file_hours_h100))
    if result.refused_hours_h100:
        st.caption(
            f"Dont {fmt_hours_exact(result.refused_hours_h100)} sur des lignes refusées "
            f"et {fmt_hours_exact(result.total_hours_h100)} sur des lignes valides."
        )
    for warning in result.warnings:
        st.warning(warning)
    if result.ignored_columns:
        st.caption("Colonnes non lues : " + ", ".join(f"« {c} »" for c in result.ignored_columns[:20]))
    if result.ignored:
        st.caption("Lignes ignorées : " + ", ".join(f"ligne {line} ({why})" for line, why in result.ignored[:20]))
    if result.error_count:
        error(
            f"Le fichier comporte {fmt_number(result.error_count)} erreur(s) : corrigez-les puis chargez-le de nouveau. "
            "Rien n'a été enregistré."
        )
        if result.error_count > len(result.errors):
            st.caption(f"Les {fmt_number(len(result.errors))} premières erreurs sont affichées.")
        table(
            pd.DataFrame(
                [{"Ligne": e.line, "Colonne": e.column, "Valeur": e.value, "Problème": e.reason} for e in result.errors]
            ),
            column_config={"Problème": st.column_config.TextColumn(width="large")},
        )
        return
    _rows_table(result, result.changed, "Heures modifiées", with_before=True)
    _rows_table(result, result.to_add, "Heures à ajouter")
    if not result.to_add and not result.changed:
        st.info("Ce fichier ne change rien : toutes ses heures sont déjà enregistrées.")
        return
    if st.button("Confirmer l'import", type="primary", key=f"{KEY}_confirm"):
        refusal = None
        with session_scope() as session:  # a refusal keeps only its audit line (the import's savepoint is undone)
            try:
                batch = import_hours.apply(session, result, user)
                message = (
                    f"Import n° {batch.id} enregistré : {batch.rows_added} ligne(s) ajoutée(s), "
                    f"{batch.rows_changed} modifiée(s), {batch.rows_unchanged} inchangée(s)."
                )
            except DomainError as exc:
                refusal = str(exc)
        st.session_state.pop(f"{KEY}_preview", None)  # stale or used: the next look reads the file again
        if refusal is not None:
            error(refusal)
            st.button("Relancer l'aperçu", key=f"{KEY}_again")
            return
        st.session_state.pop(f"{KEY}_file", None)
        st.session_state[f"{KEY}_flash"] = [message]
        cached.clear()
        st.rerun()


def _history(user) -> None:
    st.subheader("Imports précédents")
    with session_scope() as session:
        batches = import_hours.list_batches(session)
    if not batches:
        st.info("Aucun import pour l'instant.")
        return
    table(
        pd.DataFrame(
            [
                {
                    "N°": b.id,
                    "Fichier": b.file_name,
                    "Par": b.by,
                    "Le": fmt_date(b.at),
                    "Ajoutées": b.rows_added,
                    "Modifiées": b.rows_changed,
                    "Inchangées": b.rows_unchanged,
                    "Annulé le": fmt_date(b.undone_at),
                }
                for b in batches
            ]
        )
    )
    if not user.can(Role.ADMIN):
        return
    undoable = [b for b in batches if b.undone_at is None]
    if not undoable:
        return
    chosen = st.selectbox(
        "Annuler un import (administrateur)",
        [b.id for b in undoable],
        index=None,
        placeholder="Choisir l'import…",
        key=f"{KEY}_undo_pick",
        format_func=lambda i: next(f"n° {b.id} — {b.file_name}" for b in undoable if b.id == i),
    )
    if chosen is not None and st.button("Annuler cet import", key=f"{KEY}_undo"):
        try:
            with session_scope() as session:
                import_hours.undo(session, chosen, user)
        except DomainError as exc:
            error(str(exc))
            return
        success(f"Import n° {chosen} annulé : les heures d'avant sont rétablies.")
        cached.clear()


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
