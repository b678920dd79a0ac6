"""SIRET of a company (14 digits, checked with its key by python-stdnum)."""

from __future__ import annotations

import re

from stdnum.fr import siren, siret


def check_siret(value: str | None) -> str:
    """The SIRET without spaces, or a French ValueError saying what is wrong with it."""
    compact = re.sub(r"[\s.\u00a0\u202f-]", "", value or "")
    if not compact:
        raise ValueError("Le SIRET est obligatoire.")
    if not compact.isdigit():
        raise ValueError(f"Le SIRET « {value} » ne doit contenir que des chiffres.")
    if len(compact) == 9:
        hint = "" if siren.is_valid(compact) else " (et sa clé n'est pas valide)"
        raise ValueError(
            f"« {value} » est un SIREN (9 chiffres){hint} : saisissez le SIRET de l'établissement (14 chiffres)."
        )
    if len(compact) != 14:
        raise ValueError(f"Le SIRET doit compter 14 chiffres ; « {value} » en compte {len(compact)}.")
    if not siret.is_valid(compact):
        raise ValueError(f"Le SIRET « {value} » n'est pas valide : sa clé de contrôle ne correspond pas.")
    return compact


def format_siret(value: str) -> str:
    """« 552 100 554 00018 »: SIREN and NIC grouped as written on French documents."""
    return f"{value[:3]} {value[3:6]} {value[6:9]} {value[9:]}" if len(value) == 14 else value
