"""Batched inserts: every row lands once, in order, in statements of few distinct sizes."""

from faceforge.db import MAX_PARAMETERS, Database, insert_rows, statement_chunks


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


def test_insert_rows_writes_more_rows_than_one_statement_takes(tmp_path):
    db = Database(tmp_path / "t.sqlite3")
    try:
        rows = [(n, f"row {n}", n * 0.5) for n in range(MAX_PARAMETERS // 3 * 2 + 5)]
        with db.write() as connection:
            connection.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, text TEXT, half REAL)")
            insert_rows(connection, "INSERT INTO t (n, text, half) VALUES", "(?, ?, ?)", rows)
            insert_rows(connection, "INSERT INTO t (n, text, half) VALUES", "(?, ?, ?)", [])
        with db.read() as connection:
            stored = connection.execute("SELECT n, text, half FROM t ORDER BY n").fetchall()
            assert [tuple(row) for row in stored] == rows
    finally:
        db.close()
