"""Candidats › Rapprochement (DESIGN §3.6): for an open offer, the participants ranked by score with its parts, and
one click to position the chosen ones; the other way, for a participant, the open offers that fit."""

import zlib
from datetime import date

import pandas as pd
import streamlit as st

from clausier import config
from clausier.errors import DomainError
from clausier.rules.matching import EXCLUSION_LABELS, PARTS, requirement_label
from clausier.rules.names import ascii_fold
from clausier.services import candidacies, matching, offers
from models.enums import Role
from ui import cached
from ui.db import session_scope
from ui.exports import download_buttons
from ui.widgets import error, flash, md_escape, require_role, table

KEY = "match"
LIMITS = [50, 200, 1000]


@st.cache_data(ttl=60, show_spinner=False)
def _stamp(database_url: str) -> tuple:
    """What the pool depends on (counts, versions): read again after any write of the app (cached.clear) or a
    minute later (the command line)."""
    with session_scope() as session:
        return matching.pool_stamp(session)


@st.cache_resource(ttl=600, max_entries=2, show_spinner="Lecture du vivier de participants…")
def _pool(database_url: str, stamp: tuple, since: date) -> matching.Pool:
    """The pool as arrays, read once and shared (it changes with ``stamp``: participants, eligibility, contracts)."""
    with session_scope() as session:
        return matching.load_pool(session, since=since)


def _current_pool() -> tuple[matching.Pool, matching.MatchingSettings, list]:
    stamp = _stamp(config.database_url())
    with session_scope() as session:
        profiles = matching.open_offer_profiles(session)
        cfg = matching.matching_settings(session)
    since = min([date.today(), *(p.start_date for p in profiles)])
    return _pool(config.database_url(), stamp, since), cfg, profiles


def render() -> None:
    user = require_role(Role.LECTURE)
    st.title("Rapprochement")
    flash(f"{KEY}_flash")
    pool, cfg, profiles = _current_pool()
    by_offer, by_person = st.tabs(["Pour une offre", "Pour un participant"])
    with by_offer:
        _for_offer(user, pool, cfg, profiles)
    with by_person:
        _for_participant(pool, cfg, profiles)


def _parts_columns(parts_of: list) -> dict[str, list[str]]:
    """One column per part of the score: « points/sur – why »."""
    columns: dict[str, list[str]] = {}
    for name in PARTS:
        label = None
        values = []
        for parts in parts_of:
            part = next(p for p in parts if p.name == name)
            label = part.label
            values.append(f"{_num(part.points)}/{_num(part.out_of)} – {part.reason}")
        columns[label or name] = values
    return columns


def _num(value: float) -> str:
    return f"{value:g}".replace(".", ",")


# --- for an offer -----------------------------------------------------------------------------------------------


def _for_offer(user, pool: matching.Pool, cfg: matching.MatchingSettings, profiles: list) -> None:
    with session_scope() as session:
        labels = offers.open_offer_choices(session)
    if not labels:
        st.info("Aucune offre ouverte : créez une offre dans « Offres d'emploi ».")
        return
    offer_id = st.selectbox("Offre ouverte", list(labels), format_func=labels.get, key=f"{KEY}_offer")
    profile = next((p for p in profiles if p.id == offer_id), None)
    if profile is None:  # closed by someone since the list was read
        st.info("Cette offre n'est plus ouverte.")
        return
    with session_scope() as session:
        row = offers.get_offer(session, offer_id)
        positioned = {pid: status.label for pid, status in candidacies.positioned_on(session, offer_id).items()}
    offer = row.offer
    end = f" au {offer.end_date:%d/%m/%Y}" if offer.end_date else " (sans date de fin)"
    needs = ", ".join(requirement_label(r) for r in profile.requirements) or "aucun"
    st.markdown(
        md_escape(
            f"{row.company_name} · {offer.trade_code} – {row.trade_label} · {row.contract_type_label} · "
            f"du {offer.start_date:%d/%m/%Y}{end} · {row.commune or 'lieu non précisé'} · "
            f"{offer.posts} poste(s), {row.hired} retenu(s) · prérequis : {needs}"
        )
    )

    c1, c2, c3, c4, c5 = st.columns([1, 1, 2, 2, 1])
    min_score = c1.number_input("Score minimal", 0, 100, 0, step=5, key=f"{KEY}_min")
    trade_only = c2.checkbox("Métier ou métier proche seulement", key=f"{KEY}_trade_only")
    antennas = [a for a in pool.antennas if a]
    antenna = c3.selectbox(
        "Antenne", [None, *antennas], format_func=lambda a: "Toutes" if a is None else a, key=f"{KEY}_antenna"
    )
    communes = dict(sorted(pool.commune_names.items(), key=lambda kv: ascii_fold(kv[1]).lower()))
    commune_id = c4.selectbox(
        "Commune du participant",
        [None, *communes],
        format_func=lambda i: "Toutes" if i is None else communes[i],
        key=f"{KEY}_commune",
    )
    limit = c5.selectbox("Lignes", LIMITS, index=1, key=f"{KEY}_limit")

    ranking = matching.rank(pool, profile, cfg)
    result = matching.table(
        pool,
        ranking,
        cfg,
        min_score=int(min_score),
        trade_only=trade_only,
        antenna=antenna,
        commune_id=commune_id,
        limit=limit,
    )
    excluded = ", ".join(f"{n} {EXCLUSION_LABELS[code].lower()}" for code, n in result.excluded.items() if n)
    st.caption(
        f"{result.kept} participant(s) disponible(s) et éligible(s) au {offer.start_date:%d/%m/%Y} ; "
        f"{result.total} après les filtres, les {min(limit, result.total)} premiers affichés."
        + (f" Écartés : {excluded}." if excluded else "")
    )
    if not result.rows:
        st.info("Aucun participant ne correspond à ces critères.")
        return
    frame = pd.DataFrame(
        {
            "Score": [r.score for r in result.rows],
            "Participant": [r.name for r in result.rows],
            "Commune": [r.commune for r in result.rows],
            "Antenne": [r.antenna for r in result.rows],
            "Conseiller": [r.counsellor for r in result.rows],
            **_parts_columns([r.parts for r in result.rows]),
            "Déjà positionné": [positioned.get(r.participant_id, "") for r in result.rows],
        }
    )
    ids = [r.participant_id for r in result.rows]
    if user.can(Role.SAISIE):
        frame.insert(0, "Choisir", False)
        edited = st.data_editor(
            frame,
            key=editor_key(offer_id, ids),
            hide_index=True,
            disabled=[c for c in frame.columns if c != "Choisir"],
            column_config={"Score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%d")},
        )
        chosen = [pid for pid, flag in zip(ids, edited["Choisir"].tolist(), strict=True) if flag]
        label = f"Positionner les personnes choisies ({len(chosen)})"
        if st.button(label, type="primary", key=f"{KEY}_position", disabled=not chosen):
            scores = {r.participant_id: r.score for r in result.rows}
            _position(user, offer_id, chosen, scores)
        download_buttons(frame.drop(columns=["Choisir"]), f"rapprochement-offre-{offer_id}", personal_data=True)
    else:
        table(frame, column_config={"Score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%d")})
        download_buttons(frame, f"rapprochement-offre-{offer_id}", personal_data=True)


def editor_key(offer_id: int, ids: list[int]) -> str:
    """The table's key names the people shown, in their order: ticks are kept by row, so a change of filters or of
    ranking starts them afresh instead of moving them onto other people."""
    return f"{KEY}_editor_{offer_id}_{zlib.crc32(','.join(map(str, ids)).encode()):08x}"


def _position(user, offer_id: int, chosen: list[int], scores: dict[int, int]) -> None:
    try:
        with session_scope() as session:
            report = candidacies.position(session, user, offer_id, chosen, scores)
    except DomainError as exc:
        error(str(exc))
        return
    st.session_state[f"{KEY}_flash"] = [report.message]
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(f"{KEY}_editor_{offer_id}_")]:
        del st.session_state[key]  # the ticks go
    cached.clear()  # the boards and lists that count candidacies
    st.rerun()


# --- for a participant ------------------------------------------------------------------------------------------


def _for_participant(pool: matching.Pool, cfg: matching.MatchingSettings, profiles: list) -> None:
    search = st.text_input(
        "Rechercher un participant (nom, prénom)", key=f"{KEY}_person_search", placeholder="Au moins 2 lettres"
    )
    if len("".join(search.split())) < 2:
        st.caption("Tapez une partie du nom pour choisir la personne.")
        return
    found = pool.find(search)
    if not found:
        st.info("Aucun participant de ce nom.")
        return
    options = {int(pool.ids[i]): f"{pool.names[i]} — {pool.commune_names.get(int(pool.commune[i]), '')}" for i in found}
    person_id = st.selectbox("Participant", list(options), format_func=options.get, key=f"{KEY}_person")
    if not profiles:
        st.info("Aucune offre ouverte pour l'instant.")
        return
    matches = matching.for_participant(pool, person_id, profiles, cfg)
    with session_scope() as session:
        labels = offers.offer_labels(session, [m.offer_id for m in matches])
    fitting = [m for m in matches if not m.exclusion]
    others = [m for m in matches if m.exclusion]
    st.caption(f"{len(fitting)} offre(s) ouverte(s) possible(s) sur {len(matches)}.")
    if fitting:
        frame = pd.DataFrame(
            {
                "Score": [m.score for m in fitting],
                "Offre": [labels.get(m.offer_id, "") for m in fitting],
                "Début": [next(p.start_date for p in profiles if p.id == m.offer_id) for m in fitting],
                **_parts_columns([m.parts for m in fitting]),
            }
        )
        table(
            frame,
            column_config={
                "Score": st.column_config.ProgressColumn(min_value=0, max_value=100, format="%d"),
                "Début": st.column_config.DateColumn(format="DD/MM/YYYY"),
            },
        )
        download_buttons(frame, f"offres-pour-participant-{person_id}", personal_data=True)
    else:
        st.info("Aucune offre ouverte ne convient à cette personne pour l'instant.")
    if others:
        with st.expander(f"Offres écartées ({len(others)})"):
            table(
                pd.DataFrame(
                    {
                        "Offre": [labels.get(m.offer_id, "") for m in others],
                        "Raison": [EXCLUSION_LABELS[m.exclusion] for m in others],
                    }
                )
            )


if __name__ == "__main__":  # opened by its address before app.py ran: the login gate, never the screen
    from ui.shell import direct_run

    direct_run()
