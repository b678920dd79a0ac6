"""Who is logged in and what their role allows: the module every layer may import (pages, ui, services, reports).

user = CurrentUser(login="mdupont", name="Marie Dupont", role=Role.SAISIE)
require(user, Role.SAISIE)          # PermissionDenied (French) otherwise: the server-side check before a write
with_personal_data(user)            # may this user see participants' personal data (clausier.privacy)
"""

from __future__ import annotations

from dataclasses import dataclass

from clausier.errors import PermissionDenied
from models.enums import Role


@dataclass(frozen=True)
class CurrentUser:
    """What the pages need to know about who is logged in."""

    login: str
    name: str
    role: Role

    def can(self, needed: Role) -> bool:
        return role_allows(self.role, needed)


ROLE_RANK = {Role.LECTURE: 0, Role.SAISIE: 1, Role.ADMIN: 2}


def role_allows(role: Role, needed: Role) -> bool:
    """admin ⊃ saisie ⊃ lecture."""
    return ROLE_RANK[Role(role)] >= ROLE_RANK[Role(needed)]


def require(user: CurrentUser | None, needed: Role) -> CurrentUser:
    """Server-side role check before any write."""
    if user is None or not user.can(needed):
        raise PermissionDenied()
    return user
