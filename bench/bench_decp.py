"""Time the DECP market spotting (DESIGN §5.3): parse (JSON + schema validation) and spot, on the four official
examples and on a generated file of 10,000 markets. Prints figures; never asserts.

    python bench/bench_decp.py                    # 10 000 markets, 5 runs
    python bench/bench_decp.py --markets 50000 --runs 3
    python bench/bench_decp.py --write /tmp/decp-10000.json     # also keep the generated file
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date, timedelta  # noqa: E402

from sqlmodel import Session  # noqa: E402
from stdnum import luhn  # noqa: E402

from clausier import db  # noqa: E402
from clausier.services import decp  # noqa: E402
from clausier.setup import prepare_database  # noqa: E402

EXAMPLES = ROOT / "data" / "reference" / "decp"
TERRITORY_SIRENS = ["245900428", "215901836", "215902719"]  # CUD, Dunkerque, Grande-Synthe (default setting: CUD)
OTHER_SIRENS = ["217500016", "216901231", "213105554", "200046977", "130005481"]
TERRITORY_PLACES = ["59140", "59760", "59210", "59430", "59"]
OTHER_PLACES = ["75001", "69003", "31000", "62100", "13"]
CPVS = [
    "45210000-2",
    "45233140-2",
    "45442100-8",
    "45310000-3",
    "45111000-8",
    "45261000-4",
    "45000000-7",
    "77310000-6",
    "90910000-9",
    "79000000-4",
    "30200000-1",
]
SOCIAL = ["Clause sociale", "Critère social", "Marché réservé"]


def siret(siren8_or_9: str, nic: int = 1) -> str:
    """A SIRET with valid keys from a SIREN (its key recomputed from the first 8 digits)."""
    siren = siren8_or_9[:8] + luhn.calc_check_digit(siren8_or_9[:8])
    base = siren + f"{nic:04d}"
    return base + luhn.calc_check_digit(base)


def _holder(rng: random.Random) -> dict:
    return {
        "titulaire": {
            "id": siret(f"{rng.randrange(30_000_000, 90_000_000)}", rng.randrange(1, 50)),
            "typeIdentifiant": "SIRET",
        }
    }


def market(rng: random.Random, n: int, start: date) -> dict:
    """One market valid against the schema: about 40 % in the territory, 60 % works, 35 % with a social
    consideration, 15 % with a modification, 10 % with two holders."""
    territory = rng.random() < 0.4
    by_buyer = territory and rng.random() < 0.6
    sirens = TERRITORY_SIRENS if by_buyer else OTHER_SIRENS
    places = TERRITORY_PLACES if territory and not by_buyer else OTHER_PLACES + TERRITORY_PLACES[:1] * by_buyer
    place = rng.choice(places)
    cpv = rng.choice(CPVS[:7]) if rng.random() < 0.6 else rng.choice(CPVS[7:])
    social = rng.sample(SOCIAL, rng.randint(1, 2)) if rng.random() < 0.35 else ["Pas de considération sociale"]
    notified = start + timedelta(days=rng.randrange(0, 730))
    record = {
        "id": f"BENCH{n:08d}",
        "acheteur": {"id": siret(rng.choice(sirens), rng.randrange(1, 30))},
        "nature": "Marché",
        "objet": f"Marché de test n° {n} – {'travaux' if cpv.startswith('45') else 'services'}",
        "codeCPV": cpv,
        "techniques": {"technique": ["Sans objet"]},
        "modalitesExecution": {"modaliteExecution": ["Sans objet"]},
        "marcheInnovant": False,
        "ccag": "Travaux" if cpv.startswith("45") else "Fournitures courantes et services",
        "offresRecues": rng.randint(1, 9),
        "attributionAvance": False,
        "typeGroupementOperateurs": "Pas de groupement",
        "procedure": rng.choice(["Procédure adaptée", "Appel d'offres ouvert"]),
        "lieuExecution": {"code": place, "typeCode": "Code département" if len(place) < 5 else "Code postal"},
        "dureeMois": rng.choice([3, 6, 12, 18, 24, 36, 48]),
        "dateNotification": notified.isoformat(),
        "datePublicationDonnees": (notified + timedelta(days=10)).isoformat(),
        "montant": round(rng.lognormvariate(12.5, 1.3), 2) + 1,
        "typesPrix": {"typePrix": ["Définitif ferme"]},
        "formePrix": "Forfaitaire",
        "sousTraitanceDeclaree": False,
        "titulaires": [_holder(rng)] + ([_holder(rng)] if rng.random() < 0.1 else []),
        "considerationsSociales": {"considerationSociale": social},
        "considerationsEnvironnementales": {"considerationEnvironnementale": ["Pas de considération environnementale"]},
    }
    if rng.random() < 0.15:
        record["modifications"] = [
            {
                "modification": {
                    "id": 1,
                    "montant": round(record["montant"] * 1.1, 2),
                    "dureeMois": record["dureeMois"] + 6,
                    "dateNotificationModification": (notified + timedelta(days=90)).isoformat(),
                    "datePublicationDonneesModification": (notified + timedelta(days=95)).isoformat(),
                }
            }
        ]
    return record


def concession(rng: random.Random, n: int, start: date) -> dict:
    signed = start + timedelta(days=rng.randrange(0, 730))
    return {
        "id": f"CONC{n:08d}",
        "autoriteConcedante": {"id": siret(rng.choice(TERRITORY_SIRENS + OTHER_SIRENS), 1)},
        "nature": rng.choice(["Concession de travaux", "Délégation de service public"]),
        "objet": f"Concession de test n° {n}",
        "procedure": "Procédure négociée ouverte",
        "dureeMois": rng.choice([60, 120, 240]),
        "dateSignature": signed.isoformat(),
        "datePublicationDonnees": (signed + timedelta(days=10)).isoformat(),
        "dateDebutExecution": (signed + timedelta(days=30)).isoformat(),
        "valeurGlobale": round(rng.lognormvariate(15, 1), 2) + 1,
        "montantSubventionPublique": 0,
        "concessionnaires": [
            {"concessionnaire": {"typeIdentifiant": "SIRET", "id": siret(f"{rng.randrange(30_000_000, 90_000_000)}")}}
        ],
        "considerationsSociales": {"considerationSociale": ["Pas de considération sociale"]},
        "considerationsEnvironnementales": {"considerationEnvironnementale": ["Pas de considération environnementale"]},
    }


def make_file(markets: int = 10_000, seed: int = 1, concessions: int | None = None) -> bytes:
    """A DECP v2 file (UTF-8 JSON bytes) of ``markets`` marchés and, by default, 2 % as many concessions."""
    rng = random.Random(seed)
    start = date(2024, 1, 1)
    concessions = max(1, markets // 50) if concessions is None else concessions
    document = {
        "marches": {
            "marche": [market(rng, n, start) for n in range(1, markets + 1)],
            "contrat-concession": [concession(rng, n, start) for n in range(1, concessions + 1)],
        }
    }
    return json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def _time(function, runs: int) -> tuple[float, float, object]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--markets", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", help="also write the generated file here")
    args = parser.parse_args()

    url = f"sqlite:///{tempfile.mkdtemp()}/bench-decp.db"
    engine = db.make_engine(url)
    prepare_database(engine)
    today = date(2026, 3, 15)

    t0 = time.perf_counter()
    decp._validators()  # schema read, jsonschema validators built, fast predicates compiled: once per process
    print(f"Préparation du schéma (une fois par processus) : {_ms(time.perf_counter() - t0)}")
    print("Exemples officiels (médiane / minimum sur", args.runs, "passages) :")
    for path in sorted(EXAMPLES.glob("*.json")):
        if path.name.startswith("schema"):
            continue
        data = path.read_bytes()
        decp.parse(data, path.name)  # first call: schema loaded and compiled once per process
        median, best, parsed = _time(lambda d=data, n=path.name: decp.parse(d, n), args.runs)
        with Session(engine) as session:
            s_median, _, spotted = _time(lambda p=parsed, s=session: decp.spot(s, p, today), args.runs)
        print(
            f"  {path.name:40s} {len(parsed.markets):3d} enregistrements  lecture {_ms(median)} (min {_ms(best)})"
            f"  repérage {_ms(s_median)}"
        )

    t0 = time.perf_counter()
    data = make_file(args.markets)
    generated = time.perf_counter() - t0
    if args.write:
        Path(args.write).write_bytes(data)
    print(
        f"\nFichier généré : {args.markets:,} marchés + {args.markets // 50:,} concessions, "
        f"{len(data) / 1e6:.1f} Mo, en {generated:.2f} s".replace(",", " ")
    )

    t_json, _, document = _time(lambda: json.loads(data.decode("utf-8")), args.runs)
    records = decp._records(document, "bench.json")
    t_validate, _, _ = _time(lambda: decp._validate(records, "bench.json"), args.runs)
    sample = records[:500]
    t_sample, _, _ = _time(lambda: [decp._validators()[k][0].is_valid(r) for k, r in sample], 1)
    t_parse, t_parse_min, parsed = _time(lambda: decp.parse(data, "bench.json"), args.runs)
    with Session(engine) as session:
        t_spot, t_spot_min, spotted = _time(lambda: decp.spot(session, parsed, today), args.runs)
    summary = decp.summarize(parsed, spotted)
    print(f"  JSON seul (json.loads)         {_ms(t_json)}")
    print(f"  validation par le schéma       {_ms(t_validate)}  ({t_validate / len(records) * 1e6:.0f} µs par marché)")
    per_market = t_sample / len(sample)
    print(
        f"  (jsonschema seul : {per_market * 1e6:.0f} µs par marché sur {len(sample)}, "
        f"soit {per_market * len(records):.1f} s pour le fichier)"
    )
    print(f"  parse (JSON + schéma + lecture){_ms(t_parse)} (min {_ms(t_parse_min)})")
    print(f"  spot (territoire, heures)      {_ms(t_spot)} (min {_ms(t_spot_min)})")
    print(f"  parse + spot                   {_ms(t_parse + t_spot)}")
    print(
        f"  {summary.read} lus, {summary.in_territory} dans le territoire, {summary.opportunities} opportunités, "
        f"{summary.works} marchés de travaux dans le territoire"
    )
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
