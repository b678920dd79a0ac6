"""Who sees the personal data of participants (README « Données personnelles », DESIGN §1 and §5.4).

Personal data here: a participant's phone, e-mail, postal address, birth date and id in the PLIE's software, and
every free text written about a person — the participant's notes, the reasons of eligibility validations, the
comments of phone checks, the refusal reasons and step notes of candidacies, the notes of contracts and of
follow-ups. ``admin`` and ``saisie`` see them; ``lecture`` sees the name, age, commune, QPV, qualification, trades
and eligibility of a person, never those.

:func:`with_personal_data` is the one place that decides it from the role. The services that read such fields take
the decision as a keyword argument ``with_personal_data`` (default False) — or the user, and ask here — and without
it return the field blank (``""``, ``None``, a label without the birth date): a screen, an export or a cached list
that forgets to ask shows nothing personal.

Not participants' data, and shown to every role: the professional contacts of buyers, companies and partners (the
ESS directory is made to be handed out), the attendees and notes of meetings and the notes of trainings (about the
meeting or the training, not about a person), the names of the team's users."""

from __future__ import annotations

from clausier.access import CurrentUser
from models.enums import Role


def with_personal_data(user: CurrentUser | None) -> bool:
    """True for the roles that see and export participants' personal data: ``admin`` and ``saisie``."""
    return user is not None and user.can(Role.SAISIE)


def may_export(user: CurrentUser | None, *, personal_data: bool) -> bool:
    """Any logged-in user may export a table; one holding personal data only ``admin`` and ``saisie`` (DESIGN §1)."""
    if user is None:
        return False
    return with_personal_data(user) if personal_data else True
