"""Participants — the pool of eligible people (*vivier*, DESIGN §3.2, §4.1), their eligibility, and the GDPR
duties on them (DESIGN §6).

Who sees what (the rule of this module): the contact and identity details — phone, e-mail, postal address, birth
date, the id in the PLIE's software and the free-text notes — are personal data for ``admin`` and ``saisie`` only
(``clausier.privacy.with_personal_data``). A ``lecture`` user sees the name, the age, the commune, the QPV, the
qualification, trades, licences, mobility, referent and eligibility, which the reports show anyway; the reading
functions blank the rest for that role (server side), and the search does not look into phone and e-mail for it
either.

Anonymisation (``anonymise``, admin): the name, birth day, contact, address, id in the PLIE's software and every
free text about the person (notes, eligibility reasons, candidacy check comments and refusal reasons, contract
and follow-up notes) are wiped; what the reports count is kept — sex, birth year (the birth date becomes 1 July of
that year: age bands stay right within half a year), commune, QPV, qualification, trades, licences, eligibility
criteria and dates, candidacies, contracts and hours. The audit trail names participants by their number only.

The package, by part: ``common`` (limits, labels, licences, who sees contact details), ``eligibility`` (validity,
criteria, lapsing soon), ``listing`` (the pool, its filters), ``detail`` (a participant's page), ``edit`` (create
and edit), ``retention`` (GDPR). Every public name is named here too: ``participants.list_participants(...)``.
"""

from __future__ import annotations

from clausier.services.participants.common import (  # noqa: F401
    ANONYMOUS_NAME,
    COMMON_LICENCES,
    EARLIEST,
    EMAIL_RE,
    FIELD_LABELS,
    LIMITS,
    PHONE_RE,
    EligibilityFilter,
    display_name,
    join_licences,
    may_see_contact,
    split_licences,
)
from clausier.services.participants.detail import (  # noqa: F401
    CandidacyLine,
    ContractLine,
    EligibilityLine,
    FollowUpLine,
    HoursLine,
    ParticipantDetail,
    TradeLine,
    TrainingLine,
    detail,
)
from clausier.services.participants.edit import (  # noqa: F401
    ParticipantInput,
    TradeInput,
    check_email,
    check_phone,
    create_participant,
    find_same_person,
    one_line,
    update_participant,
)
from clausier.services.participants.eligibility import (  # noqa: F401
    EligibilityInput,
    LapsingRow,
    LapsingSummary,
    add_eligibility,
    check_eligibility,
    eligibility_condition,
    eligibility_ends,
    lapsing_eligibilities,
    last_validation,
    remove_eligibility,
    valid_eligibility,
    validity_months,
    warning_days,
)
from clausier.services.participants.listing import (  # noqa: F401
    ListChoices,
    ParticipantFilters,
    ParticipantRow,
    choices,
    eligibility_text,
    list_participants,
)
from clausier.services.participants.retention import (  # noqa: F401
    RetentionRow,
    anonymise,
    anonymise_expired,
    personal_data_workbook,
    retention_candidates,
    retention_limit,
)
