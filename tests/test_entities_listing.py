"""Listing and searching entities (API.md §1 paging, §6 filters) through HTTP."""

import pytest

from faceforge import paging
from tests.entity_support import assert_validation_error, bulk, create, listing, names, seed

SORTS = [
    (sort_by, order)
    for sort_by in ("created_at", "updated_at", "display_name")
    for order in ("asc", "desc")
]


def test_offset_pages_report_total_limit_and_offset(client):
    seed(client, 100)
    first = listing(client, limit=30, sort_by="display_name", sort_order="asc")
    assert (first["total"], first["limit"], first["offset"]) == (100, 30, 0)
    assert names(first) == [f"Person {n:05d}" for n in range(30)]
    last = listing(client, limit=30, offset=90, sort_by="display_name", sort_order="asc")
    assert (last["total"], last["offset"], last["next_cursor"]) == (100, 90, None)
    assert names(last) == [f"Person {n:05d}" for n in range(90, 100)]
    past_the_end = listing(client, offset=500)
    assert (past_the_end["items"], past_the_end["total"]) == ([], 100)
    default = listing(client)
    assert (len(default["items"]), default["limit"]) == (50, 50)


def test_default_order_is_newest_first(client):
    seed(client, 5)
    assert names(listing(client)) == [f"Person {n:05d}" for n in reversed(range(5))]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"limit": 0}, "limit"),
        ({"limit": 201}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"offset": "1.5"}, "offset"),
        ({"offset": 2**63}, "offset"),
        ({"cursor": paging.encode_cursor(["created_at", "desc", "x", 2**64])}, "cursor"),
        ({"sort_by": "entity_id"}, "sort_by"),
        ({"sort_order": "up"}, "sort_order"),
        ({"cursor": "%%%"}, "cursor"),
        ({"cursor": paging.encode_cursor({"a": 1})}, "cursor"),
        ({"cursor": paging.encode_cursor(["created_at", "desc", "x"])}, "cursor"),
        ({"cursor": paging.encode_cursor(["name", "desc", "x", 1])}, "cursor"),
        ({"cursor": paging.encode_cursor(["created_at", "desc", "x", True])}, "cursor"),
        ({"cursor": paging.encode_cursor(["created_at", "desc", "x", 1]), "offset": 5}, "offset"),
        (
            {
                "cursor": paging.encode_cursor(["created_at", "desc", "x", 1]),
                "sort_by": "updated_at",
            },
            "cursor",
        ),
        ({"field.": "x"}, "field."),
    ],
)
def test_bad_list_parameters_are_422_naming_the_parameter(client, query, field):
    assert_validation_error(client.get("/v1/entities", query=query), ["query", field])


def test_sort_order_is_case_insensitive_and_names_sort_ignoring_case(client):
    for name in ("banana", "Apple", "cherry", "apple pie"):
        create(client, display_name=name)
    assert names(listing(client, sort_by="display_name", sort_order="ASC")) == [
        "Apple",
        "apple pie",
        "banana",
        "cherry",
    ]
    assert names(listing(client, sort_by="display_name", sort_order="Desc")) == [
        "cherry",
        "banana",
        "apple pie",
        "Apple",
    ]


def walk(client, **query) -> list[str]:
    """Every page of a cursor walk, creating one entity between pages."""
    seen, cursor, extra = [], None, 0
    while True:
        page = listing(client, **query, **({"cursor": cursor} if cursor else {}))
        assert page["offset"] is None if cursor else page["offset"] == 0
        seen += [item["entity_id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen
        create(client, display_name=f"Latecomer {extra}")
        extra += 1


@pytest.mark.parametrize(("sort_by", "order"), SORTS)
def test_a_cursor_walk_visits_every_entity_once_while_others_are_inserted(client, sort_by, order):
    # Names repeat (ties), and one bulk call gives many entities the same timestamps.
    items = [{"display_name": f"Same {n % 7}"} for n in range(1000)]
    originals = {item["entity_id"] for item in bulk(client, items)["items"]}
    seen = walk(client, sort_by=sort_by, sort_order=order, limit=97)
    assert len(seen) == len(set(seen))
    assert originals <= set(seen)


def test_a_cursor_continues_its_own_sort(client):
    seed(client, 6)
    first = listing(client, sort_by="display_name", sort_order="asc", limit=4)
    rest = listing(client, cursor=first["next_cursor"], limit=4)
    assert names(first) + names(rest) == [f"Person {n:05d}" for n in range(6)]
    assert rest["next_cursor"] is None


def test_next_cursor_from_an_offset_page_continues_after_it(client):
    seed(client, 10)
    page = listing(client, sort_by="display_name", sort_order="asc", limit=3, offset=3)
    rest = listing(client, cursor=page["next_cursor"], limit=100)
    assert names(rest) == [f"Person {n:05d}" for n in range(6, 10)]


SEARCHABLE = [
    "100% Real",
    "under_score",
    'The "Quoted" One',
    "O'Brien",
    "Zoë",
    "山田太郎",
    "plain",
    "a%b_c",
    "NEAR(x* ^y) OR z",
    "nul\x00char",
]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("%", ["100% Real", "a%b_c"]),
        ("_", ["under_score", "a%b_c"]),
        ("0% r", ["100% Real"]),
        ("%b_", ["a%b_c"]),
        ("r_s", ["under_score"]),
        ('"quoted"', ['The "Quoted" One']),
        ('"', ['The "Quoted" One']),
        ("o'b", ["O'Brien"]),
        ("'", ["O'Brien"]),
        ("zoë", ["Zoë"]),
        ("ZOË", ["Zoë"]),
        ("zoe", []),
        ("山田", ["山田太郎"]),
        ("田太郎", ["山田太郎"]),
        ("LAI", ["plain"]),
        ("ain", ["plain"]),
        ("  plain  ", ["plain"]),
        ("x%y", []),
        ("near(x", ["NEAR(x* ^y) OR z"]),
        ("* ^y) or", ["NEAR(x* ^y) OR z"]),
        ("l\x00c", ["nul\x00char"]),
        ("\x00", ["nul\x00char"]),
    ],
)
def test_q_is_a_case_insensitive_substring_with_literal_wildcards_and_quotes(client, q, expected):
    for name in SEARCHABLE:
        create(client, display_name=name)
    page = listing(client, q=q, sort_by="display_name", sort_order="asc")
    assert sorted(names(page)) == sorted(expected)
    assert page["total"] == len(expected)


def test_q_searches_aliases_tags_and_descriptor_values_but_not_fields(client):
    client.post("/v1/admin/field-defs", {"field_key": "bio", "field_type": "string"})
    by_alias = create(client, display_name="One", aliases=["Nightingale"])
    by_tag = create(client, display_name="Two", tags=["nightshade"])
    by_descriptor = create(client, display_name="Three")
    create(client, display_name="Four", fields={"note": "night"})
    descriptor = client.post(
        f"/v1/entities/{by_descriptor['entity_id']}/descriptors",
        {"field_key": "bio", "value": "Works the NIGHT shift"},
    ).data
    found = {item["entity_id"] for item in listing(client, q="night")["items"]}
    assert found == {by_alias["entity_id"], by_tag["entity_id"], by_descriptor["entity_id"]}
    client.patch(f"/v1/descriptors/{descriptor['descriptor_id']}", {"value": "days"})
    assert listing(client, q="night")["total"] == 2
    assert listing(client, q="days")["total"] == 1
    client.delete(f"/v1/descriptors/{descriptor['descriptor_id']}")
    assert listing(client, q="days")["total"] == 0


def test_a_match_never_spans_two_values(client):
    create(client, display_name="ab", aliases=["cd"], tags=["ef"])
    assert listing(client, q="bc")["total"] == 0
    assert listing(client, q="b c")["total"] == 0
    assert listing(client, q="cde")["total"] == 0


def test_search_follows_renames(client):
    entity = create(client, display_name="Before Name")
    client.patch(f"/v1/entities/{entity['entity_id']}", {"display_name": "After Name"})
    assert listing(client, q="before")["total"] == 0
    assert listing(client, q="after")["total"] == 1


def test_tag_filter_is_an_exact_case_insensitive_element_match(client):
    create(client, display_name="A", tags=["Red Hair", "Ärger"])
    create(client, display_name="B", tags=["red"])
    create(client, display_name="C", tags=["reddish"])
    assert names(listing(client, tag="red")) == ["B"]
    assert names(listing(client, tag="RED HAIR")) == ["A"]
    assert names(listing(client, tag="ärger")) == ["A"]
    assert listing(client, tag="hair")["total"] == 0
    assert listing(client, tag="")["total"] == 3


def test_field_filter_is_an_exact_match_of_the_value(client):
    create(client, display_name="Str", fields={"age": "30", "city": "Oslo"})
    create(client, display_name="Int", fields={"age": 30, "city": "oslo"})
    create(client, display_name="Float", fields={"age": 30.5, "ok": True})
    create(client, display_name="Null", fields={"age": None, "ok": False})
    create(client, display_name="Nested", fields={"age": {"v": 30}, "key with space": "x"})
    assert sorted(names(listing(client, **{"field.age": "30"}))) == ["Int", "Str"]
    assert names(listing(client, **{"field.age": "30.5"})) == ["Float"]
    assert names(listing(client, **{"field.city": "Oslo"})) == ["Str"]
    assert names(listing(client, **{"field.ok": "true"})) == ["Float"]
    assert names(listing(client, **{"field.ok": "false"})) == ["Null"]
    assert names(listing(client, **{"field.age": "null"})) == ["Null"]
    assert names(listing(client, **{"field.key with space": "x"})) == ["Nested"]
    assert listing(client, **{"field.age": "3"})["total"] == 0
    assert listing(client, **{"field.missing": "30"})["total"] == 0
    for huge in ("1" + "0" * 30, "1" + "0" * 400):
        assert listing(client, **{"field.age": huge})["total"] == 0


def test_filters_combine(client):
    create(client, display_name="Anna Red", tags=["actor"], fields={"city": "Oslo"})
    create(client, display_name="Anna Blue", tags=["actor"], fields={"city": "Rome"})
    create(client, display_name="Anna Green", tags=["singer"], fields={"city": "Oslo"})
    create(client, display_name="Bob Red", tags=["actor"], fields={"city": "Oslo"})
    assert names(listing(client, q="anna", tag="actor", **{"field.city": "Oslo"})) == ["Anna Red"]
    assert sorted(names(listing(client, q="an", tag="ACTOR"))) == ["Anna Blue", "Anna Red"]
    assert listing(client, q="red", tag="actor")["total"] == 2


def test_wide_and_narrow_filters_page_the_same_way(client):
    """A tag on most entities walks the sort index; a rare one sorts its few rows: both plans
    must give the same order and the same cursors."""
    items = [
        {"display_name": f"E {n:03d}", "tags": ["common"] + (["rare"] if n % 20 == 0 else [])}
        for n in range(200)
    ]
    bulk(client, items)
    for tag, expected in (("common", range(200)), ("rare", range(0, 200, 20))):
        seen, cursor = [], None
        while True:
            page = listing(
                client,
                tag=tag,
                sort_by="display_name",
                sort_order="desc",
                limit=7,
                **({"cursor": cursor} if cursor else {}),
            )
            assert page["total"] == len(expected)
            seen += names(page)
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == [f"E {n:03d}" for n in reversed(expected)]
        deep = listing(
            client, tag=tag, sort_by="display_name", sort_order="desc", limit=3, offset=4
        )
        assert names(deep) == [f"E {n:03d}" for n in list(reversed(expected))[4:7]]


def test_deleted_entities_leave_lists_search_and_totals(client):
    kept = create(client, display_name="Kept", tags=["t"])
    gone = create(client, display_name="Gone", tags=["t"])
    client.delete(f"/v1/entities/{gone['entity_id']}")
    for query, expected in (
        ({}, [kept]),
        ({"tag": "t"}, [kept]),
        ({"q": "e"}, [kept]),
        ({"q": "one"}, []),
        ({"q": "gon"}, []),
    ):
        page = listing(client, **query)
        assert page["items"] == expected, query
        assert page["total"] == len(expected)


def test_a_listed_entity_is_the_object_its_own_route_answers(client):
    """A page's items are JSON text built by SQLite from the stored columns, a single entity
    is encoded by Python: the same object, keys in the same order, for values that JSON
    escapes, or spells in more than one way."""
    tricky = create(
        client,
        display_name='Zoë "Q" \\ \t\u2028 ☃',
        aliases=["𝄞 clef", "line\nbreak", "it's"],
        tags=["Ünïcode", "<b>&amp;</b>"],
        fields={"big": 2**70, "tiny": -1.5e-300, "nested": {"list": [True, False, None, ""]}},
        external_ids={"stash": "42"},
        plugin_data={"colour": {"rgb": [1, 2.0, 3]}, "empty": {}},
    )
    plain = create(client, display_name="Plain")
    page = listing(client, limit=2)
    answered = [
        client.get(f"/v1/entities/{entity['entity_id']}").data for entity in (plain, tricky)
    ]
    assert page["items"] == answered
    assert [list(item) for item in page["items"]] == [list(entity) for entity in answered]
    assert answered[1]["fields"]["big"] == 2**70
