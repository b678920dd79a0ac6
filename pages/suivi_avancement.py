"""Suivi › Avancement: committed, achieved, remaining, rate, expected to date, pace, status and projection for
every commitment, lot, operation, buyer, company and territory (DESIGN §3.4)."""

import pandas as pd
import streamlit as st

from clausier.formatting import fmt_date, fmt_hours, fmt_percent
from clausier.rules.units import in_units
from clausier.services import progress
from models.enums import Role
from ui import cached
from ui.exports import download_buttons
from ui.progress_filters import progress_filters, today
from ui.widgets import require_role, table

ROWS_SHOWN = 2_000  # a page, not an archive: filters narrow it, the download holds every row
LEVELS = {"Engagements": None, **{level.label: level for level in progress.Level}}
COMMITMENT_COLUMNS = {  # ProgressTable.frame's columns, named as on the other levels
    "company": "Entreprise",
    "lot": "Lot",
    "operation": "Opération",
    "buyer": "Donneur d'ordre",
    "territory": "Territoire",
    "committed": "Heures prescrites",
    "achieved": "Heures réalisées",
    "remaining": "Reste à réaliser",
    "rate": "Taux (%)",
    "expected": "Attendues à date",
    "pace": "Rythme (%)",
    "status": "Statut",
    "end": "Fin d'exécution",
    "reach": "Objectif atteint en",
    "at_end": "Heures projetées à la fin",
}


def _frame(items, as_of) -> pd.DataFrame:
    """items: (label columns dict, Progress)."""
    records = []
    for labels, p in items:
        projection = p.projection
        records.append(
            {
                **labels,
                "Heures prescrites": in_units(p.committed_h100),
                "Heures réalisées": in_units(p.achieved_h100),
                "Reste à réaliser": in_units(p.remaining_h100),
                "Taux (%)": None if p.rate is None else round(p.rate * 100, 1),
                "Attendues à date": in_units(p.expected_h100),
                "Rythme (%)": None if p.pace is None else round(p.pace * 100, 1),
                "Statut": p.status.label,
                "Fin d'exécution": p.end,
                "Objectif atteint en": (
                    ""
                    if projection is None or projection.reach_month is None
                    else projection.reach_month.strftime("%m/%Y")
                ),
                "Heures projetées à la fin": (None if projection is None else in_units(projection.at_end_h100)),
            }
        )
    return pd.DataFrame.from_records(records)


def render() -> None:
    require_role(Role.LECTURE)
    st.title("Avancement")
    as_of = today()
    filters, described = progress_filters("progress")
    level_name = st.radio("Niveau", list(LEVELS), horizontal=True, key="progress_level")
    rows, limits = cached.progress_rows(filters, as_of)
    overall = rows.total()

    c1, c2, c3, c4, c5 = st.columns(5)
    c1.metric("Heures prescrites", fmt_hours(overall.committed_h100))
    c2.metric("Heures réalisées", fmt_hours(overall.achieved_h100))
    c3.metric("Taux de réalisation", fmt_percent(overall.rate))
    c4.metric("Attendues à date", fmt_hours(overall.expected_h100))
    c5.metric("Rythme", fmt_percent(overall.pace), help="Heures réalisées ÷ heures attendues à date")
    st.caption(
        f"Au {fmt_date(as_of)} · {len(rows)} engagement(s) · "
        + (" · ".join(described) if described else "aucun filtre")
        + f" · « dans les temps » à partir de {fmt_percent(limits.on_time)} du rythme attendu"
    )

    level = LEVELS[level_name]
    if level is None:  # 25,000 rows at size L: built once from the table's columns, not row by row
        frame = cached.progress_frame(filters, as_of).rename(columns=COMMITMENT_COLUMNS)
    else:
        items = [
            ({level.label: g.label, "Engagements": g.progress.count}, g.progress)
            for g in cached.progress_rollups(filters, as_of, level)[0]
        ]
        frame = _frame(items, as_of)
    if frame.empty:
        st.info("Aucun engagement ne correspond à ces filtres.")
        return
    numbers = (
        "Heures prescrites",
        "Heures réalisées",
        "Reste à réaliser",
        "Attendues à date",
        "Heures projetées à la fin",
    )
    if len(frame) > ROWS_SHOWN:
        st.caption(
            f"Les {ROWS_SHOWN} premières lignes (celles qui demandent le plus d'attention) sur {len(frame)} ; "
            "le téléchargement donne tout."
        )
    table(
        frame.head(ROWS_SHOWN),
        column_config={
            **{c: st.column_config.NumberColumn(format="localized") for c in numbers},
            "Fin d'exécution": st.column_config.DateColumn(format="DD/MM/YYYY"),
        },
    )
    download_buttons(frame, f"avancement-{level_name.lower().replace(' ', '-')}", key="progress_dl")


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
