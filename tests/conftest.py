"""Shared fixtures: real databases (a SQLite file, and PostgreSQL when TEST_DATABASE_URL is set)."""

from __future__ import annotations

import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from clausier import db
from clausier.setup import prepare_database

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_URL = os.environ.get("TEST_DATABASE_URL", "")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite database migrated to head with its reference data, built once per test run."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = db.make_engine(f"sqlite:///{path}")
    prepare_database(engine)
    engine.dispose()
    return path


def _copy_sqlite(template: Path, target: Path) -> None:
    src = sqlite3.connect(template)
    dst = sqlite3.connect(target)
    with dst:
        src.backup(dst)
    src.close()
    dst.close()


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    target = tmp_path / "clausier.db"
    _copy_sqlite(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    """A fresh, prepared SQLite database for one test."""
    eng = db.make_engine(sqlite_url)
    yield eng
    eng.dispose()


def _pg_admin_url() -> str:
    return make_url(PG_URL).set(database="postgres").render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def pg_template() -> Iterator[str | None]:
    """A PostgreSQL template database migrated to head, or None when no server is configured."""
    if not PG_URL:
        yield None
        return
    name = f"clausier_tpl_{uuid.uuid4().hex[:8]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    eng = db.make_engine(url)
    prepare_database(eng)
    eng.dispose()
    yield name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _fresh_pg(template: str) -> tuple[str, str]:
    name = f"clausier_t_{uuid.uuid4().hex[:10]}"
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
    admin.dispose()
    return name, make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def _drop_pg(name: str) -> None:
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_engine(request: pytest.FixtureRequest, sqlite_url: str, pg_template: str | None) -> Iterator[Engine]:
    """The same test on SQLite and on PostgreSQL. Without TEST_DATABASE_URL the PostgreSQL run is
    skipped on a developer's machine, and fails in CI (CI=true), where the server is required."""
    if request.param == "sqlite":
        eng = db.make_engine(sqlite_url)
        yield eng
        eng.dispose()
        return
    if pg_template is None:
        if IN_CI:
            pytest.fail("TEST_DATABASE_URL n'est pas défini : les tests PostgreSQL sont obligatoires en CI.")
        pytest.skip("PostgreSQL non configuré (TEST_DATABASE_URL)")
    name, url = _fresh_pg(pg_template)
    eng = db.make_engine(url)
    yield eng
    eng.dispose()
    _drop_pg(name)


@pytest.fixture
def chromium_path() -> str:
    """Debian's Chromium: required in CI, skipped elsewhere when missing."""
    path = shutil.which("chromium") or ("/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None)
    if path is None:
        if IN_CI:
            pytest.fail("Chromium est introuvable (/usr/bin/chromium) : les tests navigateur sont obligatoires en CI.")
        pytest.skip("Chromium non installé")
    return path
