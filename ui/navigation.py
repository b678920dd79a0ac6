"""The role → pages table: which screen each role may open, grouped by job in the sidebar."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import streamlit as st

from clausier.services.users import role_allows
from models.enums import Role
from pages import (
    admin_journal,
    admin_parametres,
    admin_territoire,
    admin_utilisateurs,
    bilans_bilan,
    bilans_export,
    bilans_formations,
    bilans_gpec,
    bilans_reunions,
    candidats_import,
    candidats_offres,
    candidats_participants,
    candidats_positionnements,
    candidats_rapprochement,
    clauses_donneurs,
    clauses_engagements,
    clauses_entreprises,
    clauses_operations,
    clauses_partenaires,
    clauses_reperage,
    mon_compte,
    suivi_avancement,
    suivi_contrats,
    suivi_emploi,
    suivi_import_heures,
    suivi_saisie_heures,
    tableau_de_bord,
)


@dataclass(frozen=True)
class PageSpec:
    section: str
    title: str
    render: Callable[[], None]
    url_path: str
    role: Role  # the least role that may open it
    icon: str


# Sections in the order of the team's jobs (DESIGN §1); a section appears once it has a page.
SECTIONS = ["Tableau de bord", "Clauses", "Candidats", "Suivi", "Bilans", "Administration", "Mon compte"]

# An address (url_path) never equals a file name of pages/: Streamlit's legacy "pages directory" mode
# identifies pages/<name>.py by the same hash as st.Page(url_path=<name>), and the two would collide.
PAGES: list[PageSpec] = [
    PageSpec("Tableau de bord", "Tableau de bord", tableau_de_bord.render, "tableau-de-bord", Role.LECTURE, "📊"),
    PageSpec("Clauses", "Donneurs d'ordre", clauses_donneurs.render, "donneurs-ordre", Role.LECTURE, "🏛️"),
    PageSpec("Clauses", "Opérations et lots", clauses_operations.render, "operations", Role.LECTURE, "🏗️"),
    PageSpec("Clauses", "Entreprises", clauses_entreprises.render, "entreprises", Role.LECTURE, "🏢"),
    PageSpec("Clauses", "Engagements", clauses_engagements.render, "engagements", Role.LECTURE, "🤝"),
    PageSpec("Clauses", "Partenaires", clauses_partenaires.render, "partenaires", Role.LECTURE, "🧭"),
    PageSpec("Clauses", "Repérage des marchés", clauses_reperage.render, "reperage", Role.LECTURE, "🔎"),
    PageSpec("Candidats", "Participants", candidats_participants.render, "participants", Role.LECTURE, "🙋"),
    PageSpec("Candidats", "Import de participants", candidats_import.render, "import-participants", Role.SAISIE, "📤"),
    PageSpec("Candidats", "Offres d'emploi", candidats_offres.render, "offres", Role.LECTURE, "💼"),
    PageSpec("Candidats", "Rapprochement", candidats_rapprochement.render, "rapprochement", Role.LECTURE, "🎯"),
    PageSpec("Candidats", "Positionnements", candidats_positionnements.render, "positionnements", Role.LECTURE, "📋"),
    PageSpec("Suivi", "Avancement", suivi_avancement.render, "avancement", Role.LECTURE, "📈"),
    PageSpec("Suivi", "Import des heures", suivi_import_heures.render, "import-heures", Role.SAISIE, "📥"),
    PageSpec("Suivi", "Saisie des heures", suivi_saisie_heures.render, "saisie-heures", Role.SAISIE, "✍️"),
    PageSpec("Suivi", "Contrats", suivi_contrats.render, "contrats", Role.LECTURE, "📝"),
    PageSpec("Suivi", "Suivi dans l'emploi", suivi_emploi.render, "suivi-emploi", Role.LECTURE, "📞"),
    PageSpec("Bilans", "Bilans", bilans_bilan.render, "bilans", Role.LECTURE, "📑"),
    PageSpec("Bilans", "GPEC", bilans_gpec.render, "gpec", Role.LECTURE, "🧮"),
    PageSpec("Bilans", "Formations", bilans_formations.render, "formations", Role.LECTURE, "🎓"),
    PageSpec("Bilans", "Réunions et comités", bilans_reunions.render, "reunions", Role.LECTURE, "🗓️"),
    PageSpec("Bilans", "Export complet", bilans_export.render, "export-complet", Role.LECTURE, "🗄️"),
    PageSpec("Administration", "Utilisateurs", admin_utilisateurs.render, "utilisateurs", Role.ADMIN, "👥"),
    PageSpec("Administration", "Territoire", admin_territoire.render, "territoire", Role.ADMIN, "🗺️"),
    PageSpec("Administration", "Paramètres et référentiels", admin_parametres.render, "parametres", Role.ADMIN, "⚙️"),
    PageSpec("Administration", "Journal des actions", admin_journal.render, "journal", Role.ADMIN, "📜"),
    PageSpec("Mon compte", "Mon compte", mon_compte.render, "mon-compte", Role.LECTURE, "🔑"),
]


def specs_for(role: Role) -> list[PageSpec]:
    return [spec for spec in PAGES if role_allows(role, spec.role)]


def pages_for(role: Role) -> dict[str, list[st.Page]]:
    """The st.navigation mapping for a role: pages it may not open are not handed over, so they cannot be reached."""
    grouped: dict[str, list[st.Page]] = {}
    for spec in specs_for(role):
        page = st.Page(
            spec.render,
            title=spec.title,
            url_path=spec.url_path,
            icon=spec.icon,
            default=spec.url_path == "tableau-de-bord",
        )
        grouped.setdefault(spec.section, []).append(page)
    return {section: grouped[section] for section in SECTIONS if section in grouped}


def only_account_page() -> list[st.Page]:
    spec = next(s for s in PAGES if s.url_path == "mon-compte")
    return [st.Page(spec.render, title=spec.title, url_path=spec.url_path, icon=spec.icon, default=True)]


def _blank() -> None:
    """Logged out: every address shows only the login form drawn by app.py."""


def login_aliases() -> list[st.Page]:
    """Every page address registered as a blank alias while logged out, so that a deep link shows the
    login form and then opens the page once logged in."""
    pages = [st.Page(_blank, title="Connexion", url_path="connexion", default=True)]
    for spec in PAGES:
        pages.append(st.Page(_blank, title=spec.title, url_path=spec.url_path))
    return pages
