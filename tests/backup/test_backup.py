"""scripts/backup and scripts/restore on SQLite and PostgreSQL: the app's migrations make the
schema, rows go in, a backup is taken, the data is changed, the backup is restored, and every
table's row count and checksum must be those of the moment of the backup.

Needs APP_BIN (the ai-agent-backend binary) and TEST_POSTGRES_URL (an admin URL), as
scripts/test provides. Each subprocess is bounded by TIMEOUT seconds."""

import hashlib
import os
import sqlite3
import subprocess
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 120


def run(command, env, check=True):
    result = subprocess.run(command, env=dict(os.environ, **env), capture_output=True, text=True, timeout=TIMEOUT)
    if check:
        assert result.returncode == 0, f"{command}: {result.stdout}{result.stderr}"
    return result


class SQLite:
    def __init__(self, tmp_path):
        self.path = tmp_path / "app.db"
        self.url = f"sqlite:///{self.path}"

    def execute(self, *statements):
        with sqlite3.connect(self.path) as connection:
            for statement in statements:
                connection.execute(statement)

    def snapshot(self):
        """{table: (rows, sha256 of the sorted rows)}"""
        with sqlite3.connect(self.path) as connection:
            tables = [name for (name,) in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
            result = {}
            for table in tables:
                rows = sorted(repr(row) for row in connection.execute(f'SELECT * FROM "{table}"'))
                result[table] = (len(rows), hashlib.sha256("\n".join(rows).encode()).hexdigest())
            return result


class Postgres:
    def __init__(self, admin_url):
        self.admin_url = admin_url
        self.name = f"backup_{uuid.uuid4().hex[:8]}"
        self.url = f"{admin_url.rsplit('/', 1)[0]}/{self.name}"
        self.psql(self.admin_url, f"CREATE DATABASE {self.name}")

    def psql(self, url, statement):
        return run(["psql", url, "-v", "ON_ERROR_STOP=1", "-Atqc", statement], {}).stdout

    def execute(self, *statements):
        self.psql(self.url, "; ".join(statements))

    def snapshot(self):
        # One psql for every table: starting psql costs more than the queries.
        tables = self.psql(self.url, "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename").split()
        query = " UNION ALL ".join(
            f"SELECT '{table}', count(*), coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '') FROM \"{table}\" t"
            for table in tables)
        result = {}
        for line in self.psql(self.url, query).splitlines():
            table, count, checksum = line.split("|")
            result[table] = (int(count), checksum)
        assert sorted(result) == tables
        return result

    def drop(self):
        run(["psql", self.admin_url, "-qc", f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)"], {}, check=False)


@pytest.fixture(params=["sqlite", "postgres"])
def database(request, tmp_path):
    if request.param == "sqlite":
        yield SQLite(tmp_path)
        return
    admin_url = os.environ.get("TEST_POSTGRES_URL")
    if not admin_url:
        pytest.fail("TEST_POSTGRES_URL is not set: run scripts/test, which starts PostgreSQL")
    database = Postgres(admin_url)
    yield database
    database.drop()


@pytest.fixture
def app_bin():
    path = os.environ.get("APP_BIN")
    if not path or not os.access(path, os.X_OK):
        pytest.fail("APP_BIN is not set to the ai-agent-backend binary: run scripts/test")
    return path


def setting(key, value):
    return ("INSERT INTO system_settings (key, value, description, is_secret, updated_at) "
            f"VALUES ('{key}', '{value}', 'backup test', false, CURRENT_TIMESTAMP)")


def test_backup_change_restore_gives_back_every_table(database, app_bin, tmp_path):
    env = {"DATABASE_URL": database.url, "LOG_LEVEL": "error"}
    run([app_bin, "migrate", "upgrade", "head"], env)
    database.execute(*(setting(f"backup.test.{i}", f"value {i}") for i in range(20)))
    before = database.snapshot()
    assert before["system_settings"][0] >= 20
    assert len(before) > 10, "the app's whole schema is there"

    backup = tmp_path / "app.backup"
    output = run([str(ROOT / "scripts/backup"), str(backup)], env)
    assert backup.stat().st_size > 0
    assert not list(tmp_path.glob("*.partial")), "no partial file is left behind"
    assert "app.backup" in output.stdout

    database.execute("UPDATE system_settings SET value = 'changed' WHERE key = 'backup.test.1'",
                     "DELETE FROM system_settings WHERE key = 'backup.test.2'", setting("backup.test.new", "new"))
    changed = database.snapshot()
    assert changed["system_settings"] != before["system_settings"]

    run([str(ROOT / "scripts/restore"), str(backup)], env)
    assert database.snapshot() == before
    # The restored database is still the app's: at head, nothing to apply.
    assert "already at head" in run([app_bin, "migrate", "upgrade", "head"], env).stdout


def test_restore_refuses_what_is_not_a_backup_and_changes_nothing(database, app_bin, tmp_path):
    env = {"DATABASE_URL": database.url, "LOG_LEVEL": "error"}
    run([app_bin, "migrate", "upgrade", "head"], env)
    database.execute(setting("backup.test.kept", "kept"))
    before = database.snapshot()
    bogus = tmp_path / "bogus.backup"
    bogus.write_bytes(b"not a backup at all" * 100)
    result = run([str(ROOT / "scripts/restore"), str(bogus)], env, check=False)
    assert result.returncode == 1
    assert result.stderr.startswith("restore: ")
    assert database.snapshot() == before


def test_the_password_stays_off_the_command_line(tmp_path):
    env = {"DATABASE_URL": "postgresql+asyncpg://app:s3cret%21@127.0.0.1:1/app_db?sslmode=disable", "PG_BIN": str(tmp_path)}
    # A fake pg_dump that records its arguments and the password it was given.
    fake = tmp_path / "pg_dump"
    fake.write_text('#!/bin/sh\necho "$@" > "$(dirname "$0")/arguments"\necho "$PGPASSWORD" > "$(dirname "$0")/password"\nexit 3\n')
    fake.chmod(0o755)
    result = run([str(ROOT / "scripts/backup"), str(tmp_path / "out.backup")], env, check=False)
    assert result.returncode == 1
    arguments = (tmp_path / "arguments").read_text()
    assert "s3cret" not in arguments and "postgresql://app@127.0.0.1:1/app_db?sslmode=disable" in arguments
    assert (tmp_path / "password").read_text().strip() == "s3cret!"
    assert not (tmp_path / "out.backup").exists()
