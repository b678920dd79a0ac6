"""Every page for every role under app.py: renders without exception, or cannot be reached at all."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.enums import Role
from tests.pages.conftest import ROOT, logged_in, open_url_path
from ui.navigation import PAGES, specs_for

EVERYONE = {
    "tableau-de-bord",
    "mon-compte",
    "donneurs-ordre",
    "operations",
    "entreprises",
    "engagements",
    "partenaires",
    "reperage",
    "participants",
    "offres",
    "rapprochement",
    "positionnements",
    "avancement",
    "contrats",
    "suivi-emploi",
    "bilans",
    "gpec",
    "formations",
    "reunions",
    "export-complet",
}
ALLOWED = {
    Role.ADMIN: EVERYONE
    | {"import-heures", "saisie-heures", "import-participants", "utilisateurs", "territoire", "parametres", "journal"},
    Role.SAISIE: EVERYONE | {"import-heures", "saisie-heures", "import-participants"},
    Role.LECTURE: EVERYONE,
}
# Buttons a lecture user may see: none writes business data.
LECTURE_BUTTONS = {"Se déconnecter", "Changer le mot de passe"}


def test_navigation_table_gives_each_role_its_pages():
    for role, allowed in ALLOWED.items():
        assert {spec.url_path for spec in specs_for(role)} == allowed


def test_every_file_in_pages_is_registered_and_guarded():
    files = {p.stem for p in (ROOT / "pages").glob("*.py")} - {"__init__"}
    registered = {spec.render.__module__.split(".")[-1] for spec in PAGES} | {"premier_demarrage"}
    assert files == registered
    for name in files:
        assert 'if __name__ == "__main__":' in Path(ROOT / "pages" / f"{name}.py").read_text()


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("spec", PAGES, ids=lambda s: s.url_path)
def test_page_for_role(with_users, role, spec):
    at = logged_in(role).run()
    assert not at.exception
    assert at.title[0].value == "Tableau de bord"
    open_url_path(at, spec.url_path).run()
    assert not at.exception, at.exception
    if spec.url_path in ALLOWED[role]:
        assert at.title[0].value == spec.title
    else:
        # Not handed to st.navigation for this role: the address falls back to the home page.
        assert at.title[0].value == "Tableau de bord"
        assert spec.title not in [t.value for t in at.title]
    if role is Role.LECTURE:
        labels = {b.label for b in at.button}
        assert labels <= LECTURE_BUTTONS, labels


def test_sidebar_shows_name_role_and_logout(with_users):
    at = logged_in(Role.SAISIE).run()
    assert "Sophie Test · Saisie" in [c.value.replace("\\", "") for c in at.sidebar.caption]
    assert [b.label for b in at.sidebar.button] == ["Se déconnecter"]


def test_no_page_address_is_a_file_name_of_pages():
    """Streamlit's legacy pages-directory mode hashes pages/<name>.py like st.Page(url_path=<name>): they collide."""
    files = {p.stem for p in (ROOT / "pages").glob("*.py")}
    assert not files & {spec.url_path for spec in PAGES}
