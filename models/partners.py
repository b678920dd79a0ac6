"""Partners, trainings and meetings."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Text
from sqlmodel import Field, SQLModel

from models.base import created_field, enum_field
from models.enums import MeetingKind, PartnerKind, TrainingStatus


class Partner(SQLModel, table=True):
    """Partenaire: France Travail, Département, Missions Locales, temp agencies, SIAE, GEIQ, training bodies, ESS."""

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, index=True)
    kind: PartnerKind = enum_field(PartnerKind, PartnerKind.OTHER)
    siret: str | None = Field(default=None, max_length=14)
    company_id: int | None = Field(default=None, foreign_key="company.id")  # when it is also a company
    commune_id: int | None = Field(default=None, foreign_key="commune.id")
    address: str = Field(default="", max_length=300)
    contact_name: str = Field(default="", max_length=120)
    contact_email: str = Field(default="", max_length=200)
    contact_phone: str = Field(default="", max_length=30)
    notes: str = Field(default="", sa_type=Text)
    archived: bool = False
    created_at: datetime = created_field()
    version: int = 1


class PartnerTrade(SQLModel, table=True):
    partner_id: int = Field(foreign_key="partner.id", primary_key=True)
    trade_code: str = Field(foreign_key="trade.code", primary_key=True, index=True)


class Training(SQLModel, table=True):
    """A short training set up to close a skills gap (DESIGN §3.8)."""

    __table_args__ = (
        CheckConstraint("seats >= 1", name="seats_positive"),
        CheckConstraint("end_date >= start_date", name="dates"),
    )
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    trade_code: str = Field(foreign_key="trade.code", index=True)
    partner_id: int | None = Field(default=None, foreign_key="partner.id")  # training body
    funder: str = Field(default="", max_length=200)
    start_date: date
    end_date: date
    seats: int = 10
    notes: str = Field(default="", sa_type=Text)
    created_at: datetime = created_field()
    version: int = 1


class TrainingParticipant(SQLModel, table=True):
    training_id: int = Field(foreign_key="training.id", primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", primary_key=True, index=True)
    status: TrainingStatus = enum_field(TrainingStatus, TrainingStatus.REGISTERED)


class Meeting(SQLModel, table=True):
    """Comité technique / de pilotage, réunion de lancement de chantier, groupe ESS, information collective."""

    id: int | None = Field(default=None, primary_key=True)
    kind: MeetingKind = enum_field(MeetingKind, MeetingKind.TECHNICAL_COMMITTEE)
    on: date = Field(index=True)
    title: str = Field(max_length=200)
    place: str = Field(default="", max_length=200)
    attendees: str = Field(default="", sa_type=Text)
    notes: str = Field(default="", sa_type=Text)
    created_by: str = Field(default="", max_length=60)
    created_at: datetime = created_field()
    version: int = 1


class MeetingOperation(SQLModel, table=True):
    meeting_id: int = Field(foreign_key="meeting.id", primary_key=True)
    operation_id: int = Field(foreign_key="operation.id", primary_key=True, index=True)
