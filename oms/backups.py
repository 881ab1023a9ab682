"""Backups of the OMS database (docs/operations.md): `backup_database` and `restore_database`.

PostgreSQL: pg_dump's custom format (compressed, one consistent snapshot taken while the OMS keeps running),
restored by pg_restore into an empty database in one transaction, so a failed restore leaves it empty.
The embedded SQLite file: SQLite's online backup API (a consistent copy while the OMS runs), restored by
copying it to a path that holds no database yet.

Connection settings reach pg_dump, pg_restore and psql through libpq's environment variables, so no password
shows in the process list.
"""

import os
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import environ
from django.db import connections


class BackupRefused(Exception):
    """The backup or restore cannot be done as asked; the message says why."""


def backup_file_name() -> str:
    return f"oms-{datetime.now(UTC):%Y%m%dT%H%M%SZ}"


def database_backup(out: Path | None = None, *, alias: str = "default") -> Path:
    """Back up the configured database to `out` (default: oms-<UTC time>.dump or .sqlite3 here)."""
    settings_dict = connections[alias].settings_dict
    if _is_sqlite(settings_dict):
        out = Path(out or f"{backup_file_name()}.sqlite3")
        _refuse_existing(out)
        if not Path(settings_dict["NAME"]).is_file():
            raise BackupRefused(f"there is no database at {settings_dict['NAME']} yet (run migrate first)")
        source = sqlite3.connect(settings_dict["NAME"])
        target = sqlite3.connect(out)
        try:
            with target:
                source.backup(target)
        finally:
            source.close()
            target.close()
        return out
    out = Path(out or f"{backup_file_name()}.dump")
    _refuse_existing(out)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={out}"], settings_dict)
    _run(["pg_restore", "--list", str(out)], settings_dict)  # the archive reads back
    return out


def database_restore(file: Path, target_url: str) -> None:
    """Restore a backup into the database at `target_url`, which must hold no tables yet."""
    file = Path(file)
    if not file.is_file():
        raise BackupRefused(f"no backup file {file}")
    target = environ.Env.db_url_config(target_url)
    if _is_sqlite(target):
        path = Path(target["NAME"])
        if path.exists() and path.stat().st_size:
            raise BackupRefused(f"{path} already holds a database; restore into a new file")
        _check_sqlite_file(file)
        shutil.copyfile(file, path)
        return
    tables = _run(
        ["psql", "-Atc", "select count(*) from pg_tables where schemaname = 'public'"], target
    ).strip()
    if tables != "0":
        raise BackupRefused(f"the target database has {tables} tables; restore into an empty database")
    restore = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    _run([*restore, f"--dbname={target['NAME']}", str(file)], target)


def _check_sqlite_file(file: Path) -> None:
    """A backup file of the embedded database reads back whole, or BackupRefused."""
    check = sqlite3.connect(f"file:{file}?mode=ro", uri=True)
    try:
        verdict = check.execute("PRAGMA quick_check").fetchone()[0]
    except sqlite3.DatabaseError as exc:
        raise BackupRefused(f"{file} is not an SQLite backup: {exc}") from exc
    finally:
        check.close()
    if verdict != "ok":
        raise BackupRefused(f"{file} is damaged: {verdict}")


def _is_sqlite(settings_dict: dict) -> bool:
    return "sqlite" in settings_dict["ENGINE"]


def _refuse_existing(out: Path) -> None:
    if out.exists():
        raise BackupRefused(f"{out} exists; choose a new file name")


def _run(command: list[str], settings_dict: dict) -> str:
    """Run a PostgreSQL client program against the database of `settings_dict`; its output, or BackupRefused
    with the program's own error."""
    env = {
        **os.environ,
        "PGHOST": str(settings_dict.get("HOST") or "127.0.0.1"),
        "PGPORT": str(settings_dict.get("PORT") or 5432),
        "PGUSER": str(settings_dict.get("USER") or ""),
        "PGPASSWORD": str(settings_dict.get("PASSWORD") or ""),
        "PGDATABASE": str(settings_dict["NAME"]),
    }
    try:
        # argument lists of fixed programs (PostgreSQL's client on PATH), no shell
        done = subprocess.run(  # noqa: S603  # nosec B603
            command, env=env, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as exc:
        raise BackupRefused(f"{command[0]} is not installed (PostgreSQL client programs)") from exc
    if done.returncode != 0:
        raise BackupRefused(f"{command[0]} failed: {done.stderr.strip()}")
    return done.stdout
