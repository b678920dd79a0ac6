"""The personal values of a database (README « Données personnelles »), to search an output for them.

:func:`fill_blank_personal_fields` puts marked values (« CANARI-… ») in the personal fields the demo leaves blank
and gives the ``lecture`` user some work, :func:`personal_values` lists every personal value as the screens and
files would show it: phones with and without spaces, e-mails, postal addresses, birth dates (``dd/mm/yyyy`` and
ISO), PLIE identifiers, and the free texts about people (participants', contracts' and follow-ups' notes, phone-
check comments, refusal reasons, candidacy step notes, eligibility reasons)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast, literal, select, update
from sqlmodel import Session

from models import (
    Buyer,
    Candidacy,
    CandidacyEvent,
    Company,
    Eligibility,
    EmploymentContract,
    FollowUp,
    Participant,
    Partner,
)

CANARY = "CANARI"
MIN_NEEDLE = 6


def normalised(text: str) -> str:
    """As searched: Markdown and protobuf escapes dropped, every run of blanks one space."""
    return re.sub(r"\s+", " ", text.replace("\\", ""))


@dataclass
class Needles:
    kinds: dict[str, str] = field(default_factory=dict)  # needle (normalised) → what it is
    squeezed: dict[str, str] = field(default_factory=dict)  # without any blank, for PDF text (10 chars or more)

    def add(self, value: Any, kind: str) -> None:
        if value is None:
            return
        text = normalised(str(value)).strip()
        if len(text) < MIN_NEEDLE:
            return
        self.kinds.setdefault(text, kind)
        flat = re.sub(r"\s", "", text)
        if len(flat) >= 10:
            self.squeezed.setdefault(flat, kind)

    def find(self, haystack: str, *, squeeze: bool = False) -> list[tuple[str, str]]:
        """(value, kind) of every personal value in ``haystack``; ``squeeze``: also with the blanks taken out of
        both (text extracted from a PDF may split or join words)."""
        text = normalised(haystack)
        found = [(needle, kind) for needle, kind in self.kinds.items() if needle in text]
        if squeeze:
            flat = re.sub(r"\s", "", text)
            found += [(needle, kind) for needle, kind in self.squeezed.items() if needle in flat]
        return found


def personal_values(session: Session) -> Needles:
    """Every personal value stored, as the screens would show it."""
    needles = Needles()
    shared_addresses = {  # a company's address may be a participant's street and number: not hers to find
        a for model in (Buyer, Company, Partner) for a in session.execute(select(model.address)).scalars() if a
    }
    p = Participant
    for phone, email, address, birth, external_id, notes in session.execute(
        select(p.phone, p.email, p.address, p.birth_date, p.external_id, p.notes)
    ):
        needles.add(phone, "téléphone")
        needles.add(re.sub(r"\D", "", phone or ""), "téléphone (chiffres)")
        needles.add(email, "e-mail")
        if address not in shared_addresses:
            needles.add(address, "adresse")
        if birth is not None:
            needles.add(birth.strftime("%d/%m/%Y"), "date de naissance")
            needles.add(birth.isoformat(), "date de naissance (ISO)")
        needles.add(external_id, "identifiant PLIE")
        needles.add(notes, "notes du participant")
    texts = [
        (FollowUp.notes, "notes de suivi"),
        (EmploymentContract.notes, "notes du contrat"),
        (Candidacy.check_comment, "commentaire de vérification"),
        (Candidacy.refusal_reason, "motif de non-retenue"),
        (CandidacyEvent.comment, "note d'étape de positionnement"),
        (Eligibility.reason, "motif d'éligibilité"),
    ]
    for column, kind in texts:
        for value in session.execute(select(column).distinct()).scalars():
            needles.add(value, kind)
    return needles


def _marked(what: str, id_column):
    """« CANARI-<what>-<id> », one value per row."""
    return literal(f"{CANARY}-{what}-") + cast(id_column, String)


def fill_blank_personal_fields(session: Session, lecture_login: str) -> str:
    """Marked values in the personal fields the demo leaves blank, and work for ``lecture_login`` (running
    contracts, six-month situations, candidacies); commits, and returns the last name of a person with a running
    contract that ``lecture_login`` follows."""
    session.execute(update(Participant).values(notes=_marked("note-participant", Participant.id)))
    session.execute(update(EmploymentContract).values(notes=_marked("note-contrat", EmploymentContract.id)))
    session.execute(update(CandidacyEvent).values(comment=_marked("note-etape", CandidacyEvent.id)))
    session.execute(update(Eligibility).where(Eligibility.reason == "").values(reason=_marked("motif", Eligibility.id)))
    c = EmploymentContract
    mine = list(
        session.execute(select(c.id).where(c.actual_end.is_(None)).order_by(c.next_due_on, c.id).limit(15)).scalars()
    )
    ended = session.execute(
        select(c.id).where(c.actual_end.is_not(None), c.outcome_6m.is_(None)).order_by(c.actual_end, c.id).limit(10)
    ).scalars()
    session.execute(update(c).where(c.id.in_(mine + list(ended))).values(in_charge=lecture_login))
    candidacies = list(session.execute(select(Candidacy.id).order_by(Candidacy.id).limit(10)).scalars())
    session.execute(update(Candidacy).where(Candidacy.id.in_(candidacies)).values(in_charge=lecture_login))
    person = session.execute(
        select(Participant.last_name).join(c, c.participant_id == Participant.id).where(c.id == mine[0])
    ).scalar_one()
    session.commit()
    return person
