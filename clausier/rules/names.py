"""How people's names are compared: without accents nor case (DESIGN §5.1, §5.2)."""

from __future__ import annotations

import unicodedata
from datetime import date

_ASCII_FIXES = str.maketrans(
    {"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ı": "i", "ß": "ss", "ø": "o", "Ø": "O", "ł": "l", "Ł": "L", "đ": "d"}
)


def ascii_fold(value: str) -> str:
    """The text without accents or ligatures: « Cœur » → « Coeur », « Hélène » → « Helene »."""
    decomposed = unicodedata.normalize("NFKD", value.translate(_ASCII_FIXES))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def name_key(last_name: str, first_name: str) -> str:
    """The matching key of a person (``Participant.name_key``): « DUPONT-Lefèvre  Hélène » → « dupont-lefevre helene »."""
    return " ".join(ascii_fold(f"{last_name} {first_name}").lower().split())


def person_label(last_name: str, first_name: str, birth_date: date | None = None) -> str:
    """« DUPONT Hélène », with « (né(e) le 17/05/1990) » when the birth date is given (to tell namesakes apart)."""
    name = f"{last_name.upper()} {first_name}".strip()
    return f"{name} (né(e) le {birth_date:%d/%m/%Y})" if birth_date else name
