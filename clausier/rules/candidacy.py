"""DESIGN §3.5 — the steps of a candidacy (*positionnement*) and the rules of each move. Pure: the caller gives the
state of the candidacy and of its offer; a refused move raises a French message.

    positionné ──vérification──▶ vérifié ──validation──▶ validé ──présentation──▶ présenté ──▶ retenu
        │                          │                      │                          └──────▶ non retenu
        └──── désisté (motif) ◀────┴──── non retenu (motif), désisté (motif) ◀───────┘

Decisions the design leaves open, taken here:

- The phone check (*vérification*) answers four questions — pathway, motivation, eligibility, fit with the offer —
  each yes or no, with a comment: all four answers and the comment are required.
- A « non » on eligibility at the check stops the candidacy there: it cannot be validated nor presented; it can
  only be closed as *non retenu* or *désisté*.
- *Non retenu* (with its reason) closes a candidacy the employer did not hire, and also one the Candidathèque or
  the facilitator does not put forward after the check (from *vérifié* or *validé*).
- *Présenté à l'employeur* needs a done check (four answers, eligibility « oui ») and an eligibility valid on the
  offer's start date (§3.2).
- *Retenu* is refused on a cancelled offer, and when the offer's posts are all filled already (raise the number of
  posts first): the offer is proposed as *pourvue* once its last post is filled.
- *Retenu*, *non retenu* and *désisté* are final.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum

from clausier.errors import DomainError, ValidationError
from models.enums import CandidacyStatus, OfferStatus

S = CandidacyStatus


class Action(str, Enum):
    CHECK = "verifier"
    VALIDATE = "valider"
    PRESENT = "presenter"
    HIRE = "retenir"
    REJECT = "ne_pas_retenir"
    WITHDRAW = "desister"

    @property
    def label(self) -> str:
        return ACTION_LABELS[self]


ACTION_LABELS = {
    Action.CHECK: "Vérification téléphonique",
    Action.VALIDATE: "Validation par la Candidathèque",
    Action.PRESENT: "Présentation à l'employeur",
    Action.HIRE: "Retenu par l'employeur",
    Action.REJECT: "Non retenu",
    Action.WITHDRAW: "Désistement",
}

TRANSITIONS: dict[CandidacyStatus, dict[Action, CandidacyStatus]] = {
    S.POSITIONED: {Action.CHECK: S.CHECKED, Action.WITHDRAW: S.WITHDRAWN},
    S.CHECKED: {Action.VALIDATE: S.VALIDATED, Action.REJECT: S.NOT_HIRED, Action.WITHDRAW: S.WITHDRAWN},
    S.VALIDATED: {Action.PRESENT: S.PRESENTED, Action.REJECT: S.NOT_HIRED, Action.WITHDRAW: S.WITHDRAWN},
    S.PRESENTED: {Action.HIRE: S.HIRED, Action.REJECT: S.NOT_HIRED, Action.WITHDRAW: S.WITHDRAWN},
}
FINAL = (S.HIRED, S.NOT_HIRED, S.WITHDRAWN)
OPEN = (S.POSITIONED, S.CHECKED, S.VALIDATED, S.PRESENTED)
NEEDS_REASON = (Action.REJECT, Action.WITHDRAW)

CHECK_QUESTIONS = {
    "pathway": "Parcours",
    "motivation": "Motivation",
    "eligibility": "Éligibilité",
    "fit": "Adéquation avec l'offre",
}
REASON_MAX = 2000


@dataclass(frozen=True)
class CheckAnswers:
    """The phone check: each question answered yes (True) or no (False); None = not answered."""

    pathway: bool | None = None
    motivation: bool | None = None
    eligibility: bool | None = None
    fit: bool | None = None
    comment: str = ""

    @property
    def complete(self) -> bool:
        return all(getattr(self, q) is not None for q in CHECK_QUESTIONS)


@dataclass(frozen=True)
class CandidacyState:
    """What the rules need to know of a candidacy and its offer."""

    status: CandidacyStatus
    check: CheckAnswers | None = None  # the recorded check, None when not done
    offer_status: OfferStatus = OfferStatus.OPEN
    offer_start: date | None = None
    eligible_at_start: bool = False  # eligibility valid on the offer's start date
    eligibility_end: date | None = None  # last valid day of the latest eligibility (to explain a refusal)
    posts: int = 1
    hired: int = 0  # candidacies of the offer already « retenu »


def allowed_actions(status: CandidacyStatus) -> list[Action]:
    """The moves open from a step, in the order of the workflow."""
    return list(TRANSITIONS.get(CandidacyStatus(status), {}))


def check_errors(answers: CheckAnswers) -> dict[str, str]:
    """Why a phone check form is refused, by field (French)."""
    errors = {
        name: f"Répondez à la question « {label} » (oui ou non)."
        for name, label in CHECK_QUESTIONS.items()
        if getattr(answers, name) is None
    }
    if not " ".join((answers.comment or "").split()):
        errors["comment"] = "Le commentaire de la vérification est obligatoire."
    return errors


def reason_error(action: Action, reason: str) -> str | None:
    text = " ".join((reason or "").split())
    if not text:
        if action is Action.WITHDRAW:
            return "Indiquez le motif du désistement."
        return "Indiquez le motif pour lequel la personne n'est pas retenue."
    if len(text) > REASON_MAX:
        return f"Le motif ne doit pas dépasser {REASON_MAX} caractères."
    return None


def _fmt(day: date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


def _check_done(check: CheckAnswers | None) -> bool:
    return check is not None and check.complete and check.eligibility is True


def next_status(
    state: CandidacyState, action: Action, *, answers: CheckAnswers | None = None, reason: str = ""
) -> CandidacyStatus:
    """The step a move leads to, or a French refusal (DomainError; ValidationError for a form's fields)."""
    status = CandidacyStatus(state.status)
    action = Action(action)
    if status in FINAL:
        raise DomainError(f"Ce positionnement est clos (« {status.label} ») : il ne peut plus changer d'étape.")
    moves = TRANSITIONS[status]
    if action not in moves:
        possible = ", ".join(f"« {a.label} »" for a in moves)
        raise DomainError(
            f"« {action.label} » n'est pas possible à l'étape « {status.label} ». Actions possibles : {possible}."
        )

    if action is Action.CHECK:
        errors = check_errors(answers or CheckAnswers())
        if errors:
            raise ValidationError(errors)
    elif action in NEEDS_REASON:
        problem = reason_error(action, reason)
        if problem:
            raise ValidationError({"reason": problem})
    elif action is Action.VALIDATE:
        if state.check is None or not state.check.complete:
            raise DomainError("Validation impossible : la vérification téléphonique n'est pas complète.")
        if state.check.eligibility is False:
            raise DomainError(
                "Validation impossible : l'éligibilité n'a pas été confirmée lors de la vérification. "
                "Ce positionnement ne peut pas aller plus loin : classez-le « non retenu » ou « désisté »."
            )
    elif action is Action.PRESENT:
        if not _check_done(state.check):
            raise DomainError(
                "Présentation impossible : la vérification téléphonique n'est pas faite, "
                "ou l'éligibilité n'y a pas été confirmée."
            )
        if not state.eligible_at_start:
            start = _fmt(state.offer_start)
            if state.eligibility_end is None:
                why = "aucune éligibilité n'a été validée pour cette personne"
            elif state.offer_start and state.eligibility_end < state.offer_start:
                why = f"son éligibilité a pris fin le {_fmt(state.eligibility_end)}"
            else:
                why = "son éligibilité n'est pas encore validée à cette date"
            raise DomainError(
                f"Présentation impossible : l'éligibilité doit être valide au {start}, date de début du poste ; {why}. "
                "Faites valider l'éligibilité, puis présentez la personne."
            )
    elif action is Action.HIRE:
        if state.offer_status is OfferStatus.CANCELLED:
            raise DomainError("L'offre est annulée : personne ne peut y être retenu.")
        if state.hired >= state.posts:
            raise DomainError(
                f"Les {state.posts} poste(s) de l'offre sont déjà pourvus : augmentez le nombre de postes de l'offre "
                "avant de retenir une autre personne."
            )
    return moves[action]


def fills_offer(posts: int, hired: int) -> bool:
    """All the posts of the offer are filled."""
    return hired >= posts
