"""Participants: what every part of the package shares — limits, labels, licences, who sees contact details."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date

from clausier import privacy
from clausier.services.users import CurrentUser

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE_RE = re.compile(r"^\+?[0-9 .()\-]+$")
LIMITS = {
    "last_name": 120,
    "first_name": 120,
    "address": 300,
    "phone": 30,
    "email": 200,
    "counsellor": 120,
    "antenna": 120,
    "licences": 300,
    "external_id": 60,
}
FIELD_LABELS = {
    "last_name": "nom",
    "first_name": "prénom",
    "sex": "sexe",
    "birth_date": "date de naissance",
    "commune_id": "commune",
    "address": "adresse",
    "qpv_id": "QPV",
    "phone": "téléphone",
    "email": "e-mail",
    "qualification_level": "niveau de qualification",
    "counsellor": "conseiller référent",
    "antenna": "antenne",
    "licences": "permis et certificats",
    "own_vehicle": "véhicule",
    "max_distance_km": "distance maximale",
    "available_from": "disponible à partir du",
    "status": "disponibilité",
    "notes": "notes",
    "external_id": "identifiant du logiciel du PLIE",
    "trades": "métiers",
}
ANONYMOUS_NAME = "Anonyme"
COMMON_LICENCES = [
    "B",
    "BE",
    "C",
    "CE",
    "D",
    "CACES R482 (engins de chantier)",
    "CACES R486 (nacelles)",
    "CACES R489 (chariots)",
    "CACES R490 (grues auxiliaires)",
    "AIPR",
    "Habilitation électrique",
    "SST",
    "Travail en hauteur",
]
EARLIEST = date(1900, 1, 1)


class EligibilityFilter:
    """Values of the eligibility filter of the list."""

    VALID = "valide"
    LAPSING = "bientot"
    LAPSED = "expiree"
    NONE = "aucune"
    LABELS = {
        VALID: "Valide",
        LAPSING: "Expire bientôt",
        LAPSED: "Expirée",
        NONE: "Jamais validée",
    }


def may_see_contact(user: CurrentUser | None) -> bool:
    """Phone, e-mail, address, birth date, notes: for admin and saisie (``clausier.privacy``)."""
    return privacy.with_personal_data(user)


def split_licences(text: str | Iterable[str]) -> list[str]:
    """« B; CACES R489 » → ["B", "CACES R489"] (stored ``;``-separated; the order kept, repeats dropped)."""
    parts = text.split(";") if isinstance(text, str) else list(text)
    result: list[str] = []
    for part in parts:
        clean = " ".join(str(part or "").split())
        if clean and clean.lower() not in {p.lower() for p in result}:
            result.append(clean)
    return result


def join_licences(licences: Iterable[str]) -> str:
    return ";".join(split_licences(list(licences)))


def display_name(last_name: str, first_name: str) -> str:
    return f"{last_name} {first_name}".strip()
