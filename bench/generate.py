"""Create a database and fill it with the demo data at a named size (DESIGN §6), printing counts and times.

    python bench/generate.py --size L --seed 1 --db /tmp/clausier-L.db
    python bench/generate.py --size S --db postgresql+psycopg://postgres@127.0.0.1:5433/clausier_demo

``--db`` is a SQLite file path or an SQLAlchemy URL; the database must hold no business data yet
(``--replace`` deletes an existing SQLite file first).
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402

from sqlalchemy import text  # noqa: E402

from clausier import db, demo  # noqa: E402
from clausier.setup import prepare_database  # noqa: E402


def database_url(value: str) -> str:
    """An SQLAlchemy URL from a URL or a SQLite file path."""
    if "://" in value:
        return value
    return f"sqlite:///{Path(value).expanduser().resolve()}"


def bench_database(db_arg: str | None, size: str, today: date) -> str:
    """The URL of the database a benchmark measures: ``db_arg`` when given, else a demo of ``size`` generated
    (seed 1, dated ``today``) into a temporary SQLite file."""
    import tempfile

    if db_arg:
        return database_url(db_arg)
    url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    engine = db.make_engine(url)
    prepare_database(engine)
    report = demo.generate(engine, size=size, seed=1, today=today)
    print(f"généré : taille {size} en {report.seconds:.1f} s")
    engine.dispose()
    return url


def ensure_bench_user(engine, login: str, role) -> None:
    """A user for the benchmark's logged-in measures (created once, with a long password)."""
    from sqlmodel import Session

    from clausier.services import users
    from models import User

    with Session(engine) as session:
        if users.get_by_login(session, login) is None:
            session.add(User(login=login, name="Bench", email=f"{login}@example.org", role=role,
                             password_hash=users.hash_password("Bench-Mesure-Longue-2026")))  # fmt: skip
            session.commit()


def _sqlite_files(url: str) -> list[Path]:
    if not url.startswith("sqlite:///"):
        return []
    path = Path(url[len("sqlite:///") :])
    return [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Génère les données de démonstration à une taille nommée (S, M, L).")
    parser.add_argument("--size", default="S", type=str.upper, choices=sorted(demo.SIZES), help="taille (S, M ou L)")
    parser.add_argument("--seed", type=int, default=1, help="graine du générateur (même graine, mêmes données)")
    parser.add_argument("--db", required=True, help="fichier SQLite ou URL SQLAlchemy")
    parser.add_argument("--today", type=date.fromisoformat, default=None, help="date du jour simulée (AAAA-MM-JJ)")
    parser.add_argument("--replace", action="store_true", help="supprimer d'abord le fichier SQLite s'il existe")
    args = parser.parse_args(argv)

    url = database_url(args.db)
    if args.replace:
        for path in _sqlite_files(url):
            path.unlink(missing_ok=True)
    engine = db.make_engine(url)
    try:
        started = time.perf_counter()
        prepare_database(engine)
        prepared = time.perf_counter() - started
        try:
            report = demo.generate(engine, args.size, seed=args.seed, today=args.today)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 1
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(text("ANALYZE"))
            if engine.dialect.name == "sqlite":
                connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        analysed = time.perf_counter() - started
    finally:
        engine.dispose()

    print(f"Taille {report.size}, graine {report.seed}, date du jour {report.today:%d/%m/%Y}")
    print(report.summary())
    print(f"{'Total des lignes':<40}{_number(report.total_rows()):>12}")
    print(
        f"Schéma et référentiels : {prepared:.1f} s ; génération : {report.seconds:.1f} s ; ANALYZE : {analysed:.1f} s"
    )
    files = [p for p in _sqlite_files(url) if p.exists()]
    if files:
        size = sum(p.stat().st_size for p in files)
        print(f"Fichier : {files[0]} ({size / 1_048_576:.1f} Mo)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
