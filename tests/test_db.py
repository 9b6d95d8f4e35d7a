"""Batched statements: every row is used once, in order, in statements of few distinct sizes.
A write block is one transaction: all of it or, when it raises, none of it."""

import pytest

from faceforge.db import (
    MAX_PARAMETERS,
    Database,
    DatabaseError,
    execute_rows,
    require_sqlite,
    statement_chunks,
)


def test_chunks_are_powers_of_two_largest_first_and_cover_every_item():
    sizes_seen = set()
    for count in range(0, 20_001, 7):
        chunks = list(statement_chunks(list(range(count)), 8192))
        assert [item for chunk in chunks for item in chunk] == list(range(count))
        sizes = [len(chunk) for chunk in chunks]
        assert sizes == sorted(sizes, reverse=True)
        assert all(size & (size - 1) == 0 and size <= 8192 for size in sizes)
        sizes_seen.update(sizes)
    # Whatever the call sizes, the statements prepared for one table take 14 shapes at most.
    assert len(sizes_seen) <= 14


def test_execute_rows_writes_and_reads_more_rows_than_one_statement_takes(tmp_path):
    db = Database(tmp_path / "t.sqlite3")
    rows = [(n, f"row {n}", n * 0.5) for n in range(MAX_PARAMETERS // 3 * 2 + 5)]
    try:
        with db.write() as connection:
            connection.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, text TEXT, half REAL)")
            insert = "INSERT INTO t (n, text, half) VALUES {rows}"
            assert execute_rows(connection, insert, "(?, ?, ?)", rows) == []
            assert execute_rows(connection, insert, "(?, ?, ?)", []) == []
            execute_rows(
                connection,
                "UPDATE t SET text = v.column1 FROM (VALUES {rows}) AS v WHERE t.n = v.column2",
                "(?, ?)",
                [(f"odd {n}", n) for n in range(1, len(rows), 2)],
            )
        with db.read() as connection:
            found = execute_rows(
                connection,
                "SELECT t.n, t.text, t.half FROM (VALUES {rows}) AS wanted"
                " JOIN t ON t.n = wanted.column1",
                "(?)",
                [(n,) for n in range(len(rows) + 10)],
            )
        assert sorted(tuple(row) for row in found) == [
            (n, f"odd {n}" if n % 2 else text, half) for n, text, half in rows
        ]
    finally:
        db.close()


def test_a_write_block_that_raises_leaves_nothing_and_the_next_write_works(tmp_path):
    db = Database(tmp_path / "t.sqlite3")
    try:
        with db.write() as connection:
            connection.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)")
        with pytest.raises(RuntimeError, match="halfway"), db.write() as connection:
            connection.execute("INSERT INTO t (n) VALUES (1)")
            raise RuntimeError("halfway")
        with db.write() as connection:
            connection.execute("INSERT INTO t (n) VALUES (2)")
        with db.read() as connection:
            assert [row["n"] for row in connection.execute("SELECT n FROM t")] == [2]
    finally:
        db.close()


def test_an_sqlite_without_trigram_search_is_refused_with_a_way_out():
    require_sqlite()  # this Python's
    require_sqlite((3, 34, 0))
    with pytest.raises(
        DatabaseError, match=r"needs SQLite 3\.34\.0 or newer .* has SQLite 3\.31\.1"
    ):
        require_sqlite((3, 31, 1))
