"""Bilans › GPEC: needs by trade and quarter from the lots not yet finished, against the participants available and
the trainings planned; the gaps as a table and a heat map (DESIGN §3.8)."""

import streamlit as st

from clausier import config
from clausier.formatting import fmt_hours, fmt_number
from clausier.reports import charts
from clausier.services import gpec
from models.enums import Role
from ui import cached
from ui.db import session_scope
from ui.exports import download_buttons
from ui.progress_filters import today
from ui.widgets import require_role, table

KEY = "gpec"
HELP = (
    "Besoin : les heures restant à réaliser sur les lots non terminés (engagées − réalisées, ou heures de la clause "
    "d'un lot pas encore attribué), réparties également sur leurs mois d'exécution restants, converties en "
    "équivalents temps plein (ETP). Disponibles : les participants qui visent le métier, avec une éligibilité "
    "valide au début du trimestre (aujourd'hui pour le trimestre en cours), sans contrat en cours ; une personne "
    "qui vise deux métiers compte dans les deux. Formés : les places des formations du métier qui finissent dans "
    "le trimestre, moins les abandons. Écart = besoin − (disponibles + formés) : au-dessus de 0, il manque des "
    "candidats."
)


def render() -> None:
    require_role(Role.LECTURE)
    st.title("GPEC")
    st.caption(HELP)
    territories = cached.filter_choices(config.database_url())["territories"]
    c1, c2 = st.columns(2)
    territory = c1.selectbox("Territoire", territories, index=None, placeholder="Tous", key=f"{KEY}_territory")
    horizon = c2.number_input(
        "Horizon (trimestres)", min_value=1, max_value=gpec.MAX_HORIZON, value=gpec.DEFAULT_HORIZON, key=f"{KEY}_h"
    )
    c3, c4 = st.columns(2)
    prospects = c3.checkbox("Compter aussi les opérations repérées ou à l'étude", key=f"{KEY}_prospects")
    every_trade = c4.checkbox("Montrer aussi les métiers sans besoin ni formation", key=f"{KEY}_every")
    as_of = today()
    with session_scope() as session:
        result = gpec.compute(
            session,
            as_of,
            int(horizon),
            territory=territory,
            include_prospects=prospects,
            every_trade=every_trade,
        )
    for note in result.notes:
        st.caption(note)

    totals = gpec.totals(result)
    m1, m2, m3, m4 = st.columns(4)
    m1.metric("Lots pris en compte", fmt_number(len(result.lots)))
    m2.metric("Heures restantes", fmt_hours(sum(d.need.remaining_h100 for d in result.lots)))
    m3.metric(f"Besoin sur {len(result.horizon)} trimestre(s)", f"{fmt_number(totals['need_hours'])} h")
    m4.metric("Métier et trimestre en manque", fmt_number(totals["shortfall_cells"]))
    if result.unscheduled:
        st.warning(
            f"{len(result.unscheduled)} lot(s) sans date de fin d'exécution : leurs heures ne peuvent pas être "
            "réparties par trimestre (voir « Lots non planifiés » plus bas)."
        )

    if not result.cells:
        st.info("Aucun besoin ni formation à venir pour ces filtres.")
    else:
        described = [f"Territoire : {territory}"] if territory else []
        described.append(f"Horizon : {len(result.horizon)} trimestre(s)")
        if prospects:
            described.append("opérations repérées ou à l'étude comptées")
        chart = gpec.gap_chart(result, described)
        st.subheader("Écart par métier et trimestre")
        st.altair_chart(chart, theme=None, width="content")
        st.download_button(
            "Image PNG de la carte des écarts",
            data=lambda: charts.chart_png(chart),
            mime="image/png",
            file_name=f"gpec-ecarts-{as_of.isoformat()}.png",
            key=f"{KEY}_png",
            icon="🖼️",
        )

        st.subheader("Besoins, viviers et écarts")
        frame = gpec.gap_frame(result)
        table(
            frame,
            column_config={
                c: st.column_config.NumberColumn(format="localized")
                for c in ("Besoin (heures)", "Besoin (ETP)", "Écart (ETP)")
            },
        )
        download_buttons(frame, "gpec", title="GPEC : besoins, viviers et écarts", key=f"{KEY}_table")

    with st.expander(f"Lots pris en compte ({len(result.lots)})"):
        lots = gpec.lots_frame(result)
        table(lots, column_config={"Heures restantes": st.column_config.NumberColumn(format="localized")})
        download_buttons(lots, "gpec-lots", key=f"{KEY}_lots")
    if result.unscheduled:
        with st.expander(f"Lots non planifiés ({len(result.unscheduled)})"):
            table(gpec.lots_frame(result, unscheduled=True))


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
