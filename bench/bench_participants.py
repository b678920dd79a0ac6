"""Time the participants' queries and the « Participants » page at the named sizes (DESIGN §6: a page's script under
300 ms with a warm cache at size L). Prints figures; never asserts.

    python bench/bench_participants.py --db /tmp/clausier-L.db     # an existing database (bench/generate.py)
    python bench/bench_participants.py --size S                   # generates a temporary one first
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import os  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402

from sqlmodel import Session, func, select  # noqa: E402

from bench.generate import bench_database, ensure_bench_user  # noqa: E402
from clausier import db  # noqa: E402
from clausier.services import participants as svc  # noqa: E402
from clausier.services.participants import EligibilityFilter, ParticipantFilters  # noqa: E402
from clausier.services.users import CurrentUser  # noqa: E402
from clausier.setup import prepare_database  # noqa: E402
from models import Participant  # noqa: E402
from models.enums import Role  # noqa: E402

SHOWN = 500


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def _time(runs: int, action) -> list[float]:
    values = []
    for _ in range(runs):
        t0 = time.perf_counter()
        action()
        values.append(time.perf_counter() - t0)
    return values


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="SQLite file or SQLAlchemy URL of an existing database")
    parser.add_argument("--size", choices=["S", "M", "L"], default="S", help="size generated when --db is absent")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    url = bench_database(args.db, args.size, date(2026, 3, 15))
    engine = db.make_engine(url)
    prepare_database(engine)
    ensure_bench_user(engine, "bench-saisie", Role.SAISIE)
    user = CurrentUser("bench-saisie", "Bench", Role.SAISIE)
    today = date.today()

    # 1. The queries alone.
    with Session(engine) as session:
        count = session.exec(select(func.count()).select_from(Participant)).one()
        print(f"base : {url}  ({count} participants)")
        some = session.exec(select(Participant.id).order_by(Participant.id).limit(1)).one()
        queries = {
            f"liste ({SHOWN} premiers)": lambda: svc.list_participants(
                session, user, ParticipantFilters(), today=today, limit=SHOWN
            ),
            "liste, recherche « martin »": lambda: svc.list_participants(
                session, user, ParticipantFilters(search="martin"), today=today, limit=SHOWN
            ),
            "liste, éligibilité expire bientôt": lambda: svc.list_participants(
                session, user, ParticipantFilters(eligibility=EligibilityFilter.LAPSING), today=today, limit=SHOWN
            ),
            "liste entière (téléchargement)": lambda: svc.list_participants(
                session, user, ParticipantFilters(), today=today
            ),
            "fiche d'un participant": lambda: svc.detail(session, user, some, today),
            "choix des filtres": lambda: svc.choices(session),
            "éligibilités qui expirent (accueil)": lambda: svc.lapsing_eligibilities(session, today),
            "fins d'éligibilité (rapprochement)": lambda: svc.eligibility_ends(session, today),
            "à anonymiser (conservation)": lambda: svc.retention_candidates(session, today),
        }
        for name, action in queries.items():
            values = _time(args.runs, action)
            print(f"{name:38s}: 1er {_ms(values[0])}, médiane {_ms(statistics.median(values[1:] or values))}")

    # 2. The page's script under AppTest, logged in as saisie (no cached reader: every run reads the database).
    from streamlit.testing.v1 import AppTest
    from streamlit.util import calc_hash

    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CLAUSIER_COOKIE_KEY", "bench" * 10)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "bench-saisie"
    at.run()
    at._page_hash = calc_hash("participants")
    at.run()
    assert not at.exception, at.exception
    runs = _time(args.runs, at.run)
    print(f"page Participants : médiane {_ms(statistics.median(runs))} (min {_ms(min(runs))})")
    first = int(at.dataframe[0].value["N°"].iloc[0])
    at.selectbox(key="part_pick").set_value(first)
    runs = _time(args.runs, at.run)
    assert not at.exception, at.exception
    print(f"page Participants avec une fiche ouverte : médiane {_ms(statistics.median(runs))} (min {_ms(min(runs))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
