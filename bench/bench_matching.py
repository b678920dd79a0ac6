"""Time matching (DESIGN §3.6, §6: at size L, ranking every participant for one offer under 100 ms, and every open
offer against every participant under 5 s). Prints figures; never asserts. Read-only on the database (a SQLite
file is opened in read-only mode).

    python bench/bench_matching.py --db /tmp/clausier-L.db      # an existing database (bench/generate.py)
    python bench/bench_matching.py --size S                    # generates a temporary one first
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402

from sqlalchemy import create_engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bench.generate import bench_database  # noqa: E402
from clausier.services import matching  # noqa: E402

TODAY = date(2026, 3, 15)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:9.1f} ms"


def _line(name: str, values: list[float]) -> None:
    print(f"{name:<52} médiane {_ms(statistics.median(values))}   min {_ms(min(values))}   max {_ms(max(values))}")


def _read_only_engine(url: str):
    if url.startswith("sqlite:///"):
        return create_engine(f"sqlite:///file:{url[len('sqlite:///') :]}?mode=ro&uri=true")
    return create_engine(url)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="SQLite file or SQLAlchemy URL of an existing database (read only)")
    parser.add_argument("--size", choices=["S", "M", "L"], default="S", help="size generated when --db is absent")
    parser.add_argument("--runs", type=int, default=3, help="loads and full matrices timed")
    args = parser.parse_args()

    url = bench_database(args.db, args.size, TODAY)
    engine = _read_only_engine(url)

    with Session(engine) as session:
        offers = matching.open_offer_profiles(session)
        cfg = matching.matching_settings(session)
        since = min([TODAY, *(o.start_date for o in offers)])
        loads_full, loads_since = [], []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            full = matching.load_pool(session)
            t1 = time.perf_counter()
            pool = matching.load_pool(session, since=since)
            t2 = time.perf_counter()
            loads_full.append(t1 - t0)
            loads_since.append(t2 - t1)
    engine.dispose()
    print(f"base : {url}")
    print(
        f"{pool.size} participants ({int(pool.in_pool.sum())} dans le vivier), {len(offers)} offres ouvertes, "
        f"{full.contract_row.shape[0]} contrats (dont {pool.contract_row.shape[0]} en cours ou à venir au "
        f"{since:%d/%m/%Y}), {pool.elig_from.shape[0]} validations d'éligibilité au plus par personne"
    )
    _line("chargement du vivier (tout l'historique)", loads_full)
    _line(f"chargement du vivier (depuis le {since:%d/%m/%Y}, page)", loads_since)
    if not offers:
        print("aucune offre ouverte : rien à classer")
        return 0

    # One offer against every participant: first call per trade (related trades cached), then each open offer.
    first = []
    for offer in offers[:5]:
        t0 = time.perf_counter()
        matching.rank(pool, offer, cfg)
        first.append(time.perf_counter() - t0)
    ranks, tables, kept = [], [], []
    for offer in offers:
        t0 = time.perf_counter()
        ranking = matching.rank(pool, offer, cfg)
        t1 = time.perf_counter()
        matching.table(pool, ranking, cfg, limit=200)
        t2 = time.perf_counter()
        ranks.append(t1 - t0)
        tables.append(t2 - t1)
        kept.append(ranking.rows.shape[0])
    _line("une offre × tous les participants (1ers appels)", first)
    _line(f"une offre × tous les participants ({len(offers)} offres)", ranks)
    _line("tableau expliqué des 200 premiers", tables)
    print(
        f"{'participants retenus par offre':<52} médiane {statistics.median(kept):9.0f}      min {min(kept)}   max {max(kept)}"
    )

    # The reverse view: one participant against every open offer.
    reverse = []
    for row in range(0, pool.size, max(1, pool.size // 50)):
        t0 = time.perf_counter()
        matching.for_participant(pool, int(pool.ids[row]), offers, cfg)
        reverse.append(time.perf_counter() - t0)
    _line(f"un participant × les {len(offers)} offres ouvertes ({len(reverse)} personnes)", reverse)

    # The matrix: every open offer against every participant (fresh pool: no cache from the runs above).
    matrices = []
    engine = _read_only_engine(url)
    for _ in range(args.runs):
        with Session(engine) as session:
            fresh = matching.load_pool(session, since=since)
        t0 = time.perf_counter()
        matching.matrix(fresh, offers, cfg)
        matrices.append(time.perf_counter() - t0)
    engine.dispose()
    _line(f"matrice : {len(offers)} offres × {pool.size} participants", matrices)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
