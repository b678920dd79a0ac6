"""Files that hold personal data (the SQLite database, its -wal and -shm files, backups): readable by the server's
own user only — 0600 files, in 0700 folders when Clausier creates them (DESIGN §6, issue 10). SQLite gives its -wal
and -shm files the database file's permissions, so creating the database file 0600 covers them.

A folder that already exists is tightened only when it is the application's own data folder (``data/``): a
database or a backup named in a shared folder (``/tmp``, a home directory) never changes that folder's rights."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from clausier import config


def private_dir(path: Path) -> Path:
    """Create ``path`` (and its missing parents) 0700; an existing folder is tightened only if it is ``data/``."""
    if not path.exists():
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.chmod(0o700)  # mkdir's mode goes through the umask
    elif path.resolve() == config.DATA_DIR.resolve() and stat.S_IMODE(path.stat().st_mode) & 0o077:
        path.chmod(0o700)
    return path


def private_file(path: Path) -> Path:
    """Create ``path`` empty with mode 0600 if it does not exist; tighten it (and its -wal, -shm) to 0600."""
    private_dir(path.parent)
    try:
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    except FileExistsError:
        pass
    for side in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm", "-journal"))):
        if side.exists() and stat.S_IMODE(side.stat().st_mode) & 0o077:
            side.chmod(0o600)
    return path
