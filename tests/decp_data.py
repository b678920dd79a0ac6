"""DECP test data: the official examples shipped in data/reference/decp/, and small valid files built from them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from stdnum import luhn

from tests.builders import valid_siret

EXAMPLES = Path(__file__).resolve().parents[1] / "data" / "reference" / "decp"


def siret_of(siren: str, nic: int = 1) -> str:
    """A valid SIRET of an establishment of this (valid) SIREN."""
    base = siren + f"{nic:04d}"
    return base + luhn.calc_check_digit(base)


CUD_SIREN = "245900428"  # the default of the setting decp_buyer_sirens
CUD_SIRET = siret_of(CUD_SIREN, 17)


def example_bytes(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def example(name: str) -> dict:
    return json.loads(example_bytes(name))


def market_record(
    market_id: str = "M2026-001",
    *,
    buyer_siret: str | None = None,
    place: str = "59140",
    place_type: str = "Code postal",
    cpv: str = "45210000-2",
    amount: float = 1_000_000,
    duration: int = 12,
    notified: str = "2026-01-15",
    social: list[str] | None = None,
    holders: list[str] | None = None,
    object_: str = "Construction d'un groupe scolaire",
) -> dict:
    """A market valid against the schema, from the official example (its modifications removed)."""
    record = copy.deepcopy(example("marches_avec_modifications.json")["marches"]["marche"][0])
    for key in ("modifications", "modificationsActesSousTraitance", "actesSousTraitance", "idAccordCadre"):
        record.pop(key, None)
    record["sousTraitanceDeclaree"] = False
    record.update(
        id=market_id,
        acheteur={"id": buyer_siret or valid_siret()},
        lieuExecution={"code": place, "typeCode": place_type},
        codeCPV=cpv,
        montant=amount,
        dureeMois=duration,
        dateNotification=notified,
        objet=object_,
        considerationsSociales={"considerationSociale": social or ["Pas de considération sociale"]},
        titulaires=[
            {"titulaire": {"id": h, "typeIdentifiant": "SIRET"}} for h in (holders if holders is not None else [])
        ]
        or [{"titulaire": {"id": valid_siret(), "typeIdentifiant": "SIRET"}}],
    )
    return record


def decp_bytes(markets: list[dict] | None = None, concessions: list[dict] | None = None) -> bytes:
    root: dict[str, Any] = {}
    if markets is not None:
        root["marche"] = markets
    if concessions is not None:
        root["contrat-concession"] = concessions
    return json.dumps({"marches": root}, ensure_ascii=False, indent=2).encode("utf-8")
