"""Backup and restore of the database DATABASE_URL names, for scripts/backup and scripts/restore.

PostgreSQL: pg_dump in its custom format, pg_restore --clean --if-exists in one transaction.
The password goes to the tools in PGPASSWORD, never on their command line (visible in ps).
SQLite: the online backup API of Python's sqlite3 module, which copies a consistent snapshot
while the service runs, and restores page by page under the database's lock (no stale -wal
file can survive it). A backup is written to a temporary file and renamed when complete.
"""

import os
import sqlite3
import subprocess
import sys
import urllib.parse
from pathlib import Path


class BackupError(Exception):
    pass


def parse(url):
    """('sqlite', path) or ('postgres', url without password, password or None)."""
    if url.startswith("sqlite://"):
        rest = url[len("sqlite://"):]
        if not rest.startswith("/") or rest[1:] in ("", ":memory:"):
            raise BackupError("DATABASE_URL: sqlite:///PATH names no database file")
        return ("sqlite", rest[1:])
    scheme, sep, rest = url.partition("://")
    if not sep or scheme.lower().split("+")[0] not in ("postgres", "postgresql"):
        raise BackupError("DATABASE_URL: expected sqlite:///PATH or postgresql://user:password@host:5432/db")
    parts = urllib.parse.urlsplit("postgresql://" + rest)
    password = urllib.parse.unquote(parts.password) if parts.password is not None else None
    netloc = parts.hostname or ""
    if ":" in netloc:
        netloc = f"[{netloc}]"
    if parts.port:
        netloc += f":{parts.port}"
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return ("postgres", urllib.parse.urlunsplit(("postgresql", netloc, parts.path, parts.query, "")), password)


def _pg_tool(name):
    return os.path.join(os.environ["PG_BIN"], name) if os.environ.get("PG_BIN") else name


def _run(command, password):
    env = dict(os.environ)
    if password is not None:
        env["PGPASSWORD"] = password
    result = subprocess.run(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        raise BackupError(f"{os.path.basename(command[0])} failed: {result.stderr.strip()}")


def _check_sqlite_file(path):
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
            verdict = connection.execute("PRAGMA integrity_check").fetchone()[0]
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{path} is not a usable SQLite database: {error}")
    if verdict != "ok":
        raise BackupError(f"{path} fails the integrity check: {verdict}")


def backup(url, target):
    target = Path(target)
    partial = target.with_name(target.name + ".partial")
    kind, *rest = parse(url)
    try:
        if kind == "sqlite":
            source_path = rest[0]
            if not os.path.isfile(source_path):
                raise BackupError(f"no SQLite database at {source_path}")
            partial.unlink(missing_ok=True)
            source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True)
            copy = sqlite3.connect(partial)
            try:
                source.backup(copy)
            finally:
                copy.close()
                source.close()
            _check_sqlite_file(partial)
        else:
            address, password = rest
            _run([_pg_tool("pg_dump"), "--format=custom", f"--file={partial}", f"--dbname={address}"], password)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def restore(url, source):
    if not os.path.isfile(source):
        raise BackupError(f"no backup file at {source}")
    kind, *rest = parse(url)
    if kind == "sqlite":
        _check_sqlite_file(source)
        backup_copy = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        live = sqlite3.connect(rest[0])
        try:
            backup_copy.backup(live)
        finally:
            live.close()
            backup_copy.close()
    else:
        address, password = rest
        _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--single-transaction", "--no-owner", "--no-privileges",
              f"--dbname={address}", source], password)


def main(action):
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        print(f"usage: scripts/{action} FILE   (the database is DATABASE_URL's)", file=sys.stderr)
        return 2
    url = os.environ.get("DATABASE_URL")
    if not url:
        print(f"{action}: DATABASE_URL is not set", file=sys.stderr)
        return 2
    try:
        (backup if action == "backup" else restore)(url, sys.argv[1])
    except BackupError as error:
        print(f"{action}: {error}", file=sys.stderr)
        return 1
    print(f"{action}: done ({sys.argv[1]})")
    return 0
