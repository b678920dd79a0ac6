"""Unexpected errors: a French apology for the user, the traceback in the server log under a reference.

try: ...
except Exception as exc:
    print(apology(report(exc)))
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

log = logging.getLogger("clausier")


def report(exc: BaseException) -> str:
    """Write the traceback to the server log and return the reference the user can quote."""
    reference = f"{datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(3)}"
    log.error("Erreur inattendue, référence %s", reference, exc_info=(type(exc), exc, exc.__traceback__))
    return reference


def apology(reference: str) -> str:
    return (
        "Désolé, une erreur inattendue s'est produite et l'action n'a pas abouti : rien n'a été enregistré à moitié. "
        f"Réessayez ; si l'erreur revient, transmettez cette référence à l'administrateur : {reference}."
    )
