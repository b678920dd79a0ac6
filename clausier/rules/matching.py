"""DESIGN §3.6 — rapprochement candidats / offres: the score of a participant for an offer, 0 to 100, with its parts.

Pure: no database, no date of the day. The same formulas score one pair (``match``), every participant for one
offer, or every open offer for one participant: they take numbers or numpy arrays alike (numpy broadcasting), so
the direct view and the reverse view cannot disagree.

Decisions the design leaves open, taken here:

- **Hard conditions** (filter, no score): the person is in the pool (not *sorti du dispositif*, not anonymised),
  available on the offer's start date (``available_from``), with a valid eligibility on the offer's start date
  (§3.2), and not in an employment contract overlapping the offer's period (a contract without end, or an offer
  without end, runs for good). A person *en emploi* whose contract ends before the offer starts is kept.
- **Score** = the weighted mean of five parts, each a fraction from 0 to 1, weights from the settings
  ``matching_weight_*``: ``round(100 × Σ weight × fraction ÷ Σ weight)`` (half up).
- **Trade**: the same ROME code = 1; a *related* code = ``matching_related_trade_share`` (0,5). Related means the
  same ROME domain: the same first three characters of the code (F1703 Maçonnerie and F1702 Construction de
  routes are both F17, « Construction, bâtiment et travaux publics : travaux et gros œuvre »). Otherwise 0.
- **Experience** in the trade: the participant's level for the offer's trade (Aucune 0, Débutant ⅓, Expérimenté ⅔,
  Confirmé 1), or, when better, the best level in a related trade times the related share.
- **Requirements** (licences, CACES, certificates of ``REQUIREMENTS``): the share of the offer's requirements the
  person holds; each missing one lowers the score. An offer without requirements gives 1. A held licence implies
  the ones it needs (C, CE, BE and D imply B; CE implies C); a CACES with its category (« CACES R489-3 ») counts as
  the recommendation.
- **Mobility**: the participant's commune against the place of work: same commune 1, same intercommunality
  (EPCI) ``matching_mobility_same_epci_share`` (0,6), other or unknown commune ``matching_mobility_other_share``
  (0,2); a place not given counts as the same EPCI. An own vehicle adds ``matching_mobility_vehicle_bonus`` (0,4),
  a B licence without vehicle ``matching_mobility_licence_b_bonus`` (0,2); at most 1.
- **Eligibility margin**: the share of the offer's period covered by the eligibility (from the start date to the
  last valid day); an offer without end date counts ``matching_open_ended_months`` (6 months).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np

from clausier.rules.eligibility import add_months
from clausier.rules.names import ascii_fold

# --- requirements: the controlled vocabulary -------------------------------------------------------------------

REQUIREMENTS: dict[str, str] = {
    "B": "Permis B",
    "BE": "Permis BE (remorque)",
    "C": "Permis C (poids lourd)",
    "CE": "Permis CE (poids lourd avec remorque)",
    "D": "Permis D (transport de personnes)",
    "CACES R482": "CACES R482 – engins de chantier",
    "CACES R486": "CACES R486 – nacelles (PEMP)",
    "CACES R489": "CACES R489 – chariots élévateurs",
    "CACES R490": "CACES R490 – grues de chargement",
    "AIPR": "AIPR – travaux à proximité des réseaux",
    "HABILITATION ELECTRIQUE": "Habilitation électrique",
    "ECHAFAUDAGE R408": "Montage d'échafaudages (R408)",
    "SST": "Sauveteur secouriste du travail (SST)",
    "FIMO": "FIMO – conducteur routier",
}
IMPLIES: dict[str, tuple[str, ...]] = {"BE": ("B",), "C": ("B",), "CE": ("C", "B"), "D": ("B",)}
LICENCE_B = "B"
_ORDER = {code: i for i, code in enumerate(REQUIREMENTS)}
_ALIASES = {
    "HABILITATION ELEC": "HABILITATION ELECTRIQUE",
    "HAB ELEC": "HABILITATION ELECTRIQUE",
    "R408": "ECHAFAUDAGE R408",
    "ECHAFAUDAGE": "ECHAFAUDAGE R408",
}
_CACES = re.compile(r"^(?:CACES\s*)?R\s*(48[2-9]|490)\b")


def requirement_code(text: str) -> str | None:
    """One licence or certificate as typed → its code: « permis b » → « B », « CACES R489-3 » → « CACES R489 »."""
    token = " ".join(ascii_fold(text or "").upper().replace("_", " ").split())
    if not token:
        return None
    if token.startswith("PERMIS ") and token[len("PERMIS ") :].strip() in REQUIREMENTS:
        token = token[len("PERMIS ") :].strip()
    token = _ALIASES.get(token, token)
    caces = _CACES.match(token)
    if caces and f"CACES R{caces.group(1)}" in REQUIREMENTS:
        return f"CACES R{caces.group(1)}"
    return token or None


def parse_requirements(text: str | Iterable[str]) -> tuple[str, ...]:
    """The codes of a ";"-separated list (or of a list), without duplicates, in the vocabulary's order."""
    items = text.split(";") if isinstance(text, str) else list(text)
    codes = {c for c in (requirement_code(i) for i in items) if c}
    return tuple(sorted(codes, key=lambda c: (_ORDER.get(c, len(_ORDER)), c)))


def join_requirements(codes: Iterable[str]) -> str:
    """What ``JobOffer.requirements`` and ``Participant.licences`` store: « B;CACES R482 »."""
    return ";".join(parse_requirements(list(codes)))


def held(licences: str | Iterable[str]) -> frozenset[str]:
    """What a person holds, with what each licence implies (a C licence holder holds B)."""
    codes = set(parse_requirements(licences))
    for code in list(codes):
        codes.update(IMPLIES.get(code, ()))
    return frozenset(codes)


def missing_requirements(required: Iterable[str], holds: frozenset[str]) -> tuple[str, ...]:
    return tuple(code for code in required if code not in holds)


def requirement_label(code: str) -> str:
    return REQUIREMENTS.get(code, code)


# --- trades -----------------------------------------------------------------------------------------------------

RELATED_PREFIX = 3  # "related" ROME codes share their first three characters (the domain, e.g. F17)


def trade_domain(code: str) -> str:
    return (code or "")[:RELATED_PREFIX]


def related_trades(a: str, b: str) -> bool:
    """Two different ROME codes of the same domain (same first three characters)."""
    return bool(a) and bool(b) and a != b and trade_domain(a) == trade_domain(b)


# Experience levels as stored (ExperienceLevel order: aucune, débutant, expérimenté, confirmé) → 0..3; -1 = none.
NO_TRADE = -1
MAX_LEVEL = 3
LEVEL_LABELS = ("Aucune expérience", "Débutant", "Expérimenté", "Confirmé")


# --- settings ---------------------------------------------------------------------------------------------------

PARTS = ("trade", "eligibility", "requirements", "mobility", "experience")
PART_LABELS = {
    "trade": "Métier",
    "eligibility": "Éligibilité",
    "requirements": "Prérequis",
    "mobility": "Mobilité",
    "experience": "Expérience",
}


@dataclass(frozen=True)
class MatchingSettings:
    """The weights and shares of the score (settings of the « Rapprochement » section)."""

    weight_trade: int = 35
    weight_requirements: int = 20
    weight_mobility: int = 20
    weight_experience: int = 15
    weight_eligibility: int = 10
    related_trade_share: float = 0.5
    same_epci_share: float = 0.6
    other_commune_share: float = 0.2
    vehicle_bonus: float = 0.4
    licence_b_bonus: float = 0.2
    open_ended_months: int = 6

    @classmethod
    def from_values(cls, values: Mapping[str, Any]) -> MatchingSettings:
        """From ``clausier.settings.get_all``."""
        return cls(
            weight_trade=int(values["matching_weight_trade"]),
            weight_requirements=int(values["matching_weight_requirements"]),
            weight_mobility=int(values["matching_weight_mobility"]),
            weight_experience=int(values["matching_weight_experience"]),
            weight_eligibility=int(values["matching_weight_eligibility"]),
            related_trade_share=float(values["matching_related_trade_share"]),
            same_epci_share=float(values["matching_mobility_same_epci_share"]),
            other_commune_share=float(values["matching_mobility_other_share"]),
            vehicle_bonus=float(values["matching_mobility_vehicle_bonus"]),
            licence_b_bonus=float(values["matching_mobility_licence_b_bonus"]),
            open_ended_months=int(values["matching_open_ended_months"]),
        )

    def weight(self, part: str) -> int:
        return getattr(self, f"weight_{part}")

    @property
    def total_weight(self) -> int:
        return sum(self.weight(p) for p in PARTS)


# --- the formulas (numbers or numpy arrays) ---------------------------------------------------------------------


def trade_fraction(exact_level, related_level, cfg: MatchingSettings):
    """1 for the same ROME code, the related share for a code of the same domain, else 0."""
    return np.where(
        np.asarray(exact_level) > NO_TRADE,
        1.0,
        np.where(np.asarray(related_level) > NO_TRADE, cfg.related_trade_share, 0.0),
    )


def experience_fraction(exact_level, related_level, cfg: MatchingSettings):
    """The level in the trade (0..3 → 0..1), or the related share of the level in a related trade if better."""
    exact = np.clip(np.asarray(exact_level, dtype=float), 0, None) / MAX_LEVEL
    related = np.clip(np.asarray(related_level, dtype=float), 0, None) / MAX_LEVEL * cfg.related_trade_share
    return np.maximum(exact, related)


def requirements_fraction(missing, required):
    """The share of the offer's requirements the person holds (1 without requirements)."""
    required = np.asarray(required, dtype=float)
    return np.where(required > 0, 1.0 - np.asarray(missing, dtype=float) / np.maximum(required, 1.0), 1.0)


def mobility_fraction(same_commune, same_epci, place_known, own_vehicle, licence_b, cfg: MatchingSettings):
    base = np.where(
        ~np.asarray(place_known, dtype=bool),
        cfg.same_epci_share,
        np.where(same_commune, 1.0, np.where(same_epci, cfg.same_epci_share, cfg.other_commune_share)),
    )
    bonus = np.where(own_vehicle, cfg.vehicle_bonus, np.where(licence_b, cfg.licence_b_bonus, 0.0))
    return np.minimum(1.0, base + bonus)


def offer_period_days(start, end, cfg: MatchingSettings):
    """Days of the offer (start and end included, as ordinals); without end (-1): the open-ended months."""
    start = np.asarray(start)
    end = np.asarray(end)
    open_ended = np.vectorize(_open_ended_days, otypes=[np.int64])(start, cfg.open_ended_months)
    return np.where(end >= start, end - start + 1, open_ended)


def _open_ended_days(start_ordinal: int, months: int) -> int:
    start = date.fromordinal(int(start_ordinal))
    return (add_months(start, months) - start).days


def eligibility_fraction(last_valid, start, end, cfg: MatchingSettings):
    """The share of the offer's period covered by the eligibility (ordinals; last_valid -1 when none)."""
    covered = np.asarray(last_valid) - np.asarray(start) + 1
    return np.clip(covered / offer_period_days(start, end, cfg), 0.0, 1.0)


def score(fractions: Mapping[str, Any], cfg: MatchingSettings):
    """0..100, half up: the weighted mean of the parts."""
    total = cfg.total_weight
    if total <= 0:
        return np.zeros(np.shape(fractions["trade"]), dtype=np.int64)
    weighted = sum(cfg.weight(p) * np.asarray(fractions[p], dtype=float) for p in PARTS)
    return np.floor(weighted * 100.0 / total + 0.5 + 1e-9).astype(np.int64)


# --- the features of a pair, and the evaluation -----------------------------------------------------------------

# Why a pair is filtered out, in the order checked.
OUT_OF_POOL = "hors_vivier"
NOT_YET_AVAILABLE = "pas_disponible"
UNDER_CONTRACT = "sous_contrat"
NOT_ELIGIBLE = "non_eligible"
EXCLUSION_LABELS = {
    OUT_OF_POOL: "Sorti du dispositif ou anonymisé",
    NOT_YET_AVAILABLE: "Disponible seulement après le début du poste",
    UNDER_CONTRACT: "Déjà sous contrat sur la période du poste",
    NOT_ELIGIBLE: "Éligibilité non valide à la date de début du poste",
}


@dataclass
class Features:
    """What the score of a pair depends on; each field a number or an array (one per participant, or per offer).

    Dates are ordinals (``date.toordinal()``); ``end`` and ``last_valid`` are -1 when there is none."""

    exact_level: Any  # level in the offer's trade, -1 without it
    related_level: Any  # best level in a related trade, -1 without one
    required: Any  # number of requirements of the offer
    missing: Any  # number of them the person lacks
    same_commune: Any
    same_epci: Any
    place_known: Any
    own_vehicle: Any
    licence_b: Any
    last_valid: Any  # last day of the eligibility valid on the start date, -1 when not valid then
    start: Any
    end: Any
    in_pool: Any  # not exited, not anonymised
    available_from: Any  # ordinal, 0 when not given
    busy: Any  # in a contract overlapping the offer's period


@dataclass
class Evaluation:
    """The hard conditions (boolean masks) and the parts of the score of some pairs."""

    in_pool: Any
    ready: Any  # available on the start date
    free: Any  # no contract over the period
    eligible: Any  # eligibility valid on the start date
    fractions: dict[str, Any]
    score: Any

    @property
    def keep(self):
        return self.in_pool & self.ready & self.free & self.eligible

    def exclusion_counts(self) -> dict[str, int]:
        """How many pairs each hard condition filters out (each counted under the first condition it fails)."""
        out = ~self.in_pool
        late = self.in_pool & ~self.ready
        busy = self.in_pool & self.ready & ~self.free
        lapsed = self.in_pool & self.ready & self.free & ~self.eligible
        return {
            OUT_OF_POOL: int(np.count_nonzero(out)),
            NOT_YET_AVAILABLE: int(np.count_nonzero(late)),
            UNDER_CONTRACT: int(np.count_nonzero(busy)),
            NOT_ELIGIBLE: int(np.count_nonzero(lapsed)),
        }

    def exclusion(self, i: int | None = None) -> str:
        """The reason code of pair ``i`` (of the only pair when scalar), "" when kept."""

        def pick(mask) -> bool:
            mask = np.asarray(mask)
            return bool(mask if mask.ndim == 0 or i is None else mask[i])

        for code, mask in (
            (OUT_OF_POOL, self.in_pool),
            (NOT_YET_AVAILABLE, self.ready),
            (UNDER_CONTRACT, self.free),
            (NOT_ELIGIBLE, self.eligible),
        ):
            if not pick(mask):
                return code
        return ""


def evaluate(f: Features, cfg: MatchingSettings) -> Evaluation:
    """The hard conditions and the parts of the score of the pairs described by ``f``."""
    fractions = {
        "trade": trade_fraction(f.exact_level, f.related_level, cfg),
        "eligibility": eligibility_fraction(f.last_valid, f.start, f.end, cfg),
        "requirements": requirements_fraction(f.missing, f.required),
        "mobility": mobility_fraction(f.same_commune, f.same_epci, f.place_known, f.own_vehicle, f.licence_b, cfg),
        "experience": experience_fraction(f.exact_level, f.related_level, cfg),
    }
    return Evaluation(
        in_pool=np.asarray(f.in_pool, dtype=bool),
        ready=np.asarray(f.available_from) <= np.asarray(f.start),
        free=~np.asarray(f.busy, dtype=bool),
        eligible=np.asarray(f.last_valid) >= np.asarray(f.start),
        fractions=fractions,
        score=score(fractions, cfg),
    )


# --- one pair, described in plain words --------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferProfile:
    """What matching needs of an offer."""

    id: int
    trade_code: str
    start_date: date
    end_date: date | None = None
    commune_id: int | None = None
    epci: str = ""
    requirements: tuple[str, ...] = ()


@dataclass(frozen=True)
class PersonProfile:
    """What matching needs of a participant."""

    id: int
    trades: Mapping[str, int] = field(default_factory=dict)  # ROME code → level 0..3
    licences: frozenset[str] = frozenset()  # as ``held`` gives them
    commune_id: int | None = None
    epci: str = ""
    own_vehicle: bool = False
    in_pool: bool = True
    available_from: date | None = None
    eligibility_ends: Mapping[date, date] = field(default_factory=dict)  # validation date → last valid day
    contracts: tuple[tuple[date, date | None], ...] = ()  # (start, end or None when open-ended)


def last_valid_day(eligibility_ends: Mapping[date, date], on: date) -> date | None:
    """The last valid day of the eligibility valid on ``on`` (the latest end among validations valid then)."""
    ends = [end for validated, end in eligibility_ends.items() if validated <= on <= end]
    return max(ends) if ends else None


def overlaps(start: date, end: date | None, other_start: date, other_end: date | None) -> bool:
    """Two periods share a day (no end: for good)."""
    return (end is None or other_start <= end) and (other_end is None or start <= other_end)


def levels_for(trades: Mapping[str, int], trade_code: str) -> tuple[int, int]:
    """(level in the trade or -1, best level in a related trade or -1)."""
    exact = trades.get(trade_code, NO_TRADE)
    related = max((lvl for code, lvl in trades.items() if related_trades(code, trade_code)), default=NO_TRADE)
    return exact, related


def features(offer: OfferProfile, person: PersonProfile) -> Features:
    """The features of one pair (scalars)."""
    exact, related = levels_for(person.trades, offer.trade_code)
    last = last_valid_day(person.eligibility_ends, offer.start_date)
    busy = any(overlaps(offer.start_date, offer.end_date, s, e) for s, e in person.contracts)
    return Features(
        exact_level=exact,
        related_level=related,
        required=len(offer.requirements),
        missing=len(missing_requirements(offer.requirements, person.licences)),
        same_commune=offer.commune_id is not None and person.commune_id == offer.commune_id,
        same_epci=bool(offer.epci) and person.epci == offer.epci,
        place_known=offer.commune_id is not None,
        own_vehicle=person.own_vehicle,
        licence_b=LICENCE_B in person.licences,
        last_valid=last.toordinal() if last else -1,
        start=offer.start_date.toordinal(),
        end=offer.end_date.toordinal() if offer.end_date else -1,
        in_pool=person.in_pool,
        available_from=person.available_from.toordinal() if person.available_from else 0,
        busy=busy,
    )


@dataclass(frozen=True)
class Part:
    """One part of a score: its fraction, its points out of its weight, and why in French."""

    name: str
    label: str
    fraction: float
    points: float  # on the 100-point scale of the score
    out_of: float  # the most points this part can give (its weight on the 100-point scale)
    reason: str


@dataclass(frozen=True)
class Match:
    score: int
    parts: tuple[Part, ...]
    exclusion: str = ""  # reason code when filtered out

    @property
    def kept(self) -> bool:
        return not self.exclusion

    def part(self, name: str) -> Part:
        return next(p for p in self.parts if p.name == name)


def match(offer: OfferProfile, person: PersonProfile, cfg: MatchingSettings) -> Match:
    """The score of one person for one offer, its parts and why (or the reason it is filtered out)."""
    f = features(offer, person)
    ev = evaluate(f, cfg)
    return Match(
        score=int(ev.score),
        parts=explain(f, ev, cfg, offer.requirements, person.licences, offer.trade_code, _related_code(person, offer)),
        exclusion=ev.exclusion(),
    )


def _related_code(person: PersonProfile, offer: OfferProfile) -> str:
    best = max(
        ((lvl, code) for code, lvl in person.trades.items() if related_trades(code, offer.trade_code)), default=None
    )
    return best[1] if best else ""


def _fmt(ordinal: int) -> str:
    return date.fromordinal(int(ordinal)).strftime("%d/%m/%Y")


def explain(
    f: Features,
    ev: Evaluation,
    cfg: MatchingSettings,
    requirements: tuple[str, ...],
    licences: frozenset[str],
    trade_code: str,
    related_code: str = "",
) -> tuple[Part, ...]:
    """The parts of one evaluated pair (scalar features), each with its reason in French."""
    exact, related = int(f.exact_level), int(f.related_level)
    if exact > NO_TRADE:
        trade = f"Même métier ({trade_code})"
    elif related > NO_TRADE:
        trade = f"Métier proche ({related_code or 'même domaine'}, domaine {trade_domain(trade_code)})"
    else:
        trade = "Autre métier"

    last = int(f.last_valid)
    if last < int(f.start):
        eligibility = "Non valide au début du poste"
    elif float(ev.fractions["eligibility"]) >= 1:
        eligibility = f"Valide jusqu'au {_fmt(last)} : couvre la durée visée"
    else:
        share = round(float(ev.fractions["eligibility"]) * 100)
        eligibility = f"Valide jusqu'au {_fmt(last)} : couvre {share} % de la durée visée"

    lacking = missing_requirements(requirements, licences)
    if not requirements:
        reqs = "Aucun prérequis"
    elif not lacking:
        reqs = "Tous les prérequis : " + ", ".join(requirements)
    else:
        reqs = "Manque : " + ", ".join(lacking)

    if not bool(f.place_known):
        mobility = "Lieu non précisé"
    elif bool(f.same_commune):
        mobility = "Même commune"
    elif bool(f.same_epci):
        mobility = "Même intercommunalité"
    else:
        mobility = "Autre commune"
    if bool(f.own_vehicle):
        mobility += " + véhicule personnel"
    elif bool(f.licence_b):
        mobility += " + permis B"

    if exact > NO_TRADE and (related <= NO_TRADE or exact / MAX_LEVEL >= related / MAX_LEVEL * cfg.related_trade_share):
        experience = LEVEL_LABELS[exact] + " dans le métier"
    elif related > NO_TRADE:
        experience = LEVEL_LABELS[related] + " (métier proche)"
    else:
        experience = "Aucune dans le métier"

    reasons = {
        "trade": trade,
        "eligibility": eligibility,
        "requirements": reqs,
        "mobility": mobility,
        "experience": experience,
    }
    scale = 100 / cfg.total_weight if cfg.total_weight else 0.0
    parts = []
    for name in PARTS:
        fraction = float(ev.fractions[name])
        out_of = cfg.weight(name) * scale
        parts.append(
            Part(name, PART_LABELS[name], fraction, round(fraction * out_of, 1), round(out_of, 1), reasons[name])
        )
    return tuple(parts)
