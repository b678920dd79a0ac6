"""Administration › Journal des actions: who did what, when (writes, logins, exports)."""

import pandas as pd
import streamlit as st

from clausier.formatting import fmt_date
from clausier.services import audit
from models.enums import Role
from ui.db import session_scope
from ui.exports import download_buttons
from ui.widgets import require_role, table


def render() -> None:
    require_role(Role.ADMIN)
    st.title("Journal des actions")
    c1, c2, c3 = st.columns(3)
    who = c1.text_input("Utilisateur (identifiant)").strip().lower() or None
    action = c2.text_input("Action (ex. connexion, création, export)").strip() or None
    limit = c3.selectbox("Nombre de lignes", [100, 500, 2000], index=1)
    with session_scope() as session:
        events = audit.recent(session, limit=limit, who=who, action=action)
    if not events:
        st.info("Aucune action ne correspond à ces filtres.")
        return
    frame = pd.DataFrame(
        {
            "Date": [fmt_date(e.at) for e in events],
            "Utilisateur": [e.who for e in events],
            "Action": [e.action for e in events],
            "Table": [e.table_name for e in events],
            "Enregistrement": [e.record_id for e in events],
            "Détail": [e.summary for e in events],
        }
    )
    table(frame)
    download_buttons(frame, "journal-des-actions", personal_data=True)


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
