"""Home page: the totals that exist — hours committed and achieved, participants, offers."""

import pandas as pd
import streamlit as st

from clausier.formatting import fmt_hours, fmt_number, fmt_percent
from models.enums import Role
from ui import cached
from ui.widgets import require_role, table


def render() -> None:
    require_role(Role.LECTURE)
    st.title("Tableau de bord")
    totals, buyers = cached.home()

    st.subheader("Heures d'insertion")
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Heures prescrites", fmt_hours(totals.hours_committed_h100))
    c2.metric("Heures réalisées", fmt_hours(totals.hours_achieved_h100))
    c3.metric("Taux de réalisation", fmt_percent(totals.rate))
    c4.metric(
        "Engagements", fmt_number(totals.commitments), help=f"{fmt_number(totals.companies)} entreprises engagées"
    )

    st.subheader("Opérations, candidats et offres")
    d1, d2, d3, d4 = st.columns(4)
    d1.metric("Opérations", fmt_number(totals.operations), help=f"{fmt_number(totals.lots)} lots")
    d2.metric("Participants", fmt_number(totals.participants))
    d3.metric("Participants en emploi", fmt_number(totals.participants_in_employment))
    d4.metric("Offres ouvertes", fmt_number(totals.open_offers), help=f"{fmt_number(totals.open_posts)} postes")

    st.subheader("Par donneur d'ordre")
    if not buyers:
        st.info("Aucun engagement enregistré pour l'instant.")
        return
    frame = pd.DataFrame(
        {
            "Donneur d'ordre": [b.buyer for b in buyers],
            "Opérations": [b.operations for b in buyers],
            "Heures prescrites": [b.hours_committed_h100 / 100 for b in buyers],
            "Heures réalisées": [b.hours_achieved_h100 / 100 for b in buyers],
            "Taux": [(b.rate or 0) * 100 for b in buyers],
        }
    )
    table(
        frame,
        column_config={
            "Heures prescrites": st.column_config.NumberColumn(format="localized"),
            "Heures réalisées": st.column_config.NumberColumn(format="localized"),
            "Taux": st.column_config.ProgressColumn(format="%.0f %%", min_value=0, max_value=100),
        },
    )


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
