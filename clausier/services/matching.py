"""Rapprochement (DESIGN §3.6): every participant of the pool ranked for an offer, and the open offers that fit a
participant — both with the score's parts of ``clausier.rules.matching``.

The pool is read once into compact numpy arrays (``load_pool``: a few queries, no ORM objects), so that ranking
50,000 participants for one offer is a handful of array operations. The caller keeps the pool (the page caches
it, keyed by ``pool_stamp``) and reads the settings at each ranking."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np
from sqlalchemy import func, or_, select
from sqlmodel import Session

from clausier import settings
from clausier.rules import matching as rules
from clausier.rules.eligibility import eligibility_end, first_validation_valid_on
from clausier.rules.matching import Evaluation, Features, MatchingSettings, OfferProfile, Part
from clausier.rules.names import ascii_fold
from models import Commune, Eligibility, EmploymentContract, JobOffer, Participant, ParticipantTrade, Trade
from models.enums import ExperienceLevel, OfferStatus, ParticipantStatus

OPEN_END = 10**9  # ordinal of "no end" for a contract (busy for good)


def matching_settings(session: Session) -> MatchingSettings:
    return MatchingSettings.from_values(settings.get_all(session))


# --- the pool ---------------------------------------------------------------------------------------------------


@dataclass
class Pool:
    """Every participant as arrays (row i = participant ``ids[i]``), read once."""

    validity_months: int
    since: date | None  # offers starting before it cannot be ranked with this pool (see ``load_pool``)
    ids: np.ndarray  # int64
    row_of: dict[int, int]
    names: list[str]  # « NOM Prénom »
    commune: np.ndarray  # int64 commune id, -1 when unknown
    epci: np.ndarray  # int32 index in ``epci_codes``, -1 when unknown
    epci_codes: list[str]
    commune_names: dict[int, str]
    antenna: np.ndarray  # int32 index in ``antennas``
    antennas: list[str]
    counsellor: list[str]
    licences: list[frozenset[str]]  # held (with implied licences), shared between people with the same list
    licence_bits: np.ndarray  # uint64: bit ``licence_bit[code]`` set when held
    licence_bit: dict[str, int]
    own_vehicle: np.ndarray  # bool
    licence_b: np.ndarray  # bool
    in_pool: np.ndarray  # bool: not exited, not anonymised
    available_from: np.ndarray  # int32 ordinal, 0 when not given
    elig_from: np.ndarray  # int32 [k, n]: j-th validation date of each person (ordinal), OPEN_END when none
    elig_until: np.ndarray  # int32 [k, n]: its last valid day, -1 when none
    person_trades: list[dict[str, int]]  # ROME code → level 0..3
    trade_rows: dict[str, tuple[np.ndarray, np.ndarray]]  # code → (rows, levels)
    contract_row: np.ndarray  # int64, contracts sorted by person
    contract_start: np.ndarray  # int32
    contract_end: np.ndarray  # int32, OPEN_END when open-ended
    by_end: np.ndarray  # contract indexes sorted by end (to skip the contracts over before an offer starts)
    _related: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict, repr=False)
    _folded: list[str] | None = field(default=None, repr=False)

    @property
    def size(self) -> int:
        return int(self.ids.shape[0])

    def related_rows(self, trade_code: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, best level) of the people with a trade of the same ROME domain other than ``trade_code``."""
        cached = self._related.get(trade_code)
        if cached is not None:
            return cached
        best = np.full(self.size, rules.NO_TRADE, dtype=np.int8)
        for code, (rows, levels) in self.trade_rows.items():
            if rules.related_trades(code, trade_code):
                best[rows] = np.maximum(best[rows], levels)  # a (person, trade) pair is unique: no duplicate row
        rows = np.flatnonzero(best > rules.NO_TRADE)
        result = (rows, best[rows])
        self._related[trade_code] = result
        return result

    def find(self, text: str, limit: int = 50) -> list[int]:
        """Rows of the people whose name holds every word typed (without accents nor case), by name."""
        words = ascii_fold(text or "").lower().split()
        if not words:
            return []
        if self._folded is None:
            self._folded = [ascii_fold(name).lower() for name in self.names]
        found = [i for i, name in enumerate(self._folded) if all(w in name for w in words)]
        found.sort(key=lambda i: (self._folded[i], int(self.ids[i])))
        return found[:limit]

    def contracts_of(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = np.searchsorted(self.contract_row, [row, row + 1])
        return self.contract_start[lo:hi], self.contract_end[lo:hi]

    def eligibility_ends(self, row: int) -> dict[date, date]:
        return {
            date.fromordinal(int(v)): date.fromordinal(int(u))
            for v, u in zip(self.elig_from[:, row], self.elig_until[:, row], strict=True)
            if u >= 0
        }


def pool_stamp(session: Session) -> tuple:
    """Changes when the pool's data change (cache key): counts, highest ids and versions of the tables read."""
    p = session.execute(
        select(func.count(), func.max(Participant.id), func.coalesce(func.sum(Participant.version), 0))
    ).one()
    e = session.execute(select(func.count(), func.max(Eligibility.id))).one()
    c = session.execute(
        select(func.count(), func.max(EmploymentContract.id), func.coalesce(func.sum(EmploymentContract.version), 0))
    ).one()
    t = session.execute(select(func.count()).select_from(ParticipantTrade)).one()
    return (tuple(p), tuple(e), tuple(c), tuple(t), settings.get(session, "eligibility_validity_months"))


def _ordinal(day: date | None, none: int) -> int:
    return day.toordinal() if day is not None else none


def load_pool(session: Session, validity_months: int | None = None, since: date | None = None) -> Pool:
    """Read every participant, their trades, eligibility validations and contracts, into arrays (plain SQL rows,
    no ORM objects).

    ``since``: only offers starting on or after this day will be ranked with this pool, so the contracts over and
    the eligibilities lapsed before it are not read (``rank`` refuses an offer starting earlier)."""
    if validity_months is None:
        validity_months = int(settings.get(session, "eligibility_validity_months"))
    conn = session.connection()
    p = Participant.__table__.c
    people = conn.execute(
        select(
            p.id,
            p.last_name,
            p.first_name,
            p.commune_id,
            p.antenna,
            p.counsellor,
            p.licences,
            p.own_vehicle,
            p.available_from,
            p.status,
            p.anonymised_at,
        ).order_by(p.id)
    ).all()
    n = len(people)
    cols = list(zip(*people, strict=True)) if people else [()] * 11
    pids, lasts, firsts, communes_of, antennas_of, counsellors, licence_texts, vehicles, avails, statuses, anon = cols
    ids = np.asarray(pids, dtype=np.int64)
    row_of = {pid: i for i, pid in enumerate(pids)}
    names = [f"{(last or '').upper()} {first or ''}".strip() for last, first in zip(lasts, firsts, strict=True)]

    c = Commune.__table__.c
    communes = conn.execute(select(c.id, c.name, c.epci)).all()
    epci_codes = sorted({e for _, _, e in communes if e})
    epci_index = {code: i for i, code in enumerate(epci_codes)}
    epci_of_commune = {cid: epci_index.get(e, -1) if e else -1 for cid, _, e in communes}
    commune = np.asarray([-1 if cid is None else cid for cid in communes_of], dtype=np.int64)
    epci = np.asarray([epci_of_commune.get(cid, -1) for cid in communes_of], dtype=np.int32)

    antennas = sorted({a or "" for a in antennas_of})
    antenna_index = {a: i for i, a in enumerate(antennas)}
    antenna = np.asarray([antenna_index[a or ""] for a in antennas_of], dtype=np.int32)

    held_of = {text: rules.held(text or "") for text in set(licence_texts)}
    codes = sorted({code for held in held_of.values() for code in held})[:64]  # 64 bits; others by name only
    licence_bit = {code: 1 << i for i, code in enumerate(codes)}
    bits_of = {text: sum(licence_bit.get(code, 0) for code in held) for text, held in held_of.items()}
    licences = [held_of[text] for text in licence_texts]
    licence_bits = np.asarray([bits_of[text] for text in licence_texts], dtype=np.uint64)
    has_b = {text: rules.LICENCE_B in held for text, held in held_of.items()}
    licence_b = np.asarray([has_b[text] for text in licence_texts], dtype=bool)

    exited = ParticipantStatus.EXITED
    in_pool = np.asarray(
        [a is None and ParticipantStatus(s) is not exited for a, s in zip(anon, statuses, strict=True)], dtype=bool
    )
    available_from = np.asarray([_ordinal(d, 0) for d in avails], dtype=np.int32)

    # Trades: rows and levels per ROME code.
    person_trades: list[dict[str, int]] = [{} for _ in range(n)]
    per_code: dict[str, tuple[list[int], list[int]]] = {}
    level_of = {level: i for i, level in enumerate(ExperienceLevel)} | {
        level.value: i for i, level in enumerate(ExperienceLevel)
    }
    t = ParticipantTrade.__table__.c
    for pid, code, level in conn.execute(select(t.participant_id, t.trade_code, t.experience)).all():
        row = row_of.get(pid)
        if row is None:
            continue
        lvl = level_of[level]
        person_trades[row][code] = lvl
        rows, levels = per_code.setdefault(code, ([], []))
        rows.append(row)
        levels.append(lvl)
    trade_rows = {
        code: (np.asarray(rows, dtype=np.int64), np.asarray(levels, dtype=np.int8))
        for code, (rows, levels) in per_code.items()
    }

    # Eligibility: the distinct validation dates of each person, with their last valid day.
    e = Eligibility.__table__.c
    query = select(e.participant_id, e.validated_on).distinct()
    if since is not None:
        query = query.where(e.validated_on >= first_validation_valid_on(since, validity_months))
    pairs = sorted((row_of[pid], v) for pid, v in conn.execute(query).all() if pid in row_of)
    end_of = {v: eligibility_end(v, validity_months).toordinal() for v in {v for _, v in pairs}}
    width = 1
    slot: list[int] = []
    previous, j = -1, 0
    for row, _ in pairs:
        j = j + 1 if row == previous else 0
        previous = row
        slot.append(j)
        width = max(width, j + 1)
    elig_from = np.full((width, n), OPEN_END, dtype=np.int32)
    elig_until = np.full((width, n), -1, dtype=np.int32)
    if pairs:
        rows_e = np.asarray([row for row, _ in pairs], dtype=np.int64)
        slots = np.asarray(slot, dtype=np.int64)
        elig_from[slots, rows_e] = [v.toordinal() for _, v in pairs]
        elig_until[slots, rows_e] = [end_of[v] for _, v in pairs]

    # Contracts: (row, start, end) sorted by row; the end is the actual one, else the planned one, else none.
    k = EmploymentContract.__table__.c
    query = select(k.participant_id, k.start_date, k.planned_end, k.actual_end)
    if since is not None:
        ends = func.coalesce(k.actual_end, k.planned_end)
        query = query.where(or_(ends.is_(None), ends >= since))
    found = sorted(
        (row_of[pid], start.toordinal(), _ordinal(actual or planned, OPEN_END))
        for pid, start, planned, actual in conn.execute(query).all()
        if pid in row_of
    )
    contract_row = np.asarray([f[0] for f in found], dtype=np.int64)
    contract_start = np.asarray([f[1] for f in found], dtype=np.int32)
    contract_end = np.asarray([f[2] for f in found], dtype=np.int32)

    return Pool(
        validity_months=validity_months,
        since=since,
        ids=ids,
        row_of=row_of,
        names=names,
        commune=commune,
        epci=epci,
        epci_codes=epci_codes,
        commune_names={cid: name for cid, name, _ in communes},
        antenna=antenna,
        antennas=antennas,
        counsellor=list(counsellors),
        licences=licences,
        licence_bits=licence_bits,
        licence_bit=licence_bit,
        own_vehicle=np.asarray(vehicles, dtype=bool),
        licence_b=licence_b,
        in_pool=in_pool,
        available_from=available_from,
        elig_from=elig_from,
        elig_until=elig_until,
        person_trades=person_trades,
        trade_rows=trade_rows,
        contract_row=contract_row,
        contract_start=contract_start,
        contract_end=contract_end,
        by_end=np.argsort(contract_end, kind="stable"),
    )


# --- offers -----------------------------------------------------------------------------------------------------


def _profiles(session: Session, query) -> list[OfferProfile]:
    o = JobOffer.__table__.c
    rows = session.execute(
        query.add_columns(Commune.epci).outerjoin(Commune, Commune.id == o.place_commune_id).order_by(o.id)
    ).all()
    return [
        OfferProfile(
            id=oid,
            trade_code=trade,
            start_date=start,
            end_date=end,
            commune_id=commune_id,
            epci=epci or "",
            requirements=rules.parse_requirements(reqs or ""),
        )
        for oid, trade, start, end, commune_id, reqs, epci in rows
    ]


def _offer_query():
    o = JobOffer.__table__.c
    return select(o.id, o.trade_code, o.start_date, o.end_date, o.place_commune_id, o.requirements)


def offer_profile(session: Session, offer_id: int) -> OfferProfile | None:
    found = _profiles(session, _offer_query().where(JobOffer.__table__.c.id == offer_id))
    return found[0] if found else None


def open_offer_profiles(session: Session) -> list[OfferProfile]:
    return _profiles(session, _offer_query().where(JobOffer.__table__.c.status == OfferStatus.OPEN))


# --- direct view: every participant for one offer ----------------------------------------------------------------


def _offer_features(pool: Pool, offer: OfferProfile) -> Features:
    if pool.since is not None and offer.start_date < pool.since:
        raise ValueError(f"Pool read from {pool.since}: offer {offer.id} starts before, on {offer.start_date}.")
    n = pool.size
    start = offer.start_date.toordinal()
    end = offer.end_date.toordinal() if offer.end_date else -1

    exact = np.full(n, rules.NO_TRADE, dtype=np.int8)
    found = pool.trade_rows.get(offer.trade_code)
    if found is not None:
        exact[found[0]] = found[1]
    related = np.full(n, rules.NO_TRADE, dtype=np.int8)
    rel_rows, rel_levels = pool.related_rows(offer.trade_code)
    related[rel_rows] = rel_levels

    mask, unknown = 0, 0
    for code in offer.requirements:
        bit = pool.licence_bit.get(code)
        if bit is None:
            unknown += 1
        else:
            mask |= bit
    if mask:
        missing = np.bitwise_count(np.uint64(mask) & ~pool.licence_bits).astype(np.int64) + unknown
    else:
        missing = np.full(n, unknown, dtype=np.int64)

    if offer.commune_id is not None:
        same_commune = pool.commune == offer.commune_id
    else:
        same_commune = np.zeros(n, dtype=bool)
    epci = pool.epci_codes.index(offer.epci) if offer.epci in pool.epci_codes else None
    same_epci = pool.epci == epci if epci is not None else np.zeros(n, dtype=bool)

    last_valid = np.full(n, -1, dtype=np.int32)
    for froms, untils in zip(pool.elig_from, pool.elig_until, strict=True):  # a few validations per person at most
        valid = (froms <= start) & (untils >= start)
        np.maximum(last_valid, np.where(valid, untils, -1), out=last_valid)

    # Contracts still running on the start date (sorted by end: skip those over before), then begun by its end.
    running = pool.by_end[np.searchsorted(pool.contract_end[pool.by_end], start, side="left") :]
    if end >= 0:
        running = running[pool.contract_start[running] <= end]
    busy = np.zeros(n, dtype=bool)
    busy[pool.contract_row[running]] = True

    return Features(
        exact_level=exact,
        related_level=related,
        required=len(offer.requirements),
        missing=missing,
        same_commune=same_commune,
        same_epci=same_epci,
        place_known=offer.commune_id is not None,
        own_vehicle=pool.own_vehicle,
        licence_b=pool.licence_b,
        last_valid=last_valid,
        start=start,
        end=end,
        in_pool=pool.in_pool,
        available_from=pool.available_from,
        busy=busy,
    )


@dataclass
class Ranking:
    """The participants kept for an offer, best first, with what explains their score."""

    offer: OfferProfile
    rows: np.ndarray  # pool rows kept, best score first (ties: lowest id first)
    features: Features  # arrays over the whole pool
    evaluation: Evaluation
    excluded: dict[str, int]  # hard condition → people filtered out by it

    @property
    def scores(self) -> np.ndarray:
        return self.evaluation.score[self.rows]


def rank(pool: Pool, offer: OfferProfile, cfg: MatchingSettings) -> Ranking:
    """Every participant of the pool for one offer: hard conditions, then the score, best first."""
    f = _offer_features(pool, offer)
    ev = rules.evaluate(f, cfg)
    kept = np.flatnonzero(ev.keep)
    order = np.lexsort((pool.ids[kept], -ev.score[kept]))
    return Ranking(offer=offer, rows=kept[order], features=f, evaluation=ev, excluded=ev.exclusion_counts())


def _scalar(value, i: int):
    return value[i] if isinstance(value, np.ndarray) and value.ndim else value


def _pick(f: Features, i: int) -> Features:
    return Features(**{name: _scalar(getattr(f, name), i) for name in Features.__dataclass_fields__})


def _pick_eval(ev: Evaluation, i: int) -> Evaluation:
    return Evaluation(
        in_pool=_scalar(ev.in_pool, i),
        ready=_scalar(ev.ready, i),
        free=_scalar(ev.free, i),
        eligible=_scalar(ev.eligible, i),
        fractions={k: _scalar(v, i) for k, v in ev.fractions.items()},
        score=_scalar(ev.score, i),
    )


def _related_code(trades: dict[str, int], trade_code: str) -> str:
    best = max(((lvl, code) for code, lvl in trades.items() if rules.related_trades(code, trade_code)), default=None)
    return best[1] if best else ""


@dataclass(frozen=True)
class MatchRow:
    """One participant in the ranked table of an offer."""

    participant_id: int
    name: str
    commune: str
    antenna: str
    counsellor: str
    score: int
    parts: tuple[Part, ...]

    def part(self, name: str) -> Part:
        return next(p for p in self.parts if p.name == name)


@dataclass(frozen=True)
class RankedTable:
    rows: list[MatchRow]
    total: int  # people kept by the filters (before ``limit``)
    kept: int  # people passing the hard conditions
    excluded: dict[str, int]


def table(
    pool: Pool,
    ranking: Ranking,
    cfg: MatchingSettings,
    *,
    min_score: int = 0,
    trade_only: bool = False,
    antenna: str | None = None,
    commune_id: int | None = None,
    limit: int | None = 200,
) -> RankedTable:
    """The ranked people after the page's filters, the first ``limit`` explained part by part."""
    rows = ranking.rows
    ev = ranking.evaluation
    keep = ev.score[rows] >= min_score
    if trade_only:
        keep &= ev.fractions["trade"][rows] > 0
    if antenna is not None:
        index = pool.antennas.index(antenna) if antenna in pool.antennas else -2
        keep &= pool.antenna[rows] == index
    if commune_id is not None:
        keep &= pool.commune[rows] == commune_id
    rows = rows[keep]
    shown = rows if limit is None else rows[:limit]
    result = []
    offer = ranking.offer
    for i in shown.tolist():
        f, e = _pick(ranking.features, i), _pick_eval(ev, i)
        parts = rules.explain(
            f,
            e,
            cfg,
            offer.requirements,
            pool.licences[i],
            offer.trade_code,
            _related_code(pool.person_trades[i], offer.trade_code),
        )
        result.append(
            MatchRow(
                participant_id=int(pool.ids[i]),
                name=pool.names[i],
                commune=pool.commune_names.get(int(pool.commune[i]), ""),
                antenna=pool.antennas[int(pool.antenna[i])],
                counsellor=pool.counsellor[i],
                score=int(e.score),
                parts=parts,
            )
        )
    return RankedTable(
        rows=result, total=int(rows.shape[0]), kept=int(ranking.rows.shape[0]), excluded=ranking.excluded
    )


def score_of(ranking: Ranking, pool: Pool, participant_id: int) -> int | None:
    """The score of one participant in a ranking, None when filtered out."""
    row = pool.row_of.get(participant_id)
    if row is None or not bool(ranking.evaluation.keep[row]):
        return None
    return int(ranking.evaluation.score[row])


# --- reverse view: the open offers for one participant ----------------------------------------------------------


@dataclass(frozen=True)
class OfferMatch:
    offer_id: int
    score: int
    parts: tuple[Part, ...]
    exclusion: str = ""  # reason code when the offer does not fit (hard condition)


def for_participant(
    pool: Pool, participant_id: int, offers: Sequence[OfferProfile], cfg: MatchingSettings
) -> list[OfferMatch]:
    """Every given offer for one participant: those that fit first, best score first (ties: lowest offer id),
    then those a hard condition rules out, with the reason."""
    row = pool.row_of.get(participant_id)
    if row is None or not offers:
        return []
    if pool.since is not None and any(o.start_date < pool.since for o in offers):
        raise ValueError(f"Pool read from {pool.since}: an offer starts before.")
    k = len(offers)
    trades = pool.person_trades[row]
    held = pool.licences[row]
    levels = [rules.levels_for(trades, o.trade_code) for o in offers]
    starts = np.fromiter((o.start_date.toordinal() for o in offers), dtype=np.int64, count=k)
    ends = np.fromiter((o.end_date.toordinal() if o.end_date else -1 for o in offers), dtype=np.int64, count=k)

    froms, untils = pool.elig_from[:, row][:, None], pool.elig_until[:, row][:, None]
    valid = (froms <= starts[None, :]) & (untils >= starts[None, :])
    last_valid = np.where(valid, untils, -1).max(axis=0)

    c_start, c_end = pool.contracts_of(row)
    overlap = c_end[:, None] >= starts[None, :]
    overlap &= (ends[None, :] < 0) | (c_start[:, None] <= ends[None, :])
    busy = overlap.any(axis=0)

    commune = int(pool.commune[row])
    epci = int(pool.epci[row])
    epci_code = pool.epci_codes[epci] if epci >= 0 else None
    f = Features(
        exact_level=np.asarray([lv[0] for lv in levels]),
        related_level=np.asarray([lv[1] for lv in levels]),
        required=np.asarray([len(o.requirements) for o in offers]),
        missing=np.asarray([len(rules.missing_requirements(o.requirements, held)) for o in offers]),
        same_commune=np.asarray([o.commune_id is not None and o.commune_id == commune for o in offers]),
        same_epci=np.asarray([bool(o.epci) and o.epci == epci_code for o in offers]),
        place_known=np.asarray([o.commune_id is not None for o in offers]),
        own_vehicle=bool(pool.own_vehicle[row]),
        licence_b=bool(pool.licence_b[row]),
        last_valid=last_valid,
        start=starts,
        end=ends,
        in_pool=bool(pool.in_pool[row]),
        available_from=int(pool.available_from[row]),
        busy=busy,
    )
    ev = rules.evaluate(f, cfg)
    result = []
    for i, offer in enumerate(offers):
        fi, ei = _pick(f, i), _pick_eval(ev, i)
        parts = rules.explain(
            fi, ei, cfg, offer.requirements, held, offer.trade_code, _related_code(trades, offer.trade_code)
        )
        result.append(OfferMatch(offer.id, int(ei.score), parts, ev.exclusion(i)))
    result.sort(key=lambda m: (bool(m.exclusion), -m.score, m.offer_id))
    return result


# --- all open offers against all participants ---------------------------------------------------------------------


@dataclass(frozen=True)
class OfferSummary:
    offer_id: int
    kept: int
    best: list[tuple[int, int]]  # (participant id, score), best first


def matrix(pool: Pool, offers: Iterable[OfferProfile], cfg: MatchingSettings, top: int = 10) -> list[OfferSummary]:
    """Every offer ranked against every participant: how many fit, and the ``top`` best."""
    result = []
    for offer in offers:
        ranking = rank(pool, offer, cfg)
        best = ranking.rows[:top]
        result.append(
            OfferSummary(
                offer.id,
                int(ranking.rows.shape[0]),
                list(zip(pool.ids[best].tolist(), ranking.evaluation.score[best].tolist(), strict=True)),
            )
        )
    return result


# --- labels for the page ---------------------------------------------------------------------------------------


def trade_labels(session: Session) -> dict[str, str]:
    return dict(session.execute(select(Trade.code, Trade.label)).all())
