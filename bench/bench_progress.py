"""Time the progress figures (DESIGN §3.4) at the named sizes: the per-commitment query and its rules, the
roll-ups, a chart spec and its PNG. Prints figures; never asserts. Read-only on the database.

    python bench/bench_progress.py --db /tmp/clausier-L.db
    python bench/bench_progress.py --size S                    # generates a temporary one first
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

from sqlmodel import Session  # noqa: E402

from bench.generate import bench_database  # noqa: E402
from clausier import db  # noqa: E402
from clausier.reports import charts  # noqa: E402
from clausier.services import progress as svc  # noqa: E402

AS_OF = date(2026, 3, 15)


def _line(name: str, values: list[float]) -> None:
    print(
        f"{name:<44} min {min(values) * 1000:8.1f} ms   médiane {statistics.median(values) * 1000:8.1f} ms"
        f"   1er {values[0] * 1000:8.1f} ms"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", help="SQLite file or SQLAlchemy URL of an existing database")
    parser.add_argument("--size", choices=["S", "M", "L"], default="S", help="size generated when --db is absent")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    url = bench_database(args.db, args.size, AS_OF)
    engine = db.make_engine(url)

    t: dict[str, list[float]] = {
        k: []
        for k in (
            "SQL : heures par engagement (total + 3 mois)",
            "progress_table (SQL + règles en colonnes)",
            "ProgressTable.roll_ups × 5 niveaux",
            "progress_table filtré (territoire CUD)",
            "commitment_progress (les 25 000 objets)",
            "progress_chart (40 entreprises)",
            "chart_png scale=2",
            "chart_svg",
        )
    }
    keys = list(t)
    for _ in range(args.runs):
        laps: list[float] = []
        with Session(engine) as session:
            limits = svc.thresholds(session)
            t0 = time.perf_counter()
            svc._hours(session, svc.Filters(), limits.projection_months, None)
            laps.append(time.perf_counter())
            rows = svc.progress_table(session, AS_OF, limits=limits)
            laps.append(time.perf_counter())
            groups = {level: rows.roll_ups(level) for level in svc.Level}
            laps.append(time.perf_counter())
            svc.progress_table(session, AS_OF, svc.Filters(territory="CUD"), limits)
            laps.append(time.perf_counter())
            svc.commitment_progress(session, AS_OF, limits=limits)
            laps.append(time.perf_counter())
        t_chart = time.perf_counter()
        chart = charts.progress_chart(
            [(g.label, g.progress) for g in groups[svc.Level.COMPANY]],
            title="Heures d'insertion par entreprise",
            as_of=AS_OF,
            filters=["Territoire : CUD"],
        )
        laps.append(time.perf_counter())
        png = charts.chart_png(chart)
        laps.append(time.perf_counter())
        charts.chart_svg(chart)
        laps.append(time.perf_counter())
        starts = [t0, *laps[:4], t_chart, *laps[5:7]]
        for key, start, stop in zip(keys, starts, laps, strict=True):
            t[key].append(stop - start)
    print(f"base : {url}")
    print(
        f"{len(rows)} engagements, "
        + ", ".join(f"{len(g)} {level.label.lower()}s" for level, g in groups.items())
        + f", PNG {len(png) / 1024:.0f} Kio"
    )
    for key, values in t.items():
        _line(key, values)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
