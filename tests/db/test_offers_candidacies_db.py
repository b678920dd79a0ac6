"""Offers and candidacies on SQLite and PostgreSQL: the offer's checks (a lot the company is committed on…),
optimistic locking, positioning, each move of a candidacy kept in its history and the audit trail."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session, select

from clausier.db import ConcurrentEditError
from clausier.errors import DomainError, PermissionDenied, ValidationError
from clausier.rules.candidacy import Action, CheckAnswers
from clausier.services import candidacies, offers
from clausier.services.offers import OfferInput
from clausier.services.users import CurrentUser
from models import AuditEvent, Candidacy, CandidacyEvent, Eligibility, JobOffer
from models.enums import CandidacyStatus, OfferChannel, OfferStatus, ParticipantStatus, Role
from tests.builders import make_commitment, make_lot, make_participant, save

SOPHIE = CurrentUser(login="sophie", name="Sophie Test", role=Role.SAISIE)
MARC = CurrentUser(login="marc", name="Marc Test", role=Role.SAISIE)
LOUIS = CurrentUser(login="louis", name="Louis Test", role=Role.LECTURE)
CHECK = CheckAnswers(True, True, True, True, "Motivée, permis B, disponible au 1er juin.")


def _input(company_id: int, lot_id: int | None, **fields) -> OfferInput:
    defaults = {
        "company_id": company_id,
        "lot_id": lot_id,
        "trade_code": "F1703",
        "title": "Maçon coffreur (H/F)",
        "contract_type_code": "cdd",
        "posts": "2",
        "start_date": date(2026, 6, 1),
        "end_date": date(2026, 11, 30),
        "weekly_hours": "35",
        "place": "Chantier groupe scolaire",
        "requirements": ["B", "CACES R482"],
        "channel": OfferChannel.CANDIDATHEQUE,
    }
    return OfferInput(**{**defaults, **fields})


def _world(session: Session) -> dict:
    commitment = make_commitment(session)
    other_lot = make_lot(session)
    offer = offers.create_offer(session, SOPHIE, _input(commitment.company_id, commitment.lot_id))
    people = [
        make_participant(session, last_name=name, first_name="Camille", phone="06 11 22 33 44")
        for name in ("Dubois", "Lefebvre", "Martin")
    ]
    for p in people:
        save(
            session,
            Eligibility(
                participant_id=p.id, criterion_code="rsa", validated_on=date(2025, 9, 1), validated_by="sophie"
            ),
        )
    session.commit()
    return {"commitment": commitment, "other_lot": other_lot, "offer": offer, "people": people}


def test_offer_is_created_with_its_fields_and_audited(any_engine):
    with Session(any_engine, expire_on_commit=False) as session:
        w = _world(session)
        offer = session.get(JobOffer, w["offer"].id)
        assert offer.status is OfferStatus.OPEN and offer.created_by == "sophie"
        assert (offer.posts, offer.weekly_hours_h100, offer.requirements) == (2, 3500, "B;CACES R482")
        assert offer.lot_id == w["commitment"].lot_id
        audit = session.exec(select(AuditEvent).where(AuditEvent.table_name == "joboffer")).one()
        assert audit.action == "création" and "Maçon coffreur (H/F) (F1703), 2 poste(s) au 01/06/2026" in audit.summary
        # an empty title takes the trade's label; no lot is allowed
        bare = offers.create_offer(
            session, SOPHIE, _input(w["commitment"].company_id, None, title=" ", requirements=[], weekly_hours="17,5")
        )
        assert bare.title == "Maçonnerie (H/F)" and bare.lot_id is None and bare.weekly_hours_h100 == 1750


def test_offer_refuses_bad_input_field_by_field(any_engine):
    with Session(any_engine, expire_on_commit=False) as session:
        w = _world(session)
        company_id = w["commitment"].company_id
        with pytest.raises(ValidationError) as refused:
            offers.create_offer(
                session,
                SOPHIE,
                _input(
                    company_id,
                    w["other_lot"].id,  # a lot the company is not committed on
                    trade_code=None,
                    contract_type_code=None,
                    posts="0",
                    end_date=date(2026, 5, 1),
                    weekly_hours="50",
                    requirements=["Permis bateau"],
                    channel=None,
                ),
            )
        errors = refused.value.errors
        assert set(errors) == {
            "lot_id",
            "trade_code",
            "contract_type_code",
            "posts",
            "end_date",
            "weekly_hours",
            "requirements",
            "channel",
        }
        assert "n'est pas engagée sur ce lot" in errors["lot_id"]
        assert errors["posts"] == "Le nombre de postes doit être entre 1 et 200."
        assert errors["requirements"] == "Prérequis hors de la liste : PERMIS BATEAU."
        with pytest.raises(ValidationError) as refused:
            offers.create_offer(session, SOPHIE, _input(None, None, start_date=None, posts="1,5"))
        assert set(refused.value.errors) == {"company_id", "start_date", "posts"}
        with pytest.raises(PermissionDenied):
            offers.create_offer(session, LOUIS, _input(company_id, None))


def test_offer_edit_checks_the_version_and_status_moves(any_engine):
    with Session(any_engine, expire_on_commit=False) as session:
        w = _world(session)
        offer_id, company_id, lot_id = w["offer"].id, w["commitment"].company_id, w["commitment"].lot_id
        offers.update_offer(session, SOPHIE, offer_id, 1, _input(company_id, lot_id, posts="3"))
        session.commit()
        with pytest.raises(ConcurrentEditError, match="Quelqu'un d'autre a modifié l'offre"):
            offers.update_offer(session, MARC, offer_id, 1, _input(company_id, lot_id, posts="4"))
        session.rollback()
        offers.set_status(session, SOPHIE, offer_id, 2, OfferStatus.CANCELLED)
        session.commit()
        assert session.get(JobOffer, offer_id).status is OfferStatus.CANCELLED
        assert [r.offer.id for r in offers.list_offers(session, statuses=[OfferStatus.OPEN])] == []
        assert [r.offer.id for r in offers.list_offers(session, statuses=[OfferStatus.CANCELLED])] == [offer_id]
        assert [r.offer.id for r in offers.list_offers(session, search="maçon coffreur")] == [offer_id]
        assert offers.list_offers(session, search="plombier") == []
        with pytest.raises(DomainError, match="déjà « Annulée »"):
            offers.set_status(session, SOPHIE, offer_id, 3, OfferStatus.CANCELLED)


def test_positioning_creates_candidacies_once_with_their_first_step(any_engine):
    with Session(any_engine, expire_on_commit=False) as session:
        w = _world(session)
        offer_id = w["offer"].id
        a, b, c = (p.id for p in w["people"])
        report = candidacies.position(session, SOPHIE, offer_id, [a, b], {a: 95, b: 73})
        session.commit()
        assert len(report.created) == 2 and report.already == []
        again = candidacies.position(session, MARC, offer_id, [b, c])
        session.commit()
        assert len(again.created) == 1 and again.already == ["LEFEBVRE Camille"]
        assert again.message == "1 personne(s) positionnée(s). Déjà positionnée(s) sur cette offre : LEFEBVRE Camille."
        rows = session.exec(select(Candidacy).where(Candidacy.offer_id == offer_id).order_by(Candidacy.id)).all()
        assert [(r.participant_id, r.status, r.score, r.in_charge) for r in rows] == [
            (a, CandidacyStatus.POSITIONED, 95, "sophie"),
            (b, CandidacyStatus.POSITIONED, 73, "sophie"),
            (c, CandidacyStatus.POSITIONED, None, "marc"),
        ]
        events = session.exec(select(CandidacyEvent).order_by(CandidacyEvent.id)).all()
        assert [(e.from_status, e.to_status, e.by) for e in events] == [
            (None, CandidacyStatus.POSITIONED, "sophie")
        ] * 2 + [(None, CandidacyStatus.POSITIONED, "marc")]
        assert events[0].comment == "Score de rapprochement : 95/100"
        assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "positionnement")).all()) == 3
        # the board by person in charge, by offer, by company
        assert len(candidacies.board(session, in_charge="marc")) == 1
        assert len(candidacies.board(session, offer_id=offer_id)) == 3
        assert candidacies.board(session, company_id=w["commitment"].company_id + 999) == []
        assert candidacies.in_charge_choices(session) == {"marc": "marc", "sophie": "sophie"}


def test_positioning_refusals(any_engine):
    with Session(any_engine, expire_on_commit=False) as session:
        w = _world(session)
        offer_id = w["offer"].id
        exited = make_participant(session, last_name="Parti", status=ParticipantStatus.EXITED)
        with pytest.raises(DomainError, match="Choisissez au moins une personne"):
            candidacies.position(session, SOPHIE, offer_id, [])
        with pytest.raises(DomainError, match="non positionnable"):
            candidacies.position(session, SOPHIE, offer_id, [exited.id])
        with pytest.raises(PermissionDenied):
            candidacies.position(session, LOUIS, offer_id, [w["people"][0].id])
        offers.set_status(session, SOPHIE, offer_id, 1, OfferStatus.FILLED)
        with pytest.raises(DomainError, match="on ne positionne que sur une offre ouverte"):
            candidacies.position(session, SOPHIE, offer_id, [w["people"][0].id])


def test_every_move_is_recorded_in_the_history_until_hired(any_engine):
    with Session(any_engine, expire_on_commit=False) as session:
        w = _world(session)
        offer_id = w["offer"].id
        a, b = (p.id for p in w["people"][:2])
        ids = candidacies.position(session, SOPHIE, offer_id, [a, b]).created
        session.commit()
        first = ids[0]
        steps = [
            (Action.CHECK, {"answers": CHECK}, CandidacyStatus.CHECKED),
            (Action.VALIDATE, {}, CandidacyStatus.VALIDATED),
            (Action.PRESENT, {}, CandidacyStatus.PRESENTED),
            (Action.HIRE, {}, CandidacyStatus.HIRED),
        ]
        for version, (action, extra, expected) in enumerate(steps, start=1):
            result = candidacies.move(
                session, MARC if action is Action.VALIDATE else SOPHIE, first, version, action, **extra
            )
            session.commit()
            assert result.to_status is expected
        assert not result.offer_full  # 1 of 2 posts
        saved = session.get(Candidacy, first)
        session.refresh(saved)
        assert saved.status is CandidacyStatus.HIRED and saved.version == 5
        assert (saved.check_pathway, saved.check_eligibility, saved.checked_by) == (True, True, "sophie")
        assert saved.check_comment == CHECK.comment
        history = candidacies.history(session, first, with_personal_data=True)  # the notes, as saisie reads them
        assert [(h.from_status, h.to_status, h.by) for h in history] == [
            (None, CandidacyStatus.POSITIONED, "sophie"),
            (CandidacyStatus.POSITIONED, CandidacyStatus.CHECKED, "sophie"),
            (CandidacyStatus.CHECKED, CandidacyStatus.VALIDATED, "marc"),
            (CandidacyStatus.VALIDATED, CandidacyStatus.PRESENTED, "sophie"),
            (CandidacyStatus.PRESENTED, CandidacyStatus.HIRED, "sophie"),
        ]
        assert history[1].comment == (
            "Parcours : oui ; Motivation : oui ; Éligibilité : oui ; Adéquation avec l'offre : oui. "
            "Motivée, permis B, disponible au 1er juin."
        )
        assert all(h.at is not None for h in history)
        audit = session.exec(
            select(AuditEvent).where(AuditEvent.table_name == "candidacy", AuditEvent.record_id == str(first))
        ).all()
        assert len(audit) == 5  # positioned, then four moves
        assert audit[-1].summary == "DUBOIS Camille / « Maçon coffreur (H/F) » : Présenté à l'employeur → Retenu"

        # the second person fills the last post: the offer is marked filled on request
        second = ids[1]
        for version, action in enumerate([Action.CHECK, Action.VALIDATE, Action.PRESENT], start=1):
            candidacies.move(session, SOPHIE, second, version, action, answers=CHECK)
        session.commit()
        assert candidacies.would_fill_offer(session, second)
        result = candidacies.move(session, SOPHIE, second, 4, Action.HIRE, mark_offer_filled=True)
        session.commit()
        assert result.offer_full and result.offer_marked_filled
        assert "l'offre est marquée « pourvue »" in result.message
        assert session.get(JobOffer, offer_id).status is OfferStatus.FILLED


def test_withdrawal_keeps_its_reason_and_closed_candidacies_cannot_move(any_engine):
    with Session(any_engine, expire_on_commit=False) as session:
        w = _world(session)
        first = candidacies.position(session, SOPHIE, w["offer"].id, [w["people"][0].id]).created[0]
        with pytest.raises(ValidationError):
            candidacies.move(session, SOPHIE, first, 1, Action.WITHDRAW, reason="")
        candidacies.move(session, SOPHIE, first, 1, Action.WITHDRAW, reason="A trouvé un CDI  ailleurs.")
        session.commit()
        saved = session.get(Candidacy, first)
        session.refresh(saved)
        assert saved.status is CandidacyStatus.WITHDRAWN and saved.refusal_reason == "A trouvé un CDI ailleurs."
        assert candidacies.history(session, first, with_personal_data=True)[-1].comment == "A trouvé un CDI ailleurs."
        with pytest.raises(DomainError, match="Ce positionnement est clos"):
            candidacies.move(session, SOPHIE, first, 2, Action.CHECK, answers=CHECK)


def test_presentation_refused_when_the_eligibility_lapses_before_the_start(any_engine):
    with Session(any_engine, expire_on_commit=False) as session:
        w = _world(session)
        late = make_participant(session, last_name="Tardif")
        save(
            session,
            Eligibility(
                participant_id=late.id, criterion_code="deld", validated_on=date(2024, 5, 10), validated_by="x"
            ),
        )
        first = candidacies.position(session, SOPHIE, w["offer"].id, [late.id]).created[0]
        candidacies.move(session, SOPHIE, first, 1, Action.CHECK, answers=CHECK)
        candidacies.move(session, SOPHIE, first, 2, Action.VALIDATE)
        with pytest.raises(DomainError) as refused:
            candidacies.move(session, SOPHIE, first, 3, Action.PRESENT)
        assert "son éligibilité a pris fin le 09/05/2026" in str(refused.value)
        assert len(candidacies.history(session, first)) == 3  # nothing recorded for the refused move


def test_a_stale_move_is_refused(any_engine):
    with Session(any_engine, expire_on_commit=False) as session:
        w = _world(session)
        first = candidacies.position(session, SOPHIE, w["offer"].id, [w["people"][0].id]).created[0]
        session.commit()
        candidacies.move(session, MARC, first, 1, Action.CHECK, answers=CHECK)
        session.commit()
        with pytest.raises(ConcurrentEditError, match="Quelqu'un d'autre a modifié ce positionnement"):
            candidacies.move(session, SOPHIE, first, 1, Action.WITHDRAW, reason="Doublon")
        with pytest.raises(PermissionDenied):
            candidacies.move(session, LOUIS, first, 2, Action.VALIDATE)


def test_full_open_offers_are_listed_to_be_marked_filled(any_engine):
    with Session(any_engine, expire_on_commit=False) as session:
        w = _world(session)
        offer_id = w["offer"].id
        ids = candidacies.position(session, SOPHIE, offer_id, [p.id for p in w["people"][:2]]).created
        for cid in ids:
            for version, action in enumerate([Action.CHECK, Action.VALIDATE, Action.PRESENT, Action.HIRE], start=1):
                candidacies.move(session, SOPHIE, cid, version, action, answers=CHECK)
        session.commit()
        full = candidacies.full_open_offers(session)
        assert [(f.offer_id, f.posts, f.hired) for f in full] == [(offer_id, 2, 2)]
        row = offers.get_offer(session, offer_id)
        assert (row.candidacies, row.hired, row.posts_left) == (2, 2, 0)
        with pytest.raises(ValidationError, match="2 personne"):
            offers.update_offer(
                session, SOPHIE, offer_id, 1, _input(w["commitment"].company_id, w["commitment"].lot_id, posts="1")
            )
