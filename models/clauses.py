"""The clause: buyers, operations, lots, companies and their commitments."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_field, enum_field
from models.enums import (
    BuyerKind,
    ClauseKind,
    CompanyKind,
    CompanySize,
    LegalBasis,
    Modality,
    OperationStatus,
)


class Buyer(SQLModel, table=True):
    """Donneur d'ordre."""

    __table_args__ = (UniqueConstraint("siret"),)
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    kind: BuyerKind = enum_field(BuyerKind, BuyerKind.LOCAL_AUTHORITY)
    siret: str | None = Field(default=None, max_length=14)
    commune_id: int | None = Field(default=None, foreign_key="commune.id")
    address: str = Field(default="", max_length=300)
    contact_name: str = Field(default="", max_length=120)
    contact_email: str = Field(default="", max_length=200)
    contact_phone: str = Field(default="", max_length=30)
    notes: str = Field(default="", sa_type=Text)
    archived: bool = False
    created_at: datetime = created_field()
    version: int = 1


class Operation(SQLModel, table=True):
    """Opération: a project of a buyer made of lots."""

    __table_args__ = (
        CheckConstraint("planned_end IS NULL OR planned_start IS NULL OR planned_end >= planned_start", name="dates"),
        UniqueConstraint("buyer_id", "decp_id"),  # a DECP market becomes one operation of its buyer
    )
    id: int | None = Field(default=None, primary_key=True)
    buyer_id: int = Field(foreign_key="buyer.id", index=True)
    name: str = Field(max_length=250)
    commune_id: int | None = Field(default=None, foreign_key="commune.id", index=True)
    work_kind_code: str | None = Field(default=None, foreign_key="workkind.code")
    status: OperationStatus = enum_field(OperationStatus, OperationStatus.SPOTTED)
    legal_basis: LegalBasis = enum_field(LegalBasis, LegalBasis.EXECUTION_CONDITION)
    description: str = Field(default="", sa_type=Text)
    planned_start: date | None = None
    planned_end: date | None = None
    decp_id: str | None = Field(default=None, max_length=40)  # market id when created from DECP
    archived: bool = False
    created_at: datetime = created_field()
    version: int = 1


class Lot(SQLModel, table=True):
    """A lot (marché) carrying the clause hours. Money in cents, rates in basis points, hours in hundredths."""

    __table_args__ = (
        UniqueConstraint("operation_id", "reference"),
        CheckConstraint("amount_cents >= 0", name="amount_positive"),
        CheckConstraint("labour_share_bp >= 0 AND labour_share_bp <= 10000", name="labour_share_range"),
        CheckConstraint("insertion_rate_bp >= 0 AND insertion_rate_bp <= 10000", name="rate_range"),
        CheckConstraint("hourly_cost_cents > 0", name="hourly_cost_positive"),
        CheckConstraint("hours_computed_h100 >= 0", name="computed_positive"),
        CheckConstraint("hours_contractual_h100 >= 0", name="contractual_positive"),
        CheckConstraint(
            "execution_end IS NULL OR execution_start IS NULL OR execution_end >= execution_start", name="dates"
        ),
    )
    id: int | None = Field(default=None, primary_key=True)
    operation_id: int = Field(foreign_key="operation.id", index=True)
    reference: str = Field(max_length=60)
    label: str = Field(max_length=250)
    trade_code: str | None = Field(default=None, foreign_key="trade.code", index=True)
    work_kind_code: str | None = Field(default=None, foreign_key="workkind.code")
    carries_clause: bool = True
    clause_kind: ClauseKind = enum_field(ClauseKind, ClauseKind.HOURS)
    amount_cents: int = Field(default=0, sa_type=BigInteger)  # works lots exceed 21 M€ (INTEGER's limit)
    labour_share_bp: int = 5000
    insertion_rate_bp: int = 500
    hourly_cost_cents: int = 3000
    hours_computed_h100: int = 0  # the figure of §3.1 with the parameters above
    hours_contractual_h100: int = 0  # the figure of the clause text (what counts)
    execution_start: date | None = None
    execution_end: date | None = None
    created_at: datetime = created_field()
    version: int = 1


class Company(SQLModel, table=True):
    """Entreprise (attributaire, utilisatrice), SIAE, ETTI, GEIQ, temp agency."""

    __table_args__ = (UniqueConstraint("siret"), CheckConstraint("length(siret) = 14", name="siret_length"))
    id: int | None = Field(default=None, primary_key=True)
    siret: str = Field(max_length=14)
    name: str = Field(max_length=200, index=True)
    kind: CompanyKind = enum_field(CompanyKind, CompanyKind.ORDINARY)
    size: CompanySize | None = enum_field(CompanySize, None, nullable=True)
    sector: str = Field(default="", max_length=120)  # NAF code or label
    commune_id: int | None = Field(default=None, foreign_key="commune.id", index=True)
    address: str = Field(default="", max_length=300)
    contact_name: str = Field(default="", max_length=120)
    contact_email: str = Field(default="", max_length=200)
    contact_phone: str = Field(default="", max_length=30)
    notes: str = Field(default="", sa_type=Text)
    archived: bool = False
    created_at: datetime = created_field()
    version: int = 1


class Commitment(SQLModel, table=True):
    """Engagement: the hours a company must achieve on a lot."""

    __table_args__ = (
        UniqueConstraint("lot_id", "company_id"),
        CheckConstraint("hours_committed_h100 >= 0", name="hours_positive"),
        CheckConstraint("training_cap_h100 IS NULL OR training_cap_h100 >= 0", name="training_cap_positive"),
    )
    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    company_id: int = Field(foreign_key="company.id", index=True)
    hours_committed_h100: int = 0
    usual_modality: Modality = enum_field(Modality, Modality.DIRECT_HIRE)
    pooling_allowed: bool = False  # globalisation agreed by the buyer
    training_cap_h100: int | None = None
    notes: str = Field(default="", sa_type=Text)
    created_at: datetime = created_field()
    version: int = 1
