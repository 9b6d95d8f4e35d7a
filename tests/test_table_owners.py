"""Each table has one owner (docs/architecture.md, "Who owns which table"): every statement
that writes a table is in its owner's module. The list is read from the page, so the page
and the code cannot disagree."""

import re

from tests.support import REPO_ROOT

ARCHITECTURE_PAGE = REPO_ROOT / "docs" / "architecture.md"
OWNER_LINE = re.compile(r"^- `(\w+)` → `([\w/]+\.py)`$")
WRITE = re.compile(r"\b(?:INSERT(?: OR \w+)? INTO|REPLACE INTO|UPDATE|DELETE FROM)\s+(\w+)")
CREATE_TABLE = re.compile(r"\bCREATE (?:VIRTUAL )?TABLE (?:IF NOT EXISTS )?(\w+)", re.IGNORECASE)


def owners() -> dict[str, str]:
    """{table: the module that writes it}, from the page's section."""
    text = ARCHITECTURE_PAGE.read_text(encoding="utf-8")
    section = text.split("\n## Who owns which table\n", 1)[1].split("\n## ", 1)[0]
    found: dict[str, str] = {}
    for line in section.splitlines():
        match = OWNER_LINE.match(line)
        if match:
            assert match[1] not in found, f"{match[1]} is listed twice"
            found[match[1]] = match[2]
    return found


def schema_tables() -> set[str]:
    return {
        table
        for path in (REPO_ROOT / "schema").glob("*.sql")
        for table in CREATE_TABLE.findall(path.read_text(encoding="utf-8"))
    }


def writes() -> list[tuple[str, str, int]]:
    """(table, module, line) of every statement in faceforge/ that writes a schema table."""
    tables = schema_tables()
    found = []
    for path in sorted((REPO_ROOT / "faceforge").rglob("*.py")):
        module = path.relative_to(REPO_ROOT).as_posix()
        text = path.read_text(encoding="utf-8")
        for match in WRITE.finditer(text):
            if match[1] in tables:
                found.append((match[1], module, text.count("\n", 0, match.start()) + 1))
    return found


def test_every_table_of_the_schema_has_one_owner_that_writes_it():
    table_owners = owners()
    assert set(table_owners) == schema_tables()
    written_by = {(table, module) for table, module, _ in writes()}
    assert [t for t, module in table_owners.items() if (t, module) not in written_by] == []


def test_no_module_but_the_owner_writes_a_table():
    table_owners = owners()
    strangers = [
        f"{module}:{line} writes {table}, owned by {table_owners[table]}"
        for table, module, line in writes()
        if module != table_owners[table]
    ]
    assert strangers == []
