"""Bilans › Bilan: every standard indicator of a scope over a period (DESIGN §3.9) as figures, charts and
tables, each downloadable (CSV, Excel, PNG), and the whole bilan as a PDF for a committee or a buyer."""

from datetime import date

import streamlit as st

from clausier import config
from clausier.errors import DomainError
from clausier.formatting import fmt_date
from clausier.reports import bilan as indicators
from clausier.reports import charts
from clausier.reports.bilan import Breakdown, Period, Scope, ScopeKind
from clausier.services import bilans
from models.enums import Role
from ui import cached
from ui.exports import download_buttons
from ui.progress_filters import today
from ui.widgets import error, md_escape, require_role, table

CUSTOM = "Période choisie"
CHART_EXTRA_HEIGHT = 110  # titles, axis: Streamlit sizes the element from the bars' height only


def _scope() -> Scope | None:
    """The scope kind, then the item (for a lot: its operation first). None until an item is chosen."""
    kind = st.radio(
        "Périmètre", list(ScopeKind), format_func=lambda k: k.label, horizontal=True, key="bilan_scope_kind"
    )
    if kind is ScopeKind.ALL:
        return Scope()
    choices = cached.bilan_scopes(config.database_url())
    if kind is ScopeKind.LOT:
        c1, c2 = st.columns(2)
        operation = c1.selectbox(
            "Opération",
            list(choices["operations"]),
            index=None,
            placeholder="Choisir une opération",
            format_func=lambda i: choices["operations"][i],
            key="bilan_lot_operation",
        )
        if operation is None:
            st.info("Choisissez l'opération, puis le lot.")
            return None
        lots = cached.bilan_lots(config.database_url(), operation)
        item = c2.selectbox(
            "Lot",
            list(lots),
            index=None,
            placeholder="Choisir un lot",
            format_func=lambda i: lots[i],
            key="bilan_lot",
        )
    else:
        options = choices[{"buyer": "buyers", "operation": "operations", "company": "companies"}[kind.value]]
        item = st.selectbox(
            kind.label,
            list(options),
            index=None,
            placeholder=f"Choisir : {kind.label.lower()}",
            format_func=lambda i: options[i],
            key=f"bilan_{kind.value}",
        )
    if item is None:
        st.info(f"Choisissez : {kind.label.lower()}.")
        return None
    return Scope(kind, item)


def _period(day: date) -> Period | None:
    presets = indicators.period_presets(day)
    name = st.radio("Période", [*presets, CUSTOM], horizontal=True, key="bilan_period")
    if name != CUSTOM:
        return presets[name]
    default = next(iter(presets.values()))
    c1, c2 = st.columns(2)
    start = c1.date_input("Du", value=default.start, format="DD/MM/YYYY", key="bilan_start")
    end = c2.date_input("Au", value=default.end, format="DD/MM/YYYY", key="bilan_end")
    if start is None or end is None:
        st.info("Indiquez le début et la fin de la période.")
        return None
    if end < start:
        error("La fin de la période doit suivre son début.")
        return None
    return Period(start, end)


def _chart(spec: dict | None, bars: int, extra: int, name: str, key: str, alt: str) -> None:
    """A chart from its cached spec, and its PNG download (rendered when clicked)."""
    if spec is None:
        return
    st.vega_lite_chart(spec=spec, theme=None, width="content", height=bars * charts.BAR_HEIGHT + extra, alt=alt)
    st.download_button(
        "Image PNG",
        data=lambda: indicators.spec_png(spec),
        mime="image/png",
        file_name=f"{name}.png",
        key=key,
        icon="🖼️",
    )


def _breakdown(specs: dict, breakdown: Breakdown, stem: str) -> None:
    st.subheader(breakdown.title)
    if breakdown.frame.empty:
        st.caption("Aucune donnée sur ce périmètre et cette période.")
        return
    _chart(
        specs.get(breakdown.key),
        min(len(breakdown.frame), indicators.CHART_BARS),
        CHART_EXTRA_HEIGHT,
        f"{stem}-{breakdown.key}",
        f"bilan_png_{breakdown.key}",
        f"Graphique en barres : {breakdown.title.lower()}, repris dans le tableau qui suit.",
    )
    number_format = "localized" if breakdown.unit == indicators.HOURS else None
    table(
        breakdown.frame,
        column_config={
            breakdown.unit: st.column_config.NumberColumn(format=number_format)
            if breakdown.frame[breakdown.unit].dtype != object
            else st.column_config.TextColumn(),
            indicators.SHARE: st.column_config.NumberColumn(format="localized"),
        },
    )
    if breakdown.note:
        st.caption(breakdown.note)
    download_buttons(breakdown.frame, f"{stem}-{breakdown.key}", key=f"bilan_dl_{breakdown.key}", title=breakdown.key)


def render() -> None:
    require_role(Role.LECTURE)
    st.title("Bilans")
    day = today()
    scope = _scope()
    period = _period(day)
    if scope is None or period is None:
        return
    try:
        b = cached.bilan(scope, period, day)
    except DomainError as exc:
        error(str(exc))
        return
    stem = bilans.file_stem(b)

    st.caption(
        f"{md_escape(b.scope_label)} · période {b.period.label} · avancement au {fmt_date(b.as_of)} · "
        f"effectifs inférieurs à {b.threshold} regroupés ou masqués · aucun nom de personne"
    )
    st.download_button(
        "Télécharger le bilan (PDF)",
        data=lambda: cached.bilan_pdf(scope, period, day),
        mime="application/pdf",
        file_name=f"{stem}.pdf",
        key="bilan_pdf",
        type="primary",
        icon="📄",
    )

    figures = dict(b.key_figures())
    st.subheader("Heures d'insertion")
    c1, c2, c3 = st.columns(3)
    names = list(figures)
    for column, name in zip((c1, c2, c3, c1, c2, c3), names[:6], strict=True):
        column.metric(name, figures[name])
    st.subheader("Personnes et contrats")
    d1, d2, d3 = st.columns(3)
    for column, name in zip((d1, d2, d3), names[6:], strict=True):
        column.metric(name, figures[name])
    st.caption(
        "Engagements du périmètre dont le lot s'exécute pendant la période ou qui y ont des heures ; "
        "personnes ayant des heures ou un contrat en cours pendant la période."
    )

    specs = cached.bilan_charts(scope, period, day)
    for breakdown in b.tables():
        _breakdown(specs, breakdown, stem)

    st.subheader(indicators.progress_title(b))
    if b.progress_frame.empty:
        st.caption("Aucun engagement sur ce périmètre et cette période.")
        return
    _chart(
        specs.get(indicators.PROGRESS_KEY),
        min(len(b.progress_items), charts.MAX_BARS),
        170,
        f"{stem}-avancement",
        "bilan_png_progress",
        "Graphique : heures réalisées face aux heures engagées, repris dans le tableau qui suit.",
    )
    hours = [c for c in b.progress_frame.columns if c.startswith(("Heures", "Réalisées", "Reste"))]
    table(
        b.progress_frame,
        column_config={c: st.column_config.NumberColumn(format="localized") for c in hours},
    )
    download_buttons(b.progress_frame, f"{stem}-avancement", key="bilan_dl_progress", title="avancement")


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
