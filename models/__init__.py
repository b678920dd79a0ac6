"""SQLModel tables of Clausier (DESIGN §4.1). Importing this package registers every table."""

from models.base import utcnow  # noqa: F401  (sets the naming convention first)
from models.clauses import Buyer, Commitment, Company, Lot, Operation
from models.employment import Candidacy, CandidacyEvent, EmploymentContract, FollowUp, JobOffer
from models.hours import (
    CommitmentHours,
    CommitmentMonthHours,
    HoursChange,
    HoursEntry,
    ImportBatch,
    SubcontractingEntry,
)
from models.participants import ColumnMapping, Eligibility, Participant, ParticipantTrade
from models.partners import Meeting, MeetingOperation, Partner, PartnerTrade, Training, TrainingParticipant
from models.reference import Commune, ContractType, EligibilityCriterion, Qpv, Trade, WorkKind
from models.users import AuditEvent, LoginSession, LoginThrottle, Setting, User

__all__ = [
    "AuditEvent",
    "Buyer",
    "Candidacy",
    "CandidacyEvent",
    "ColumnMapping",
    "CommitmentHours",
    "CommitmentMonthHours",
    "Commitment",
    "Commune",
    "Company",
    "ContractType",
    "Eligibility",
    "EligibilityCriterion",
    "EmploymentContract",
    "FollowUp",
    "HoursChange",
    "HoursEntry",
    "ImportBatch",
    "JobOffer",
    "LoginSession",
    "LoginThrottle",
    "Lot",
    "Meeting",
    "MeetingOperation",
    "Operation",
    "Participant",
    "ParticipantTrade",
    "Partner",
    "PartnerTrade",
    "Qpv",
    "Setting",
    "SubcontractingEntry",
    "Trade",
    "Training",
    "TrainingParticipant",
    "User",
    "WorkKind",
]
