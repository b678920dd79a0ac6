"""DESIGN §3.6 — matching: the score and its parts on hand-built cases (default settings: weights trade 35,
requirements 20, mobility 20, experience 15, eligibility 10; related trade ½; same EPCI 0,6, other commune 0,2;
vehicle +0,4, licence B +0,2; an offer without end counts 6 months), then the engine on a database: the direct
view (one offer, every participant) and the reverse view (one participant, every open offer) agree."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from clausier import settings
from clausier.rules import matching as rules
from clausier.rules.matching import MatchingSettings, OfferProfile, PersonProfile
from clausier.services import matching
from models import Commune, Eligibility, JobOffer, ParticipantTrade
from models.enums import ExperienceLevel, OfferStatus, ParticipantStatus
from tests.builders import make_company, make_contract, make_participant, save

CFG = MatchingSettings()
START, END = date(2026, 6, 1), date(2026, 11, 30)  # 183 days
OFFER = OfferProfile(
    id=1,
    trade_code="F1703",  # Maçonnerie
    start_date=START,
    end_date=END,
    commune_id=10,
    epci="CUD",
    requirements=("B", "CACES R482"),
)
VALID = {date(2025, 1, 15): date(2027, 1, 14)}  # validated 15/01/2025 for 24 months


def person(**fields) -> PersonProfile:
    """A mason, experienced, with B and CACES R482 and a car, living in the offer's commune, eligible."""
    defaults = {
        "id": 1,
        "trades": {"F1703": 2},
        "licences": rules.held("B;CACES R482"),
        "commune_id": 10,
        "epci": "CUD",
        "own_vehicle": True,
        "eligibility_ends": VALID,
    }
    return PersonProfile(**{**defaults, **fields})


def points(m: rules.Match) -> dict[str, float]:
    return {p.name: p.points for p in m.parts}


# --- the parts ----------------------------------------------------------------------------------------------------


def test_full_match_scores_each_part():
    m = rules.match(OFFER, person(), CFG)
    assert m.kept
    # trade 35 + eligibility 10 + requirements 20 + mobility 20 + experience ⅔ × 15 = 95
    assert points(m) == {"trade": 35, "eligibility": 10, "requirements": 20, "mobility": 20, "experience": 10}
    assert m.score == 95
    assert m.part("trade").reason == "Même métier (F1703)"
    assert m.part("experience").reason == "Expérimenté dans le métier"


def test_same_trade_beats_related_trade():
    same = rules.match(OFFER, person(), CFG)
    related = rules.match(OFFER, person(trades={"F1702": 2}), CFG)  # Construction de routes: domain F17
    other = rules.match(OFFER, person(trades={"K2204": 2}), CFG)  # Nettoyage: another domain
    # related: trade ½ × 35 = 17,5 ; experience ⅔ × ½ × 15 = 5 → 17,5 + 10 + 20 + 20 + 5 = 72,5 → 73 (half up)
    assert related.part("trade").points == 17.5 and related.part("experience").points == 5
    assert related.score == 73
    assert other.part("trade").points == 0 and other.part("experience").points == 0
    assert other.score == 50
    assert same.score > related.score > other.score
    assert related.part("trade").reason == "Métier proche (F1702, domaine F17)"


def test_related_means_same_first_three_characters():
    assert rules.related_trades("F1703", "F1702")
    assert not rules.related_trades("F1703", "F1603")
    assert not rules.related_trades("F1703", "F1703")  # the same code is not "related": it is the trade


def test_missing_licence_lowers_the_score():
    both = rules.match(OFFER, person(), CFG)
    one = rules.match(OFFER, person(licences=rules.held("B")), CFG)
    none = rules.match(OFFER, person(licences=frozenset(), own_vehicle=False), CFG)
    assert one.part("requirements").points == 10  # 1 of 2 held
    assert one.score == both.score - 10 == 85
    assert one.part("requirements").reason == "Manque : CACES R482"
    # none held (0/20) and no car: mobility 1 (same commune, capped) stays 20
    assert none.part("requirements").points == 0 and none.score == 75


def test_licences_typed_freely_are_understood_and_c_implies_b():
    assert rules.held("permis C; caces r482-a") == frozenset({"C", "B", "CACES R482"})
    assert rules.parse_requirements("CACES R489-3;Permis B;b") == ("B", "CACES R489")
    assert rules.match(OFFER, person(licences=rules.held("C;CACES R482")), CFG).part("requirements").points == 20


def test_offer_without_requirements_gives_the_full_part():
    offer = OfferProfile(id=2, trade_code="F1703", start_date=START, end_date=END)
    m = rules.match(offer, person(licences=frozenset()), CFG)
    assert m.part("requirements").points == 20 and m.part("requirements").reason == "Aucun prérequis"


def test_mobility_by_commune_epci_vehicle_and_licence():
    def mobility(**fields) -> float:
        return rules.match(OFFER, person(**fields), CFG).part("mobility").points

    assert mobility(own_vehicle=False, licences=frozenset()) == 20  # same commune: 1
    assert mobility(commune_id=11, own_vehicle=False, licences=frozenset()) == 12  # same EPCI: 0,6
    assert mobility(commune_id=11, own_vehicle=False) == 16  # + licence B: 0,8
    assert mobility(commune_id=11, own_vehicle=True) == 20  # + vehicle: 1 (capped)
    assert mobility(commune_id=99, epci="CCHF", own_vehicle=False, licences=frozenset()) == 4  # other: 0,2
    assert mobility(commune_id=None, epci="", own_vehicle=False, licences=rules.held("B")) == 8  # unknown: 0,2 + 0,2
    no_place = OfferProfile(id=3, trade_code="F1703", start_date=START, end_date=END)
    assert rules.match(no_place, person(own_vehicle=False, licences=frozenset()), CFG).part("mobility").points == 12


def test_eligibility_margin_is_the_share_of_the_offer_covered():
    short = {date(2024, 8, 1): date(2026, 7, 31)}  # ends 2 months into the offer: 61 of 183 days
    m = rules.match(OFFER, person(eligibility_ends=short), CFG)
    assert m.kept
    assert m.part("eligibility").fraction == pytest.approx(61 / 183)
    assert m.part("eligibility").points == 3.3
    assert m.part("eligibility").reason == "Valide jusqu'au 31/07/2026 : couvre 33 % de la durée visée"
    # an offer without end counts 6 months from its start (01/06 → 01/12: 183 days)
    open_ended = OfferProfile(id=4, trade_code="F1703", start_date=START)
    assert rules.match(open_ended, person(eligibility_ends=short), CFG).part("eligibility").fraction == pytest.approx(
        61 / 183
    )


def test_lapsed_eligibility_is_filtered_out():
    lapsed = {date(2024, 3, 1): date(2026, 2, 28)}
    m = rules.match(OFFER, person(eligibility_ends=lapsed), CFG)
    assert not m.kept and m.exclusion == rules.NOT_ELIGIBLE
    # a later validation makes it valid again
    renewed = {**lapsed, date(2026, 3, 10): date(2028, 3, 9)}
    assert rules.match(OFFER, person(eligibility_ends=renewed), CFG).kept
    # validated after the start date: not valid on the start date
    late = {date(2026, 6, 2): date(2028, 6, 1)}
    assert rules.match(OFFER, person(eligibility_ends=late), CFG).exclusion == rules.NOT_ELIGIBLE
    assert not rules.match(OFFER, person(eligibility_ends={}), CFG).kept


def test_person_under_contract_over_the_period_is_filtered_out():
    busy = rules.match(OFFER, person(contracts=((date(2026, 3, 1), date(2026, 8, 31)),)), CFG)
    assert busy.exclusion == rules.UNDER_CONTRACT
    open_ended = rules.match(OFFER, person(contracts=((date(2025, 1, 1), None),)), CFG)
    assert open_ended.exclusion == rules.UNDER_CONTRACT
    ends_before = rules.match(OFFER, person(contracts=((date(2026, 1, 1), date(2026, 5, 31)),)), CFG)
    assert ends_before.kept
    starts_after = rules.match(OFFER, person(contracts=((date(2026, 12, 1), None),)), CFG)
    assert starts_after.kept


def test_exited_or_not_yet_available_people_are_filtered_out():
    assert rules.match(OFFER, person(in_pool=False), CFG).exclusion == rules.OUT_OF_POOL
    assert rules.match(OFFER, person(available_from=date(2026, 6, 2)), CFG).exclusion == rules.NOT_YET_AVAILABLE
    assert rules.match(OFFER, person(available_from=date(2026, 6, 1)), CFG).kept


def test_weights_come_from_the_settings():
    values = {d.key: d.default for d in settings.DEFINITIONS}
    values["matching_weight_trade"] = 0
    cfg = MatchingSettings.from_values(values)
    # without the trade part, the 65 other points are scaled to 100: a related trade loses only experience points
    related = rules.match(OFFER, person(trades={"F1702": 2}), cfg)
    assert related.part("trade").out_of == 0
    assert related.score == round((10 + 20 + 20 + 5) * 100 / 65)  # 84.6 → 85


# --- the engine on a database: direct and reverse views -------------------------------------------------------------


def _pool_world(session: Session) -> dict:
    """Two communes of one EPCI, three offers, and people each showing one case."""
    dunkerque = save(session, Commune(name="Dunkerque-Test", epci="CUD"))
    grande_synthe = save(session, Commune(name="Grande-Synthe-Test", epci="CUD"))
    company = make_company(session)

    def offer(trade: str, start: date, end: date | None, reqs: str, commune: Commune) -> JobOffer:
        return save(
            session,
            JobOffer(
                company_id=company.id,
                trade_code=trade,
                title=f"Poste {trade}",
                contract_type_code="cdd",
                start_date=start,
                end_date=end,
                place_commune_id=commune.id,
                requirements=reqs,
                status=OfferStatus.OPEN,
            ),
        )

    offers = {
        "mason": offer("F1703", START, END, "B;CACES R482", dunkerque),
        "roads": offer("F1702", date(2026, 7, 1), None, "", grande_synthe),
        "cleaning": offer("K2204", date(2026, 9, 1), date(2026, 12, 31), "B", grande_synthe),
    }

    def who(name: str, trades: dict[str, ExperienceLevel], validated: date | None, commune: Commune, **fields):
        p = make_participant(session, last_name=name, commune_id=commune.id, **fields)
        for code, level in trades.items():
            save(session, ParticipantTrade(participant_id=p.id, trade_code=code, experience=level))
        if validated:
            save(
                session,
                Eligibility(participant_id=p.id, criterion_code="rsa", validated_on=validated, validated_by="sophie"),
            )
        return p

    people = {
        "mason": who(
            "Maçon",
            {"F1703": ExperienceLevel.EXPERIENCED},
            date(2025, 1, 15),
            dunkerque,
            licences="B;CACES R482",
            own_vehicle=True,
            antenna="Antenne Nord",
        ),
        "roads": who(
            "Routier",
            {"F1702": ExperienceLevel.EXPERIENCED},
            date(2025, 1, 15),
            dunkerque,
            licences="Permis B; caces r482-a",
            own_vehicle=True,
        ),
        "nolicence": who(
            "Sanspermis",
            {"F1703": ExperienceLevel.CONFIRMED, "K2204": ExperienceLevel.BEGINNER},
            date(2025, 9, 1),
            grande_synthe,
        ),
        "lapsed": who("Perime", {"F1703": ExperienceLevel.CONFIRMED}, date(2024, 3, 1), dunkerque, licences="B"),
        "busy": who("Occupe", {"F1703": ExperienceLevel.CONFIRMED}, date(2025, 1, 15), dunkerque, licences="B"),
        "exited": who(
            "Sorti", {"F1703": ExperienceLevel.CONFIRMED}, date(2025, 1, 15), dunkerque, status=ParticipantStatus.EXITED
        ),
    }
    make_contract(session, participant=people["busy"], start_date=date(2026, 3, 1), planned_end=date(2026, 8, 31))
    make_contract(session, participant=people["mason"], start_date=date(2025, 3, 1), planned_end=date(2025, 8, 31))
    session.commit()
    return {"offers": offers, "people": people}


def test_engine_ranks_and_filters_like_the_rule(engine):
    with Session(engine, expire_on_commit=False) as session:
        world = _pool_world(session)
        pool = matching.load_pool(session)
        cfg = matching.matching_settings(session)
        mason_offer = matching.offer_profile(session, world["offers"]["mason"].id)
    people = world["people"]
    ranking = matching.rank(pool, mason_offer, cfg)
    ranked = [int(pool.ids[i]) for i in ranking.rows]
    # lapsed eligibility, under contract over the period, exited: out; the others by score
    assert ranked == [people["mason"].id, people["roads"].id, people["nolicence"].id]
    assert ranking.excluded == {
        rules.OUT_OF_POOL: 1,
        rules.NOT_YET_AVAILABLE: 0,
        rules.UNDER_CONTRACT: 1,
        rules.NOT_ELIGIBLE: 1,
    }
    table = matching.table(pool, ranking, cfg, limit=None)
    scores = {r.participant_id: r.score for r in table.rows}
    # mason: 95 (as above); roads: related trade 73; nolicence: same trade 35, eligibility 10, requirements 0,
    # mobility same EPCI no car 12, experience confirmed 15 → 72
    assert scores == {people["mason"].id: 95, people["roads"].id: 73, people["nolicence"].id: 72}
    row = next(r for r in table.rows if r.participant_id == people["nolicence"].id)
    assert row.part("requirements").reason == "Manque : B, CACES R482"
    assert row.part("mobility").reason == "Même intercommunalité"
    assert row.commune == "Grande-Synthe-Test"

    # the page's filters
    assert [r.participant_id for r in matching.table(pool, ranking, cfg, min_score=73).rows] == [
        people["mason"].id,
        people["roads"].id,
    ]
    near = matching.table(pool, ranking, cfg, commune_id=world["people"]["nolicence"].commune_id)
    assert [r.participant_id for r in near.rows] == [people["nolicence"].id]
    north = matching.table(pool, ranking, cfg, antenna="Antenne Nord")
    assert [(r.participant_id, r.antenna) for r in north.rows] == [(people["mason"].id, "Antenne Nord")]
    assert matching.table(pool, ranking, cfg, antenna="Antenne inconnue").rows == []
    # trade (or related trade) only: for the cleaning offer, only the person with K2204 is left
    with Session(engine) as session:
        cleaning = matching.offer_profile(session, world["offers"]["cleaning"].id)
    cleaning_ranking = matching.rank(pool, cleaning, cfg)
    assert len(cleaning_ranking.rows) == 4  # the busy person's contract is over on 01/09/2026
    only = matching.table(pool, cleaning_ranking, cfg, trade_only=True)
    assert [r.participant_id for r in only.rows] == [people["nolicence"].id]


def test_reverse_view_agrees_with_the_direct_view(engine):
    with Session(engine, expire_on_commit=False) as session:
        world = _pool_world(session)
        pool = matching.load_pool(session)
        cfg = matching.matching_settings(session)
        profiles = matching.open_offer_profiles(session)
    assert len(profiles) == 3
    direct = {o.id: matching.rank(pool, o, cfg) for o in profiles}
    compared = 0
    for p in world["people"].values():
        reverse = matching.for_participant(pool, p.id, profiles, cfg)
        assert sorted(m.offer_id for m in reverse) == sorted(o.id for o in profiles)
        for m in reverse:
            ranking = direct[m.offer_id]
            row = pool.row_of[p.id]
            assert bool(ranking.evaluation.keep[row]) == (m.exclusion == "")
            assert int(ranking.evaluation.score[row]) == m.score  # same score for the same pair
            if not m.exclusion:
                shown = next(r for r in matching.table(pool, ranking, cfg, limit=None).rows if r.participant_id == p.id)
                assert shown.parts == m.parts  # same parts, same reasons
                compared += 1
    assert compared >= 6
    # for the mason: the mason offer first; the cleaning offer (other domain) after the roads one (related)
    mason = matching.for_participant(pool, world["people"]["mason"].id, profiles, cfg)
    ids = [m.offer_id for m in mason if not m.exclusion]
    assert ids[0] == world["offers"]["mason"].id
    assert ids.index(world["offers"]["roads"].id) < ids.index(world["offers"]["cleaning"].id)


def test_pool_read_from_a_date_gives_the_same_ranking(engine):
    with Session(engine, expire_on_commit=False) as session:
        _pool_world(session)
        full = matching.load_pool(session)
        recent = matching.load_pool(session, since=START)
        cfg = matching.matching_settings(session)
        profiles = matching.open_offer_profiles(session)
    assert recent.contract_row.shape[0] == 1  # the contract over in 2025 is not read
    for offer in profiles:
        a, b = matching.rank(full, offer, cfg), matching.rank(recent, offer, cfg)
        assert a.rows.tolist() == b.rows.tolist() and a.scores.tolist() == b.scores.tolist()
    with pytest.raises(ValueError):
        matching.rank(recent, OfferProfile(id=9, trade_code="F1703", start_date=date(2026, 1, 1)), cfg)
