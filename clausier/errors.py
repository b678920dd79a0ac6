"""Errors the domain raises with French messages, shown as they are to the user."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal with a French message for the user."""


class ValidationError(DomainError):
    """Bad input: ``errors`` maps a field name to its French message (shown next to the field)."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__(" ".join(errors.values()))


class PermissionDenied(DomainError):
    def __init__(self, message: str = "Votre rôle ne permet pas cette action.") -> None:
        super().__init__(message)
