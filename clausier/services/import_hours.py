"""Monthly hours statement import (DESIGN §5.1): classify the typed lines of a statement, apply, undo.

    pv = preview_file(session, data, "releve-mars.csv", today=date.today())   # FileError when it cannot be read
    batch = apply(session, pv, user)         # in the caller's transaction, under a savepoint: all or nothing
    undo(session, batch.id, admin)

The pipeline: ``clausier.imports.reading`` (bytes → rows, limits) → ``clausier.imports.hours_statement`` (rows →
typed lines + line errors) → :func:`classify` here (lines → companies, commitments, people, months of the lot's
execution; to add / unchanged / changed) → :func:`apply`. The manual entry screen enters at :func:`classify` with
typed lines. Fast on big files: the companies, commitments, participants and existing entries are loaded in a few
set-based queries, every line is then checked against dictionaries, and the writes are ``executemany`` statements.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from clausier import settings
from clausier.db import savepoint
from clausier.errors import DomainError
from clausier.gcpause import gc_paused
from clausier.imports import hours_statement, reading
from clausier.imports.hours_statement import Statement, StatementLine, norm_header, parse_hours, parse_month
from clausier.imports.reading import FileError, Limits, LineError, checksum, sheet_names
from clausier.rules.calendar import add_months
from clausier.rules.names import name_key
from clausier.services import audit, derived
from clausier.services.users import CurrentUser, require
from models import Commitment, Company, EmploymentContract, HoursEntry, Lot, Operation, Participant
from models.base import utcnow
from models.enums import ImportKind, Modality, Role
from models.hours import HoursChange, ImportBatch

PROGRESS_EVERY = 5000
STALE = "Des heures ont été enregistrées depuis l'aperçu : relancez l'aperçu. Rien n'a été enregistré."
MAX_SUGGESTED_ALL = 50  # unknown names compared with every participant (the rest: the company's people only)


@dataclass(slots=True)
class ImportRow:
    line: int
    commitment_id: int
    participant_id: int
    month: date
    hours_h100: int
    modality: Modality
    employer_company_id: int | None
    entry_id: int | None = None
    old_hours_h100: int | None = None


@dataclass
class Preview:
    """What an import would do; nothing is written until ``apply``. Carries the file's name and checksum."""

    file_name: str
    checksum: str = ""
    to_add: list[ImportRow] = field(default_factory=list)
    unchanged: list[ImportRow] = field(default_factory=list)
    changed: list[ImportRow] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)  # the first ``limits.max_errors``, by line
    error_count: int = 0  # every error found
    ignored: list[tuple[int, str]] = field(default_factory=list)  # (line, why): blank or total lines
    ignored_columns: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    lines_read: int = 0
    file_hours_h100: int = 0  # every readable hours cell of the file, refused lines included
    names: dict[str, dict[int, str]] = field(default_factory=dict)  # "commitment" / "participant" → display names

    @property
    def ok(self) -> bool:
        return not self.error_count

    @property
    def total_hours_h100(self) -> int:
        """Hours of the lines that would be imported (to add, unchanged, changed)."""
        return sum(r.hours_h100 for rows in (self.to_add, self.unchanged, self.changed) for r in rows)

    @property
    def refused_hours_h100(self) -> int:
        return self.file_hours_h100 - self.total_hours_h100

    def summary(self) -> str:
        return (
            f"{self.lines_read} ligne(s) lue(s) : {len(self.to_add)} à ajouter, {len(self.unchanged)} inchangée(s), "
            f"{len(self.changed)} modifiée(s), {self.error_count} erreur(s), {len(self.ignored)} ignorée(s)."
        )


def limits_text(session: Session) -> str:
    """The bounds of one file, in French, for the screen (settings « Imports »)."""
    return settings.import_limits(session).describe()


def read_statement(data: bytes, file_name: str, sheet: str | None = None, bounds: Limits | None = None) -> Statement:
    """Bytes → typed lines (no database): FileError when the file cannot be read whole."""
    bounds = bounds or Limits()
    return hours_statement.parse(reading.read_table(data, file_name, sheet, bounds), bounds)


def preview_file(
    session: Session,
    data: bytes,
    file_name: str,
    today: date,
    sheet: str | None = None,
    progress: Callable[[float], None] | None = None,
) -> Preview:
    """Read, parse and classify a statement file within the admin's limits; nothing is written."""
    bounds = settings.import_limits(session)
    return classify(session, read_statement(data, file_name, sheet, bounds), today, progress, bounds)


@dataclass
class _Refs:
    company_by_siret: dict[str, int]
    commitments_by_company: dict[int, list[tuple[int, str, date | None, date | None, Modality]]]
    commitment_company: dict[int, tuple[int, date | None, date | None, Modality]]
    people_by_key: dict[str, list[tuple[int, date | None]]]
    people_by_external: dict[str, int]
    people_ids: set[int]
    display_by_key: dict[str, str]
    display_by_id: dict[int, str]


def _load_refs(session: Session) -> _Refs:
    company_by_siret = {siret: cid for cid, siret in session.execute(select(Company.id, Company.siret))}
    by_company: dict[int, list] = {}
    by_id: dict[int, tuple] = {}
    query = select(
        Commitment.id,
        Commitment.company_id,
        Lot.reference,
        Lot.execution_start,
        Lot.execution_end,
        Commitment.usual_modality,
    ).join(Lot, Lot.id == Commitment.lot_id)
    normed: dict[str, str] = {}  # a few lot references shared by many commitments
    modalities = {m.value: m for m in Modality} | {m: m for m in Modality}
    for cid, company_id, reference, start, end, modality in session.execute(query):
        wanted = normed.get(reference)
        if wanted is None:
            wanted = normed[reference] = norm_header(reference)
        usual = modalities.get(modality)
        usual = usual if usual is not None else Modality(modality)
        by_company.setdefault(company_id, []).append((cid, wanted, start, end, usual))
        by_id[cid] = (company_id, start, end, usual)
    by_key: dict[str, list] = {}
    by_external: dict[str, int] = {}
    ids: set[int] = set()
    display: dict[str, str] = {}
    display_id: dict[int, str] = {}
    people = select(Participant.id, Participant.name_key, Participant.birth_date, Participant.external_id,
                    Participant.last_name, Participant.first_name)  # fmt: skip
    for pid, key, birth, external, last, first in session.execute(people):
        by_key.setdefault(key, []).append((pid, birth))
        ids.add(pid)
        if external:
            by_external[external.strip().lower()] = pid
        shown = f"{last} {first}"
        display.setdefault(key, shown)
        display_id[pid] = shown
    return _Refs(company_by_siret, by_company, by_id, by_key, by_external, ids, display, display_id)


def _name_key(last: str, first: str) -> str:
    """``name_key``, without the accent folding when the names are plain ASCII (most of them)."""
    full = f"{last} {first}"
    return " ".join(full.lower().split()) if full.isascii() else name_key(last, first)


def _month_in(month: date, start: date | None, end: date | None) -> bool:
    return (start is None or month >= date(start.year, start.month, 1)) and (end is None or month <= end)


def _outside_execution(month: date, start: date | None, end: date | None, grace: int) -> str | None:
    """Why a month is outside a lot's execution (start month … end month + grace), or None."""
    if start is not None and month < date(start.year, start.month, 1):
        return f"mois avant le début d'exécution du lot ({start:%m/%Y}) : vérifiez le mois ou le lot"
    if end is not None:
        last = add_months(date(end.year, end.month, 1), grace)
        if month > last:
            grace_text = f" et du délai de {grace} mois pour les relevés tardifs" if grace else ""
            return f"mois après la fin d'exécution du lot ({end:%m/%Y}){grace_text} : vérifiez le mois ou le lot"
    return None


def _existing(session: Session, keys: set[tuple[int, int, date]]) -> dict[tuple[int, int, date], tuple[int, int]]:
    """(commitment, participant, month) → (entry id, hours) for the keys already stored."""
    found: dict[tuple[int, int, date], tuple[int, int]] = {}
    if not keys:
        return found
    commitments = sorted({k[0] for k in keys})
    months = sorted({k[2] for k in keys})
    t = HoursEntry.__table__
    month_filter = t.c.month.in_(months) if len(months) <= 60 else t.c.month.between(months[0], months[-1])
    for i in range(0, len(commitments), 500):
        chunk = commitments[i : i + 500]
        query = select(t.c.id, t.c.commitment_id, t.c.participant_id, t.c.month, t.c.hours_h100).where(
            t.c.commitment_id.in_(chunk), month_filter
        )
        for eid, cid, pid, month, hours in session.execute(query):
            key = (cid, pid, month)
            if key in keys:
                found[key] = (eid, hours)
    return found


def _suggest(session: Session, refs: _Refs, key: str, company_id: int | None, cache: dict, budget: list[int]) -> str:
    """« Noms proches : … » with the closest known names, the company's people first."""
    if (key, company_id) in cache:
        return cache[(key, company_id)]
    local: list[str] = []
    if company_id is not None:
        if company_id not in cache:
            query = select(EmploymentContract.participant_id).where(
                (EmploymentContract.employer_company_id == company_id)
                | (EmploymentContract.user_company_id == company_id)
                | EmploymentContract.commitment_id.in_([c[0] for c in refs.commitments_by_company.get(company_id, [])])
            )
            ids = set(session.execute(query).scalars())
            cache[company_id] = sorted(
                {k for k, people in refs.people_by_key.items() if any(p[0] in ids for p in people)}
            )
        local = difflib.get_close_matches(key, cache[company_id], n=3, cutoff=0.6)
    found = list(local)
    if len(found) < 3 and budget[0] > 0:
        budget[0] -= 1
        for match in difflib.get_close_matches(key, refs.people_by_key.keys(), n=3, cutoff=0.7):
            if match not in found:
                found.append(match)
    names = [refs.display_by_key.get(k, k) for k in found[:3]]
    text = f" Noms proches : {', '.join(names)}." if names else ""
    cache[(key, company_id)] = text
    return text


def classify(
    session: Session,
    statement: Statement,
    today: date,
    progress: Callable[[float], None] | None = None,
    bounds: Limits | None = None,
) -> Preview:
    """Resolve every line (company, commitment, person, month within the lot's execution, hours limit) and classify
    the valid ones: to add, unchanged, changed. Nothing is written. Exactly the checks ``apply`` relies on."""
    with gc_paused():  # 100,000 lines of small objects: the collector would rescan them again and again
        return _Classifier(session, statement, today, bounds or Limits()).run(progress)


class _Classifier:
    def __init__(self, session: Session, statement: Statement, today: date, bounds: Limits) -> None:
        self.session = session
        self.st = statement
        self.refs = _load_refs(session)
        self.max_h100 = round(float(settings.get(session, "max_hours_per_month")) * 100)
        self.grace = int(settings.get(session, "hours_grace_months"))
        self.this_month = date(today.year, today.month, 1)
        self.bounds = bounds
        self.errors: list[LineError] = list(statement.errors)
        self.matches: dict[tuple[int, str], list] = {}
        self.lots: dict[str, str] = {}
        self.people: dict[tuple, Any] = {}
        self.suggestions: dict = {}
        self.budget = [MAX_SUGGESTED_ALL]

    def error(self, line: StatementLine, column: str, value: str, reason: str) -> None:
        self.errors.append(LineError(line.line, self.st.label(column), value, reason))

    def run(self, progress: Callable[[float], None] | None) -> Preview:
        st = self.st
        result = Preview(
            file_name=st.file_name,
            checksum=st.checksum,
            ignored=list(st.ignored),
            ignored_columns=list(st.ignored_columns),
            warnings=list(st.warnings),
            lines_read=len(st.lines),
            file_hours_h100=st.file_hours_h100,
        )
        seen: dict[tuple[int, int, date], int] = {}
        valid: list[ImportRow] = []
        n = len(st.lines)
        for position, line in enumerate(st.lines):
            if progress is not None and position % PROGRESS_EVERY == 0 and position:
                progress(0.9 * position / n)
            row = self.line(line)
            if row is None:
                continue
            key = (row.commitment_id, row.participant_id, row.month)
            if key in seen:
                self.error(line, "mois", f"{row.month:%m/%Y}",
                           f"ligne en double : même engagement, même personne, même mois qu'à la ligne {seen[key]}")  # fmt: skip
                continue
            seen[key] = line.line
            valid.append(row)
        existing = _existing(self.session, set(seen))
        for row in valid:
            stored = existing.get((row.commitment_id, row.participant_id, row.month))
            if stored is None:
                result.to_add.append(row)
            else:
                row.entry_id, row.old_hours_h100 = stored
                (result.unchanged if stored[1] == row.hours_h100 else result.changed).append(row)
        self.errors.sort(key=lambda e: e.line)
        result.error_count = len(self.errors)
        result.errors = self.errors[: self.bounds.max_errors]
        result.names = self._names(valid)
        if progress is not None:
            progress(1.0)
        return result

    def line(self, line: StatementLine) -> ImportRow | None:
        refs = self.refs
        before = len(self.errors)
        month, hours = line.month, line.hours_h100
        if hours is not None:
            if hours <= 0:
                self.error(line, "heures", _hours_text(hours), "les heures doivent être supérieures à 0")
            elif hours > self.max_h100:
                self.error(line, "heures", _hours_text(hours),
                           f"plus de {_hours_text(self.max_h100)} heures dans le mois pour une personne")  # fmt: skip
        if month is not None and month > self.this_month:
            self.error(line, "mois", f"{month:%m/%Y}", "mois à venir : les heures ne sont pas encore faites")
            month = None

        # Company and commitment
        commitment = company_id = None
        usual = Modality.DIRECT_HIRE
        window: tuple[date | None, date | None] = (None, None)
        if line.commitment_id is not None:  # chosen on screen (manual entry)
            known = refs.commitment_company.get(line.commitment_id)
            if known is None:
                self.error(line, "marche", "", "engagement introuvable")
            else:
                commitment, (company_id, start, end, usual) = line.commitment_id, known
                window = (start, end)
        elif line.siret is not None:
            company_id = refs.company_by_siret.get(line.siret)
            if company_id is None:
                self.error(line, "siret", line.siret, "entreprise inconnue : aucun établissement n'a ce SIRET")
            else:
                found = self._commitment(line, company_id, month)
                if found is not None:
                    commitment, _, start, end, usual = found
                    window = (start, end)
        if commitment is not None and month is not None:
            outside = _outside_execution(month, window[0], window[1], self.grace)
            if outside:
                self.error(line, "mois", f"{month:%m/%Y}", outside)

        # Person
        participant = line.participant_id
        if participant is not None:
            if participant not in refs.people_ids:
                self.error(line, "id_participant", "", "participant introuvable")
                participant = None
        else:
            participant = self._person(line, company_id)

        # Employer
        employer = None
        if line.employer_siret is not None:
            employer = refs.company_by_siret.get(line.employer_siret)
            if employer is None:
                self.error(line, "employeur_siret", line.employer_siret,
                           "employeur inconnu : aucun établissement n'a ce SIRET")  # fmt: skip

        if (not line.ok or len(self.errors) > before or commitment is None or participant is None or month is None
                or hours is None):  # fmt: skip
            return None
        return ImportRow(line.line, commitment, participant, month, hours, line.modality or usual, employer)

    def _commitment(self, line: StatementLine, company_id: int, month: date | None) -> tuple | None:
        candidates = self.refs.commitments_by_company.get(company_id, [])
        if not candidates:
            self.error(line, "siret", line.siret or "", "l'entreprise n'a aucun engagement d'heures d'insertion")
            return None
        if line.lot:
            wanted = self.lots.get(line.lot)
            if wanted is None:
                wanted = self.lots[line.lot] = norm_header(line.lot)
            matches = self.matches.get((company_id, wanted))
            if matches is None:
                matches = self.matches[(company_id, wanted)] = [c for c in candidates if c[1] == wanted]
            if len(matches) > 1 and month is not None:
                matches = [c for c in matches if _month_in(month, c[2], c[3])] or matches
            if not matches:
                self.error(line, "marche", line.lot, "l'entreprise n'a pas d'engagement sur ce lot")
            elif len(matches) > 1:
                self.error(
                    line, "marche", line.lot, "plusieurs engagements de l'entreprise sur des lots de cette référence"
                )
            else:
                return matches[0]
            return None
        if len(candidates) == 1:
            return candidates[0]
        open_ones = [c for c in candidates if month is not None and _month_in(month, c[2], c[3])]
        if len(open_ones) == 1:
            return open_ones[0]
        if month is not None or line.ok:
            self.error(
                line, "marche", "", "l'entreprise a plusieurs engagements en cours : indiquez le lot (colonne marche)"
            )
        return None

    def _person(self, line: StatementLine, company_id: int | None) -> int | None:
        key = (line.external_id, line.last_name, line.first_name, line.birth_date)
        found = self.people.get(key)
        if found is None:
            found = self.people[key] = _find_person(self.refs, *key)
        if isinstance(found, int):
            return found
        column, value, reason = found
        if column == "nom" and reason.startswith("personne inconnue"):
            reason += _suggest(self.session, self.refs, name_key(line.last_name, line.first_name), company_id,
                               self.suggestions, self.budget)  # fmt: skip
        self.error(line, column, value, reason)
        return None

    def _names(self, rows: list[ImportRow]) -> dict[str, dict[int, str]]:
        """Display names of the commitments and people of the valid rows (read once, for the screens)."""
        commitment_ids = {r.commitment_id for r in rows}
        names: dict[int, str] = {}
        for ids in _chunks(sorted(commitment_ids), 500):
            for cid, company, reference, operation in self.session.execute(
                select(Commitment.id, Company.name, Lot.reference, Operation.name)
                .join(Company, Company.id == Commitment.company_id)
                .join(Lot, Lot.id == Commitment.lot_id)
                .join(Operation, Operation.id == Lot.operation_id)
                .where(Commitment.id.in_(ids))
            ):
                names[cid] = f"{company}\t{reference}\t{operation}"
        people = {r.participant_id: self.refs.display_by_id.get(r.participant_id, "?") for r in rows}
        return {"commitment": names, "participant": people}


def _chunks(values: list[int], size: int):
    for i in range(0, len(values), size):
        yield values[i : i + size]


def _hours_text(h100: int) -> str:
    return f"{h100 / 100:g}".replace(".", ",") if h100 % 100 else str(h100 // 100)


def _find_person(refs: _Refs, ext: str, last: str, first: str, birth: date | None) -> int | tuple[str, str, str]:
    """The participant of a line, or (column, value, reason) of why not. ``id_participant`` is the identifier of
    the PLIE's software only: the database's own ids are never read from a file."""
    if ext:
        pid = refs.people_by_external.get(ext.lower())
        if pid is not None:
            return pid
        if not (last or first):
            return ("id_participant", ext, "identifiant de participant inconnu (identifiant du logiciel du PLIE)")
    if not last and not first:
        return ("nom", "", "nom et prénom absents")
    people = refs.people_by_key.get(_name_key(last, first), [])
    if birth is not None:
        people = [p for p in people if p[1] == birth]
    if len(people) == 1:
        return people[0][0]
    shown = f"{last} {first}".strip()
    if not people:
        born = f", né(e) le {birth:%d/%m/%Y}" if birth else ""
        return ("nom", shown, f"personne inconnue{born}.")
    return ("nom", shown, "plusieurs participants portent ce nom : indiquez la date de naissance")


# --- apply and undo --------------------------------------------------------------------------------------------


class ImportRefused(DomainError):
    """The import was refused while writing (the data changed since the preview): nothing of it remains."""


def apply(session: Session, preview: Preview, user: CurrentUser) -> ImportBatch:
    """Write a checked preview in the caller's transaction, all or nothing; returns the recorded batch.

    The writes run under a savepoint: when they are refused (someone imported the same hours meanwhile), every
    row of this import, its batch record included, is rolled back *here*, whatever the caller then does with its
    transaction, and the refusal is written to the audit journal (its only trace) before ImportRefused is raised.
    Callers keep the session usable: catch the refusal inside ``session_scope`` to keep that audit line."""
    require(user, Role.SAISIE)
    if preview.error_count or preview.errors:
        raise DomainError(
            f"Le fichier comporte {max(preview.error_count, len(preview.errors))} erreur(s) : corrigez-le, "
            "rien n'a été enregistré."
        )
    try:
        with savepoint(session):
            batch = _apply(session, preview, user)
    except DomainError as refusal:
        audit.record(session, user.login, "import des heures refusé", "importbatch", None,
                     f"{preview.file_name} : {refusal}")  # fmt: skip
        session.flush()
        raise ImportRefused(str(refusal)) from None
    return batch


def _apply(session: Session, preview: Preview, user: CurrentUser) -> ImportBatch:
    now = utcnow()
    batch = ImportBatch(
        kind=ImportKind.HOURS,
        file_name=preview.file_name[:250],
        checksum=preview.checksum,
        by=user.login,
        at=now,
        rows_added=len(preview.to_add),
        rows_changed=len(preview.changed),
        rows_unchanged=len(preview.unchanged),
    )
    session.add(batch)
    session.flush()
    if session.get_bind().dialect.name == "sqlite":
        _write_sqlite(session, preview, batch.id, user.login, now)
    else:
        _write_core(session, preview, batch.id, user.login, now)
    derived.hours_written(  # totals, and the contract of each new entry when one covers its month
        session, {(r.commitment_id, r.month) for rows in (preview.to_add, preview.changed) for r in rows}, batch.id
    )
    audit.record(
        session,
        user.login,
        "import des heures",
        "importbatch",
        batch.id,
        f"{preview.file_name} : {batch.rows_added} ajoutée(s), {batch.rows_changed} modifiée(s), "
        f"{batch.rows_unchanged} inchangée(s)",
    )
    session.flush()
    return batch


def _write_core(session: Session, preview: Preview, batch_id: int, login: str, now: datetime) -> None:
    """The writes as Core ``executemany`` statements (PostgreSQL and any other database)."""
    entries, changes = HoursEntry.__table__, HoursChange.__table__
    if preview.to_add:
        _insert_entries(
            insert(entries),
            [
                {"commitment_id": r.commitment_id, "participant_id": r.participant_id, "month": r.month,
                 "hours_h100": r.hours_h100, "modality": r.modality, "employer_company_id": r.employer_company_id,
                 "import_batch_id": batch_id, "entered_by": login, "updated_at": now, "version": 1}
                for r in preview.to_add
            ],
            session,
        )  # fmt: skip
    if preview.changed:
        stmt = (
            update(entries)
            .where(entries.c.id == _bind("b_id"), entries.c.hours_h100 == _bind("b_old"))
            .values(hours_h100=_bind("b_new"), modality=_bind("b_mod"), employer_company_id=_bind("b_emp"),
                    import_batch_id=batch_id, entered_by=login, updated_at=now, version=entries.c.version + 1)
        )  # fmt: skip
        result = session.connection().execute(
            stmt,
            [{"b_id": r.entry_id, "b_old": r.old_hours_h100, "b_new": r.hours_h100, "b_mod": r.modality,
              "b_emp": r.employer_company_id} for r in preview.changed],
        )  # fmt: skip
        _check_updated(result.rowcount, len(preview.changed))
    history = [
        {"commitment_id": r.commitment_id, "participant_id": r.participant_id, "month": r.month,
         "old_hours_h100": r.old_hours_h100, "new_hours_h100": r.hours_h100, "import_batch_id": batch_id,
         "by": login, "at": now}
        for rows in (preview.to_add, preview.changed) for r in rows
    ]  # fmt: skip
    if history:
        session.execute(insert(changes), history)


def _check_updated(rowcount: int, expected: int) -> None:
    if rowcount not in (-1, expected):
        raise DomainError("Des heures ont été modifiées depuis l'aperçu : relancez l'aperçu, rien n'a été enregistré.")


def _write_sqlite(session: Session, preview: Preview, batch_id: int, login: str, now: datetime) -> None:
    """The same writes on SQLite, straight to the driver's ``executemany`` with values already in stored form.

    Each value is converted once by the column's own SQLAlchemy bind processor (dates as ``YYYY-MM-DD``, the
    modality's value, the UTC timestamp as SQLAlchemy writes it), so the rows read back exactly as before."""
    conn = session.connection()
    conn.exec_driver_sql("PRAGMA cache_size=-262144")  # random inserts into big indexes: a larger page cache
    entries, changes = HoursEntry.__table__, HoursChange.__table__
    month_of = _processor(entries.c.month, conn.dialect)
    modality_of = _processor(entries.c.modality, conn.dialect)
    stamp = _processor(entries.c.updated_at, conn.dialect)(now)
    at = _processor(changes.c.at, conn.dialect)(now)
    months: dict[date, Any] = {}
    modalities: dict[Any, Any] = {}

    def month(value: date) -> Any:
        stored = months.get(value)
        if stored is None:
            stored = months[value] = month_of(value)
        return stored

    def modality(value: Any) -> Any:
        stored = modalities.get(value)
        if stored is None:
            stored = modalities[value] = modality_of(value)
        return stored

    if preview.to_add:
        try:
            conn.exec_driver_sql(
                "INSERT INTO hoursentry (commitment_id, participant_id, month, hours_h100, modality, "
                "employer_company_id, import_batch_id, entered_by, updated_at, version) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                [(r.commitment_id, r.participant_id, month(r.month), r.hours_h100, modality(r.modality),
                  r.employer_company_id, batch_id, login, stamp) for r in preview.to_add],
            )  # fmt: skip
        except IntegrityError:
            raise DomainError(STALE) from None
    if preview.changed:
        result = conn.exec_driver_sql(
            "UPDATE hoursentry SET hours_h100 = ?, modality = ?, employer_company_id = ?, import_batch_id = ?, "
            "entered_by = ?, updated_at = ?, version = version + 1 WHERE id = ? AND hours_h100 = ?",
            [(r.hours_h100, modality(r.modality), r.employer_company_id, batch_id, login, stamp, r.entry_id,
              r.old_hours_h100) for r in preview.changed],
        )  # fmt: skip
        _check_updated(result.rowcount, len(preview.changed))
    if preview.to_add or preview.changed:
        conn.exec_driver_sql(
            'INSERT INTO hourschange (commitment_id, participant_id, month, old_hours_h100, new_hours_h100, '
            'import_batch_id, "by", at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
            [(r.commitment_id, r.participant_id, month(r.month), r.old_hours_h100, r.hours_h100, batch_id, login, at)
             for rows in (preview.to_add, preview.changed) for r in rows],
        )  # fmt: skip


def _processor(column: Any, dialect: Any) -> Callable[[Any], Any]:
    """The column type's conversion of a Python value to what the driver receives (identity when none)."""
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    return process if process is not None else (lambda value: value)


def _insert_entries(statement: Any, rows: list[dict[str, Any]], session: Session) -> None:
    try:
        session.execute(statement, rows)
    except IntegrityError:
        raise DomainError(STALE) from None


def _bind(name: str) -> Any:
    return bindparam(name)


def undo(session: Session, batch_id: int, user: CurrentUser) -> ImportBatch:
    """Restore every value an import changed and delete the entries it created (admin), in the caller's transaction."""
    require(user, Role.ADMIN)
    batch = session.get(ImportBatch, batch_id)
    if batch is None or batch.kind != ImportKind.HOURS:
        raise DomainError("Import introuvable.")
    if batch.undone_at is not None:
        raise DomainError(f"Cet import a déjà été annulé par {batch.undone_by}.")
    ch, en = HoursChange.__table__, HoursEntry.__table__
    mine = session.execute(
        select(ch.c.id, ch.c.commitment_id, ch.c.participant_id, ch.c.month, ch.c.old_hours_h100, ch.c.new_hours_h100)
        .where(ch.c.import_batch_id == batch_id)
    ).all()  # fmt: skip
    keys = {(r.commitment_id, r.participant_id, r.month): r for r in mine}
    if mine:
        current = _current(session, set(keys))
        later = sum(
            1
            for key, r in keys.items()
            if current.get(key, (None, None))
            != ((batch_id, r.new_hours_h100) if r.new_hours_h100 is not None else (None, None))
        )
        if later:
            raise DomainError(
                f"Annulation impossible : {later} ligne(s) de cet import ont été modifiées depuis "
                "(import ultérieur ou saisie). Annulez d'abord les modifications plus récentes."
            )
    created = [r for r in mine if r.old_hours_h100 is None]
    changed = [r for r in mine if r.old_hours_h100 is not None]
    previous = _previous_batches(session, batch_id, changed)
    now = utcnow()
    conn = session.connection()
    if created:
        conn.execute(
            delete(en).where(
                en.c.commitment_id == _bind("b_c"), en.c.participant_id == _bind("b_p"), en.c.month == _bind("b_m")
            ),
            [{"b_c": r.commitment_id, "b_p": r.participant_id, "b_m": r.month} for r in created],
        )
    if changed:
        conn.execute(
            update(en)
            .where(en.c.commitment_id == _bind("b_c"), en.c.participant_id == _bind("b_p"), en.c.month == _bind("b_m"))
            .values(hours_h100=_bind("b_h"), import_batch_id=_bind("b_b"), entered_by=user.login, updated_at=now,
                    version=en.c.version + 1),
            [{"b_c": r.commitment_id, "b_p": r.participant_id, "b_m": r.month, "b_h": r.old_hours_h100,
              "b_b": previous.get(r.id)} for r in changed],
        )  # fmt: skip
    if mine:
        session.execute(
            insert(ch),
            [{"commitment_id": r.commitment_id, "participant_id": r.participant_id, "month": r.month,
              "old_hours_h100": r.new_hours_h100, "new_hours_h100": r.old_hours_h100, "import_batch_id": None,
              "by": user.login, "at": now} for r in mine],
        )  # fmt: skip
    derived.hours_written(session, {(r.commitment_id, r.month) for r in mine})
    batch.undone_at = now
    batch.undone_by = user.login
    session.add(batch)
    audit.record(
        session,
        user.login,
        "annulation d'import",
        "importbatch",
        batch_id,
        f"{batch.file_name} : {len(created)} ligne(s) supprimée(s), {len(changed)} rétablie(s)",
    )
    session.flush()
    return batch


def _current(session: Session, keys: set[tuple[int, int, date]]) -> dict[tuple[int, int, date], tuple[int | None, int]]:
    """(commitment, participant, month) → (batch that wrote it, hours) for the stored keys."""
    en = HoursEntry.__table__
    found: dict[tuple[int, int, date], tuple[int | None, int]] = {}
    commitments = sorted({k[0] for k in keys})
    months = sorted({k[2] for k in keys})
    for i in range(0, len(commitments), 500):
        rows = session.execute(
            select(en.c.commitment_id, en.c.participant_id, en.c.month, en.c.import_batch_id, en.c.hours_h100).where(
                en.c.commitment_id.in_(commitments[i : i + 500]), en.c.month.between(months[0], months[-1])
            )
        )
        for cid, pid, month, bid, hours in rows:
            if (cid, pid, month) in keys:
                found[(cid, pid, month)] = (bid, hours)
    return found


def _previous_batches(session: Session, batch_id: int, changed: list[Any]) -> dict[int, int | None]:
    """For each change of the batch (by id), the batch that brought the value it replaced."""
    if not changed:
        return {}
    ch = HoursChange.__table__
    wanted = {(r.commitment_id, r.participant_id, r.month): r.id for r in changed}
    best: dict[int, tuple[int, int | None]] = {}
    commitments = sorted({k[0] for k in wanted})
    for i in range(0, len(commitments), 500):
        rows = session.execute(
            select(ch.c.id, ch.c.commitment_id, ch.c.participant_id, ch.c.month, ch.c.import_batch_id).where(
                ch.c.commitment_id.in_(commitments[i : i + 500]),
                and_(ch.c.import_batch_id.is_not(None), ch.c.import_batch_id != batch_id),
            )
        )
        for rid, cid, pid, month, bid in rows:
            mine = wanted.get((cid, pid, month))
            if mine is not None and rid < mine and (mine not in best or best[mine][0] < rid):
                best[mine] = (rid, bid)
    return {k: v[1] for k, v in best.items()}


def describe(preview: Preview, rows: list[ImportRow], limit: int = 2_000) -> list[dict[str, Any]]:
    """Rows of a preview for display (at most ``limit``): company, lot, operation, person, month, hours (hundredths),
    hours before, modality. Names come from the preview; column titles are the screen's business."""
    commitments, people = preview.names.get("commitment", {}), preview.names.get("participant", {})
    shown = []
    for r in rows[:limit]:
        company, lot, operation = (commitments.get(r.commitment_id) or "?\t?\t?").split("\t")
        shown.append(
            {
                "line": r.line,
                "company": company,
                "lot": lot,
                "operation": operation,
                "participant": people.get(r.participant_id, "?"),
                "month": r.month,
                "hours_h100": r.hours_h100,
                "old_hours_h100": r.old_hours_h100,
                "modality": Modality(r.modality).label,
            }
        )
    return shown


def list_batches(session: Session, limit: int = 50) -> list[ImportBatch]:
    """The latest hours imports, newest first."""
    return list(
        session.execute(
            select(ImportBatch).where(ImportBatch.kind == ImportKind.HOURS).order_by(ImportBatch.id.desc()).limit(limit)
        ).scalars()
    )


__all__ = [
    "FileError",
    "ImportRefused",
    "ImportRow",
    "LineError",
    "Preview",
    "apply",
    "checksum",
    "classify",
    "describe",
    "list_batches",
    "parse_hours",
    "parse_month",
    "preview_file",
    "read_statement",
    "sheet_names",
    "undo",
]
