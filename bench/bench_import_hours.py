"""Time the import of a 100,000-row hours statement at size L (DESIGN §6: under 10 s), against a floor.

    python bench/bench_import_hours.py --db /tmp/clausier-L.db      # copied first: the given file is not written

Builds a CSV (Windows-1252, ``;``, decimal commas, ``mm/aaaa`` months) of rows for existing commitments and
participants in months not yet in the database, then times read + preview + apply (one transaction), and in the
same run pandas reading the same file and SQLite inserting the same rows with ``executemany`` into a scratch table.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import argparse  # noqa: E402
import io  # noqa: E402
import random  # noqa: E402
import shutil  # noqa: E402
import sqlite3  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
from datetime import date  # noqa: E402

from clausier import db  # noqa: E402
from clausier.rules.names import ascii_fold  # noqa: E402
from clausier.services import import_hours as ih  # noqa: E402
from clausier.services.users import CurrentUser  # noqa: E402
from models.enums import Role  # noqa: E402

MONTHS = [date(2026, 3, 1), date(2026, 4, 1), date(2026, 5, 1), date(2026, 6, 1)]
TODAY = date(2026, 6, 30)


def build_csv(path: Path, rows: int, seed: int) -> bytes:
    con = sqlite3.connect(path)
    commitments = con.execute(
        """SELECT co.siret, l.reference FROM commitment c JOIN lot l ON l.id = c.lot_id JOIN company co
           ON co.id = c.company_id
           GROUP BY co.siret, l.reference HAVING count(*) = 1
             AND (max(l.execution_start) IS NULL OR max(l.execution_start) <= '2026-03-31')
             AND (max(l.execution_end) IS NULL OR max(l.execution_end) >= '2026-03-01')"""  # running in 03–06/2026
    ).fetchall()
    people = con.execute(
        """SELECT min(last_name), min(first_name), birth_date FROM participant WHERE birth_date IS NOT NULL
           GROUP BY name_key, birth_date HAVING count(*) = 1"""
    ).fetchall()
    con.close()
    rng = random.Random(seed)
    keys: set[tuple[int, int, int]] = set()
    out = io.StringIO()
    out.write("SIRET;Marché;Nom;Prénom;Date de naissance;Mois;Heures\r\n")
    while len(keys) < rows:
        key = (rng.randrange(len(commitments)), rng.randrange(len(people)), rng.randrange(len(MONTHS)))
        if key in keys:
            continue
        keys.add(key)
        (siret, reference), (last, first, birth), month = commitments[key[0]], people[key[1]], MONTHS[key[2]]
        try:
            f"{last}{first}".encode("cp1252")
        except UnicodeEncodeError:  # « Yılmaz »: written without its accents, as Excel would in Windows-1252
            last, first = ascii_fold(last), ascii_fold(first)
        spaced = f"{siret[:3]} {siret[3:6]} {siret[6:9]} {siret[9:]}"
        hours = f"{rng.randint(100, 25000) / 100:.2f}".replace(".", ",")
        out.write(
            f"{spaced};{reference};{last};{first};{birth[8:10]}/{birth[5:7]}/{birth[:4]};{month:%m/%Y};{hours}\r\n"
        )
    return out.getvalue().encode("cp1252")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Mesure l'import de 100 000 lignes d'heures (taille L).")
    parser.add_argument("--db", required=True, help="base SQLite de taille L (copiée avant écriture)")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    work = Path(tempfile.mkdtemp(prefix="bench-import-"))
    copy = work / "clausier.db"
    t = time.perf_counter()
    src, dst = sqlite3.connect(args.db), sqlite3.connect(copy)
    src.backup(dst)
    src.close()
    dst.close()
    print(f"copie de la base : {time.perf_counter() - t:.1f} s")
    data = build_csv(copy, args.rows, args.seed)
    (work / "releve.csv").write_bytes(data)
    print(f"fichier : {args.rows} lignes, {len(data) / 1e6:.1f} Mo ({work / 'releve.csv'})")

    engine = db.make_engine(f"sqlite:///{copy}")
    user = CurrentUser(login="bench", name="Bench", role=Role.SAISIE)
    t0 = time.perf_counter()
    raw = ih.read_statement(data, "releve.csv")
    t1 = time.perf_counter()
    with db.session_scope(engine) as session:
        pv = ih.classify(session, raw, TODAY)
        t2 = time.perf_counter()
        assert not pv.errors, pv.errors[:5]
        batch = ih.apply(session, pv, user)
        t3 = time.perf_counter()
    t4 = time.perf_counter()
    total = t4 - t0
    print(f"lecture {t1 - t0:.2f} s, aperçu {t2 - t1:.2f} s, écriture {t3 - t2:.2f} s, commit {t4 - t3:.2f} s")
    print(f"import complet : {total:.2f} s ({batch.rows_added} ajoutées, {batch.rows_changed} modifiées)")

    t = time.perf_counter()
    with db.session_scope(engine) as session:
        again = ih.classify(session, ih.read_statement(data, "releve.csv"), TODAY)
    print(f"aperçu d'un second import du même fichier : {time.perf_counter() - t:.2f} s "
          f"({len(again.unchanged)} inchangées, {len(again.to_add)} à ajouter)")  # fmt: skip
    engine.dispose()

    import pandas as pd

    t = time.perf_counter()
    frame = pd.read_csv(io.BytesIO(data), sep=";", encoding="cp1252", decimal=",", dtype={"SIRET": str})
    t_pandas = time.perf_counter() - t
    rows = [(i % 25000 + 1, i + 1, "2026-03-01", int(h * 100)) for i, h in enumerate(frame["Heures"])]
    con = sqlite3.connect(copy)
    con.execute("CREATE TABLE scratch (commitment_id INTEGER, participant_id INTEGER, month DATE, hours_h100 INTEGER)")
    t = time.perf_counter()
    with con:
        con.executemany("INSERT INTO scratch VALUES (?, ?, ?, ?)", rows)
    t_sqlite = time.perf_counter() - t
    con.close()
    floor = t_pandas + t_sqlite
    print(f"plancher : pandas.read_csv {t_pandas:.2f} s + SQLite executemany {t_sqlite:.2f} s = {floor:.2f} s")
    print(f"rapport import / plancher : {total / floor:.1f}")
    print(f"objectif < 10 s : {'atteint' if total < 10 else 'MANQUÉ'}")
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
