"""Clauses › Repérage des marchés: a DECP file (public procurement open data), the markets of the territory and
the opportunities, and one click from a market to an operation and its lot (DESIGN §5.3)."""

from datetime import date

import pandas as pd
import streamlit as st

from clausier.errors import DomainError, ValidationError
from clausier.formatting import fmt_hours, fmt_money, fmt_number, fmt_percent
from clausier.rules.units import in_units
from clausier.services import decp
from clausier.services.users import CurrentUser
from models.enums import Role
from ui import cached
from ui.db import session_scope
from ui.widgets import error, flash, md_escape, require_role, table

PARSED = "decp_parsed"  # (file id of the upload, DecpFile or the French errors): reruns do not parse again
FLASH = "decp_flash"


def _read(upload) -> decp.DecpFile | list[str]:
    kept = st.session_state.get(PARSED)
    if kept is not None and kept[0] == upload.file_id:
        return kept[1]
    try:
        with st.spinner("Lecture et contrôle du fichier…"):
            result: decp.DecpFile | list[str] = decp.parse(upload.getvalue(), upload.name)
    except ValidationError as exc:
        result = list(exc.errors.values())
    st.session_state[PARSED] = (upload.file_id, result)
    return result


def _frame(spotted: list[decp.SpottedMarket]) -> pd.DataFrame:
    def social(market: decp.DecpMarket) -> str:
        return "Oui : " + ", ".join(market.social_considerations) if market.social_consideration else "Non"

    return pd.DataFrame(
        {
            "Marché": [s.market.id for s in spotted],
            "Type": ["Concession" if s.market.is_concession else "Marché" for s in spotted],
            "Acheteur": [s.market.buyer_label for s in spotted],
            "Objet": [s.market.object for s in spotted],
            "CPV": [s.market.cpv or "" for s in spotted],
            "Montant (€ HT)": [in_units(s.market.amount_cents) for s in spotted],
            "Durée (mois)": [s.market.duration_months for s in spotted],
            "Notification": [s.market.notification_date for s in spotted],
            "Lieu": [s.market.place_code or "" for s in spotted],
            "Titulaires": [", ".join(h.id for h in s.market.holders) for s in spotted],
            "Considération sociale": [social(s.market) for s in spotted],
            "Opportunité": ["Oui" if s.opportunity else "" for s in spotted],
            "Heures estimées": [in_units(s.estimated_hours_h100) for s in spotted],
            "Déjà une opération": [s.operation_name or "" for s in spotted],
            "Exécution terminée": ["Oui" if s.ended else "" for s in spotted],
        }
    )


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Repérage des marchés")
    st.caption(
        "Chargez un fichier des données essentielles de la commande publique (DECP, format réglementaire JSON v2, "
        "sur data.gouv.fr). Seuls les marchés du territoire sont listés : acheteurs et lieux d'exécution du "
        "territoire, seuil des opportunités (paramètres « Repérage »). Rien n'est enregistré à la lecture."
    )
    flash(FLASH)
    upload = st.file_uploader("Fichier DECP (.json)", type=["json"], key="decp_upload")
    if upload is None:
        st.session_state.pop(PARSED, None)
        return
    result = _read(upload)
    if isinstance(result, list):
        st.error("Fichier refusé, rien n'a été enregistré.", icon="⚠️")
        for message in result:
            error(message)
        return
    decp_file = result

    with session_scope() as session:
        spotted = decp.spot(session, decp_file, date.today())
        buyers = decp.buyer_choices(session) if user.can(Role.SAISIE) else []
    summary = decp.summarize(decp_file, spotted)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Marchés lus", fmt_number(summary.read), help=f"dont {fmt_number(summary.concessions)} concession(s)")
    c2.metric("Dans le territoire", fmt_number(summary.in_territory))
    c3.metric(
        "Opportunités", fmt_number(summary.opportunities), help="Travaux sans considération sociale, au-delà du seuil"
    )
    c4.metric("Déjà des opérations", fmt_number(summary.already))
    if not spotted:
        st.info("Aucun marché de ce fichier n'est dans le territoire (voir les paramètres « Repérage »).")
        return

    f1, f2 = st.columns(2)
    only_opportunities = f1.checkbox("Opportunités seulement", key="decp_only_opportunities")
    only_works = f2.checkbox("Travaux seulement (CPV 45…)", key="decp_only_works")
    shown = decp.filtered(spotted, opportunities_only=only_opportunities, works_only=only_works)
    st.caption(f"{fmt_number(len(shown))} marché(s) affiché(s).")
    table(
        _frame(shown),
        column_config={
            "Montant (€ HT)": st.column_config.NumberColumn(format="localized"),
            "Heures estimées": st.column_config.NumberColumn(format="localized"),
            "Notification": st.column_config.DateColumn(format="DD/MM/YYYY"),
        },
    )
    if user.can(Role.SAISIE) and shown:
        _create(user, decp_file, shown, buyers)


def _create(
    user: CurrentUser, decp_file: decp.DecpFile, shown: list[decp.SpottedMarket], buyers: list[tuple[int, str]]
) -> None:
    st.subheader("Créer l'opération et le lot")
    by_index = {s.market.index: s for s in shown}
    picked = st.selectbox(
        "Marché",
        list(by_index),
        format_func=lambda i: (
            f"{by_index[i].market.id} – {by_index[i].market.object[:90]} ({by_index[i].market.buyer_label})"
        ),
        key="decp_pick",
    )
    spotted = by_index.get(picked)
    if spotted is None:
        return
    market = spotted.market
    names = dict(buyers)
    buyer_id = st.selectbox(
        "Donneur d'ordre",
        [None, *names],
        format_func=lambda b: (
            f"{market.buyer_label} (SIRET {market.buyer_siret}) : retrouvé ou créé" if b is None else names[b]
        ),
        key=f"decp_buyer_{market.index}",
    )
    if spotted.work_kind_label:
        st.caption(
            md_escape(
                f"Nature de travaux : {spotted.work_kind_label} ; main-d'œuvre "
                f"{fmt_percent(spotted.labour_share_bp / 10_000)}, taux d'insertion "
                f"{fmt_percent(spotted.insertion_rate_bp / 10_000)}, coût horaire "
                f"{fmt_money(spotted.hourly_cost_cents)} ; montant {fmt_money(market.amount_cents)} : "
                f"{fmt_hours(spotted.estimated_hours_h100)} d'insertion."
            )
        )
    else:
        st.caption(
            "Heures non estimées (marché de fournitures, ou nature de travaux désactivée) : le lot sera créé avec "
            "des paramètres par défaut, à ajuster sur l'écran des opérations."
        )
    notes = decp.holder_notes(market)
    for note in notes:
        st.caption(md_escape(note))
    if spotted.operation_id is not None:
        st.info(md_escape(f"Ce marché est déjà l'opération « {spotted.operation_name} »."))
        return
    if not st.button("Créer l'opération et le lot", type="primary", key="decp_create"):
        return
    try:
        with session_scope() as session:
            operation = decp.create_operation_from_market(session, user, market, buyer_id, decp_file=decp_file)
            name = operation.name
    except DomainError as exc:
        error(str(exc))
        return
    cached.clear()
    hours = "" if spotted.estimated_hours_h100 is None else f" : {fmt_hours(spotted.estimated_hours_h100)} d'insertion"
    st.session_state[FLASH] = [
        f"Opération « {name} » créée (statut repérée) avec son lot « {market.id} »{hours}.",
        *[("warning", note) for note in notes],
    ]
    st.rerun()


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
