"""Candidats › Import de participants: a CSV or Excel file of the PLIE's software, its columns mapped on screen (the
mapping saved by name for next time), a preview with every error by line and column and the people already known
(merge or skip), then everything written in one transaction, or nothing (DESIGN §5.2)."""

from datetime import date

import pandas as pd
import streamlit as st

from clausier.errors import DomainError
from clausier.formatting import fmt_date
from clausier.services import import_participants as ip
from models.enums import Role
from ui import cached
from ui.db import session_scope
from ui.widgets import error, field_error, flash, require_role, run_action, table

KEY = "pimport"
SHOWN = 2_000


def _raw(data: bytes, name: str, sheet: str | None, digest: str) -> ip.RawFile:
    """The file read once per (file, sheet); kept across reruns."""
    stored = st.session_state.get(f"{KEY}_raw")
    if stored and stored[0] == (digest, sheet):
        return stored[1]
    with session_scope() as session:
        limits = ip.import_limits(session)
    raw = ip.read_file(data, name, sheet, limits)
    st.session_state[f"{KEY}_raw"] = ((digest, sheet), raw)
    return raw


def _preview(raw: ip.RawFile, mapping: dict[str, str], digest: str, today: date) -> ip.Preview:
    """Checked once per (file, mapping); kept across reruns until the import is confirmed."""
    key = (digest, raw.sheet, tuple(sorted(mapping.items())))
    stored = st.session_state.get(f"{KEY}_preview")
    if stored and stored[0] == key:
        return stored[1]
    with st.spinner("Vérification du fichier…"), session_scope() as session:
        result = ip.preview(session, raw, mapping, today)
    st.session_state[f"{KEY}_preview"] = (key, result)
    return result


def render() -> None:
    user = require_role(Role.SAISIE)
    st.title("Import de participants")
    st.caption(
        "Fichier du logiciel de suivi du PLIE ou liste de France Travail : une ligne par personne (ou une ligne par "
        "critère d'éligibilité : les lignes d'une même personne sont regroupées). CSV (UTF-8 ou Windows-1252, « ; » "
        "ou « , ») ou Excel. Les personnes déjà connues (même nom, sans accents ni majuscules, et même date de "
        "naissance) ne sont jamais créées une seconde fois. Rien n'est enregistré avant la confirmation."
    )
    flash(f"{KEY}_flash")
    upload = st.file_uploader("Fichier CSV ou Excel", type=["csv", "xlsx", "txt"], key=f"{KEY}_file")
    if upload is not None:
        _import(user, upload)
    _history()


def _import(user, upload) -> None:
    today = date.today()
    data = upload.getvalue()
    digest = ip.checksum(data)
    sheet = None
    if upload.name.lower().endswith(".xlsx"):
        sheets = ip.sheet_names(data)
        if len(sheets) > 1:
            sheet = st.selectbox("Feuille", sheets, key=f"{KEY}_sheet")
    try:
        raw = _raw(data, upload.name, sheet, digest)
    except DomainError as exc:
        error(str(exc))
        return
    if not raw.rows:
        error("Le fichier n'a que sa ligne d'en-tête.")
        return

    with session_scope() as session:
        saved = ip.saved_mappings(session)
    st.subheader("Correspondance des colonnes")
    options = [None, *saved]
    best = ip.best_mapping(saved, raw.header)
    chosen = st.selectbox(
        "Correspondance enregistrée",
        options,
        index=options.index(best),
        format_func=lambda n: "Aucune (colonnes reconnues par leur nom)" if n is None else n,
        key=f"{KEY}_saved_{digest[:12]}",
    )
    base = ip.mapping_for(raw.header, saved.get(chosen) if chosen else None)
    fields = [None, *ip.FIELDS]
    samples = _samples(raw)
    mapping: dict[str, str] = {}
    columns = st.columns(3)
    for index, column in enumerate(raw.header):
        with columns[index % 3]:
            wanted = st.selectbox(
                column,
                fields,
                index=fields.index(base.get(column)),
                format_func=lambda f: "— ne pas importer —" if f is None else ip.FIELDS[f],
                key=f"{KEY}_map_{digest[:12]}_{chosen}_{index}",
                help=f"Exemple : {samples[index]}" if samples[index] else "Colonne vide dans les premières lignes.",
            )
        if wanted:
            mapping[column] = wanted

    errors = st.session_state.get(f"{KEY}_mapping_errors", {})
    c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
    name = c1.text_input(
        "Enregistrer cette correspondance sous le nom",
        value=chosen or "",
        key=f"{KEY}_mapping_name_{chosen}",
        placeholder="Par exemple : logiciel du PLIE",
        max_chars=120,
    )
    if c2.button("Enregistrer la correspondance", key=f"{KEY}_save_mapping"):
        run_action(
            lambda s: ip.save_mapping(s, user, name, mapping),
            errors_key=f"{KEY}_mapping_errors",
            flash_key=f"{KEY}_flash",
            message=f"Correspondance « {' '.join(name.split())} » enregistrée : elle sera proposée au prochain import.",
        )
    field_error(errors, "mapping_name")

    problems = ip.mapping_problems(mapping)
    if problems:
        for problem in problems:
            st.warning(problem)
        return
    try:
        result = _preview(raw, mapping, digest, today)
    except DomainError as exc:
        error(str(exc))
        return
    _show(user, result, upload.name, digest, today)


def _samples(raw: ip.RawFile) -> list[str]:
    """The first filled value of each column (shown as a hint under its name)."""
    found = [""] * len(raw.header)
    for _, cells in raw.rows[:50]:
        for i, value in enumerate(cells):
            if not found[i] and value not in (None, ""):
                found[i] = str(value)[:40]
    return found


def _people(people: list[ip.Person], merge_column: bool) -> pd.DataFrame:
    frame = pd.DataFrame(ip.describe(people, SHOWN))
    if not merge_column:
        frame = frame.drop(columns=["Participant n°", "La fusion ajoute"])
    return frame


def _show(user, result: ip.Preview, name: str, digest: str, today: date) -> None:
    st.subheader("Aperçu")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Personnes à créer", len(result.new))
    c2.metric("Déjà connues", len(result.known))
    c3.metric("Lignes regroupées", len(result.grouped))
    c4.metric("Erreurs", len(result.errors))
    if result.grouped:
        st.caption(
            "Lignes d'une même personne regroupées : "
            + ", ".join(f"ligne {line} avec la ligne {first}" for line, first in result.grouped[:30])
            + ("…" if len(result.grouped) > 30 else "")
        )
    if result.errors:
        error(
            f"Le fichier comporte {len(result.errors)} erreur(s) : corrigez-les (ou changez la correspondance) puis "
            "chargez-le de nouveau. Rien n'a été enregistré."
        )
        table(
            pd.DataFrame(
                [
                    {"Ligne": e.line, "Colonne": e.column, "Valeur": e.value, "Problème": e.reason}
                    for e in result.errors[:SHOWN]
                ]
            )
        )
        return
    if result.new:
        st.markdown(f"**Personnes à créer** ({len(result.new)})")
        table(
            _people(result.new, merge_column=False),
            column_config={"Date de naissance": st.column_config.DateColumn(format="DD/MM/YYYY")},
        )
    merge: set[int] = set()
    if result.known:
        st.markdown(f"**Personnes déjà connues** ({len(result.known)}) : jamais créées une seconde fois")
        table(
            _people(result.known, merge_column=True),
            column_config={"Date de naissance": st.column_config.DateColumn(format="DD/MM/YYYY")},
        )
        useful = {p.participant_id: p for p in result.known if p.adds}
        if useful:
            chosen = st.multiselect(
                "Compléter leur fiche (les champs vides, les métiers et les critères manquants)",
                list(useful),
                default=list(useful),
                format_func=lambda pid: f"{useful[pid].name} (n° {pid})",
                key=f"{KEY}_merge_{digest[:12]}",
                help="Les personnes retirées de cette liste sont ignorées : leur fiche reste telle quelle.",
            )
            merge = set(chosen)
        else:
            st.caption("Le fichier n'apporte rien de nouveau sur ces personnes.")
    if not result.new and not merge:
        st.info("Cet import ne change rien : rien à créer ni à compléter.")
        return
    if st.button("Confirmer l'import", type="primary", key=f"{KEY}_confirm"):
        refusal = None
        with session_scope() as session:  # a refusal keeps only its audit line (the import's savepoint is undone)
            try:
                batch = ip.apply(session, result, user, name, digest, merge=merge, today=today)
                message = (
                    f"Import n° {batch.id} enregistré : {batch.rows_added} personne(s) créée(s), "
                    f"{batch.rows_changed} fiche(s) complétée(s), {batch.rows_unchanged} inchangée(s) ou ignorée(s)."
                )
            except DomainError as exc:
                refusal = str(exc)
        if refusal is not None:
            st.session_state.pop(f"{KEY}_preview", None)
            error(refusal)
            return
        for key in (f"{KEY}_preview", f"{KEY}_raw", f"{KEY}_file"):
            st.session_state.pop(key, None)
        st.session_state[f"{KEY}_flash"] = [message]
        cached.clear()
        st.rerun()


def _history() -> None:
    st.subheader("Imports précédents")
    with session_scope() as session:
        batches = ip.list_batches(session)
    if not batches:
        st.info("Aucun import de participants pour l'instant.")
        return
    table(
        pd.DataFrame(
            [
                {
                    "N°": b.id,
                    "Fichier": b.file_name,
                    "Par": b.by,
                    "Le": fmt_date(b.at),
                    "Créées": b.rows_added,
                    "Complétées": b.rows_changed,
                    "Inchangées ou ignorées": b.rows_unchanged,
                }
                for b in batches
            ]
        )
    )


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
