"""Bilans › Export complet: all the data as one Excel workbook (one sheet per table, stable column names), personal
data only for admin; and the directory of ESS and SIAE structures by trade as a PDF brochure."""

import pandas as pd
import streamlit as st

from clausier import db
from clausier.reports import exports
from clausier.services import audit, directory_pdf, full_export, partners
from models.enums import Role
from ui.db import engine, session_scope
from ui.progress_filters import today
from ui.widgets import require_role, table

KEY = "fx"


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Export complet")
    bound = engine()  # deferred downloads run on another thread: they open their own session on this engine
    stamp = today()

    st.subheader("Toutes les données (Excel)")
    st.caption(
        "Un classeur Excel, une feuille par table, les colonnes nommées comme dans la base (noms stables, décrits "
        "dans le README) : pour les autres outils du PLIE et pour l'archivage. Chaque téléchargement est tracé dans "
        "le journal des actions."
    )
    if not full_export.may_export(user):
        st.caption(
            "Export réservé aux rôles Administrateur et Saisie : le classeur contient des lignes sur les participants."
        )
    else:
        if not full_export.with_personal_data(user):
            st.info(
                "Votre classeur ne contient pas les données personnelles (identité et coordonnées des participants, "
                "notes sur les personnes, e-mails des utilisateurs, journal des actions) : elles sont réservées au "
                "rôle Administrateur."
            )
        sheets, left_out = full_export.plan(user)

        def build() -> bytes:
            with db.session_scope(bound) as session:
                return full_export.export(session, user).data  # logged in the same transaction

        suffix = "" if full_export.with_personal_data(user) else "-sans-donnees-personnelles"
        st.download_button(
            "Télécharger l'export complet (Excel)",
            data=build,
            file_name=f"clausier-export-complet{suffix}-{stamp.isoformat()}.xlsx",
            mime=exports.XLSX_MIME,
            key=f"{KEY}_xlsx",
            type="primary",
            icon="⬇️",
        )
        with st.expander(f"Feuilles et colonnes ({len(sheets)} feuilles)"):
            table(
                pd.DataFrame(
                    {
                        "Feuille": [s.table for s in sheets],
                        "Colonnes": [", ".join(s.columns) for s in sheets],
                        "Colonnes non fournies": [", ".join(s.left_out) for s in sheets],
                    }
                )
            )
            if left_out:
                st.caption("Feuilles non fournies (données personnelles) : " + ", ".join(left_out) + ".")

    st.subheader("Annuaire ESS / SIAE (PDF)")
    st.caption(
        "Les structures de l'ESS et de l'IAE par métier (codes ROME), avec leurs contacts : une brochure à remettre "
        "aux acheteurs et aux entreprises qui préparent un marché réservé, une sous-traitance ou une cotraitance."
    )
    with session_scope() as session:
        trade_labels = {t.code: f"{t.code} – {t.label}" for t in partners.trades(session)}
    trade = st.selectbox(
        "Métier",
        [None, *trade_labels],
        format_func=lambda code: "Tous les métiers" if code is None else trade_labels[code],
        key=f"{KEY}_trade",
    )

    def brochure() -> bytes:
        with db.session_scope(bound) as session:
            result = directory_pdf.build(session, stamp, trade)
            audit.record_export(
                session, user, "annuaire-ess-siae", result.file_name, result.structures, personal_data=False
            )
            return result.pdf

    st.download_button(
        "Télécharger l'annuaire (PDF)",
        data=brochure,
        file_name=f"annuaire-ess-siae{'-' + trade if trade else ''}-{stamp.isoformat()}.pdf",
        mime="application/pdf",
        key=f"{KEY}_directory",
        icon="📄",
    )


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
