"""Participants: the pool as a list — search, filters, one row a person, the choices of the filters."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from clausier.rules import eligibility as rules
from clausier.rules.names import ascii_fold
from clausier.services.participants.common import EligibilityFilter, display_name, may_see_contact
from clausier.services.participants.eligibility import (
    eligibility_condition,
    last_validation,
    validity_months,
    warning_days,
)
from clausier.services.users import CurrentUser
from models import (
    Commune,
    Eligibility,
    EligibilityCriterion,
    Participant,
    ParticipantTrade,
    Qpv,
    Trade,
)
from models.enums import (
    ParticipantStatus,
    Sex,
)

# --- list ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ParticipantFilters:
    """Filters of the list (hashable: a cache key). Empty values do not filter."""

    search: str = ""
    trade_code: str | None = None
    eligibility: str | None = None  # an EligibilityFilter value
    antenna: str | None = None
    counsellor: str | None = None
    status: ParticipantStatus | None = None
    commune_id: int | None = None
    qpv: bool | None = None  # True: lives in a QPV, False: does not


@dataclass(frozen=True)
class ParticipantRow:
    """One line of the list; contact fields blank for a role that may not see them."""

    id: int
    last_name: str
    first_name: str
    sex: Sex | None
    birth_date: date | None
    age: int | None
    phone: str
    email: str
    commune: str
    qpv: str
    trades: tuple[str, ...]
    eligibility_end: date | None
    eligibility_state: str  # an EligibilityFilter value
    counsellor: str
    antenna: str
    status: ParticipantStatus
    licences: str
    version: int

    @property
    def name(self) -> str:
        return display_name(self.last_name, self.first_name)


def _state(last: date | None, end: date | None, today: date, warning: int) -> str:
    if last is None:
        return EligibilityFilter.NONE
    if end is None or end < today:
        return EligibilityFilter.LAPSED
    return EligibilityFilter.LAPSING if (end - today).days <= warning else EligibilityFilter.VALID


def eligibility_text(state: str, end: date | None) -> str:
    """« Valide jusqu'au 14/03/2026 », « Expire le … », « Expirée le … », « Jamais validée »."""
    when = end.strftime("%d/%m/%Y") if end else ""
    return {
        EligibilityFilter.VALID: f"Valide jusqu'au {when}",
        EligibilityFilter.LAPSING: f"Expire le {when}",
        EligibilityFilter.LAPSED: f"Expirée le {when}",
    }.get(state, "Jamais validée")


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _phone_digits_sql():
    phone = Participant.phone
    for ch in (" ", ".", "-", "(", ")", "+"):
        phone = func.replace(phone, ch, "")
    return phone


def list_participants(
    session: Session,
    user: CurrentUser | None,
    filters: ParticipantFilters = ParticipantFilters(),
    *,
    today: date,
    limit: int | None = None,
) -> tuple[list[ParticipantRow], int]:
    """Participants (not anonymised) matching ``filters``, by name: (the first ``limit`` rows, how many match).

    The search finds every word typed, without accents nor case, in the name — and, for the roles that may see
    them, in the e-mail, the phone number (digits only, spaces and dots ignored) and the PLIE software's id."""
    months, warning = validity_months(session), warning_days(session)
    contact = may_see_contact(user)

    conditions = [col(Participant.anonymised_at).is_(None)]
    for word in ascii_fold(filters.search).lower().split():
        options = [col(Participant.name_key).contains(word, autoescape=True)]
        if contact:
            options.append(func.lower(Participant.email).contains(word, autoescape=True))
            options.append(func.lower(Participant.external_id).contains(word, autoescape=True))
            digits = _digits(word)
            if len(digits) >= 2 and re.fullmatch(r"[\d .()+\-]+", word):  # a number: search the phone too
                options.append(_phone_digits_sql().contains(digits.lstrip("0") or digits, autoescape=True))
        conditions.append(or_(*options))
    if filters.trade_code:
        conditions.append(
            col(Participant.id).in_(
                select(ParticipantTrade.participant_id).where(ParticipantTrade.trade_code == filters.trade_code)
            )
        )
    if filters.antenna:
        conditions.append(Participant.antenna == filters.antenna)
    if filters.counsellor:
        conditions.append(Participant.counsellor == filters.counsellor)
    if filters.status:
        conditions.append(Participant.status == ParticipantStatus(filters.status))
    if filters.commune_id:
        conditions.append(Participant.commune_id == filters.commune_id)
    if filters.qpv is True:
        conditions.append(col(Participant.qpv_id).is_not(None))
    elif filters.qpv is False:
        conditions.append(col(Participant.qpv_id).is_(None))
    state = eligibility_condition(filters.eligibility, today, months, warning)
    if state is not None:
        conditions.append(state)

    query = (
        select(
            Participant.id,
            Participant.last_name,
            Participant.first_name,
            Participant.sex,
            Participant.birth_date,
            Participant.phone,
            Participant.email,
            Commune.name,
            Qpv.name,
            Participant.counsellor,
            Participant.antenna,
            Participant.status,
            Participant.licences,
            Participant.version,
        )
        .outerjoin(Commune, col(Commune.id) == col(Participant.commune_id))
        .outerjoin(Qpv, col(Qpv.id) == col(Participant.qpv_id))
        .where(*conditions)
        .order_by(Participant.name_key, Participant.id)
    )
    if limit is not None:  # a page of rows: their latest validation by the index, row by row
        found = session.connection().execute(query.add_columns(last_validation(today)).limit(limit)).all()
        total = len(found)
        if total == limit:  # maybe more: count them (a short page needs no second scan)
            total = session.exec(select(func.count()).select_from(Participant).where(*conditions)).one()
        trades_of = _trade_codes_of(session, [r[0] for r in found], conditions)
    else:  # every row (a download): the latest validations of everyone in one scan
        last_of: dict[int, date] = {}
        for pid, validated in (
            session.connection()
            .execute(
                select(Eligibility.participant_id, Eligibility.validated_on).where(Eligibility.validated_on <= today)
            )
            .all()
        ):
            if pid not in last_of or validated > last_of[pid]:
                last_of[pid] = validated
        found = [(*r, last_of.get(r[0])) for r in session.connection().execute(query).all()]
        total = len(found)
        trades_of = _trade_codes_of(session, None, conditions)
    ends: dict[date, date] = {}
    rows = []
    for pid, last, first, sex, birth, phone, email, commune, qpv, counsellor, antenna, status, lic, version, v in found:
        end = None
        if v:
            end = ends.get(v) or ends.setdefault(v, rules.eligibility_end(v, months))
        rows.append(
            ParticipantRow(
                id=pid,
                last_name=last,
                first_name=first,
                sex=Sex(sex) if sex else None,
                birth_date=birth if contact else None,
                age=rules.age_on(birth, today) if birth else None,
                phone=phone if contact else "",
                email=email if contact else "",
                commune=commune or "",
                qpv=qpv or "",
                trades=tuple(trades_of.get(pid, ())),
                eligibility_end=end,
                eligibility_state=_state(v, end, today, warning),
                counsellor=counsellor,
                antenna=antenna,
                status=ParticipantStatus(status),
                licences=lic,
                version=version,
            )
        )
    return rows, int(total)


def _trade_codes_of(session: Session, ids: list[int] | None, conditions) -> dict[int, list[str]]:
    """Trade codes per participant: of ``ids``, or of every participant the filters select."""
    query = select(ParticipantTrade.participant_id, ParticipantTrade.trade_code).order_by(
        ParticipantTrade.participant_id, ParticipantTrade.trade_code
    )
    if ids is not None:
        if not ids:
            return {}
        query = query.where(col(ParticipantTrade.participant_id).in_(ids))
    else:
        query = query.where(col(ParticipantTrade.participant_id).in_(select(Participant.id).where(*conditions)))
    result: dict[int, list[str]] = defaultdict(list)
    for pid, code in session.connection().execute(query).all():
        result[pid].append(code)
    return result


@dataclass(frozen=True)
class ListChoices:
    """Choices of the list's filters and of the forms."""

    trades: dict[str, str]  # code → « code – label »
    communes: dict[int, str]
    qpv: dict[int, str]
    antennas: list[str]
    counsellors: list[str]
    criteria: dict[str, str]  # active criteria, code → label
    criteria_needing_reason: frozenset[str]


def choices(session: Session) -> ListChoices:
    trades = {
        code: f"{code} – {label}" for code, label in session.exec(select(Trade.code, Trade.label).order_by(Trade.code))
    }
    communes = dict(session.exec(select(Commune.id, Commune.name).order_by(Commune.name)).all())
    qpv = {
        qid: f"{name} ({commune})" if commune else name
        for qid, name, commune in session.exec(
            select(Qpv.id, Qpv.name, Commune.name)
            .outerjoin(Commune, col(Commune.id) == col(Qpv.commune_id))
            .order_by(Qpv.name)
        )
    }
    antennas = [a for a in session.exec(select(Participant.antenna).distinct().order_by(Participant.antenna)) if a]
    counsellors = [
        c for c in session.exec(select(Participant.counsellor).distinct().order_by(Participant.counsellor)) if c
    ]
    criteria_rows = session.exec(
        select(EligibilityCriterion)
        .where(col(EligibilityCriterion.active).is_(True))
        .order_by(EligibilityCriterion.sort_order)
    ).all()
    return ListChoices(
        trades=trades,
        communes=communes,
        qpv=qpv,
        antennas=antennas,
        counsellors=counsellors,
        criteria={c.code: c.label for c in criteria_rows},
        criteria_needing_reason=frozenset(c.code for c in criteria_rows if c.needs_reason),
    )
