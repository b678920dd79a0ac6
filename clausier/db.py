"""Engine, sessions, migrations and optimistic locking — one engine per process."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, text, update
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session, SQLModel, create_engine

import models  # noqa: F401  (registers every table)
from clausier import config
from clausier.errors import DomainError
from clausier.files import private_file

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


class ConcurrentEditError(DomainError):
    """Someone else saved the record between the read and this write."""

    def __init__(self, what: str = "cet enregistrement") -> None:
        super().__init__(
            f"Quelqu'un d'autre a modifié {what} pendant votre saisie. "
            "Rechargez la page pour voir sa version, puis refaites votre modification."
        )


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # Reads of the progress screens walk the commitments, lots and companies: a 32 MB page cache per connection
    # and memory-mapped reads (256 MB of address space, no copy) make a cold dashboard about 20 % faster at size L.
    cursor.execute("PRAGMA cache_size=-32768")
    cursor.execute("PRAGMA mmap_size=268435456")
    cursor.close()


def make_engine(url: str) -> Engine:
    """A new engine for this URL; SQLite gets WAL mode and foreign keys on every connection."""
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:" and not database.startswith("file:"):
            private_file(Path(database))  # personal data: 0600 in a 0700 folder, before SQLite creates it 0644
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=5)
    return engine


def get_engine(url: str | None = None) -> Engine:
    """The process's engine for the configured (or given) database URL."""
    url = url or config.database_url()
    with _lock:
        if url not in _engines:
            _engines[url] = make_engine(url)
        return _engines[url]


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """One unit of work: commit at the end, roll back on any error."""
    session = Session(engine or get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config(str(config.ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(config.ROOT / "migrations"))
    cfg.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return cfg


def upgrade(engine: Engine | None = None) -> None:
    """Bring the database schema to the newest migration (Alembic ``upgrade head``)."""
    from alembic import command

    engine = engine or get_engine()
    cfg = alembic_config(engine)
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "head")
        return
    # SQLite changes a table by rebuilding it (Alembic batch mode): foreign keys must be off meanwhile (a PRAGMA
    # that only works outside a transaction), then checked before the migration commits.
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            with connection.begin():
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "head")
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"Migration refusée : {len(broken)} référence(s) cassée(s), ex. {broken[0]}")
        finally:
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


def current_revision(engine: Engine | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with (engine or get_engine()).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def update_versioned(
    session: Session,
    model: type[SQLModel],
    record_id: Any,
    expected_version: int,
    what: str = "cet enregistrement",
    **changes: Any,
) -> None:
    """Update a record only if nobody saved it since it was read (its ``version`` is unchanged)."""
    table = model.__table__
    pk = list(table.primary_key.columns)[0]
    result = session.execute(
        update(table)
        .where(pk == record_id, table.c.version == expected_version)
        .values(**changes, version=expected_version + 1)
    )
    if result.rowcount != 1:
        raise ConcurrentEditError(what)


def ping(engine: Engine | None = None) -> bool:
    with (engine or get_engine()).connect() as connection:
        return connection.execute(text("SELECT 1")).scalar() == 1


@contextmanager
def savepoint(session: Session) -> Iterator[None]:
    """Writes that vanish together on error (a SAVEPOINT), whatever the caller then does with its transaction.

    SQLite's Python driver opens its transaction only before INSERT/UPDATE/DELETE, so a SAVEPOINT sent first would
    start a transaction of its own that RELEASE commits: open the real transaction first."""
    connection = session.connection()
    if connection.dialect.name == "sqlite" and not connection.connection.dbapi_connection.in_transaction:
        connection.exec_driver_sql("BEGIN")
    with session.begin_nested():
        yield
