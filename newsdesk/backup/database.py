"""Copying the database out and putting it back, for SQLite and PostgreSQL.

Everything works from a Django connection's settings_dict (NAME, HOST, USER, ...), not from
DATABASE_URL, so it reaches the database the code really uses (the test database in tests).
No other Django import: the callers decide what to back up and where to restore it.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from newsdesk.backup.archive import ArchiveError

SQLITE_MEMBER = "database/newsdesk.sqlite3"
POSTGRES_MEMBER = "database/newsdesk.pgdump"
PG_CLIENT_HINT = (
    "Install PostgreSQL's client programs, in the major version of the server or newer "
    "(Debian: apt install postgresql-client), and make sure they are on PATH."
)


def engine_of(settings_dict: dict) -> str:
    engine = settings_dict["ENGINE"]
    if engine.endswith("sqlite3"):
        return "sqlite"
    if "postgresql" in engine or "postgis" in engine:
        return "postgresql"
    raise ArchiveError(f"Backups support SQLite and PostgreSQL, not {engine}.")


def member_for(engine: str) -> str:
    return SQLITE_MEMBER if engine == "sqlite" else POSTGRES_MEMBER


# --- SQLite --------------------------------------------------------------------------------


def copy_sqlite(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database, made with the online backup API.

    One backup step for the whole file (pages=-1): that step reads inside a single read
    transaction, which in WAL mode sees one snapshot and never blocks the site's writers.
    Copying in several steps would restart from the beginning whenever another connection
    writes in between, so a busy live feed could keep a stepped backup from ever finishing.
    """
    if not source.is_file():
        raise ArchiveError(f"There is no SQLite database at {source}: nothing to back up.")
    origin = sqlite3.connect(source, timeout=20)
    copy = sqlite3.connect(target)
    try:
        origin.backup(copy)
        problem = check_sqlite(copy, quick=True)
    finally:
        copy.close()
        origin.close()
    if problem:
        raise ArchiveError(
            f"The database {source} fails SQLite's check ({problem}); the backup was not "
            "written. Keep the file as it is and see docs/backup.md, 'A damaged database'."
        )


def check_sqlite(connection: sqlite3.Connection, quick: bool = False) -> str:
    """'' when the database is sound, else SQLite's first complaint."""
    pragma = "quick_check" if quick else "integrity_check"
    rows = connection.execute(f"PRAGMA {pragma}").fetchall()
    return "" if rows == [("ok",)] else "; ".join(str(row[0]) for row in rows[:3])


def sqlite_migrations(path: Path) -> list[list[str]]:
    with closing(sqlite3.connect(path)) as connection:
        rows = connection.execute("SELECT app, name FROM django_migrations ORDER BY id")
        return [list(row) for row in rows]


def sqlite_contents(path: Path) -> str:
    """'' for a missing or empty database, else a short description of what it holds."""
    if not path.is_file() or path.stat().st_size == 0:
        return ""
    with closing(sqlite3.connect(path, timeout=20)) as connection:
        tables = {
            row[0]
            for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        }
        # describe() only counts rows of its two fixed table names.
        return describe(
            tables,
            lambda table: connection.execute(f"SELECT count(*) FROM {table}"),  # noqa: S608
        )


def describe(tables: set[str], count) -> str:
    if not tables:
        return ""
    parts = [f"{len(tables)} tables"]
    for table, what in (("wagtailcore_page", "pages"), ("auth_user", "users")):
        if table in tables:
            parts.append(f"{count(table).fetchone()[0]} {what}")
    return ", ".join(parts)


def restore_sqlite(staged: Path, target: Path) -> None:
    """Put a verified copy in place of the database file, atomically (a rename).

    The old file's -wal and -shm go first: SQLite would otherwise replay the old database's
    write-ahead log onto the restored file and corrupt it.
    """
    # closing(), not the connection's own `with` (which only commits): the last connection to
    # close removes the copy's -wal and -shm, which must not outlive the rename.
    with closing(sqlite3.connect(staged)) as connection:
        problem = check_sqlite(connection)
    for suffix in ("-wal", "-shm"):
        Path(f"{staged}{suffix}").unlink(missing_ok=True)
    if problem:
        raise ArchiveError(f"The database in the archive fails SQLite's check: {problem}.")
    target.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("-wal", "-shm", "-journal"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    os.replace(staged, target)


# --- PostgreSQL ----------------------------------------------------------------------------


def pg_program(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise ArchiveError(
            f"{name} was not found, and a PostgreSQL backup needs it. " + PG_CLIENT_HINT
        )
    return path


def pg_environment(settings_dict: dict) -> dict[str, str]:
    """libpq's variables for the connection, so no password appears on a command line."""
    environment = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
        ("NAME", "PGDATABASE"),
    ):
        if settings_dict.get(key):
            environment[variable] = str(settings_dict[key])
    return environment


def run_pg(arguments: list[str], settings_dict: dict, action: str) -> str:
    result = subprocess.run(  # noqa: S603 (the program comes from PATH, arguments are ours)
        arguments,
        env=pg_environment(settings_dict),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        detail = result.stderr.strip() or f"exit status {result.returncode}"
        raise ArchiveError(f"{action} failed: {detail}")
    return result.stdout


def pg_dump(settings_dict: dict, target: Path) -> str:
    """Dump the database (one consistent snapshot: pg_dump reads in a single transaction);
    returns pg_dump's version line, kept in the manifest for whoever restores."""
    program = pg_program("pg_dump")
    version = run_pg([program, "--version"], settings_dict, "pg_dump --version").strip()
    run_pg(
        [program, "--format=custom", "--no-password", f"--file={target}"],
        settings_dict,
        "pg_dump",
    )
    return version


def pg_restore(settings_dict: dict, dump: Path) -> None:
    """Restore into the configured database in one transaction: if anything fails, the
    database is left as it was. --no-owner and --no-privileges so the dump restores under
    whichever role Newsdesk connects as on the new machine."""
    program = pg_program("pg_restore")
    run_pg(
        [
            program,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-privileges",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            f"--dbname={settings_dict['NAME']}",
            str(dump),
        ],
        settings_dict,
        "pg_restore",
    )


def pg_connect(settings_dict: dict):
    import psycopg

    try:
        return psycopg.connect(
            dbname=settings_dict["NAME"],
            host=settings_dict.get("HOST") or None,
            port=settings_dict.get("PORT") or None,
            user=settings_dict.get("USER") or None,
            password=settings_dict.get("PASSWORD") or None,
            connect_timeout=10,
        )
    except psycopg.OperationalError as error:
        raise ArchiveError(
            f"Cannot connect to the PostgreSQL database {settings_dict['NAME']!r}: {error}. "
            "Check DATABASE_URL, and create the (empty) database first if it does not exist."
        ) from error


def pg_contents(settings_dict: dict) -> str:
    with pg_connect(settings_dict) as connection:
        tables = {
            row[0]
            for row in connection.execute(
                "SELECT table_name FROM information_schema.tables "
                "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
            )
        }
        return describe(
            tables,
            lambda table: connection.execute(f'SELECT count(*) FROM "{table}"'),  # noqa: S608
        )


def pg_migrations(settings_dict: dict) -> list[list[str]]:
    with pg_connect(settings_dict) as connection:
        rows = connection.execute("SELECT app, name FROM django_migrations ORDER BY id")
        return [list(row) for row in rows]
