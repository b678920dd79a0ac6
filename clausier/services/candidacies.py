"""Positionnements (DESIGN §3.5): participants put forward for an offer, moved step by step through the rules of
``clausier.rules.candidacy``; every move is kept in ``CandidacyEvent`` (who, when, from, to, note) and audited.

Every write checks the role (saisie or admin), refuses a stale move (``version``), and never commits.

The phone of the person, the comment of the phone check, the refusal reason and the notes of the steps are personal
data (``clausier.privacy``): :func:`detail` and :func:`history` give them only when asked with
``with_personal_data=True``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import func, select
from sqlmodel import Session

from clausier.db import ConcurrentEditError, update_versioned
from clausier.errors import DomainError, ValidationError
from clausier.rules import candidacy as rules
from clausier.rules.candidacy import Action, CandidacyState, CheckAnswers
from clausier.rules.eligibility import EligibilityStatus
from clausier.services import audit, participants
from clausier.services.users import CurrentUser, require
from models import Candidacy, CandidacyEvent, Company, JobOffer, Participant, User
from models.base import utcnow
from models.enums import CandidacyStatus, OfferStatus, ParticipantStatus, Role

NOTE_MAX = 2000


@dataclass(frozen=True)
class PositionReport:
    created: list[int] = field(default_factory=list)  # candidacy ids
    already: list[str] = field(default_factory=list)  # names of people already positioned on the offer

    @property
    def message(self) -> str:
        text = f"{len(self.created)} personne(s) positionnée(s)."
        if self.already:
            text += " Déjà positionnée(s) sur cette offre : " + ", ".join(self.already) + "."
        return text


def _name(participant: Participant) -> str:
    return f"{participant.last_name.upper()} {participant.first_name}".strip()


def position(
    session: Session,
    user: CurrentUser,
    offer_id: int,
    participant_ids: Sequence[int],
    scores: Mapping[int, int] | None = None,
) -> PositionReport:
    """Put the chosen people forward for an open offer (step « positionné »), with their matching score.
    People already positioned on the offer are left as they are and named in the report."""
    require(user, Role.SAISIE)
    offer = session.get(JobOffer, offer_id)
    if offer is None:
        raise DomainError("Cette offre n'existe plus.")
    if offer.status is not OfferStatus.OPEN:
        raise DomainError(f"L'offre est « {offer.status.label} » : on ne positionne que sur une offre ouverte.")
    ids = list(dict.fromkeys(int(i) for i in participant_ids))
    if not ids:
        raise DomainError("Choisissez au moins une personne à positionner.")
    people = {p.id: p for p in session.execute(select(Participant).where(Participant.id.in_(ids))).scalars()}
    missing = [i for i in ids if i not in people]
    if missing:
        raise DomainError(f"{len(missing)} personne(s) introuvable(s) : rechargez la page.")
    out = [_name(p) for p in people.values() if p.anonymised_at is not None or p.status is ParticipantStatus.EXITED]
    if out:
        raise DomainError("Sorti(s) du dispositif ou anonymisé(s), non positionnable(s) : " + ", ".join(out) + ".")
    existing = set(
        session.execute(
            select(Candidacy.participant_id).where(Candidacy.offer_id == offer_id, Candidacy.participant_id.in_(ids))
        ).scalars()
    )
    report = PositionReport()
    now = utcnow()
    for pid in ids:
        person = people[pid]
        if pid in existing:
            report.already.append(_name(person))
            continue
        candidacy = Candidacy(
            offer_id=offer_id,
            participant_id=pid,
            status=CandidacyStatus.POSITIONED,
            score=(scores or {}).get(pid),
            in_charge=user.login,
            created_by=user.login,
            created_at=now,
            updated_at=now,
        )
        session.add(candidacy)
        session.flush()
        session.add(
            CandidacyEvent(
                candidacy_id=candidacy.id,
                from_status=None,
                to_status=CandidacyStatus.POSITIONED,
                by=user.login,
                at=now,
                comment="" if candidacy.score is None else f"Score de rapprochement : {candidacy.score}/100",
            )
        )
        audit.record(
            session, user.login, "positionnement", "candidacy", candidacy.id, f"{_name(person)} sur « {offer.title} »"
        )
        report.created.append(candidacy.id)
    session.flush()
    return report


# --- reading ----------------------------------------------------------------------------------------------------


def eligibility_at(session: Session, participant_id: int, on: date) -> EligibilityStatus:
    """The participant's eligibility on a date (§3.2), with the validity of the settings."""
    return participants.valid_eligibility(session, participant_id, on)


def _hired_count(session: Session, offer_id: int) -> int:
    return session.execute(
        select(func.count())
        .select_from(Candidacy)
        .where(Candidacy.offer_id == offer_id, Candidacy.status == CandidacyStatus.HIRED)
    ).scalar_one()


def _check_of(c: Candidacy) -> CheckAnswers | None:
    if c.checked_at is None:
        return None
    return CheckAnswers(c.check_pathway, c.check_motivation, c.check_eligibility, c.check_fit, c.check_comment)


def state_of(session: Session, candidacy: Candidacy, offer: JobOffer) -> CandidacyState:
    eligibility = eligibility_at(session, candidacy.participant_id, offer.start_date)
    return CandidacyState(
        status=candidacy.status,
        check=_check_of(candidacy),
        offer_status=offer.status,
        offer_start=offer.start_date,
        eligible_at_start=eligibility.valid,
        eligibility_end=eligibility.end,
        posts=offer.posts,
        hired=_hired_count(session, offer.id),
    )


@dataclass(frozen=True)
class BoardRow:
    candidacy_id: int
    version: int
    status: CandidacyStatus
    participant_id: int
    participant: str
    offer_id: int
    offer_title: str
    company: str
    start_date: date
    in_charge: str
    score: int | None
    updated_at: datetime


def _filtered(query, offer_id: int | None, company_id: int | None, in_charge: str | None):
    if offer_id is not None:
        query = query.where(Candidacy.offer_id == offer_id)
    if company_id is not None:
        query = query.where(JobOffer.company_id == company_id)
    if in_charge:
        query = query.where(Candidacy.in_charge == in_charge)
    return query


def board_counts(
    session: Session, *, offer_id: int | None = None, company_id: int | None = None, in_charge: str | None = None
) -> dict[CandidacyStatus, int]:
    """How many candidacies at each step (every step listed, 0 included)."""
    query = _filtered(
        select(Candidacy.status, func.count())
        .select_from(Candidacy)
        .join(JobOffer, JobOffer.id == Candidacy.offer_id)
        .group_by(Candidacy.status),
        offer_id,
        company_id,
        in_charge,
    )
    found = {CandidacyStatus(status): int(n) for status, n in session.execute(query).all()}
    return {status: found.get(status, 0) for status in CandidacyStatus}


def board(
    session: Session,
    *,
    offer_id: int | None = None,
    company_id: int | None = None,
    in_charge: str | None = None,
    statuses: Iterable[CandidacyStatus] = (),
    limit_per_status: int | None = None,
) -> list[BoardRow]:
    """Candidacies with their person, offer and company; by step of the workflow, then latest move first; at most
    ``limit_per_status`` at each step (the latest moved)."""
    statuses = [CandidacyStatus(s) for s in statuses] or list(CandidacyStatus)
    query = _filtered(
        select(
            Candidacy.id,
            Candidacy.version,
            Candidacy.status,
            Participant.id,
            Participant.last_name,
            Participant.first_name,
            JobOffer.id,
            JobOffer.title,
            Company.name,
            JobOffer.start_date,
            Candidacy.in_charge,
            Candidacy.score,
            Candidacy.updated_at,
        )
        .join(Participant, Participant.id == Candidacy.participant_id)
        .join(JobOffer, JobOffer.id == Candidacy.offer_id)
        .join(Company, Company.id == JobOffer.company_id)
        .order_by(Candidacy.updated_at.desc(), Candidacy.id.desc()),
        offer_id,
        company_id,
        in_charge,
    )
    rows: list[BoardRow] = []
    for status in statuses:
        part = query.where(Candidacy.status == status)
        if limit_per_status is not None:
            part = part.limit(limit_per_status)
        for cid, version, st, pid, last, first, oid, title, company, start, charge, score, updated in session.execute(
            part
        ).all():
            rows.append(
                BoardRow(
                    cid,
                    version,
                    CandidacyStatus(st),
                    pid,
                    f"{last.upper()} {first}".strip(),
                    oid,
                    title,
                    company,
                    start,
                    charge,
                    score,
                    updated,
                )
            )
    return rows


def positioned_on(session: Session, offer_id: int) -> dict[int, CandidacyStatus]:
    """The people already positioned on an offer, with the step they are at."""
    return {
        pid: CandidacyStatus(status)
        for pid, status in session.execute(
            select(Candidacy.participant_id, Candidacy.status).where(Candidacy.offer_id == offer_id)
        ).all()
    }


@dataclass(frozen=True)
class HistoryRow:
    at: datetime
    by: str
    from_status: CandidacyStatus | None
    to_status: CandidacyStatus
    comment: str


@dataclass(frozen=True)
class CandidacyDetail:
    candidacy: Candidacy  # without the personal data: a detached copy, check comment and refusal reason blank
    participant: str
    phone: str  # "" unless read with the personal data
    offer: JobOffer
    company: str
    eligibility: EligibilityStatus  # on the offer's start date
    history: list[HistoryRow]
    actions: list[Action]
    hired: int  # people already hired on the offer


def history(session: Session, candidacy_id: int, *, with_personal_data: bool = False) -> list[HistoryRow]:
    """The steps of a candidacy, the oldest first; their notes only ``with_personal_data``."""
    return [
        HistoryRow(e.at, e.by, e.from_status, e.to_status, e.comment if with_personal_data else "")
        for e in session.execute(
            select(CandidacyEvent)
            .where(CandidacyEvent.candidacy_id == candidacy_id)
            .order_by(CandidacyEvent.at, CandidacyEvent.id)
        ).scalars()
    ]


def detail(session: Session, candidacy_id: int, *, with_personal_data: bool = False) -> CandidacyDetail:
    """A candidacy with its person, offer, eligibility, history and next moves; the phone, the check's comment,
    the refusal reason and the steps' notes only ``with_personal_data``."""
    candidacy = session.get(Candidacy, candidacy_id)
    if candidacy is None:
        raise DomainError("Ce positionnement n'existe plus.")
    offer = session.get(JobOffer, candidacy.offer_id)
    person = session.get(Participant, candidacy.participant_id)
    company = session.get(Company, offer.company_id)
    shown = candidacy
    if not with_personal_data:  # a copy never added to the session: the record itself is left as it is
        shown = Candidacy(**{**candidacy.model_dump(), "check_comment": "", "refusal_reason": ""})
    return CandidacyDetail(
        candidacy=shown,
        participant=_name(person),
        phone=person.phone if with_personal_data else "",
        offer=offer,
        company=company.name,
        eligibility=eligibility_at(session, person.id, offer.start_date),
        history=history(session, candidacy_id, with_personal_data=with_personal_data),
        actions=rules.allowed_actions(candidacy.status),
        hired=_hired_count(session, offer.id),
    )


def in_charge_choices(session: Session) -> dict[str, str]:
    """Logins of the people in charge of candidacies, with their names when they are users."""
    logins = [login for login in session.execute(select(Candidacy.in_charge).distinct()).scalars() if login]
    names = dict(session.execute(select(User.login, User.name).where(User.login.in_(logins))).all()) if logins else {}
    return {login: names.get(login, login) for login in sorted(logins, key=lambda x: names.get(x, x).lower())}


@dataclass(frozen=True)
class FullOffer:
    offer_id: int
    version: int
    title: str
    company: str
    posts: int
    hired: int


def full_open_offers(session: Session) -> list[FullOffer]:
    """Open offers whose posts are all filled: to be marked « pourvue »."""
    hired = (
        select(func.count())
        .select_from(Candidacy)
        .where(Candidacy.offer_id == JobOffer.id, Candidacy.status == CandidacyStatus.HIRED)
        .scalar_subquery()
    )
    rows = session.execute(
        select(JobOffer.id, JobOffer.version, JobOffer.title, Company.name, JobOffer.posts, hired)
        .join(Company, Company.id == JobOffer.company_id)
        .where(JobOffer.status == OfferStatus.OPEN, hired >= JobOffer.posts)
        .order_by(JobOffer.start_date, JobOffer.id)
    ).all()
    return [FullOffer(*row) for row in rows]


# --- moves ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MoveResult:
    candidacy_id: int
    from_status: CandidacyStatus
    to_status: CandidacyStatus
    offer_id: int
    offer_full: bool = False  # a hire filled the offer's last post
    offer_marked_filled: bool = False

    @property
    def message(self) -> str:
        text = f"Positionnement passé de « {self.from_status.label} » à « {self.to_status.label} »."
        if self.offer_marked_filled:
            text += " Tous les postes sont pourvus : l'offre est marquée « pourvue »."
        elif self.offer_full:
            text += " Tous les postes de l'offre sont pourvus : pensez à la marquer « pourvue »."
        return text


def _yes_no(value: bool | None) -> str:
    return "oui" if value else "non"


def move(
    session: Session,
    user: CurrentUser,
    candidacy_id: int,
    version: int,
    action: Action,
    *,
    answers: CheckAnswers | None = None,
    reason: str = "",
    note: str = "",
    mark_offer_filled: bool = False,
) -> MoveResult:
    """One step of a candidacy, checked by the rules of §3.5; refused when someone moved it meanwhile."""
    require(user, Role.SAISIE)
    candidacy = session.get(Candidacy, candidacy_id)
    if candidacy is None:
        raise DomainError("Ce positionnement n'existe plus.")
    offer = session.get(JobOffer, candidacy.offer_id)
    if candidacy.version != version:  # moved by someone else since the page read it: say so before any rule
        raise ConcurrentEditError("ce positionnement")
    action = Action(action)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"La note ne doit pas dépasser {NOTE_MAX} caractères."})
    state = state_of(session, candidacy, offer)
    new_status = rules.next_status(state, action, answers=answers, reason=reason)

    now = utcnow()
    changes: dict = {"status": new_status, "updated_at": now}
    comment = note
    if action is Action.CHECK:
        assert answers is not None
        changes |= {
            "check_pathway": answers.pathway,
            "check_motivation": answers.motivation,
            "check_eligibility": answers.eligibility,
            "check_fit": answers.fit,
            "check_comment": answers.comment.strip(),
            "checked_by": user.login,
            "checked_at": now,
        }
        comment = (
            " ; ".join(f"{label} : {_yes_no(getattr(answers, name))}" for name, label in rules.CHECK_QUESTIONS.items())
            + f". {answers.comment.strip()}"
        )
    elif action in rules.NEEDS_REASON:
        changes["refusal_reason"] = " ".join(reason.split())
        comment = changes["refusal_reason"] + (f" — {note}" if note else "")
    update_versioned(session, Candidacy, candidacy_id, version, "ce positionnement", **changes)
    session.add(
        CandidacyEvent(
            candidacy_id=candidacy_id,
            from_status=candidacy.status,
            to_status=new_status,
            by=user.login,
            at=now,
            comment=comment,
        )
    )
    person = session.get(Participant, candidacy.participant_id)
    audit.record(
        session,
        user.login,
        "positionnement",
        "candidacy",
        candidacy_id,
        f"{_name(person)} / « {offer.title} » : {candidacy.status.label} → {new_status.label}",
    )
    result = MoveResult(candidacy_id, candidacy.status, new_status, offer.id)
    if new_status is CandidacyStatus.HIRED and rules.fills_offer(offer.posts, state.hired + 1):
        marked = False
        if mark_offer_filled and offer.status is OfferStatus.OPEN:
            update_versioned(
                session, JobOffer, offer.id, offer.version, f"l'offre « {offer.title} »", status=OfferStatus.FILLED
            )
            audit.record(
                session,
                user.login,
                "statut",
                "joboffer",
                offer.id,
                f"{offer.title} : {OfferStatus.OPEN.label} → {OfferStatus.FILLED.label} (tous les postes pourvus)",
            )
            marked = True
        result = MoveResult(candidacy_id, candidacy.status, new_status, offer.id, True, marked)
    session.flush()
    session.expire(candidacy)
    session.expire(offer)
    return result


def would_fill_offer(session: Session, candidacy_id: int) -> bool:
    """Hiring this candidate fills the offer's last post (the page offers to mark the offer « pourvue »)."""
    candidacy = session.get(Candidacy, candidacy_id)
    if candidacy is None:
        return False
    offer = session.get(JobOffer, candidacy.offer_id)
    return rules.fills_offer(offer.posts, _hired_count(session, offer.id) + 1)
