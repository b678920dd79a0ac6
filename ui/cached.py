"""Cached readers for the pages: keyed by database and filters, cleared by ``clear()`` after a write."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from clausier import config
from clausier.services import dashboard
from ui.db import session_scope


@st.cache_data(ttl=60, show_spinner=False)
def _home(database_url: str) -> tuple[dashboard.Totals, list[dashboard.BuyerRow]]:
    with session_scope() as session:
        return dashboard.totals(session), dashboard.by_buyer(session)


def home() -> tuple[dashboard.Totals, list[dashboard.BuyerRow]]:
    """The home page's totals; at most a minute old (writes made outside the app, such as the command line)."""
    return _home(config.database_url())


# A few threads for the cached readers of one page that do not depend on each other: while one waits on the
# database (the driver lets go of the interpreter during a query), another computes. The home page reads its four
# blocks this way at a cold cache.
_workers = ThreadPoolExecutor(max_workers=3, thread_name_prefix="clausier-reader")


def in_background(reader: Callable[..., Any], *args: Any) -> Future:
    """Start ``reader(*args)`` (one of this module's cached readers) in a worker thread attached to the current
    script run, so that its cache is the one this run reads; ``.result()`` gives the value or raises its error."""
    ctx = get_script_run_ctx()

    def run() -> Any:
        if ctx is not None:
            add_script_run_ctx(threading.current_thread(), ctx)
        return reader(*args)

    return _workers.submit(run)


_TOPICS: dict[str, list[Any]] = {}  # topic → the cached readers (st.cache_resource / st.cache_data) that read it


def reads(*topics: str) -> Callable[[Any], Any]:
    """Register a page's own cached reader under what it reads (« contracts », « hours »…): ``changed(topic)`` after
    a write clears it, whichever page wrote. No page imports another page to clear its caches."""

    def register(reader: Any) -> Any:
        for topic in topics:
            _TOPICS.setdefault(topic, []).append(reader)
        return reader

    return register


def changed(*topics: str) -> None:
    """After a write: clear the readers of these topics, and the shared readers of this module."""
    for topic in topics:
        for reader in _TOPICS.get(topic, []):
            reader.clear()
    clear()


def clear() -> None:
    """After a write that changes what the cached readers return."""
    st.cache_data.clear()
    _progress.clear()
    _progress_frame.clear()
    _rollups.clear()


# cache_resource, not cache_data: the table of 25,000 commitments is shared as it is instead of being copied
# (unpickled) at every rerun.
@st.cache_resource(ttl=60, show_spinner="Calcul de l'avancement…")
def _progress(database_url: str, filters, as_of):
    from clausier.services import progress

    with session_scope() as session:
        limits = progress.thresholds(session)
        return progress.progress_table(session, as_of=as_of, filters=filters, limits=limits), limits


def progress_rows(filters, as_of):
    """Progress of every commitment for these filters (a ``ProgressTable``, needs attention first), and the
    thresholds used."""
    return _progress(config.database_url(), filters, as_of)


@st.cache_resource(ttl=60, show_spinner=False)
def _progress_frame(database_url: str, filters, as_of):
    table, _limits = _progress(database_url, filters, as_of)
    return table.frame()


def progress_frame(filters, as_of):
    """Every commitment as a row of a DataFrame (``ProgressTable.frame``), shared between reruns: read it, never
    change it in place."""
    return _progress_frame(config.database_url(), filters, as_of)


@st.cache_resource(ttl=60, show_spinner=False)
def _rollups(database_url: str, filters, as_of, level):
    table, _limits = _progress(database_url, filters, as_of)
    return table.roll_ups(level), table.total(), table.late_table()


def progress_rollups(filters, as_of, level):
    """(roll-up rows of ``level``, overall progress, late commitments as a ``ProgressTable``), shared between
    reruns."""
    return _rollups(config.database_url(), filters, as_of, level)


@st.cache_data(ttl=60, show_spinner=False)
def _progress_chart(database_url: str, filters, as_of, level, described: tuple[str, ...]) -> tuple[dict, int]:
    from clausier.reports import charts

    groups, _overall, _late = _rollups(database_url, filters, as_of, level)
    chart = charts.progress_chart(
        [(g.label, g.progress) for g in groups],
        title=f"Heures d'insertion réalisées / engagées par {level.label.lower()}",
        as_of=as_of,
        filters=list(described),
        axis_title=level.label,
    )
    # the spec is checked against the Vega-Lite schema by tests/unit/test_charts.py; not again at each data change
    return chart.to_dict(validate=False), len(groups)


def progress_chart(filters, as_of, level, described) -> tuple[dict, int]:
    """The Vega-Lite spec of the progress chart (built and checked by Altair once, not at every rerun) and the
    number of groups it was drawn from."""
    return _progress_chart(config.database_url(), filters, as_of, level, tuple(described))


@st.cache_data(ttl=300, show_spinner=False)
def filter_choices(database_url: str) -> dict:
    from clausier.services import progress

    with session_scope() as session:
        return progress.filter_choices(session)


# --- Bilans (§3.9): keyed by database, scope, period and day; cleared with the rest by ``clear()`` ---------------


@st.cache_data(ttl=60, show_spinner="Calcul du bilan…")
def _bilan(database_url: str, scope, period, today):
    from clausier.services import bilans

    with session_scope() as session:
        return bilans.compute(session, scope, period, today)


def bilan(scope, period, today):
    """The bilan of a scope over a period (``clausier.services.bilans.compute``), at most a minute old."""
    return _bilan(config.database_url(), scope, period, today)


@st.cache_data(ttl=60, show_spinner=False)
def _bilan_pdf(database_url: str, scope, period, today) -> bytes:
    from clausier.services import bilans

    return bilans.bilan_pdf(_bilan(database_url, scope, period, today))


def bilan_pdf(scope, period, today) -> bytes:
    """The bilan as a PDF (built when the button is clicked, then kept a minute)."""
    return _bilan_pdf(config.database_url(), scope, period, today)


@st.cache_data(ttl=300, show_spinner=False)
def bilan_scopes(database_url: str) -> dict:
    from clausier.services import bilans

    with session_scope() as session:
        return bilans.scope_choices(session)


@st.cache_data(ttl=300, show_spinner=False)
def bilan_lots(database_url: str, operation_id: int) -> dict:
    from clausier.services import bilans

    with session_scope() as session:
        return bilans.lots_of(session, operation_id)


@st.cache_data(ttl=60, show_spinner=False)
def _bilan_charts(database_url: str, scope, period, today) -> dict:
    from clausier.reports import bilan

    return bilan.chart_specs(_bilan(database_url, scope, period, today))


def bilan_charts(scope, period, today) -> dict:
    """The Vega-Lite specs of the bilan's charts, by table key."""
    return _bilan_charts(config.database_url(), scope, period, today)


@st.cache_data(ttl=60, show_spinner=False)
def _todo(database_url: str, login: str, as_of, shown: int, personal: bool):
    from clausier.services import dashboard

    with session_scope() as session:
        return dashboard.todo_this_week(session, login, as_of, shown=shown, with_personal_data=personal)


def todo_this_week(login: str, as_of, shown: int, personal: bool):
    """The follow-ups to do this week for ``login`` and the team (home page); the phones only ``personal``
    (``clausier.privacy.with_personal_data`` of the user)."""
    return _todo(config.database_url(), login, as_of, shown, personal)


@st.cache_data(ttl=300, show_spinner=False)
def _lapsing(database_url: str, as_of, shown: int):
    from clausier.services import participants

    with session_scope() as session:
        return participants.lapsing_eligibilities(session, as_of, shown)


def lapsing_eligibilities(as_of, shown: int):
    """Eligibility ending soon or lapsed under contract (home page): the counts and the first ``shown`` rows;
    cleared after a write in the app."""
    return _lapsing(config.database_url(), as_of, shown)
