"""Time the home page (Tableau de bord) and its queries at the named sizes (DESIGN §6: a page's script under
300 ms with a warm cache at size L). Prints figures; never asserts.

    python bench/bench_home.py --db /tmp/clausier-L.db          # an existing database (bench/generate.py)
    python bench/bench_home.py --size S                        # generates a temporary one first
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

from sqlmodel import Session  # noqa: E402

from bench.generate import bench_database, ensure_bench_user  # noqa: E402
from clausier import db  # noqa: E402
from clausier.services import dashboard  # noqa: E402
from clausier.setup import prepare_database  # noqa: E402
from models.enums import Role  # noqa: E402


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="SQLite file or SQLAlchemy URL of an existing database")
    parser.add_argument("--size", choices=["S", "M", "L"], default="S", help="size generated when --db is absent")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    url = bench_database(args.db, args.size, date(2026, 3, 15))
    engine = db.make_engine(url)
    prepare_database(engine)
    ensure_bench_user(engine, "bench", Role.LECTURE)

    # 1. The queries alone (first call: cold caches of the database).
    timings: dict[str, list[float]] = {"totals": [], "by_buyer": []}
    for _ in range(args.runs):
        with Session(engine) as session:
            t0 = time.perf_counter()
            totals = dashboard.totals(session)
            t1 = time.perf_counter()
            dashboard.by_buyer(session)
            t2 = time.perf_counter()
        timings["totals"].append(t1 - t0)
        timings["by_buyer"].append(t2 - t1)
    print(f"base : {url}  ({totals.hours_achieved_h100 / 100:,.0f} h réalisées, {totals.participants} participants)")
    for name, values in timings.items():
        print(f"requête {name:9s}: 1er {_ms(values[0])}, médiane {_ms(statistics.median(values[1:] or values))}")

    # 2. The page's script under AppTest, logged in: cold (data caches cleared) then warm.
    from streamlit.testing.v1 import AppTest

    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CLAUSIER_COOKIE_KEY", "bench" * 10)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "bench"
    at.run()  # engine, migrations check, imports
    cold, warm = [], []
    from ui import cached

    for _ in range(args.runs):
        cached.clear()  # the data caches (home totals, progress); the engine stays, as in a running server
        t0 = time.perf_counter()
        at.run()
        cold.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t0)
    assert not at.exception, at.exception
    print(f"page Tableau de bord, cache froid : médiane {_ms(statistics.median(cold))} (min {_ms(min(cold))})")
    print(f"page Tableau de bord, cache chaud : médiane {_ms(statistics.median(warm))} (min {_ms(min(warm))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
