"""Altair chart specs of hours achieved against commitments (DESIGN §3.4, §4), and their PNG/SVG export.

Charts are data: ``progress_frame`` is the table a chart draws, ``progress_chart`` the spec (tests read
``chart.to_dict()``), ``chart_png`` / ``chart_svg`` render it offline with vl-convert for a committee slide.
Readable in black and white: each bar ends with its rate and status written out, the expected-to-date mark is a
black tick, and the colours (Okabe-Ito) only repeat what the text says.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import altair as alt
import pandas as pd
import vl_convert

from clausier.formatting import fmt_date, fmt_hours, fmt_percent
from clausier.rules.progress import ATTENTION_ORDER, STATUS_COLOURS, STATUS_LABELS, Progress

CHART_WIDTH = 760  # CSS px: × scale 2 gives an image about 1,600 px wide (a 16:9 slide)
BAR_HEIGHT = 22
MAX_BARS = 40  # a slide holds no more; the rest is in the table
FRENCH_NUMBER = "replace(format(datum.value, ',.0f'), regexp(',', 'g'), '\u00a0')"


def progress_frame(items: Sequence[tuple[str, Progress]], limit: int | None = MAX_BARS) -> pd.DataFrame:
    """One row per bar, sorted by what needs attention (status order, then the largest gap to the expected hours),
    hours as floats (h), French texts ready to print. ``items``: (label, progress) pairs."""
    ordered = sorted(items, key=lambda it: (it[1].status.attention, -it[1].gap_h100, it[0]))
    if limit is not None:
        ordered = ordered[:limit]
    rows = []
    for rank, (label, p) in enumerate(ordered):
        rows.append(
            {
                "rang": rank,
                "libelle": label,
                "engage": p.committed_h100 / 100,
                "realise": p.achieved_h100 / 100,
                "attendu": None if p.expected_h100 is None else p.expected_h100 / 100,
                "taux": p.rate,
                "statut": STATUS_LABELS[p.status],
                "texte": f"{fmt_percent(p.rate)} · {STATUS_LABELS[p.status]}",
                "engage_txt": fmt_hours(p.committed_h100),
                "realise_txt": fmt_hours(p.achieved_h100),
                "attendu_txt": fmt_hours(p.expected_h100),
                # the end of the longer bar, where the text goes
                "fin": max(p.committed_h100, p.achieved_h100) / 100,
            }
        )
    columns = ["rang", "libelle", "engage", "realise", "attendu", "taux", "statut", "texte"]
    columns += ["engage_txt", "realise_txt", "attendu_txt", "fin"]
    return pd.DataFrame(rows, columns=columns)


def subtitle_lines(as_of: date, filters: Sequence[str] = ()) -> list[str]:
    """« Situation au 15/03/2026 » and the filters applied, to be written on the image."""
    lines = [f"Situation au {fmt_date(as_of)}"]
    lines.append("Filtres : " + (" · ".join(filters) if filters else "aucun"))
    return lines


def progress_chart(
    items: Sequence[tuple[str, Progress]],
    *,
    title: str = "Heures réalisées / heures engagées",
    as_of: date,
    filters: Sequence[str] = (),
    axis_title: str = "Entreprise",
    limit: int | None = MAX_BARS,
) -> alt.LayerChart:
    """Horizontal bars: the committed hours in light grey, the achieved hours over them coloured by status, a
    black tick at the hours expected to date, and « 42 % · en retard » at the end. ``items`` are (label,
    progress) pairs — ``[(r.label, r.progress) for r in roll_ups(...)]`` — or commitments."""
    frame = progress_frame(items, limit)
    order = list(frame["libelle"])
    y = alt.Y("libelle:N", sort=order, title=axis_title, axis=alt.Axis(labelLimit=260))
    x_axis = alt.Axis(title="Heures", labelExpr=FRENCH_NUMBER, grid=True, tickCount=8, labelOverlap=True)
    # room on the right for « 100 % · terminé – non atteint » after the longest bar
    x_scale = alt.Scale(domain=[0, float(frame["fin"].max() or 1) * 1.3], nice=False)
    tooltip = [
        alt.Tooltip("libelle:N", title=axis_title),
        alt.Tooltip("engage_txt:N", title="Engagées"),
        alt.Tooltip("realise_txt:N", title="Réalisées"),
        alt.Tooltip("attendu_txt:N", title="Attendues à date"),
        alt.Tooltip("texte:N", title="Taux · statut"),
    ]
    base = alt.Chart(frame)
    committed = base.mark_bar(color="#E0E0E0", stroke="#707070", strokeWidth=0.5).encode(
        x=alt.X("engage:Q", axis=x_axis, scale=x_scale), y=y, tooltip=tooltip
    )
    labels = [STATUS_LABELS[s] for s in ATTENTION_ORDER]
    achieved = base.mark_bar(height=BAR_HEIGHT * 0.55).encode(
        x=alt.X("realise:Q"),
        y=y,
        color=alt.Color(
            "statut:N",
            scale=alt.Scale(domain=labels, range=[STATUS_COLOURS[s] for s in ATTENTION_ORDER]),
            legend=alt.Legend(title="Statut", orient="bottom"),
        ),
        tooltip=tooltip,
    )
    expected = (
        base.transform_filter("isValid(datum.attendu)")
        .mark_tick(color="black", thickness=3, size=BAR_HEIGHT)
        .encode(x=alt.X("attendu:Q"), y=y, tooltip=tooltip)
    )
    text = base.mark_text(align="left", dx=4, fontSize=11, color="black").encode(
        x=alt.X("fin:Q"), y=y, text=alt.Text("texte:N")
    )
    height = max(1, len(frame)) * BAR_HEIGHT
    return alt.layer(committed, achieved, expected, text).properties(
        title=alt.TitleParams(text=title, subtitle=subtitle_lines(as_of, filters), anchor="start", fontSize=18),
        width=CHART_WIDTH,
        height=height,
    )


def chart_png(chart: alt.TopLevelMixin | dict, scale: float = 2) -> bytes:
    """The chart as a PNG (white background, French number format), about 1,600 px wide at scale 2."""
    return vl_convert.vegalite_to_png(_spec(chart), scale=scale, format_locale="fr-FR")


def chart_svg(chart: alt.TopLevelMixin | dict) -> str:
    return vl_convert.vegalite_to_svg(_spec(chart), format_locale="fr-FR")


def _spec(chart: alt.TopLevelMixin | dict) -> dict:
    """The Vega-Lite spec of an Altair chart, or a copy of a spec already made (see ui.cached.progress_chart)."""
    spec = dict(chart) if isinstance(chart, dict) else chart.to_dict()
    spec.setdefault("background", "white")
    return spec
