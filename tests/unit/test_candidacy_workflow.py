"""DESIGN §3.5 — the steps of a candidacy: every allowed move, every refused move with its French message.
(History and audit of the moves: tests/db/test_offers_candidacies_db.py.)"""

from __future__ import annotations

from datetime import date

import pytest

from clausier.errors import DomainError, ValidationError
from clausier.rules.candidacy import Action, CandidacyState, CheckAnswers, allowed_actions, next_status
from models.enums import CandidacyStatus as S
from models.enums import OfferStatus

DONE = CheckAnswers(True, True, True, False, "Motivé, disponible dès lundi ; peu d'expérience en coffrage.")
START = date(2026, 6, 1)


def state(status: S, **fields) -> CandidacyState:
    """A candidacy whose check is done, eligible on the offer's start, on an open offer of 2 posts, none filled."""
    defaults = {
        "status": status,
        "check": DONE if status is not S.POSITIONED else None,
        "offer_start": START,
        "eligible_at_start": True,
        "eligibility_end": date(2027, 1, 14),
        "posts": 2,
        "hired": 0,
    }
    return CandidacyState(**{**defaults, **fields})


def move(status: S, action: Action, **fields) -> S:
    extra = {}
    if action is Action.CHECK:
        extra["answers"] = DONE
    if action in (Action.REJECT, Action.WITHDRAW):
        extra["reason"] = "A trouvé un emploi ailleurs."
    return next_status(state(status, **fields), action, **extra)


ALLOWED = {
    (S.POSITIONED, Action.CHECK): S.CHECKED,
    (S.POSITIONED, Action.WITHDRAW): S.WITHDRAWN,
    (S.CHECKED, Action.VALIDATE): S.VALIDATED,
    (S.CHECKED, Action.REJECT): S.NOT_HIRED,
    (S.CHECKED, Action.WITHDRAW): S.WITHDRAWN,
    (S.VALIDATED, Action.PRESENT): S.PRESENTED,
    (S.VALIDATED, Action.REJECT): S.NOT_HIRED,
    (S.VALIDATED, Action.WITHDRAW): S.WITHDRAWN,
    (S.PRESENTED, Action.HIRE): S.HIRED,
    (S.PRESENTED, Action.REJECT): S.NOT_HIRED,
    (S.PRESENTED, Action.WITHDRAW): S.WITHDRAWN,
}

LABEL = {
    Action.CHECK: "« Vérification téléphonique »",
    Action.VALIDATE: "« Validation par la Candidathèque »",
    Action.PRESENT: "« Présentation à l'employeur »",
    Action.HIRE: "« Retenu par l'employeur »",
    Action.REJECT: "« Non retenu »",
    Action.WITHDRAW: "« Désistement »",
}
POSSIBLE = {
    S.POSITIONED: "« Vérification téléphonique », « Désistement »",
    S.CHECKED: "« Validation par la Candidathèque », « Non retenu », « Désistement »",
    S.VALIDATED: "« Présentation à l'employeur », « Non retenu », « Désistement »",
    S.PRESENTED: "« Retenu par l'employeur », « Non retenu », « Désistement »",
}
STEP = {
    S.POSITIONED: "« Positionné »",
    S.CHECKED: "« Vérifié »",
    S.VALIDATED: "« Validé »",
    S.PRESENTED: "« Présenté à l'employeur »",
    S.HIRED: "« Retenu »",
    S.NOT_HIRED: "« Non retenu »",
    S.WITHDRAWN: "« Désisté »",
}


@pytest.mark.parametrize(("status", "action"), list(ALLOWED), ids=lambda x: x.value)
def test_every_allowed_move(status, action):
    assert move(status, action) is ALLOWED[(status, action)]


def test_allowed_actions_follow_the_workflow():
    assert allowed_actions(S.POSITIONED) == [Action.CHECK, Action.WITHDRAW]
    assert allowed_actions(S.PRESENTED) == [Action.HIRE, Action.REJECT, Action.WITHDRAW]
    for final in (S.HIRED, S.NOT_HIRED, S.WITHDRAWN):
        assert allowed_actions(final) == []


REFUSED = [(s, a) for s in S for a in Action if (s, a) not in ALLOWED]


@pytest.mark.parametrize(("status", "action"), REFUSED, ids=lambda x: x.value)
def test_every_refused_move_says_why(status, action):
    with pytest.raises(DomainError) as refused:
        move(status, action)
    if status in (S.HIRED, S.NOT_HIRED, S.WITHDRAWN):
        expected = f"Ce positionnement est clos ({STEP[status]}) : il ne peut plus changer d'étape."
    else:
        expected = (
            f"{LABEL[action]} n'est pas possible à l'étape {STEP[status]}. Actions possibles : {POSSIBLE[status]}."
        )
    assert str(refused.value) == expected


def test_refused_moves_count():
    assert len(REFUSED) == 7 * 6 - 11 == 31


def test_check_needs_four_answers_and_a_comment():
    with pytest.raises(ValidationError) as refused:
        next_status(state(S.POSITIONED), Action.CHECK, answers=CheckAnswers(True, None, False, None, "  "))
    assert refused.value.errors == {
        "motivation": "Répondez à la question « Motivation » (oui ou non).",
        "fit": "Répondez à la question « Adéquation avec l'offre » (oui ou non).",
        "comment": "Le commentaire de la vérification est obligatoire.",
    }
    # a "no" is an answer: the check is recorded (the candidacy stops at the next step)
    no = CheckAnswers(True, True, False, True, "N'a plus de droits RSA depuis mars.")
    assert next_status(state(S.POSITIONED), Action.CHECK, answers=no) is S.CHECKED


def test_a_no_on_eligibility_cannot_go_further():
    no = CheckAnswers(True, True, False, True, "Plus éligible.")
    with pytest.raises(DomainError) as refused:
        next_status(state(S.CHECKED, check=no), Action.VALIDATE)
    assert str(refused.value) == (
        "Validation impossible : l'éligibilité n'a pas été confirmée lors de la vérification. "
        "Ce positionnement ne peut pas aller plus loin : classez-le « non retenu » ou « désisté »."
    )
    with pytest.raises(DomainError, match="la vérification téléphonique n'est pas faite"):
        next_status(state(S.VALIDATED, check=no), Action.PRESENT)
    # closing it stays possible
    assert next_status(state(S.CHECKED, check=no), Action.REJECT, reason="Non éligible.") is S.NOT_HIRED


def test_no_presentation_without_a_done_check():
    with pytest.raises(DomainError) as refused:
        next_status(state(S.VALIDATED, check=None), Action.PRESENT)
    assert str(refused.value) == (
        "Présentation impossible : la vérification téléphonique n'est pas faite, "
        "ou l'éligibilité n'y a pas été confirmée."
    )
    with pytest.raises(DomainError, match="vérification téléphonique n'est pas complète"):
        next_status(state(S.CHECKED, check=CheckAnswers(True, True, None, True, "?")), Action.VALIDATE)


def test_no_presentation_without_a_valid_eligibility_at_the_offer_start():
    lapsed = state(S.VALIDATED, eligible_at_start=False, eligibility_end=date(2026, 5, 14))
    with pytest.raises(DomainError) as refused:
        next_status(lapsed, Action.PRESENT)
    assert str(refused.value) == (
        "Présentation impossible : l'éligibilité doit être valide au 01/06/2026, date de début du poste ; "
        "son éligibilité a pris fin le 14/05/2026. Faites valider l'éligibilité, puis présentez la personne."
    )
    never = state(S.VALIDATED, eligible_at_start=False, eligibility_end=None)
    with pytest.raises(DomainError, match="aucune éligibilité n'a été validée pour cette personne"):
        next_status(never, Action.PRESENT)
    later = state(S.VALIDATED, eligible_at_start=False, eligibility_end=date(2028, 6, 9))  # validated after start
    with pytest.raises(DomainError, match="son éligibilité n'est pas encore validée à cette date"):
        next_status(later, Action.PRESENT)


def test_not_hired_and_withdrawn_need_a_reason():
    with pytest.raises(ValidationError) as refused:
        next_status(state(S.PRESENTED), Action.REJECT, reason="   ")
    assert refused.value.errors == {"reason": "Indiquez le motif pour lequel la personne n'est pas retenue."}
    with pytest.raises(ValidationError) as refused:
        next_status(state(S.POSITIONED), Action.WITHDRAW)
    assert refused.value.errors == {"reason": "Indiquez le motif du désistement."}
    with pytest.raises(ValidationError, match="ne doit pas dépasser 2000 caractères"):
        next_status(state(S.POSITIONED), Action.WITHDRAW, reason="x" * 2001)


def test_hire_refused_on_a_cancelled_offer_or_when_every_post_is_filled():
    with pytest.raises(DomainError) as refused:
        next_status(state(S.PRESENTED, offer_status=OfferStatus.CANCELLED), Action.HIRE)
    assert str(refused.value) == "L'offre est annulée : personne ne peut y être retenu."
    with pytest.raises(DomainError) as refused:
        next_status(state(S.PRESENTED, posts=2, hired=2), Action.HIRE)
    assert str(refused.value) == (
        "Les 2 poste(s) de l'offre sont déjà pourvus : augmentez le nombre de postes de l'offre "
        "avant de retenir une autre personne."
    )
    assert next_status(state(S.PRESENTED, posts=2, hired=1), Action.HIRE) is S.HIRED
