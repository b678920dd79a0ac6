"""Administration › Territoire: the communes (INSEE and postal codes, EPCI) and priority neighbourhoods."""

import pandas as pd
import streamlit as st

from clausier.services import territory
from models.enums import Role
from ui.db import session_scope
from ui.widgets import cell, conflict_notice, flash, require_role, save_seen, seen


def render() -> None:
    admin = require_role(Role.ADMIN)
    st.title("Territoire")
    st.caption(
        "Les communes du territoire (CUD, CCHF…) et les quartiers prioritaires. Ajoutez une ligne en bas du tableau, "
        "supprimez-en une en la sélectionnant ; rien n'est enregistré avant « Enregistrer »."
    )
    flash("territory_flash")
    with session_scope() as session:
        communes = territory.list_communes(session)
        qpvs = territory.list_qpv(session)
    commune_names = {c.id: c.name for c in communes}

    st.subheader("Communes")
    # Each table as first drawn (values and versions): the editor's changes apply to it, and the save gives its
    # versions back — a row another admin saved or removed meanwhile is refused (the edits kept), a row another
    # admin added is left alone.
    shown = seen(
        "communes_seen",
        "communes",
        {
            "id": [c.id for c in communes],
            "Commune": [c.name for c in communes],
            "Code INSEE": [c.insee_code or "" for c in communes],
            "Codes postaux": [c.postal_codes for c in communes],
            "EPCI": [c.epci for c in communes],
            "Dans le territoire": [c.in_territory for c in communes],
            "version": [c.version for c in communes],
        },
        prefix="communes_editor",
    )
    conflict_notice("communes_seen", "communes_editor")
    versions = dict(zip(shown["id"], shown["version"], strict=True))
    frame = pd.DataFrame({name: column for name, column in shown.items() if name != "version"})
    frame["id"] = pd.array(frame["id"], dtype="Int64")
    edited = st.data_editor(
        frame,
        key="communes_editor",
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "id": None,
            "Codes postaux": st.column_config.TextColumn(help="Plusieurs codes séparés par « ; »"),
            "EPCI": st.column_config.TextColumn(help="CUD, CCHF…"),
            "Dans le territoire": st.column_config.CheckboxColumn(default=True),
        },
    )
    if st.button("Enregistrer les communes", type="primary"):
        rows = [
            territory.CommuneRow(
                id=None if cell(r["id"]) is None else int(r["id"]),
                name=str(cell(r["Commune"]) or ""),
                insee_code=cell(r["Code INSEE"]),
                postal_codes=str(cell(r["Codes postaux"]) or ""),
                epci=str(cell(r["EPCI"]) or ""),
                in_territory=cell(r["Dans le territoire"]) is not False,
            )
            for r in edited.to_dict("records")
        ]
        save_seen(
            lambda session: territory.save_communes(session, admin, rows, versions),
            key="communes_seen",
            flash_key="territory_flash",
            message=lambda counts: "Communes enregistrées : {} ajoutée(s), {} modifiée(s), {} supprimée(s).".format(
                *counts
            ),
            clear_prefix="communes_editor",
        )

    st.subheader("Quartiers prioritaires (QPV)")
    names = [c.name for c in communes]
    qshown = seen(
        "qpv_seen",
        "qpv",
        {
            "id": [q.id for q in qpvs],
            "Quartier": [q.name for q in qpvs],
            "Code QPV": [q.code or "" for q in qpvs],
            "Commune": [commune_names.get(q.commune_id) for q in qpvs],
            "Liste": [q.list_year for q in qpvs],
            "version": [q.version for q in qpvs],
        },
        prefix="qpv_editor",
    )
    conflict_notice("qpv_seen", "qpv_editor")
    qversions = dict(zip(qshown["id"], qshown["version"], strict=True))
    qframe = pd.DataFrame({name: column for name, column in qshown.items() if name != "version"})
    qframe["id"] = pd.array(qframe["id"], dtype="Int64")
    qframe["Liste"] = pd.array(qframe["Liste"], dtype="Int64")
    qedited = st.data_editor(
        qframe,
        key="qpv_editor",
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "id": None,
            "Commune": st.column_config.SelectboxColumn(options=names),
            "Liste": st.column_config.NumberColumn(
                help="Année de la liste officielle (2015, 2024…)", default=2024, step=1, format="%d"
            ),
        },
    )
    if st.button("Enregistrer les quartiers", type="primary"):
        rows = [
            territory.QpvRow(
                id=None if cell(r["id"]) is None else int(r["id"]),
                name=str(cell(r["Quartier"]) or ""),
                code=cell(r["Code QPV"]),
                commune_name=cell(r["Commune"]),
                list_year=int(r["Liste"]) if cell(r["Liste"]) is not None else 0,
            )
            for r in qedited.to_dict("records")
        ]
        save_seen(
            lambda session: territory.save_qpv(session, admin, rows, qversions),
            key="qpv_seen",
            flash_key="territory_flash",
            message=lambda counts: "Quartiers enregistrés : {} ajouté(s), {} modifié(s), {} supprimé(s).".format(
                *counts
            ),
            clear_prefix="qpv_editor",
        )


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
