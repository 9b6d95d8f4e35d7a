"""The names an export writes: portable to Windows, macOS and Linux (faceforge/exports/names.py)."""

import unicodedata

import pytest

from faceforge.exports.names import FolderNames, entity_folder_name, safe_name

ENTITY_ID = "0123abcd" + "e" * 56


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("photo.jpg", "photo.jpg"),
        ("CON", "_CON"),
        ("con.txt", "_con.txt"),
        ("LPT9.tar.gz", "_LPT9.tar.gz"),
        ("com1 .txt", "_com1 .txt"),
        ("CONSOLE.txt", "CONSOLE.txt"),
        ("notes.", "notes"),
        ("notes. . ", "notes"),
        ('a<b>c:d"e/f\\g|h?i*j.png', "a_b_c_d_e_f_g_h_i_j.png"),
        ("tab\there\x00\x1f\x7f.txt", "tab_here___.txt"),
        ("...", "_"),
        ("", "_"),
        (".bashrc", ".bashrc"),
        ("Zoë.jpg", "Zoë.jpg"),
    ],
)
def test_safe_name_makes_names_every_file_system_takes(name, expected):
    assert safe_name(name) == expected


def test_names_are_nfc_so_the_same_name_is_the_same_bytes_everywhere():
    decomposed = unicodedata.normalize("NFD", "Zoë.jpg")
    assert decomposed != "Zoë.jpg"
    assert safe_name(decomposed) == "Zoë.jpg"


def test_a_long_name_is_cut_to_255_utf8_bytes_keeping_its_extension():
    name = safe_name("山" * 200 + ".jpeg")
    assert len(name.encode("utf-8")) <= 255
    assert name.endswith("山.jpeg")  # cut between characters, never inside one


def test_a_long_entity_folder_keeps_its_id_suffix():
    folder = entity_folder_name("Ελένη" * 100, ENTITY_ID)
    assert len(folder.encode("utf-8")) <= 255
    assert folder.endswith(" (0123abcd)")


@pytest.mark.parametrize(
    ("display_name", "expected"),
    [
        ("Zoë", "Zoë (0123abcd)"),
        ("CON", "CON (0123abcd)"),
        ("Mr.", "Mr. (0123abcd)"),
        ("a/b", "a_b (0123abcd)"),
    ],
)
def test_entity_folder_name_is_the_display_name_and_the_id_start(display_name, expected):
    assert entity_folder_name(display_name, ENTITY_ID) == expected


def test_collisions_are_numbered_ignoring_case_with_room_for_the_sidecar():
    names = FolderNames(("entity.json",))
    claimed = [
        names.claim(name, "_meta.json")
        for name in ("a.jpg", "A.JPG", "a.jpg", "entity.json", "a.jpg_meta.json", "x" * 300)
    ]
    assert claimed[:4] == ["a.jpg", "A (2).JPG", "a (3).jpg", "entity (2).json"]
    assert claimed[4] == "a.jpg_meta (2).json"  # the name of a.jpg's sidecar is taken
    assert len((claimed[5] + "_meta.json").encode("utf-8")) <= 255
