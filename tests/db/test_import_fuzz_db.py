"""Hostile and odd hours files (issue 10), on SQLite and PostgreSQL: a generated corpus of more than 300 files.

Every valid file imports exactly its sum; every corrupted one is refused with a French message (a file error,
or line errors naming line and column), leaves every table's content identical, and never raises anything but
the domain's French errors."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select, text
from sqlmodel import Session

from clausier.errors import DomainError
from clausier.imports.reading import FileError, Limits
from clausier.rules.names import name_key
from clausier.services import import_hours as ih
from clausier.services.users import CurrentUser
from models import AuditEvent, HoursEntry
from models.enums import Role
from models.hours import HoursChange, ImportBatch
from tests.builders import make_commitment, make_company, make_lot, make_participant

TODAY = date(2026, 4, 15)
SAISIE = CurrentUser(login="claire", name="Claire", role=Role.SAISIE)
HEADER = ["siret", "nom", "prenom", "date_naissance", "mois", "heures"]
FRENCH = ("ligne", "fichier", "colonne", "feuille", "classeur", "caract", "octet", "encodage", "lignes", "format",
          "guillemets", "vide", "mo ")  # fmt: skip


@pytest.fixture
def world(any_engine):
    with Session(any_engine) as session:
        company = make_company(session)
        lot = make_lot(session, reference="LOT-A", execution_start=date(2025, 1, 1), execution_end=date(2026, 6, 30))
        make_commitment(session, lot=lot, company=company)
        people = []
        for i, (last, first) in enumerate([("Dupont", "Hélène"), ("Martin", "Kévin"), ("N'Diaye", "Aïssatou")]):
            people.append(
                make_participant(session, last_name=last, first_name=first, name_key=name_key(last, first),
                                 birth_date=date(1980 + i, 1 + i, 10 + i), external_id=f"PLIE-{i:05d}")
            )  # fmt: skip
        session.commit()
        return {"engine": any_engine, "siret": company.siret, "people": [(p.last_name, p.first_name) for p in people],
                "ids": [p.id for p in people]}  # fmt: skip


def _valid_rows(rng: random.Random, world) -> list[list[str]]:
    rows, used = [], set()
    for _ in range(rng.randint(1, 8)):
        who = rng.randrange(3)
        month = rng.randint(1, 15)
        if (who, month) in used:
            continue
        used.add((who, month))
        year, m = (2025, month) if month <= 12 else (2026, month - 12)
        hours = rng.choice([1, 7, 35, 151, 250]) * 100 + rng.choice([0, 25, 50, 67])
        hours = min(hours, 25_000)
        last, first = world["people"][who]
        hours_text = f"{hours // 100},{hours % 100:02d}" if hours % 100 else str(hours // 100)
        rows.append([world["siret"], last, first, "", rng.choice([f"{m:02d}/{year}", f"{year}-{m:02d}"]), hours_text])
    return rows


def _csv(rows: list[list[str]], sep=";", header=HEADER, encoding="utf-8") -> bytes:
    """As Excel writes it: a cell holding the separator is quoted."""
    import csv

    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\n").writerows([header, *rows])
    return out.getvalue().encode(encoding)


def _xlsx(rows: list[list], header=HEADER, dimension: str | None = None, sheets: int = 1) -> bytes:
    book = openpyxl.Workbook()
    ws = book.active
    ws.append(header)
    for r in rows:
        ws.append(r)
    for i in range(1, sheets):
        book.create_sheet(f"Autre {i}").append(["rien"])
    buffer = io.BytesIO()
    book.save(buffer)
    data = buffer.getvalue()
    if dimension is None:
        return data
    return _rewrite(data, "xl/worksheets/sheet1.xml", lambda xml: _set_dimension(xml, dimension))


def _set_dimension(xml: bytes, ref: str) -> bytes:
    import re

    return re.sub(rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{ref}"/>'.encode(), xml, count=1)


def _rewrite(data: bytes, part: str, change) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info, change(content) if info.filename == part else content)
    return out.getvalue()


def _corrupt(rng: random.Random, world, kind: str) -> tuple[bytes, str]:
    """A file broken in one way; returns (bytes, file name)."""
    rows = _valid_rows(rng, world)
    line = rng.randrange(len(rows))
    if kind == "hours":
        rows[line][5] = rng.choice(["1_5", "1e2", "١٥", "１５", "12,345", "1.234,5", "-3", "abc", "=1+1", "1e999999",
                                    "9" * 5000, "0", "250,01", "+5", "0x10", " ", "nan", "inf", "@SUM(A1)"])  # fmt: skip
    elif kind == "month":
        rows[line][4] = rng.choice(["13/2025", "01/1990", "2027-01", "00/2025", "31/02/2026", "mars", "2025",
                                    "01/2025/01", "１２/2025", "05/2026", "07/2027", "12/2026"])  # fmt: skip
    elif kind == "siret":
        rows[line][0] = rng.choice(["123", "00000000000000", world["siret"][:-1] + "x", "552100554",
                                    "７３２８２９３２００００７４", "73282932000074"])  # fmt: skip
    elif kind == "person":
        rows[line][1:3] = rng.choice([["Inconnu", "Personne"], ["", ""], ["Dupont", ""], ["Dupont", "Hélèna"]])
    elif kind == "birth":
        rows[line][3] = rng.choice(["31/02/1980", "1980", "demain", "10-01-80"])
    elif kind == "formula":
        rows[line][rng.choice([1, 2, 5])] = rng.choice(['=HYPERLINK("x")', "+cmd|' /C calc'!A0", "@SUM(1)"])
    elif kind == "duplicate_line":
        rows.append(list(rows[line]))
    elif kind == "extra_cell":
        rows[line].append("en trop")
    elif kind == "huge_cell":
        rows[line][rng.choice([1, 5])] = "x" * rng.choice([20_000, 140_000])
    if kind in ("hours", "month", "siret", "person", "birth", "formula", "duplicate_line", "extra_cell", "huge_cell"):
        return _csv(rows, sep=rng.choice([";", ",", "\t"])), "releve.csv"
    if kind == "encoding":
        good = _csv(rows)
        return rng.choice([good[:-3] + b"\xc3", good + b"\xe9t\xe9\n".replace(b"\n", b";;;;;\n"),
                           "Hélène;\x81".encode("latin-1") + good, b"\xff" * 40]), "releve.csv"  # fmt: skip
    if kind == "binary":
        return bytes(rng.randrange(256) for _ in range(rng.randint(10, 400))), rng.choice(["releve.csv", "x.txt"])
    if kind == "nul":
        good = _csv(rows)
        cut = rng.randrange(1, len(good))
        return good[:cut] + b"\x00" + good[cut:], "releve.csv"
    if kind == "control":
        good = _csv(rows)
        cut = rng.randrange(1, len(good))
        return good[:cut] + b"\x07" + good[cut:], "releve.csv"
    if kind == "truncated":  # cut inside a data line, before its last cell: the file misses cells
        good = _csv(rows)
        starts = [i + 1 for i, b in enumerate(good) if b == 10][:-1]
        start = rng.choice(starts)
        end = good.index(b"\n", start)
        last_sep = good.rindex(b";", start, end)
        return good[: rng.randrange(start + 1, last_sep)], "releve.csv"
    if kind == "quote":
        good = _csv(rows).decode()
        return good.replace(world["siret"], '"' + world["siret"], 1).encode(), "releve.csv"
    if kind == "duplicate_header":
        return _csv(rows, header=HEADER[:-1] + ["heures"] + ["Heures"]), "releve.csv"
    if kind == "missing_header":
        return _csv([r[:-1] for r in rows], header=HEADER[:-1]), "releve.csv"
    if kind == "header_only":
        return _csv([]), "releve.csv"
    if kind == "empty":
        return rng.choice([b"", b"   \n\n", b"\xef\xbb\xbf", b";;;\n;;\n"]), "releve.csv"
    if kind == "internal_id":
        unknown = max(world["ids"]) + 1000
        header = ["siret", "id_participant", "mois", "heures"]
        return _csv(
            [[world["siret"], str(rng.choice(world["ids"] + [unknown])), "03/2025", "7"]], header=header
        ), "r.csv"
    if kind == "xlsx_corrupt_zip":  # bytes overwritten inside the sheet's compressed data
        data = _xlsx(rows)
        info = zipfile.ZipFile(io.BytesIO(data)).getinfo("xl/worksheets/sheet1.xml")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
        cut = rng.randrange(start, start + max(1, info.compress_size - 8))
        return data[:cut] + bytes(rng.randrange(256) for _ in range(8)) + data[cut + 8 :], "releve.xlsx"
    if kind == "xlsx_truncated":
        data = _xlsx(rows)
        return data[: rng.randrange(30, len(data) - 30)], "releve.xlsx"
    if kind == "xlsx_bad_cell":
        rows[line][5] = rng.choice([7.333, -2, 0, 251, "douze", float("nan") if False else "#DIV/0!"])
        return _xlsx(rows), "releve.xlsx"
    raise AssertionError(kind)


KINDS = ["hours", "month", "siret", "person", "birth", "formula", "duplicate_line", "extra_cell", "huge_cell",
         "encoding", "binary", "nul", "control", "truncated", "quote", "duplicate_header", "missing_header",
         "header_only", "empty", "internal_id", "xlsx_corrupt_zip", "xlsx_truncated", "xlsx_bad_cell"]  # fmt: skip


def _snapshot(engine) -> dict[str, list]:
    """Every table's content (what a refused import must leave untouched), the audit journal aside."""
    tables = ["hoursentry", "hourschange", "importbatch", "commitmentmonthhours", "commitmenthours",
              "employmentcontract", "participant", "company", "commitment"]  # fmt: skip
    with engine.connect() as conn:
        return {t: sorted(map(tuple, conn.execute(text(f"SELECT * FROM {t}")).all()), key=repr) for t in tables}


def _try_import(engine, data: bytes, name: str) -> tuple[str, object]:
    """(« file », message) / (« lines », preview) / (« imported », batch); any other exception fails the test."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            pv = ih.preview_file(session, data, name, TODAY)
        except FileError as error:
            return "file", str(error)
        if pv.error_count:
            return "lines", pv
        batch = ih.apply(session, pv, SAISIE)
        session.commit()
        return "imported", batch


def test_corpus_of_hostile_files_is_refused_in_french_and_writes_nothing(world):
    engine = world["engine"]
    rng = random.Random(20261204)
    before = _snapshot(engine)
    outcomes: dict[str, set[str]] = {}
    count = 0
    for round_ in range(14):
        for kind in KINDS:
            data, name = _corrupt(rng, world, kind)
            outcome, detail = _try_import(engine, data, name)
            count += 1
            outcomes.setdefault(kind, set()).add(outcome)
            if outcome == "imported":  # only a corruption that happens to stay valid may import: undo it
                pytest.fail(f"{kind} (tour {round_}) : fichier abîmé importé ({data[:200]!r})")
            if outcome == "file":
                assert any(word in detail.lower() for word in FRENCH), (kind, detail)
                assert "Traceback" not in detail and "Error" not in detail.replace("FileError", ""), detail
            else:
                assert detail.errors and all(e.line >= 1 and e.reason and e.column for e in detail.errors), kind
                assert len(detail.errors) <= Limits().max_errors
            assert _snapshot(engine) == before, kind
    assert count >= 300
    assert outcomes["header_only"] == {"file"} and outcomes["duplicate_header"] == {"file"}
    assert outcomes["internal_id"] == {"lines"}  # the database's ids are not PLIE identifiers
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ImportBatch)) == 0


def test_corpus_of_valid_files_imports_exactly_their_sum(world):
    engine = world["engine"]
    rng = random.Random(7)
    expected: dict[tuple, int] = {}
    for i in range(40):
        rows = _valid_rows(rng, world)
        if i % 3 == 0:
            data, name = _csv(rows, sep=rng.choice([";", ",", "\t"]), encoding=rng.choice(["utf-8", "cp1252"])), "r.csv"
        elif i % 3 == 1:
            data, name = _csv(rows, encoding="utf-8-sig"), "r.csv"
        else:
            excel_rows = [[r[0], r[1], r[2], None, r[4], float(r[5].replace(",", "."))] for r in rows]
            data, name = _xlsx(excel_rows, dimension="A1:F2"), "r.xlsx"  # a dimension that understates the rows
        outcome, detail = _try_import(engine, data, name)
        assert outcome == "imported", (i, getattr(detail, "errors", detail))
        for r in rows:
            who = [p[0] for p in world["people"]].index(r[1])
            month = r[4] if "-" in r[4] else f"{r[4][3:]}-{r[4][:2]}"
            expected[(who, month)] = round(float(r[5].replace(",", ".")) * 100)
    with Session(engine) as session:
        stored = session.scalar(select(func.coalesce(func.sum(HoursEntry.hours_h100), 0)))
        changes = session.scalar(select(func.count()).select_from(HoursChange))
    assert stored == sum(expected.values())
    assert changes >= len(expected)


def test_xlsx_with_an_understated_dimension_is_read_whole(world):
    rows = [[world["siret"], world["people"][i % 3][0], world["people"][i % 3][1], None, f"{1 + i // 3:02d}/2025", 7]
            for i in range(30)]  # fmt: skip
    data = _xlsx(rows, dimension="A1:F11")  # says 10 data rows; holds 30
    with Session(world["engine"]) as session:
        pv = ih.preview_file(session, data, "erp.xlsx", TODAY)
    assert pv.error_count == 0 and pv.lines_read == 30 and len(pv.to_add) == 30


def test_limits_stop_the_reading_with_a_french_message(world):
    from clausier.imports import reading

    small = Limits(max_rows=5, max_columns=8, max_cell_chars=50, max_uncompressed_bytes=2 * reading.MB)
    many = _csv([[world["siret"], "Dupont", "Hélène", "", "03/2025", "1"]] * 6)
    with pytest.raises(FileError, match="dépasse 5 lignes"):
        reading.read_table(many, "r.csv", limits=small)
    with pytest.raises(FileError, match="colonnes"):
        reading.read_table(b";".join([b"a"] * 9) + b"\n", "r.csv", limits=small)
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (3 * reading.MB) + b"</a>")
    with pytest.raises(FileError, match="décompressé"):
        reading.read_table(bomb.getvalue(), "bombe.xlsx", limits=small)
    statement = ih.read_statement(_csv([[world["siret"], "D" * 60, "Hélène", "", "03/2025", "1"]]), "r.csv",
                                  bounds=small)  # fmt: skip
    assert [(e.line, e.column) for e in statement.errors] == [(2, "nom")] and "60" in statement.errors[0].value


def test_errors_shown_are_capped_and_counted(world):
    rows = [[world["siret"], "Inconnu", f"N{i}", "", "03/2025", "abc"] for i in range(50)]
    with Session(world["engine"]) as session:
        statement = ih.read_statement(_csv(rows), "r.csv")
        pv = ih.classify(session, statement, TODAY, bounds=Limits(max_errors=10))
    assert pv.error_count == 100 and len(pv.errors) == 10


def test_hours_outside_the_lots_execution_are_line_errors_with_a_grace_setting(world):
    p = world["people"][0]
    rows = [[world["siret"], p[0], p[1], "", month, "7"] for month in ("12/2024", "01/2025", "09/2026", "10/2026")]
    with Session(world["engine"]) as session:
        pv = ih.classify(session, ih.read_statement(_csv(rows), "r.csv"), date(2026, 12, 1))
    got = {e.line: e.reason for e in pv.errors}
    assert sorted(got) == [2, 5]  # lot: 01/2025 – 06/2026, grace 3 months → up to 09/2026
    assert "avant le début d'exécution du lot (01/2025)" in got[2]
    assert "après la fin d'exécution du lot (06/2026)" in got[5] and "3 mois" in got[5]


def test_id_participant_matches_the_plie_identifier_only(world):
    header = ["siret", "id_participant", "mois", "heures"]
    data = _csv([[world["siret"], "PLIE-00001", "03/2025", "7"], [world["siret"], str(world["ids"][0]), "03/2025", "7"]],
                header=header)  # fmt: skip
    with Session(world["engine"]) as session:
        pv = ih.preview_file(session, data, "r.csv", TODAY)
    assert [r.participant_id for r in pv.to_add] == [world["ids"][1]]
    assert [(e.line, e.column) for e in pv.errors] == [(3, "id_participant")]


def test_setting_maximum_agrees_with_the_database_constraint(world):
    """The admin may raise « max_hours_per_month » to its maximum: a line at that maximum then imports."""
    from clausier import settings
    from models import Setting
    from models.base import utcnow
    from models.hours import MAX_HOURS_H100

    assert settings.BY_KEY["max_hours_per_month"].maximum * 100 == MAX_HOURS_H100
    engine = world["engine"]
    with Session(engine) as session:
        row = session.get(Setting, "max_hours_per_month") or Setting(key="max_hours_per_month")
        row.value, row.changed_by, row.changed_at = "250", "test", utcnow()
        session.add(row)
        session.commit()
    p = world["people"][0]
    outcome, batch = _try_import(engine, _csv([[world["siret"], p[0], p[1], "", "03/2025", "250"]]), "r.csv")
    assert outcome == "imported"
    outcome, pv = _try_import(engine, _csv([[world["siret"], p[0], p[1], "", "04/2025", "250,01"]]), "r.csv")
    assert outcome == "lines" and "250" in pv.errors[0].reason


def test_a_stale_import_leaves_no_batch_but_its_audit_line(world):
    """Issue 10 item 3: the loser of two imports of one file writes nothing, whatever its caller then commits."""
    engine = world["engine"]
    p = world["people"][0]
    data = _csv([[world["siret"], p[0], p[1], "", "03/2025", "7"], [world["siret"], p[0], p[1], "", "04/2025", "8"]])
    with Session(engine, expire_on_commit=False) as first, Session(engine, expire_on_commit=False) as second:
        pv1 = ih.preview_file(first, data, "r.csv", TODAY)
        pv2 = ih.preview_file(second, data, "r.csv", TODAY)
        first.rollback()
        second.rollback()
        ih.apply(first, pv1, SAISIE)
        first.commit()
        with pytest.raises(ih.ImportRefused, match="relancez l'aperçu"):
            ih.apply(second, pv2, SAISIE)
        second.commit()  # as a careless caller would: nothing of the import may be in it
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ImportBatch)) == 1
        assert session.scalar(select(func.sum(HoursEntry.hours_h100))) == 1500
        refused = (
            session.execute(select(AuditEvent).where(AuditEvent.action == "import des heures refusé")).scalars().all()
        )
        assert len(refused) == 1 and "r.csv" in refused[0].summary


def test_two_imports_of_one_file_at_once_count_once(world):
    """Two threads, two connections, the same file confirmed at the same moment (SQLite and PostgreSQL)."""
    import threading

    engine = world["engine"]
    p = world["people"]
    rows = [[world["siret"], p[i % 3][0], p[i % 3][1], "", f"{1 + i // 3:02d}/2025", "7"] for i in range(30)]
    data = _csv(rows)
    barrier = threading.Barrier(2)
    results: list[object] = []

    def run() -> None:
        with Session(engine, expire_on_commit=False) as session:
            pv = ih.preview_file(session, data, "r.csv", TODAY)
            session.rollback()
            barrier.wait(timeout=30)
            try:
                results.append(ih.apply(session, pv, SAISIE))
            except DomainError as error:
                results.append(error)
            session.commit()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 2 and sum(isinstance(r, DomainError) for r in results) == 1, results
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(ImportBatch)) == 1
        assert session.scalar(select(func.count()).select_from(HoursEntry)) == 30
        assert session.scalar(select(func.sum(HoursEntry.hours_h100))) == 30 * 700


def test_a_stale_participants_import_leaves_no_batch_but_its_audit_line(any_engine):
    """The participants import refuses the same way: the people created meanwhile are not created twice, and
    nothing of the refused file remains even when its caller commits."""
    from clausier.services import import_participants as ip
    from models import Participant

    data = "Nom;Prénom;Date de naissance\r\nNowak;Ewa;12/03/1992\r\nRoux;Anne;01/01/1980\r\n".encode("cp1252")
    with Session(any_engine, expire_on_commit=False) as first, Session(any_engine, expire_on_commit=False) as second:
        raw = ip.read_file(data, "plie.csv")
        pv1 = ip.preview(first, raw, ip.guess_mapping(raw.header), TODAY)
        pv2 = ip.preview(second, raw, ip.guess_mapping(raw.header), TODAY)
        first.rollback()
        second.rollback()
        ip.apply(first, pv1, SAISIE, "plie.csv", ip.checksum(data), today=TODAY)
        first.commit()
        with pytest.raises(DomainError):
            ip.apply(second, pv2, SAISIE, "plie.csv", ip.checksum(data), today=TODAY)
        second.commit()
    with Session(any_engine) as session:
        assert session.scalar(select(func.count()).select_from(ImportBatch)) == 1
        assert session.scalar(select(func.count()).select_from(Participant)) == 2
        refused = session.execute(select(AuditEvent).where(AuditEvent.action == "import de participants refusé"))
        assert len(refused.scalars().all()) == 1
