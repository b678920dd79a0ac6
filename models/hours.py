"""Hours achieved, month by month, and the imports that brought them (DESIGN §5.1)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, CheckConstraint, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import created_field, enum_field, utcnow
from models.enums import ImportKind, Modality

# Hours of one person for one commitment in one month, at most (hundredths): the CHECK below and the maximum of the
# setting « max_hours_per_month » (clausier/settings.py) both read it.
MAX_HOURS_H100 = 25_000


class ImportBatch(SQLModel, table=True):
    """One imported file: who, when, what it did; an admin can undo it whole."""

    __table_args__ = (
        CheckConstraint("rows_added >= 0 AND rows_changed >= 0 AND rows_unchanged >= 0", name="counts_positive"),
    )
    id: int | None = Field(default=None, primary_key=True)
    kind: ImportKind = enum_field(ImportKind, ImportKind.HOURS)
    file_name: str = Field(max_length=250)
    checksum: str = Field(max_length=64, index=True)  # SHA-256 of the file bytes
    by: str = Field(max_length=60)
    at: datetime = Field(default_factory=utcnow)
    rows_added: int = 0
    rows_changed: int = 0
    rows_unchanged: int = 0
    undone_at: datetime | None = None
    undone_by: str | None = Field(default=None, max_length=60)


class HoursEntry(SQLModel, table=True):
    """Hours achieved by one participant for one commitment in one month (hours in hundredths)."""

    __table_args__ = (
        UniqueConstraint("commitment_id", "participant_id", "month"),
        CheckConstraint(f"hours_h100 > 0 AND hours_h100 <= {MAX_HOURS_H100}", name="hours_range"),
        Index("ix_hoursentry_commitment_month_hours", "commitment_id", "month", "hours_h100"),
    )
    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id")
    participant_id: int = Field(foreign_key="participant.id", index=True)
    contract_id: int | None = Field(default=None, foreign_key="employmentcontract.id", index=True)
    month: date  # first day of the month
    hours_h100: int
    modality: Modality = enum_field(Modality, Modality.DIRECT_HIRE)
    employer_company_id: int | None = Field(default=None, foreign_key="company.id")
    import_batch_id: int | None = Field(default=None, foreign_key="importbatch.id", index=True)
    entered_by: str = Field(default="", max_length=60)
    updated_at: datetime = created_field()
    version: int = 1


class CommitmentMonthHours(SQLModel, table=True):
    """The hours of one commitment in one month, summed over its participants: kept in the same transaction as
    the entries it sums (``clausier.services.hours_totals``), so the progress screens never sum a million rows."""

    commitment_id: int = Field(foreign_key="commitment.id", primary_key=True)
    month: date = Field(primary_key=True)
    hours_h100: int = Field(sa_type=BigInteger)
    entries: int  # how many participant rows it sums


class CommitmentHours(SQLModel, table=True):
    """The hours of one commitment, summed over its months, with what the projection needs (the last ``window``
    months with hours): kept with :class:`CommitmentMonthHours`, so the dashboard reads one row per commitment."""

    __table_args__ = (CheckConstraint("recent_months >= 0 AND recent_months <= window_months", name="recent_window"),)
    commitment_id: int = Field(foreign_key="commitment.id", primary_key=True)
    hours_h100: int = Field(sa_type=BigInteger)
    last_month: date
    recent_months: int  # months with hours among the last ``window_months`` of them
    recent_h100: int = Field(sa_type=BigInteger)
    window_months: int  # the setting « projection_months » when it was computed


class HoursChange(SQLModel, table=True):
    """History of every value an hours entry took, with the file (or the person) it came from."""

    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True)
    participant_id: int = Field(foreign_key="participant.id")
    month: date
    old_hours_h100: int | None = None  # None: the entry was created
    new_hours_h100: int | None = None  # None: the entry was removed
    import_batch_id: int | None = Field(default=None, foreign_key="importbatch.id", index=True)
    by: str = Field(max_length=60)
    at: datetime = Field(default_factory=utcnow)


class SubcontractingEntry(SQLModel, table=True):
    """Work subcontracted to an SIAE, EA or ESAT, recorded as an amount and converted to hours (DESIGN §3.3)."""

    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("hours_h100 >= 0", name="hours_positive"),
    )
    id: int | None = Field(default=None, primary_key=True)
    commitment_id: int = Field(foreign_key="commitment.id", index=True)
    subcontractor_company_id: int = Field(foreign_key="company.id")
    month: date
    amount_cents: int = Field(sa_type=BigInteger)
    hours_h100: int  # amount × labour share ÷ hourly cost of the lot, at entry time
    notes: str = Field(default="", sa_type=Text)
    entered_by: str = Field(max_length=60)
    created_at: datetime = created_field()
    version: int = 1
