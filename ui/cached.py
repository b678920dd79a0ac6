"""Cached readers for the pages: keyed by database and filters, cleared by ``clear()`` after a write."""

from __future__ import annotations

import streamlit as st

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


def clear() -> None:
    """After a write that changes what the cached readers return."""
    st.cache_data.clear()
