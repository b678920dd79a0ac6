"""Download buttons under a table: CSV (French Excel style) and Excel, as DESIGN §5.4 says."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pandas as pd
import streamlit as st

from clausier import privacy
from clausier.reports import exports
from clausier.services import audit
from ui.db import session_scope
from ui.widgets import current_user


def _log(what: str, file_name: str, rows: int, personal_data: bool) -> None:
    """on_click of a download button: runs at the start of the rerun that follows the click."""
    with session_scope() as session:
        audit.record_export(session, current_user(), what, file_name, rows, personal_data=personal_data)


def download_buttons(
    frame: pd.DataFrame | Callable[[], pd.DataFrame],
    basename: str,
    *,
    personal_data: bool = False,
    label: str = "Télécharger",
    logged: bool | None = None,
    key: str | None = None,
    title: str | None = None,
    sheet: str | None = None,
    rows: int | None = None,
) -> None:
    """Two buttons, « {label} (CSV) » and « {label} (Excel) », giving ``basename-AAAA-MM-JJ.csv`` / ``.xlsx``.

    ``personal_data``: shown only to admin and saisie (others get a short note), and each download is logged.
    ``logged`` logs the downloads of a table that is not personal data too (default: as ``personal_data``).
    ``key`` tells apart two tables of one screen exported under the same basename. The files are built only
    when a button is clicked (deferred data), so a screen does not pay for them on every run. ``frame`` may be a
    function building the table (a long list read only on click): give then ``rows``, the count written in the
    journal. ``sheet``: the Excel sheet's name (default: ``title``, else ``basename``)."""
    user = current_user()
    if not privacy.may_export(user, personal_data=personal_data):
        st.caption("Export réservé aux rôles Administrateur et Saisie : ce tableau contient des données personnelles.")
        return
    logged = personal_data if logged is None else logged
    stamp = date.today().isoformat()
    key = key or f"export_{basename}"
    build = frame if callable(frame) else (lambda: frame)
    rows = int(frame.shape[0]) if rows is None and not callable(frame) else int(rows or 0)
    csv_name, xlsx_name = f"{basename}-{stamp}.csv", f"{basename}-{stamp}.xlsx"
    sheet = sheet or title or basename

    with st.container(horizontal=True):
        st.download_button(
            f"{label} (CSV)",
            data=lambda: exports.to_csv_bytes(build()),
            file_name=csv_name,
            mime=exports.CSV_MIME,
            key=f"{key}_csv",
            on_click=_log if logged else "ignore",
            args=(basename, csv_name, rows, personal_data) if logged else None,
            icon="⬇️",
        )
        st.download_button(
            f"{label} (Excel)",
            data=lambda: exports.to_xlsx_bytes(build(), sheet_name=sheet, title=title),
            file_name=xlsx_name,
            mime=exports.XLSX_MIME,
            key=f"{key}_xlsx",
            on_click=_log if logged else "ignore",
            args=(basename, xlsx_name, rows, personal_data) if logged else None,
            icon="⬇️",
        )
