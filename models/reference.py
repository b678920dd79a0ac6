"""Reference lists: trades (ROME), territory (communes, QPV), kinds of work, eligibility criteria, contract types."""

from __future__ import annotations

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import enum_field
from models.enums import Modality


class Trade(SQLModel, table=True):
    """A ROME trade (métier)."""

    code: str = Field(primary_key=True, max_length=5)
    label: str = Field(max_length=200)
    domain: str = Field(max_length=200)


class Commune(SQLModel, table=True):
    """A commune of the territory (editable by an admin: the territory changes)."""

    __table_args__ = (UniqueConstraint("insee_code"),)
    id: int | None = Field(default=None, primary_key=True)
    insee_code: str | None = Field(default=None, max_length=5)
    name: str = Field(max_length=120, index=True)
    postal_codes: str = Field(default="", max_length=120)  # several separated by ";"
    epci: str = Field(default="", max_length=20)  # CUD, CCHF…
    in_territory: bool = True
    version: int = 1


class Qpv(SQLModel, table=True):
    """A priority neighbourhood (quartier prioritaire de la politique de la ville)."""

    __table_args__ = (UniqueConstraint("name", "list_year"),)
    id: int | None = Field(default=None, primary_key=True)
    code: str | None = Field(default=None, max_length=12)
    name: str = Field(max_length=200)
    commune_id: int | None = Field(default=None, foreign_key="commune.id", index=True)
    list_year: int = 2024
    version: int = 1


class WorkKind(SQLModel, table=True):
    """Kind of work with its default labour share and hourly cost (DESIGN §3.1)."""

    __table_args__ = (
        CheckConstraint("labour_share_bp > 0 AND labour_share_bp <= 10000", name="labour_share_range"),
        CheckConstraint("hourly_cost_cents > 0", name="hourly_cost_positive"),
        CheckConstraint("default_insertion_rate_bp > 0 AND default_insertion_rate_bp <= 10000", name="rate_range"),
    )
    code: str = Field(primary_key=True, max_length=30)
    label: str = Field(max_length=120)
    labour_share_bp: int  # basis points: 5000 = 50 %
    hourly_cost_cents: int  # 3000 = 30,00 €
    default_insertion_rate_bp: int = 500
    active: bool = True
    version: int = 1


class EligibilityCriterion(SQLModel, table=True):
    """One reason a person may be eligible to the clause (DESIGN §3.2)."""

    code: str = Field(primary_key=True, max_length=30)
    label: str = Field(max_length=250)
    needs_reason: bool = False  # "validated on the reasoned opinion of…": a reason is required
    sort_order: int = 0
    active: bool = True


class ContractType(SQLModel, table=True):
    """A kind of employment contract, with the modality it usually counts under (DESIGN §3.3)."""

    code: str = Field(primary_key=True, max_length=30)
    label: str = Field(max_length=120)
    usual_modality: Modality = enum_field(Modality, Modality.DIRECT_HIRE)
    sort_order: int = 0
    active: bool = True
