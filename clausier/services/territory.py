"""The territory (communes and priority neighbourhoods), kept editable by an admin since it changes."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, select
from sqlmodel import Session

from clausier.db import ConcurrentEditError, update_versioned
from clausier.errors import ValidationError
from clausier.services import audit
from clausier.services.users import CurrentUser, require
from models import (
    Buyer,
    Commune,
    Company,
    JobOffer,
    Operation,
    Participant,
    Partner,
    Qpv,
)
from models.enums import Role

INSEE_RE = re.compile(r"^(\d{5}|2[AB]\d{3})$")
POSTAL_RE = re.compile(r"^\d{5}$")


@dataclass
class CommuneRow:
    """One row of the territory editor; ``id`` None for a new commune."""

    id: int | None
    name: str
    insee_code: str | None
    postal_codes: str
    epci: str
    in_territory: bool = True


def _apply(
    session: Session,
    model: type,
    existing: dict,
    rows: list[tuple[int | None, dict]],
    seen: dict[int, int],
    what: Callable[[Any], str],
) -> tuple[int, int, int]:
    """Write an edited table once checked: records missing from it are removed, rows without id added, the
    others changed where a value differs (their version goes up). Returns (added, changed, removed).

    ``seen``: the version of every record the table showed (id → version). A record is changed or removed only
    at that version, a record added since the table was drawn is left alone, and a row whose record was removed
    meanwhile is refused: someone else's save is never overwritten unseen (``ConcurrentEditError``)."""
    table = model.__table__
    kept = {record_id for record_id, _values in rows if record_id is not None}
    removed = 0
    for record_id, record in existing.items():
        if record_id not in kept and record_id in seen:
            gone = session.execute(
                delete(table).where(table.c.id == record_id, table.c.version == seen[record_id])
            ).rowcount
            if gone != 1:
                raise ConcurrentEditError(what(record))
            session.expunge(record)
            removed += 1
    added = changed = 0
    for record_id, values in rows:
        if record_id is None:
            session.add(model(**values))
            added += 1
            continue
        record = existing.get(record_id)
        if record is None or record_id not in seen:  # removed (or never shown) since the table was drawn
            raise ConcurrentEditError(what(record) if record is not None else f"la ligne « {values['name']} »")
        if any(getattr(record, k) != v for k, v in values.items()):
            update_versioned(session, model, record_id, seen[record_id], what(record), **values)
            session.expire(record)
            changed += 1
    session.flush()
    return added, changed, removed


def list_communes(session: Session) -> list[Commune]:
    return list(session.execute(select(Commune).order_by(Commune.epci, Commune.name)).scalars())


def list_qpv(session: Session) -> list[Qpv]:
    return list(session.execute(select(Qpv).order_by(Qpv.list_year.desc(), Qpv.name)).scalars())


def _commune_in_use(session: Session, commune_id: int) -> bool:
    for model, column in (
        (Buyer, Buyer.commune_id),
        (Operation, Operation.commune_id),
        (Company, Company.commune_id),
        (Participant, Participant.commune_id),
        (Partner, Partner.commune_id),
        (Qpv, Qpv.commune_id),
        (JobOffer, JobOffer.place_commune_id),
    ):
        if session.execute(select(func.count()).select_from(model).where(column == commune_id)).scalar_one():
            return True
    return False


def save_communes(
    session: Session, admin: CurrentUser, rows: list[CommuneRow], seen: dict[int, int]
) -> tuple[int, int, int]:
    """Apply the edited table: add, change and remove communes in one go, or nothing with the reasons.
    ``seen``: the version of each commune as the table showed it (id → version), see :func:`_apply`.
    Returns (added, changed, removed)."""
    require(admin, Role.ADMIN)
    errors: dict[str, str] = {}
    seen_insee: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    for index, row in enumerate(rows, start=1):
        where = f"Ligne {index}"
        name = (row.name or "").strip()
        if not name:
            errors[f"{index}.name"] = f"{where} : le nom de la commune est obligatoire."
        elif name.lower() in seen_names:
            errors[f"{index}.name"] = f"{where} : « {name} » figure déjà ligne {seen_names[name.lower()]}."
        else:
            seen_names[name.lower()] = index
        insee = (row.insee_code or "").strip().upper()
        if insee:
            if not INSEE_RE.match(insee):
                errors[f"{index}.insee"] = f"{where} : le code INSEE « {insee} » doit faire 5 caractères (ex. 59183)."
            elif insee in seen_insee:
                errors[f"{index}.insee"] = f"{where} : le code INSEE {insee} figure déjà ligne {seen_insee[insee]}."
            else:
                seen_insee[insee] = index
        for code in filter(None, (c.strip() for c in (row.postal_codes or "").split(";"))):
            if not POSTAL_RE.match(code):
                errors[f"{index}.postal"] = f"{where} : le code postal « {code} » doit faire 5 chiffres."
    existing = {c.id: c for c in list_communes(session)}
    kept = {row.id for row in rows if row.id is not None}
    for commune_id, commune in existing.items():
        if commune_id not in kept and commune_id in seen and _commune_in_use(session, commune_id):
            errors[f"del.{commune_id}"] = (
                f"« {commune.name} » ne peut pas être supprimée : des données y sont rattachées. "
                "Décochez plutôt « Dans le territoire »."
            )
    if errors:
        raise ValidationError(errors)

    added, changed, removed = _apply(
        session,
        Commune,
        existing,
        [
            (
                row.id,
                {
                    "name": row.name.strip(),
                    "insee_code": (row.insee_code or "").strip().upper() or None,
                    "postal_codes": ";".join(c.strip() for c in (row.postal_codes or "").split(";") if c.strip()),
                    "epci": (row.epci or "").strip().upper(),
                    "in_territory": bool(row.in_territory),
                },
            )
            for row in rows
        ],
        seen,
        lambda commune: f"la commune « {commune.name} »",
    )
    if added or changed or removed:
        audit.record(
            session,
            admin.login,
            "territoire",
            "commune",
            "",
            f"{added} ajoutée(s), {changed} modifiée(s), {removed} supprimée(s)",
        )
    return added, changed, removed


@dataclass
class QpvRow:
    id: int | None
    name: str
    code: str | None
    commune_name: str | None
    list_year: int


def save_qpv(session: Session, admin: CurrentUser, rows: list[QpvRow], seen: dict[int, int]) -> tuple[int, int, int]:
    """Apply the edited table of priority neighbourhoods, like :func:`save_communes` (``seen``: id → version)."""
    require(admin, Role.ADMIN)
    communes = {c.name: c.id for c in list_communes(session)}
    errors: dict[str, str] = {}
    listed: set[tuple[str, int]] = set()
    for index, row in enumerate(rows, start=1):
        name = (row.name or "").strip()
        if not name:
            errors[f"{index}.name"] = f"Ligne {index} : le nom du quartier est obligatoire."
        if row.commune_name and row.commune_name not in communes:
            errors[f"{index}.commune"] = (
                f"Ligne {index} : la commune « {row.commune_name} » n'est pas dans le territoire."
            )
        year = row.list_year
        if not isinstance(year, int) or not 2000 <= year <= 2100:
            errors[f"{index}.year"] = f"Ligne {index} : l'année de la liste doit être une année (ex. 2024)."
        elif (name.lower(), year) in listed:
            errors[f"{index}.name"] = f"Ligne {index} : « {name} » figure deux fois dans la liste {year}."
        listed.add((name.lower(), year if isinstance(year, int) else 0))
    existing = {q.id: q for q in list_qpv(session)}
    kept = {row.id for row in rows if row.id is not None}
    for qpv_id, qpv in existing.items():
        if qpv_id not in kept and qpv_id in seen:
            used = session.execute(
                select(func.count()).select_from(Participant).where(Participant.qpv_id == qpv_id)
            ).scalar_one()
            if used:
                errors[f"del.{qpv_id}"] = (
                    f"« {qpv.name} » ne peut pas être supprimé : {used} participant(s) y résident."
                )
    if errors:
        raise ValidationError(errors)
    added, changed, removed = _apply(
        session,
        Qpv,
        existing,
        [
            (
                row.id,
                {
                    "name": row.name.strip(),
                    "code": (row.code or "").strip() or None,
                    "commune_id": communes.get(row.commune_name) if row.commune_name else None,
                    "list_year": row.list_year,
                },
            )
            for row in rows
        ],
        seen,
        lambda qpv: f"le quartier « {qpv.name} »",
    )
    if added or changed or removed:
        audit.record(
            session,
            admin.login,
            "territoire",
            "qpv",
            "",
            f"{added} ajouté(s), {changed} modifié(s), {removed} supprimé(s)",
        )
    return added, changed, removed


def territory_communes(session: Session, epci: str | None = None) -> list[Commune]:
    query = select(Commune).where(Commune.in_territory.is_(True)).order_by(Commune.name)
    if epci:
        query = query.where(Commune.epci == epci)
    return list(session.execute(query).scalars())
