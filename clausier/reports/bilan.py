"""DESIGN §3.9 — the bilan of a scope (all, a buyer, an operation, a lot, a company) over a period.

What a bilan is and how it is drawn: its scope and period, the :class:`Bilan` (figures, tables as ``pandas`` frames
ready to show and export), the small-cell protection, the tables built from counts, the charts. No database here:
``clausier.services.bilans.compute`` reads the tables in a handful of set-based queries and fills a ``Bilan``; its
PDF is laid out by ``clausier.reports.bilan_pdf``.

Decisions the design leaves open, taken here:

- **Period**: start and end dates, both included. An hours entry (one month) counts when its month is inside
  the period: from the month of the start date to the end date (as the progress screens do). A contract
  across the period's edges therefore counts only its months inside.
- **Commitments of the bilan**: those of the scope whose lot's execution overlaps the period (an undated lot
  always does) or that have hours in the period. *Engagées* is their whole commitment; *réalisées sur la
  période* their hours of the period; *réalisées à la fin de la période* all their hours up to the period's end;
  *reste à réaliser*, *taux* and *statut* are read at the end of the period (or today when it is not over), as
  the progress screens compute them (``clausier.services.progress``, roll-ups included).
- **Hours by contract type** follow each hours entry's contract (*Sans contrat rattaché* when it has none).
- **People** are the participants with hours in the period on a commitment of the scope, or with a contract
  of the scope running during the period (a contract runs from its start to its actual end, else its planned
  end, else for ever). A contract belongs to the scope through its commitment; for a company, also a contract
  without commitment whose user company (or employer) it is; for the whole territory, every contract.
- **Age band at contract start** (under 26, 26–49, 50 and over): the age on the start date of the person's
  first contract of the scope running in the period; for a person with hours but no such contract, on the first
  day of their first month of hours in the period. Unknown birth date: *Non renseigné*.
- **Eligibility criteria**: the criteria validated on or before the end of the period; a person with several
  counts once in each (the shares then add up to more than 100 %); *Aucun critère enregistré* otherwise.
- **Outcomes at contract end**: the contracts of the scope whose actual end falls in the period. **At six
  months** (setting ``outcome_after_months``): the contracts whose actual end plus that delay falls in the
  period, i.e. whose situation was due during it. *Non renseignée* when not recorded.

**Small cells** (setting ``small_cell_threshold``, default 3; so that nobody can be recognised). In every table
that counts people (or contracts, which are people too): the categories with fewer people than the threshold
(but more than none) are merged into one line « Autres (effectifs inférieurs à 3 regroupés) ». If that line
itself has fewer than the threshold — or holds a single category, whose count the total would then give back —
the next smallest category joins it, and so on. Every count shown is then 0 or at least the threshold, except
when the whole table is smaller: its only line then reads « < 3 », and so does the number of people or of
contracts on the figures. Hours are not people: hours tables are shown in full. The bilan holds no names of
people at all; companies, lots and buyers are named.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

import altair as alt
import pandas as pd
import vl_convert

from clausier.errors import DomainError
from clausier.formatting import fmt_date, fmt_hours, fmt_number, fmt_percent
from clausier.reports import charts
from clausier.rules.calendar import add_months, shift_month
from clausier.rules.progress import ATTENTION_ORDER, Level, Progress, ProgressStatus

NOT_GIVEN = "Non renseigné"
NOT_GIVEN_F = "Non renseignée"
NO_CONTRACT = "Sans contrat rattaché"
NO_CRITERION = "Aucun critère enregistré"
AGE_BANDS = ["Moins de 26 ans", "26 à 49 ans", "50 ans et plus"]
BAR_COLOUR = "#0072B2"  # Okabe-Ito blue: dark enough to read in black and white, the value is written anyway
CHART_BARS = 20  # bars drawn at most; the table holds every line
PEOPLE = "Personnes"
CONTRACTS = "Contrats"
SHARE = "Part (%)"
HOURS = "Heures"


class ScopeKind(str, Enum):
    ALL = "all"
    BUYER = "buyer"
    OPERATION = "operation"
    LOT = "lot"
    COMPANY = "company"

    @property
    def label(self) -> str:
        return SCOPE_LABELS[self]


SCOPE_LABELS = {
    ScopeKind.ALL: "Tout le territoire",
    ScopeKind.BUYER: "Donneur d'ordre",
    ScopeKind.OPERATION: "Opération",
    ScopeKind.LOT: "Lot",
    ScopeKind.COMPANY: "Entreprise",
}


@dataclass(frozen=True)
class Scope:
    kind: ScopeKind = ScopeKind.ALL
    item_id: int | None = None

    def __post_init__(self) -> None:
        if self.kind is not ScopeKind.ALL and self.item_id is None:
            raise DomainError(f"Choisissez : {self.kind.label.lower()}.")


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise DomainError("La fin de la période doit suivre son début.")

    @property
    def label(self) -> str:
        return f"du {fmt_date(self.start)} au {fmt_date(self.end)}"

    @property
    def first_month(self) -> date:
        return self.start.replace(day=1)


def period_presets(today: date) -> dict[str, Period]:
    """The periods offered first: the current calendar year (the default), the last twelve whole months, the
    previous year."""
    this_month = today.replace(day=1)
    return {
        f"Année {today.year}": Period(date(today.year, 1, 1), date(today.year, 12, 31)),
        "12 derniers mois complets": Period(shift_month(this_month, -12), this_month - timedelta(days=1)),
        f"Année {today.year - 1}": Period(date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)),
    }


# --- pure rules --------------------------------------------------------------------------------------------------


def age_on(birth: date, on: date) -> int:
    """Age in whole years on a date (a birthday on 29 February is reached on 1 March in other years)."""
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def age_band(age: int) -> str:
    if age < 26:
        return AGE_BANDS[0]
    if age < 50:
        return AGE_BANDS[1]
    return AGE_BANDS[2]


def others_label(threshold: int) -> str:
    return f"Autres (effectifs inférieurs à {threshold} regroupés)"


def hidden_label(threshold: int) -> str:
    return f"< {threshold}"


def protect(counts: Sequence[tuple[str, int]], threshold: int) -> list[tuple[str, int]]:
    """The small-cell rule of the module docstring on (category, people) pairs: categories with 0 are dropped,
    the small ones merged into « Autres », with the next smallest while that line is small or holds only one.
    The order of the kept categories is kept; « Autres » comes last. Counts are not yet hidden (``shown``)."""
    counts = [(label, n) for label, n in counts if n > 0]
    if threshold <= 1 or all(n >= threshold for _, n in counts):
        return counts
    merged = {i for i, (_, n) in enumerate(counts) if n < threshold}
    by_size = sorted(range(len(counts)), key=lambda i: (counts[i][1], i))
    while len(merged) < len(counts) and (sum(counts[i][1] for i in merged) < threshold or len(merged) < 2):
        merged.add(next(i for i in by_size if i not in merged))
    kept = [pair for i, pair in enumerate(counts) if i not in merged]
    return kept + [(others_label(threshold), sum(counts[i][1] for i in merged))]


def shown(n: int, threshold: int) -> int | str:
    """A count of people as it may be shown: itself, or « < 3 » when it is small (0 is shown)."""
    return hidden_label(threshold) if 0 < n < threshold else n


# --- results -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    """A table counting people (or contracts, or hours) by category, protected when it counts people."""

    key: str  # a short name for files: "sexe", "age"…
    title: str  # « Personnes par sexe »
    category: str  # the first column's title
    unit: str  # PEOPLE, CONTRACTS or HOURS
    frame: pd.DataFrame  # [category, unit, SHARE]
    total: int  # people (or contracts) of the table, hours in hundredths for hours
    note: str = ""

    @property
    def counts_people(self) -> bool:
        return self.unit in (PEOPLE, CONTRACTS)


@dataclass(frozen=True)
class Bilan:
    scope: Scope
    scope_label: str
    period: Period
    as_of: date  # the date the progress is read at: the period's end, or today when the period is not over
    threshold: int
    overall: Progress  # commitments of the bilan up to the period's end (rate, remaining, status)
    achieved_in_period_h100: int  # their hours of the period
    commitments: int
    people: int
    contracts: int
    hours_by_modality: Breakdown
    hours_by_contract_type: Breakdown
    people_breakdowns: list[Breakdown]
    outcomes: Breakdown
    outcomes_6m: Breakdown
    progress_level: Level  # companies, or the lots of the company for a company's bilan
    progress_items: list[tuple[str, Progress]] = field(default_factory=list)  # for the chart, attention first
    progress_frame: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def subtitle_lines(self) -> list[str]:
        return [f"Périmètre : {self.scope_label}", f"Période : {self.period.label}"]

    @property
    def title(self) -> str:
        return "Bilan de la clause sociale d'insertion"

    def key_figures(self) -> list[tuple[str, str]]:
        """(label, French text) of the headline figures, people and contracts protected."""
        t = self.threshold
        return [
            ("Heures engagées", fmt_hours(self.overall.committed_h100)),
            ("Heures réalisées sur la période", fmt_hours(self.achieved_in_period_h100)),
            (f"Heures réalisées au {fmt_date(self.as_of)}", fmt_hours(self.overall.achieved_h100)),
            ("Reste à réaliser", fmt_hours(self.overall.remaining_h100)),
            ("Taux de réalisation", fmt_percent(self.overall.rate)),
            ("Statut", self.overall.status.label),
            ("Engagements", fmt_number(self.commitments)),
            ("Personnes", _count_text(self.people, t)),
            ("Contrats", _count_text(self.contracts, t)),
        ]

    def tables(self) -> list[Breakdown]:
        """Every breakdown in reading order."""
        return [
            self.hours_by_modality,
            self.hours_by_contract_type,
            *self.people_breakdowns,
            self.outcomes,
            self.outcomes_6m,
        ]


def _count_text(n: int, threshold: int) -> str:
    value = shown(n, threshold)
    return value if isinstance(value, str) else fmt_number(value)


# --- queries -----------------------------------------------------------------------------------------------------


def _label(value) -> str:
    return value.label if isinstance(value, Enum) else str(value)


def counts(values: list, order: list, missing: str) -> list[tuple[str, int]]:
    """(label, how many) in the order given, then the missing values (None) last."""
    counts: dict = defaultdict(int)
    for value in values:
        counts[value] += 1
    return counts_of(counts, order, missing)


def counts_of(counts: dict, order: list, missing: str) -> list[tuple[str, int]]:
    pairs = [(_label(member), int(counts.get(member, 0))) for member in order]
    if counts.get(None):
        pairs.append((missing, int(counts[None])))
    return pairs


def criterion_counts(criteria: Sequence, people_ids: set[int]) -> list[tuple[str, int]]:
    by_label: dict[str, set[int]] = defaultdict(set)
    order: dict[str, int] = {}
    with_one: set[int] = set()
    for pid, label, sort_order in criteria:
        by_label[label].add(pid)
        order[label] = sort_order
        with_one.add(pid)
    pairs = [(label, len(ids)) for label, ids in sorted(by_label.items(), key=lambda kv: (order[kv[0]], kv[0]))]
    without = len(people_ids - with_one)
    return pairs + ([(NO_CRITERION, without)] if without else [])


def commune_counts(communes: list[str | None]) -> list[tuple[str, int]]:
    counts: dict[str, int] = defaultdict(int)
    for name in communes:
        counts[NOT_GIVEN_F if name is None else name] += 1
    named = sorted(((k, v) for k, v in counts.items() if k != NOT_GIVEN_F), key=lambda kv: (-kv[1], kv[0]))
    return named + ([(NOT_GIVEN_F, counts[NOT_GIVEN_F])] if NOT_GIVEN_F in counts else [])


def people_breakdown(
    key: str,
    title: str,
    category: str,
    counts: list[tuple[str, int]],
    threshold: int,
    total: int,
    unit: str = PEOPLE,
    note: str = "",
) -> Breakdown:
    rows = protect(counts, threshold)
    values = [shown(n, threshold) for _, n in rows]
    shares = [
        None if isinstance(v, str) or total <= 0 else round(100 * n / total, 1)
        for v, (_, n) in zip(values, rows, strict=True)
    ]
    frame = pd.DataFrame(
        {
            category: [label for label, _ in rows],
            unit: pd.Series(values, dtype=object if any(isinstance(v, str) for v in values) else "int64"),
            SHARE: pd.Series(shares, dtype="float64"),
        }
    )
    return Breakdown(key, title, category, unit, frame, total, note)


def hours_breakdown(key: str, title: str, category: str, pairs: list[tuple[str, int]]) -> Breakdown:
    pairs = [(label, h) for label, h in pairs if h > 0]
    total = sum(h for _, h in pairs)
    frame = pd.DataFrame(
        {
            category: [label for label, _ in pairs],
            HOURS: pd.Series([h / 100 for _, h in pairs], dtype="float64"),
            SHARE: pd.Series([round(100 * h / total, 1) for _, h in pairs], dtype="float64"),
        }
    )
    return Breakdown(key, title, category, HOURS, frame, total)


def progress_frame(groups, period_hours: dict, level: Level) -> pd.DataFrame:
    records = []
    for g in groups:
        p = g.progress
        records.append(
            {
                level.label: g.label,
                "Engagements": p.count,
                "Heures engagées": p.committed_h100 / 100,
                "Réalisées sur la période": period_hours.get(g.key, 0) / 100,
                "Réalisées à la fin de la période": p.achieved_h100 / 100,
                "Reste à réaliser": p.remaining_h100 / 100,
                "Taux (%)": None if p.rate is None else round(p.rate * 100, 1),
                "Statut": p.status.label,
            }
        )
    columns = [level.label, "Engagements", "Heures engagées", "Réalisées sur la période"]
    columns += ["Réalisées à la fin de la période", "Reste à réaliser", "Taux (%)", "Statut"]
    return pd.DataFrame.from_records(records, columns=columns)


# --- charts ------------------------------------------------------------------------------------------------------


LABEL_CHARS = 46  # about the 260 px of the axis labels: cut here, Vega's own cutting is slow on long labels


def _short(label: str) -> str:
    if len(label) <= LABEL_CHARS:
        return label
    cut = label[: LABEL_CHARS - 1].rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:(–-") + "…"


def _short_labels(labels: list[str]) -> list[str]:
    """Cut labels, kept apart: two that the cut would make equal keep their number (the axis would merge them)."""
    short = [_short(label) for label in labels]
    if len(set(short)) < len(short):
        short = [s if short.count(s) == 1 else f"{s} ({i + 1})" for i, s in enumerate(short)]
    return short


def chart_items(breakdown: Breakdown, limit: int = CHART_BARS) -> list[tuple[str, float, str]]:
    """What a chart of the table draws: (label, value, « 1 234 h · 12,5 % »), the first ``limit`` lines; nothing
    when a count is hidden (the whole table is below the small-cell threshold)."""
    frame = breakdown.frame
    values = frame[breakdown.unit]
    if frame.empty or any(isinstance(v, str) for v in values):
        return []
    items = []
    for label, value, share in zip(frame[breakdown.category], values, frame[SHARE], strict=True):
        text = fmt_number(value) + (" h" if breakdown.unit == HOURS else "")
        if not pd.isna(share):
            text += f" · {fmt_number(share, 1 if share % 1 else 0)} %"
        items.append((str(label), float(value), text))
    return items[:limit]


def progress_items(
    bilan: Bilan, limit: int = charts.MAX_BARS
) -> list[tuple[str, float, float, float | None, str, str]]:
    """What the progress chart draws, as the PDF draws it: (label, committed, achieved, expected, colour, text)."""
    frame = charts.progress_frame(bilan.progress_items, limit)
    colours = {s.label: s.colour for s in ProgressStatus}
    return [
        (r.libelle, r.engage, r.realise, None if pd.isna(r.attendu) else r.attendu, colours[r.statut], r.texte)
        for r in frame.itertuples()
    ]


def breakdown_chart(bilan: Bilan, breakdown: Breakdown, limit: int = CHART_BARS) -> alt.LayerChart | None:
    """Horizontal bars of a table, the value and share written at the end of each bar (readable in black and
    white); None when nothing can be drawn (no data, or every count hidden)."""
    items = chart_items(breakdown, limit)
    if not items:
        return None
    data = pd.DataFrame(
        {
            "libelle": _short_labels([label for label, _, _ in items]),
            "valeur": [value for _, value, _ in items],
            "texte": [text for _, _, text in items],
        }
    )
    order = list(data["libelle"])
    # the axis title goes above the labels, left-aligned: beside them, Vega drew it over the longest ones
    y = alt.Y(
        "libelle:N",
        sort=order,
        title=breakdown.category,
        axis=alt.Axis(labelLimit=260, titleAngle=0, titleAlign="left", titleAnchor="start", titleY=-8, titleX=-270),
    )
    x_title = {HOURS: "Heures", PEOPLE: "Personnes", CONTRACTS: "Contrats"}[breakdown.unit]
    x_axis = alt.Axis(title=x_title, labelExpr=charts.FRENCH_NUMBER, grid=True, tickCount=6, labelOverlap=True)
    scale = alt.Scale(domain=[0, float(data["valeur"].max() or 1) * 1.3], nice=False)
    tooltip = [alt.Tooltip("libelle:N", title=breakdown.category), alt.Tooltip("texte:N", title=x_title)]
    base = alt.Chart(data)
    bars = base.mark_bar(color=BAR_COLOUR, stroke="black", strokeWidth=0.5, height=charts.BAR_HEIGHT * 0.7).encode(
        x=alt.X("valeur:Q", axis=x_axis, scale=scale), y=y, tooltip=tooltip
    )
    text = base.mark_text(align="left", dx=4, fontSize=11, color="black").encode(
        x=alt.X("valeur:Q"), y=y, text=alt.Text("texte:N")
    )
    subtitle = [f"{bilan.scope_label} · période {bilan.period.label}"]
    if len(breakdown.frame) > limit:
        subtitle.append(f"Les {limit} premières lignes sur {len(breakdown.frame)} (le tableau les donne toutes)")
    return alt.layer(bars, text).properties(
        title=alt.TitleParams(text=breakdown.title, subtitle=subtitle, anchor="start", fontSize=16),
        width=charts.CHART_WIDTH,
        height=len(data) * charts.BAR_HEIGHT,
    )


def progress_chart(bilan: Bilan, limit: int = charts.MAX_BARS) -> alt.LayerChart | None:
    """The companies (or the company's lots) against their commitments, at the period's end."""
    if not bilan.progress_items:
        return None
    what = "entreprise" if bilan.progress_level is Level.COMPANY else "lot"
    return charts.progress_chart(
        bilan.progress_items,
        title=f"Heures réalisées / engagées par {what}",
        as_of=bilan.as_of,
        filters=[bilan.scope_label, f"période {bilan.period.label}"],
        axis_title=bilan.progress_level.label,
        limit=limit,
    )


PROGRESS_KEY = "avancement"


def chart_specs(bilan: Bilan) -> dict[str, dict]:
    """The Vega-Lite spec of every chart, by table key (``PROGRESS_KEY`` for the progress chart): built and
    validated once, then drawn and exported as they are (building them takes about a second at size L)."""
    specs = {}
    for breakdown in bilan.tables():
        chart = breakdown_chart(bilan, breakdown)
        if chart is not None:
            specs[breakdown.key] = chart.to_dict()
    chart = progress_chart(bilan)
    if chart is not None:
        specs[PROGRESS_KEY] = chart.to_dict()
    return specs


def spec_png(spec: dict, scale: float = 2) -> bytes:
    """A chart spec as a PNG, as ``charts.chart_png`` makes it (white background, French numbers)."""
    return vl_convert.vegalite_to_png({"background": "white", **spec}, scale=scale, format_locale="fr-FR")


def status_legend(bilan: Bilan, limit: int | None = None) -> list[tuple[str, str]]:
    """(label, colour) of the statuses of the bars drawn (the first ``limit``), in the order of attention."""
    present = {p.status for _, p in bilan.progress_items[:limit]}
    return [(s.label, s.colour) for s in ATTENTION_ORDER if s in present]


def progress_title(bilan: Bilan) -> str:
    return "Entreprises et leur avancement" if bilan.progress_level is Level.COMPANY else "Lots de l'entreprise"


def due_window(period: Period, delay: int) -> tuple[date, date]:
    """The contract ends whose date plus ``delay`` months falls in the period (31/12 + 6 months = 30/06)."""
    one = timedelta(days=1)
    low = add_months(period.start, -delay)
    while add_months(low, delay) < period.start:
        low += one
    while add_months(low - one, delay) >= period.start:
        low -= one
    high = add_months(period.end, -delay)
    while add_months(high, delay) > period.end:
        high -= one
    while add_months(high + one, delay) <= period.end:
        high += one
    return low, high
