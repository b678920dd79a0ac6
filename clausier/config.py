"""Configuration from environment variables and `.streamlit/secrets.toml` (read without Streamlit).

Order of precedence: environment variable, then secrets.toml, then the default.
- ``DATABASE_URL`` / ``database_url``: default ``sqlite:///data/clausier.db`` under the project root.
- ``CLAUSIER_COOKIE_KEY`` / ``cookie_key``: cookie signing key; generated into ``data/.cookie_key`` when absent.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_DIR = ROOT / "data"
REFERENCE_DIR = DATA_DIR / "reference"
SECRETS_FILE = ROOT / ".streamlit" / "secrets.toml"
COOKIE_KEY_FILE = DATA_DIR / ".cookie_key"


def _secrets() -> dict:
    try:
        with SECRETS_FILE.open("rb") as fh:
            return tomllib.load(fh)
    except (FileNotFoundError, tomllib.TOMLDecodeError):
        return {}


def database_url() -> str:
    url = os.environ.get("DATABASE_URL") or _secrets().get("database_url")
    if url:
        # Heroku-style URLs and plain "postgresql://" both go through psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://") :]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return url
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{DATA_DIR / 'clausier.db'}"


def cookie_key() -> str:
    """The cookie signing key: configured, or generated once (32 random bytes) and kept in data/ (git-ignored)."""
    key = os.environ.get("CLAUSIER_COOKIE_KEY") or _secrets().get("cookie_key")
    if key:
        return key
    COOKIE_KEY_FILE.parent.mkdir(parents=True, exist_ok=True)
    if COOKIE_KEY_FILE.exists():
        return COOKIE_KEY_FILE.read_text().strip()
    key = secrets.token_urlsafe(48)
    fd = os.open(COOKIE_KEY_FILE, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(key)
    return key


def cookie_name() -> str:
    return os.environ.get("CLAUSIER_COOKIE_NAME") or _secrets().get("cookie_name") or "clausier_auth"
