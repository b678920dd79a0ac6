"""Home page: what to do this week (follow-ups in employment), the totals — hours committed and achieved,
participants, offers — and the progress of the commitments."""

import pandas as pd
import streamlit as st

from clausier import privacy
from clausier.formatting import fmt_date, fmt_hours, fmt_number, fmt_percent
from clausier.reports import charts
from clausier.rules.units import in_units
from clausier.services import progress
from models.enums import Role
from ui import cached
from ui.exports import download_buttons
from ui.progress_filters import progress_filters, today
from ui.widgets import require_role, table


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Tableau de bord")
    as_of = today()
    # The three upper blocks are read in worker threads while this one computes the progress chart (at a cold
    # cache, each waits on the database part of the time); they are drawn in their places above it.
    personal = privacy.with_personal_data(user)  # the phones of the to-do list: admin and saisie only
    todo = cached.in_background(cached.todo_this_week, user.login, as_of, TODO_SHOWN, personal)
    lapsing = cached.in_background(cached.lapsing_eligibilities, as_of, LAPSING_SHOWN)
    home = cached.in_background(cached.home)
    week_box, lapsing_box, figures_box = st.container(), st.container(), st.container()
    _progress_chart()
    with week_box:
        _this_week(todo.result(), personal)
    with lapsing_box:
        _lapsing(lapsing.result())
    totals, buyers = home.result()
    with figures_box:
        _figures(totals)

    st.subheader("Par donneur d'ordre")
    if not buyers:
        st.info("Aucun engagement enregistré pour l'instant.")
        return
    frame = pd.DataFrame(
        {
            "Donneur d'ordre": [b.buyer for b in buyers],
            "Opérations": [b.operations for b in buyers],
            "Heures prescrites": [in_units(b.hours_committed_h100) for b in buyers],
            "Heures réalisées": [in_units(b.hours_achieved_h100) for b in buyers],
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


def _figures(totals) -> None:
    """Hours committed and achieved, operations, participants and offers."""
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


TODO_SHOWN = 10  # compact: the follow-up page has the whole list


def _this_week(todo, personal: bool) -> None:
    """« À faire cette semaine »: the user's follow-ups overdue or due within 7 days, the team's count, and the
    situations six months after a contract's end to gather (DESIGN §3.7)."""
    st.subheader("À faire cette semaine")
    c1, c2, c3 = st.columns(3)
    c1.metric(
        "Mes suivis à faire",
        fmt_number(todo.mine_count),
        help=f"Dont {fmt_number(todo.mine_overdue)} en retard ; les autres sont à faire dans les 7 jours.",
    )
    c2.metric(
        "Suivis à faire (équipe)",
        fmt_number(todo.team),
        help=f"Dont {fmt_number(todo.team_overdue)} en retard.",
    )
    c3.metric(
        "Situations à 6 mois à recueillir",
        fmt_number(todo.six_months_mine),
        help=f"{fmt_number(todo.six_months_team)} pour l'équipe.",
    )
    if todo.mine:
        as_of = today()
        shown = todo.mine
        table(
            pd.DataFrame(
                {
                    "Échéance": [fmt_date(r.due.on) for r in shown],
                    "En retard": ["oui" if r.due.overdue(as_of) else "" for r in shown],
                    "À faire": [r.due.kind.label for r in shown],
                    "Participant": [r.participant for r in shown],
                    **({"Téléphone": [r.phone for r in shown]} if personal else {}),
                    "Entreprise": [r.user_company or r.employer for r in shown],
                }
            )
        )
    if todo.mine_count > len(todo.mine):
        st.caption(f"Les {len(todo.mine)} plus urgents sur {fmt_number(todo.mine_count)}.")
    if todo.mine_count > len(todo.mine) or todo.six_months_mine or not todo.mine:
        st.caption(
            "Le détail, le journal de chaque contrat et les situations à 6 mois sont sur la page "
            "« Suivi dans l'emploi »."
        )


def _lapsing(lapsing) -> None:
    """Eligibility ending within the warning days, or lapsed under a running contract (DESIGN §3.2)."""
    if not lapsing.count:
        return
    with st.expander(
        f"Éligibilités à renouveler : {fmt_number(lapsing.count)} participant(s), dont {fmt_number(lapsing.lapsed)} "
        "expirée(s) en cours de contrat",
        expanded=False,
    ):
        shown = lapsing.rows
        table(
            pd.DataFrame(
                {
                    "Fin de validité": [fmt_date(r.end) for r in shown],
                    "Jours restants": [r.days_left for r in shown],
                    "Participant": [r.name for r in shown],
                    "En contrat": ["oui" if r.in_contract else "" for r in shown],
                    "Conseiller": [r.counsellor for r in shown],
                    "Antenne": [r.antenna for r in shown],
                }
            )
        )
        if lapsing.count > len(shown):
            st.caption(
                f"Les {len(shown)} plus proches sur {fmt_number(lapsing.count)} : la liste complète est sur la page "
                "« Participants » (filtre « expire bientôt »)."
            )


LAPSING_SHOWN = 50
LATE_SHOWN = 200  # a screen, not an archive: the download holds the whole list


def _progress_chart() -> None:
    """The live chart of hours achieved against commitment (§3.4), by company, lot, operation or buyer."""
    st.subheader("Heures réalisées face aux engagements")
    as_of = today()
    filters, described = progress_filters("dashboard")
    levels = [progress.Level.COMPANY, progress.Level.LOT, progress.Level.OPERATION, progress.Level.BUYER]
    level = st.radio("Par", levels, format_func=lambda lv: lv.label, horizontal=True, key="dashboard_level")
    rows, _limits = cached.progress_rows(filters, as_of)
    if not rows:
        st.info("Aucun engagement ne correspond à ces filtres.")
        return
    _groups, _overall, late = cached.progress_rollups(filters, as_of, level)
    chart, groups = cached.progress_chart(filters, as_of, level, described)
    if groups > charts.MAX_BARS:
        st.caption(f"Les {charts.MAX_BARS} {level.label.lower()}s qui demandent le plus d'attention sur {groups}.")
    # Streamlit sizes the element from the chart's own height (the bars only): room for titles, axis and legend.
    shown = min(groups, charts.MAX_BARS)
    st.vega_lite_chart(spec=chart, theme=None, width="content", height=shown * charts.BAR_HEIGHT + 170)
    stamp = as_of.isoformat()
    c1, c2 = st.columns(2)
    c1.download_button(
        "Image PNG pour diaporama",
        data=lambda: charts.chart_png(chart),
        mime="image/png",
        file_name=f"avancement-{level.value}-{stamp}.png",
        key="dashboard_png",
    )
    c2.download_button(
        "Image SVG",
        data=lambda: charts.chart_svg(chart),
        mime="image/svg+xml",
        file_name=f"avancement-{level.value}-{stamp}.svg",
        key="dashboard_svg",
    )

    st.subheader(f"Engagements en retard ({len(late)})")
    if len(late):
        frame = pd.DataFrame(  # from whole columns: thousands of late commitments at size L
            {
                "Entreprise": late.column("company"),
                "Lot": late.column("lot_reference") + " " + late.column("lot_label"),
                "Opération": late.column("operation"),
                "Donneur d'ordre": late.column("buyer"),
                "Heures prescrites": in_units(late.column("committed_h100")),
                "Heures réalisées": in_units(late.column("achieved_h100")),
                "Attendues à date": in_units(late.column("expected_h100")),
                "Statut": [status.label for status in late.column("status")],
            }
        )
        if len(late) > LATE_SHOWN:
            st.caption(
                f"Les {LATE_SHOWN} qui demandent le plus d'attention ; le téléchargement donne la liste complète."
            )
        table(
            frame.head(LATE_SHOWN),
            column_config={
                c: st.column_config.NumberColumn(format="localized")
                for c in ("Heures prescrites", "Heures réalisées", "Attendues à date")
            },
        )
        download_buttons(frame, "engagements-en-retard", key="dashboard_late")


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
