"""The filters shared by the dashboard and the progress screen: buyer, operation, company, territory, period."""

from __future__ import annotations

from datetime import date

import streamlit as st

from clausier import config
from clausier.formatting import fmt_date
from clausier.services.progress import Filters
from ui import cached


def progress_filters(key: str) -> tuple[Filters, list[str]]:
    """Draw the filters; return them and their French description (written on the chart images)."""
    choices = cached.filter_choices(config.database_url())
    with st.expander("Filtres", expanded=False):
        c1, c2, c3 = st.columns(3)
        buyer = c1.selectbox(
            "Donneur d'ordre",
            list(choices["buyers"]),
            index=None,
            placeholder="Tous",
            format_func=lambda i: choices["buyers"][i],
            key=f"{key}_buyer",
        )
        operation = c2.selectbox(
            "Opération",
            list(choices["operations"]),
            index=None,
            placeholder="Toutes",
            format_func=lambda i: choices["operations"][i],
            key=f"{key}_operation",
        )
        company = c3.selectbox(
            "Entreprise",
            list(choices["companies"]),
            index=None,
            placeholder="Toutes",
            format_func=lambda i: choices["companies"][i],
            key=f"{key}_company",
        )
        d1, d2, d3 = st.columns(3)
        territory = d1.selectbox(
            "Territoire", choices["territories"], index=None, placeholder="Tous", key=f"{key}_territory"
        )
        start = d2.date_input("Heures à partir du", value=None, format="DD/MM/YYYY", key=f"{key}_start")
        end = d3.date_input("Heures jusqu'au", value=None, format="DD/MM/YYYY", key=f"{key}_end")
    if start and end and end < start:
        st.error("La fin de la période doit suivre son début : la période n'est pas appliquée.")
        start = end = None
    described = []
    if buyer is not None:
        described.append(f"Donneur d'ordre : {choices['buyers'][buyer]}")
    if operation is not None:
        described.append(f"Opération : {choices['operations'][operation]}")
    if company is not None:
        described.append(f"Entreprise : {choices['companies'][company]}")
    if territory:
        described.append(f"Territoire : {territory}")
    if start or end:
        described.append(f"Période : {fmt_date(start) or '…'} – {fmt_date(end) or '…'}")
    filters = Filters(
        buyer_id=buyer,
        operation_id=operation,
        company_id=company,
        territory=territory,
        period_start=start,
        period_end=end,
    )
    return filters, described


def today() -> date:
    return date.today()
