"""Online backup and tested restore of the database (DESIGN §6, *sécurité des données*).

SQLite: the sqlite3 backup API copies one consistent snapshot of the committed data while the app keeps
running (WAL mode: the copy neither waits for nor blocks the writers; a transaction still open elsewhere is
simply not in the copy). A backup is a plain, self-contained SQLite file (rollback-journal mode, no ``-wal``
beside it) readable only by its owner, since it holds personal data.

PostgreSQL: the server's own tools do it; :class:`BackupNotSupported` gives the ``pg_dump`` and
``pg_restore`` command lines for the configured database (password never shown).
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import sqlite3
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import URL, Engine

from clausier import db
from clausier.errors import DomainError
from clausier.files import private_dir, private_file

log = logging.getLogger(__name__)

SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 15.0
SIDECARS = ("-wal", "-shm", "-journal")


class BackupError(DomainError):
    """A backup or a restore that could not be done; the message is for the user, in French."""


class BackupNotSupported(BackupError):
    """The database is not SQLite: the message gives the ``pg_dump`` / ``pg_restore`` commands to use."""


class RestoreRefused(BackupError):
    """The file is not a Clausier database this version can restore. Nothing was changed."""


def backup_file_name(now: datetime | None = None, suffix: str = ".db") -> str:
    """``clausier-YYYYmmdd-HHMMSS.db``, in local time (what the admin reads on the file list)."""
    return f"clausier-{(now or datetime.now()).strftime('%Y%m%d-%H%M%S')}{suffix}"


def sqlite_path(engine: Engine) -> Path:
    """The file of a SQLite engine (BackupError for an in-memory database)."""
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file::memory:"):
        raise BackupError("Une base SQLite en mémoire ne peut être ni sauvegardée ni restaurée.")
    return Path(database)


def default_backup_dir(engine: Engine) -> Path:
    """``backups/`` next to the SQLite database: ``data/backups/`` for the default one (git-ignored)."""
    return sqlite_path(engine).resolve().parent / "backups"


def backup(engine: Engine, target: Path, *, now: datetime | None = None) -> Path:
    """Copy the live SQLite database into ``target`` and return the backup file's path.

    ``target`` is a directory (existing, or a path without extension, created) that receives
    ``clausier-YYYYmmdd-HHMMSS.db``, or a new file name (an existing file is never overwritten).
    PostgreSQL raises :class:`BackupNotSupported`, whose message gives the ``pg_dump`` command."""
    target = Path(target)
    if engine.dialect.name != "sqlite":
        raise BackupNotSupported(_postgres_hint(engine, _destination_name(target, now, ".dump"), restore=False))
    live = sqlite_path(engine)
    if not live.is_file():
        raise BackupError(f"La base {live} est introuvable : rien à sauvegarder.")
    destination = _destination(target, now)
    partial = destination.with_name(f".{destination.name}.partial")
    try:
        _copy_database(live, partial, plain_file=True)
        os.chmod(partial, 0o600)
        os.replace(partial, destination)  # a backup file exists only once complete
    except sqlite3.Error as exc:
        raise BackupError(f"La sauvegarde de {live} a échoué : {exc}. Réessayez dans un instant.") from exc
    finally:
        _remove_with_sidecars(partial)
    log.info("Sauvegarde de %s dans %s", live, destination)
    return destination


def restore(
    engine: Engine, source: Path, *, safety_dir: Path | None = None, now: datetime | None = None
) -> Path | None:
    """Replace the live SQLite database by the backup ``source``, then upgrade its schema to head.

    The file is checked first (a SQLite database, undamaged, with an ``alembic_version`` at a revision of
    our migrations): otherwise :class:`RestoreRefused` and nothing changed. Then the current database is
    backed up into ``safety_dir`` (default :func:`default_backup_dir`), the engine's pool is disposed and the
    backup is copied into the live file with the backup API (WAL handled by SQLite, other connections wait).
    Returns the path of that safety backup (None when there was no database yet).
    The caller clears its caches: every record may have changed."""
    source = Path(source)
    if engine.dialect.name != "sqlite":
        raise BackupNotSupported(_postgres_hint(engine, source, restore=True))
    live = sqlite_path(engine)
    if not source.is_file():
        raise RestoreRefused(f"Le fichier {source} est introuvable : rien n'a été modifié.")
    if live.exists() and os.path.samefile(source, live):
        raise RestoreRefused(f"{source} est la base en service elle-même : choisissez un fichier de sauvegarde.")

    live.parent.mkdir(parents=True, exist_ok=True)
    staged = live.parent / f".restore-{uuid.uuid4().hex[:12]}.db"  # SQLite never opens the source itself
    try:
        _stage(source, staged)
        revision = _check_restorable(staged, source, engine)
        safety = backup(engine, safety_dir or default_backup_dir(engine), now=now) if live.exists() else None
        engine.dispose()
        try:
            _copy_database(staged, live, plain_file=False)
        except sqlite3.Error as exc:
            raise BackupError(
                f"La restauration de {source.name} a échoué : {exc}. La base en service est inchangée "
                f"(copie de sécurité : {safety}). Réessayez quand personne n'enregistre."
            ) from exc
    finally:
        _remove_with_sidecars(staged)

    try:
        db.upgrade(engine)
    except Exception as exc:
        raise BackupError(
            f"{source.name} a été restaurée (schéma {revision}) mais sa mise à jour a échoué : {exc}. "
            f"La base d'avant la restauration est dans {safety}."
        ) from exc
    log.info("Restauration de %s dans %s (copie de sécurité : %s)", source, live, safety)
    return safety


# --- SQLite -------------------------------------------------------------------------------------------------


def _copy_database(source: Path, destination: Path, *, plain_file: bool) -> None:
    """Copy ``source`` into ``destination`` with the backup API: a single consistent snapshot.

    ``plain_file``: a backup file, left in rollback-journal mode (self-contained) and checked."""
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_S)
    try:
        private_file(destination)  # a backup holds the same personal data: 0600 in a 0700 folder
        dst = sqlite3.connect(destination, timeout=BUSY_TIMEOUT_S)
        try:
            # pages=-1: all pages in one step, under one read snapshot of the source, and one write
            # transaction on the destination (on failure it is left as it was).
            src.backup(dst)
            if plain_file:  # (the live database stays in WAL mode; the engine sets it on every connection)
                dst.execute("PRAGMA journal_mode=DELETE")
                status = dst.execute("PRAGMA quick_check").fetchone()[0]
                if status != "ok":
                    raise sqlite3.DatabaseError(f"contrôle d'intégrité de la copie : {status}")
        finally:
            dst.close()
    finally:
        src.close()


def _stage(source: Path, staged: Path) -> None:
    """Copy the file to restore (and a ``-wal`` left beside it) next to the live database."""
    with source.open("rb") as fh:
        if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise RestoreRefused(f"{source.name} n'est pas une base SQLite : rien n'a été modifié.")
    shutil.copyfile(source, staged)
    wal = source.with_name(source.name + "-wal")
    if wal.is_file():
        shutil.copyfile(wal, staged.with_name(staged.name + "-wal"))


def _check_restorable(staged: Path, source: Path, engine: Engine) -> str:
    """The schema revision of a Clausier database, or RestoreRefused."""
    try:
        conn = sqlite3.connect(staged)
        try:
            status = conn.execute("PRAGMA quick_check").fetchone()[0]
            if status != "ok":
                raise RestoreRefused(f"{source.name} est endommagée ({status}) : rien n'a été modifié.")
            found = conn.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'"
            ).fetchone()
            if not found:
                raise RestoreRefused(
                    f"{source.name} n'est pas une sauvegarde de Clausier (pas de table alembic_version) : "
                    "rien n'a été modifié."
                )
            rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise RestoreRefused(
            f"{source.name} n'est pas une base SQLite lisible ({exc}) : rien n'a été modifié."
        ) from exc
    if len(rows) != 1 or not rows[0][0]:
        raise RestoreRefused(f"{source.name} n'indique pas la version de son schéma : rien n'a été modifié.")
    revision = rows[0][0]
    if not _known_revision(engine, revision):
        raise RestoreRefused(
            f"{source.name} est au schéma « {revision} », inconnu de cette version de Clausier "
            "(sauvegarde faite par une version plus récente ?) : rien n'a été modifié."
        )
    return revision


def _known_revision(engine: Engine, revision: str) -> bool:
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    script = ScriptDirectory.from_config(db.alembic_config(engine))
    try:
        return script.get_revision(revision) is not None
    except CommandError:
        return False


def _destination(target: Path, now: datetime | None) -> Path:
    if target.is_dir() or (not target.exists() and target.suffix == ""):
        private_dir(target)
        name = backup_file_name(now)
        destination, n = target / name, 1
        while destination.exists():  # two backups in the same second (the safety one, then the asked one)
            destination = target / name.replace(".db", f"-{n}.db")
            n += 1
        return destination
    if target.exists():
        raise BackupError(f"Le fichier {target} existe déjà : choisissez un autre nom, ou un dossier.")
    target.parent.mkdir(parents=True, exist_ok=True)
    return target


def _remove_with_sidecars(path: Path) -> None:
    for candidate in (path, *(path.with_name(path.name + s) for s in SIDECARS)):
        candidate.unlink(missing_ok=True)


# --- PostgreSQL ---------------------------------------------------------------------------------------------


def _destination_name(target: Path, now: datetime | None, suffix: str) -> Path:
    if target.is_dir() or target.suffix == "":
        return target / backup_file_name(now, suffix)
    return target


def _postgres_hint(engine: Engine, dump_file: Path, *, restore: bool) -> str:
    """French instructions with the pg_dump and pg_restore command lines for this engine's database."""
    url = engine.url
    # A libpq connection URI with every option of the URL but the password (and without "+psycopg").
    without_password = URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port, database=url.database, query=url.query
    )
    conninfo = shlex.quote(without_password.render_as_string(hide_password=False))

    def dump(file: str) -> str:
        return f"pg_dump --format=custom --dbname={conninfo} --file={shlex.quote(file)}"

    restore_cmd = (
        f"pg_restore --clean --if-exists --no-owner --single-transaction --dbname={conninfo} "
        f"{shlex.quote(str(dump_file))}"
    )
    shown = url.render_as_string(hide_password=True)
    if restore:
        lines = [
            f"La restauration intégrée ne concerne que SQLite ; cette base est PostgreSQL ({shown}).",
            "Sauvegardez d'abord la base actuelle :",
            f"  {dump(backup_file_name(suffix='-avant-restauration.dump'))}",
            "puis restaurez la sauvegarde (faite par pg_dump --format=custom) :",
            f"  {restore_cmd}",
            "et mettez son schéma à jour : python -m clausier upgrade",
        ]
    else:
        lines = [
            f"La sauvegarde intégrée ne concerne que SQLite ; cette base est PostgreSQL ({shown}).",
            "Sauvegardez-la avec pg_dump (l'application peut rester ouverte) :",
            f"  {dump(str(dump_file))}",
            "Pour la restaurer :",
            f"  {restore_cmd}",
            "puis mettez son schéma à jour : python -m clausier upgrade",
        ]
    if url.password:
        lines.append(
            "Le mot de passe n'est pas repris ici : la commande le demande, ou le lit dans la variable "
            "PGPASSWORD ou le fichier ~/.pgpass."
        )
    return "\n".join(lines)
