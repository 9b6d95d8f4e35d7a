"""The schema ladder: fresh equals upgraded, a broken step changes nothing, newer is refused."""

import shutil
import sqlite3

import pytest

from faceforge.db import Database, DatabaseError
from faceforge.migrate import Migration, current_version, discover, migrate
from tests.support import run_cli


def schema_of(path) -> list[tuple]:
    connection = sqlite3.connect(path)
    try:
        return sorted(
            connection.execute(
                "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"
            ).fetchall()
        )
    finally:
        connection.close()


def test_shipped_migrations_are_numbered_without_gaps():
    migrations = discover()
    assert [m.version for m in migrations] == list(range(1, len(migrations) + 1))


def test_fresh_schema_equals_one_upgraded_step_by_step(tmp_path):
    migrations = discover()
    fresh = Database(tmp_path / "fresh.sqlite3")
    assert migrate(fresh, tmp_path) == len(migrations)
    fresh.close()
    for start in range(1, len(migrations) + 1):
        stepped = Database(tmp_path / f"stepped{start}.sqlite3")
        migrate(stepped, tmp_path, migrations[:start])
        with stepped.write() as connection:
            connection.execute(
                "INSERT INTO events (ts, type, subject_type) VALUES ('t', 'probe', 'test')"
            )
        assert migrate(stepped, tmp_path, migrations) == len(migrations)
        stepped.close()
        assert schema_of(tmp_path / f"stepped{start}.sqlite3") == schema_of(
            tmp_path / "fresh.sqlite3"
        )


def test_a_broken_migration_changes_nothing(tmp_path):
    db = Database(tmp_path / "db.sqlite3")
    good = discover()
    migrate(db, tmp_path, good)
    before = schema_of(db.path)
    broken = Migration(
        len(good) + 1,
        "9999_broken.sql",
        "CREATE TABLE half_done (x INTEGER);\nINSERT INTO no_such_table VALUES (1);",
    )
    with pytest.raises(DatabaseError, match=r"9999_broken\.sql failed and was rolled back"):
        migrate(db, tmp_path, [*good, broken])
    assert current_version(db.connection()) == len(good)
    assert schema_of(db.path) == before
    db.close()


def test_non_empty_database_is_backed_up_before_migrating(tmp_path):
    migrations = discover()
    extra = Migration(len(migrations) + 1, "9999_extra.sql", "CREATE TABLE extra (x INTEGER);")
    db = Database(tmp_path / "db.sqlite3")
    migrate(db, tmp_path / "backups", migrations)
    assert not (tmp_path / "backups").exists(), "a new database needs no backup"
    (tmp_path / "backups").mkdir()
    migrate(db, tmp_path / "backups", [*migrations, extra])
    backups = list((tmp_path / "backups").iterdir())
    assert len(backups) == 1
    assert backups[0].name.startswith(f"core-v{len(migrations)}-")
    backup = sqlite3.connect(backups[0])
    assert backup.execute("PRAGMA user_version").fetchone()[0] == len(migrations)
    backup.close()
    db.close()


def test_a_newer_database_is_refused(tmp_path):
    db = Database(tmp_path / "db.sqlite3")
    migrate(db, tmp_path)
    db.connection().execute("PRAGMA user_version = 999")
    with pytest.raises(DatabaseError, match="newer FaceForge"):
        migrate(db, tmp_path)
    db.close()


def test_the_cli_refuses_a_newer_database_with_one_line(home):
    assert run_cli("migrate", home=home).returncode == 0
    connection = sqlite3.connect(home / "db" / "core.sqlite3")
    connection.execute("PRAGMA user_version = 999")
    connection.close()
    completed = run_cli("--port", "0", home=home)
    assert completed.returncode == 1
    assert "written by a newer FaceForge" in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1


def test_gaps_in_the_numbering_are_refused(tmp_path):
    folder = tmp_path / "schema"
    folder.mkdir()
    (folder / "0001_a.sql").write_text("CREATE TABLE a (x);")
    (folder / "0003_c.sql").write_text("CREATE TABLE c (x);")
    with pytest.raises(DatabaseError, match="without gaps"):
        discover(folder)


def test_unopenable_database_gets_advice(tmp_path):
    shutil.rmtree(tmp_path)
    db = Database(tmp_path / "missing" / "db.sqlite3")
    with pytest.raises(DatabaseError, match="check that the folder exists and is writable"):
        db.connection()


def test_the_search_index_merges_sixteen_segments_at_a_time(tmp_path):
    """0005: FTS5's `automerge` 16 (docs/entities.md), kept in the index's own config table."""
    database = Database(tmp_path / "core.sqlite3")
    migrate(database, tmp_path)
    database.close()
    connection = sqlite3.connect(tmp_path / "core.sqlite3")
    try:
        setting = connection.execute("SELECT v FROM entity_search_config WHERE k = 'automerge'")
        assert setting.fetchall() == [(16,)]
    finally:
        connection.close()
