"""Participants (the pool of eligible people), their eligibility and their trades."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_field, enum_field
from models.enums import ExperienceLevel, ImportKind, ParticipantStatus, QualificationLevel, Sex


class Participant(SQLModel, table=True):
    """Participant (bénéficiaire, candidat). Personal data: see the GDPR commands."""

    __table_args__ = (
        CheckConstraint("birth_date IS NULL OR birth_date >= '1900-01-01'", name="birth_date_range"),
        CheckConstraint("max_distance_km IS NULL OR max_distance_km >= 0", name="distance_positive"),
        Index("ix_participant_name_key", "name_key", "birth_date"),
    )
    id: int | None = Field(default=None, primary_key=True)
    last_name: str = Field(max_length=120)
    first_name: str = Field(max_length=120)
    name_key: str = Field(default="", max_length=250)  # names without accents nor case, for matching
    sex: Sex | None = enum_field(Sex, None, nullable=True)
    birth_date: date | None = None
    commune_id: int | None = Field(default=None, foreign_key="commune.id", index=True)
    address: str = Field(default="", max_length=300)
    qpv_id: int | None = Field(default=None, foreign_key="qpv.id", index=True)
    phone: str = Field(default="", max_length=30)
    email: str = Field(default="", max_length=200)
    qualification_level: QualificationLevel | None = enum_field(QualificationLevel, None, nullable=True)
    counsellor: str = Field(default="", max_length=120)  # référent (CIP)
    antenna: str = Field(default="", max_length=120)
    licences: str = Field(default="", max_length=300)  # "B;CACES R489-3"; see clausier.rules
    own_vehicle: bool = False
    max_distance_km: int | None = None
    available_from: date | None = None
    status: ParticipantStatus = enum_field(ParticipantStatus, ParticipantStatus.ACTIVE)
    notes: str = Field(default="", sa_type=Text)
    external_id: str | None = Field(default=None, max_length=60, index=True)  # id in the PLIE software
    anonymised_at: datetime | None = None
    created_at: datetime = created_field()
    version: int = 1


class Eligibility(SQLModel, table=True):
    """One eligibility criterion of a participant, validated by a facilitator on a date (DESIGN §3.2)."""

    __table_args__ = (
        CheckConstraint("proof_date IS NULL OR proof_date <= validated_on", name="proof_before_validation"),
        # The eligibilities to renew (home page) read the validations of a window of days, then each person's
        # latest validation: two covering indexes instead of a scan of every validation (175,000 at size L).
        Index("ix_eligibility_validated_on_participant", "validated_on", "participant_id"),
        Index("ix_eligibility_participant_validated_on", "participant_id", "validated_on"),
    )
    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True)
    criterion_code: str = Field(foreign_key="eligibilitycriterion.code")
    proof_date: date | None = None
    validated_on: date
    validated_by: str = Field(max_length=60)
    reason: str = Field(default="", sa_type=Text)  # required for "validated on reasoned opinion"
    created_at: datetime = created_field()


class ParticipantTrade(SQLModel, table=True):
    """A trade a participant targets or has practised, with the experience."""

    __table_args__ = (CheckConstraint("experience_months >= 0", name="experience_positive"),)
    participant_id: int = Field(foreign_key="participant.id", primary_key=True)
    trade_code: str = Field(foreign_key="trade.code", primary_key=True, index=True)
    experience: ExperienceLevel = enum_field(ExperienceLevel, ExperienceLevel.NONE)
    experience_months: int = 0


class ColumnMapping(SQLModel, table=True):
    """A saved mapping of file columns to fields, reused for the next import of the same kind."""

    __table_args__ = (UniqueConstraint("kind", "name"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: ImportKind = enum_field(ImportKind, ImportKind.PARTICIPANTS)
    name: str = Field(max_length=120)
    mapping: str = Field(sa_type=Text)  # JSON {file column: field}
    created_by: str = Field(max_length=60)
    created_at: datetime = created_field()
