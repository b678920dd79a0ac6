"""Time the bilans (DESIGN §3.9, §6): at size M, the bilan of the whole territory for a year, PDF included, in
under 5 s; at size L, the Bilans page's script under 1 s with a warm cache. Prints figures; never asserts.

    python bench/bench_bilan.py                                   # generates M in a temporary file (about 20 s)
    python bench/bench_bilan.py --db-m /tmp/bilan-M.db --db-l /tmp/clausier-L.db

The L database is never written to: the page runs on a copy of it in a temporary directory (the app brings a
database up to date when it opens it: new settings, reference data), deleted at the end. It needs a user to log
in with (``--login``, default: the first active user).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import io  # noqa: E402
import os  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402

from sqlalchemy import select  # noqa: E402
from sqlmodel import Session  # noqa: E402

from bench.generate import database_url  # noqa: E402
from clausier import db, demo  # noqa: E402
from clausier.reports import bilan  # noqa: E402
from clausier.services import bilans  # noqa: E402
from clausier.setup import prepare_database  # noqa: E402
from models import User  # noqa: E402

TODAY = date(2026, 3, 15)  # the demo data's "today"
YEAR = bilan.Period(date(2025, 1, 1), date(2025, 12, 31))


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def read_only_url(path: str | Path) -> str:
    """A SQLite file opened read only: any write attempt fails instead of changing the file."""
    return f"sqlite:///file:{Path(path).expanduser().resolve()}?mode=ro&uri=true"


def copy_of(path: str, directory: str) -> Path:
    """A consistent copy of a SQLite file (backup API, the source opened read only)."""
    target = Path(directory) / "bench-L.db"
    source = sqlite3.connect(f"file:{Path(path).expanduser().resolve()}?mode=ro", uri=True)
    copy = sqlite3.connect(target)
    with copy:
        source.backup(copy)
    source.close()
    copy.close()
    return target


def bench_m(url: str, runs: int) -> None:
    engine = db.make_engine(url)
    computes, pdfs, totals = [], [], []
    for _ in range(runs):
        t0 = time.perf_counter()
        with Session(engine) as session:
            result = bilans.compute(session, bilan.Scope(), YEAR, TODAY)
        t1 = time.perf_counter()
        pdf = bilans.bilan_pdf(result)
        t2 = time.perf_counter()
        computes.append(t1 - t0)
        pdfs.append(t2 - t1)
        totals.append(t2 - t0)
    engine.dispose()
    from pypdf import PdfReader

    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    figures = dict(result.key_figures())
    print(
        f"M : {figures['Engagements']} engagements, {figures['Personnes']} personnes, "
        f"{figures['Heures réalisées sur la période']} sur la période ; PDF de {pages} pages, {len(pdf) // 1024} Ko"
    )
    print(f"M : indicateurs  1er {_ms(computes[0])}, médiane {_ms(statistics.median(computes))}")
    print(f"M : PDF          1er {_ms(pdfs[0])}, médiane {_ms(statistics.median(pdfs))}")
    print(f"M : bilan + PDF  1er {_ms(totals[0])}, médiane {_ms(statistics.median(totals))}  (objectif < 5 000 ms)")


def bench_l_page(path: str, runs: int, login: str | None) -> None:
    engine = db.make_engine(read_only_url(path))
    with Session(engine) as session:
        query = select(User.login).where(User.active).order_by(User.id)
        if login:
            query = query.where(User.login == login)
        login = session.execute(query).scalars().first()
    engine.dispose()
    if login is None:
        print("L : aucun utilisateur actif dans la base (--login) : page non mesurée")
        return
    from streamlit.testing.v1 import AppTest
    from streamlit.util import calc_hash

    from ui import cached

    directory = tempfile.mkdtemp()
    t0 = time.perf_counter()
    copy = copy_of(path, directory)
    print(f"L : copie de travail de {path} en {time.perf_counter() - t0:.1f} s")
    try:
        _page(f"sqlite:///{copy}", runs, login, AppTest, calc_hash, cached)
    finally:
        db.dispose_engines()
        shutil.rmtree(directory, ignore_errors=True)


def _page(url: str, runs: int, login: str, AppTest, calc_hash, cached) -> None:  # noqa: N803
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("CLAUSIER_COOKIE_KEY", "bench" * 10)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = login
    at.run()  # engine, schema check, imports
    at._page_hash = calc_hash("bilans")  # the page's address, as a browser opens it
    t0 = time.perf_counter()
    at.run()
    first = time.perf_counter() - t0
    assert not at.exception, at.exception
    assert at.title[0].value == "Bilans", [t.value for t in at.title]
    period = next(r for r in at.radio if r.label == "Période")
    period.set_value(period.options[2])  # the previous calendar year: the demo data's latest full year
    warm, cold = [], []
    at.run()
    for _ in range(runs):
        t0 = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - t0)
    assert not at.exception, at.exception
    for _ in range(max(1, runs // 3)):
        cached.clear()
        t0 = time.perf_counter()
        at.run()
        cold.append(time.perf_counter() - t0)
    metrics = {m.label: m.value for m in at.metric}
    print(f"L : {metrics.get('Engagements')} engagements, {metrics.get('Personnes')} personnes ({period.value})")
    print(f"L : page Bilans, premier affichage (année en cours) {_ms(first)}")
    print(f"L : page Bilans, cache froid : médiane {_ms(statistics.median(cold))}")
    print(
        f"L : page Bilans, cache chaud : médiane {_ms(statistics.median(warm))} (min {_ms(min(warm))})"
        "  (objectif < 1 000 ms)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db-m", help="an existing database of size M (SQLite file or URL); else generated")
    parser.add_argument("--db-l", default="/tmp/clausier-L.db", help="SQLite file of size L, opened read only")
    parser.add_argument("--login", help="user of the L database to log in with (default: the first active one)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--skip-l", action="store_true")
    args = parser.parse_args()

    generated = None
    if args.db_m:
        url_m = database_url(args.db_m)
    else:
        generated = tempfile.mkdtemp()
        url_m = f"sqlite:///{generated}/bench-M.db"
        engine = db.make_engine(url_m)
        prepare_database(engine)
        report = demo.generate(engine, size="M", seed=1, today=TODAY)
        print(f"généré : taille M en {report.seconds:.1f} s")
        engine.dispose()
    try:
        bench_m(url_m, args.runs)
    finally:
        if generated:
            shutil.rmtree(generated, ignore_errors=True)

    if not args.skip_l:
        if not Path(args.db_l).exists():
            print(f"L : {args.db_l} absent (python bench/generate.py --size L --db {args.db_l})")
        else:
            bench_l_page(args.db_l, args.runs, args.login)
    return 0


if __name__ == "__main__":
    sys.exit(main())
