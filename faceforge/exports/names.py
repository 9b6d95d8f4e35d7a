"""File and folder names an export can write on Windows, macOS and Linux alike (pure).

A name is NFC-normalised (macOS stores names decomposed, the others as given: NFC makes the
same name the same bytes everywhere), illegal characters (`<>:"/\\|?*` and control
characters) become `_`, trailing dots and spaces go (Windows drops them silently), a
Windows device name (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any extension) gets a leading
`_`, and a name longer than 255 UTF-8 bytes is shortened in its middle part, keeping the
extension and any suffix that must survive (an entity folder's id).
"""

import re
import unicodedata

MAX_NAME_BYTES = 255
ILLEGAL_CHARACTERS = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
RESERVED_NAMES = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{number}" for number in range(1, 10)}
    | {f"LPT{number}" for number in range(1, 10)}
)
# An extension worth keeping when a name is shortened: short, after the last dot.
EXTENSION = re.compile(r"\.[^.\s]{1,16}$")
EMPTY_NAME = "_"


def legal_characters(name: str) -> str:
    """The name in NFC with every character no file system takes replaced by `_`."""
    return ILLEGAL_CHARACTERS.sub("_", unicodedata.normalize("NFC", name))


def unreserved(name: str) -> str:
    """`_CON.txt` for `CON.txt`: Windows reserves a device name whatever follows its dot."""
    device = name.split(".", 1)[0].rstrip(" ").upper()
    return f"_{name}" if device in RESERVED_NAMES else name


def shortened(text: str, byte_limit: int) -> str:
    """`text` cut to at most `byte_limit` UTF-8 bytes, never inside a character."""
    encoded = text.encode("utf-8")[:byte_limit]
    return encoded.decode("utf-8", errors="ignore")


def fitted(stem: str, tail: str, byte_limit: int) -> str:
    """`stem + tail` within `byte_limit` bytes (the stem is shortened, the tail kept), without
    the trailing dots and spaces Windows would drop."""
    room = max(byte_limit - len(tail.encode("utf-8")), 1)
    return (shortened(stem, room) + tail).rstrip(". ") or EMPTY_NAME


def split_extension(name: str) -> tuple[str, str]:
    match = EXTENSION.search(name)
    if match is None or match.start() == 0:
        return name, ""
    return name[: match.start()], match.group()


def safe_name(name: str, suffix: str = "", byte_limit: int = MAX_NAME_BYTES) -> str:
    """A portable name for `name`, with `suffix` (e.g. ` (2)`, or an id) before its extension;
    `byte_limit` leaves room for what a caller appends (a sidecar's `_meta.json`)."""
    stem, extension = split_extension(legal_characters(name).rstrip(". "))
    return unreserved(fitted(stem, suffix + extension, byte_limit))


def entity_folder_name(display_name: str, entity_id: str) -> str:
    """`<display name> (<first 8 of id>)`, made safe; the id part always survives."""
    return unreserved(fitted(legal_characters(display_name), f" ({entity_id[:8]})", MAX_NAME_BYTES))


class FolderNames:
    """The names taken in one folder, compared as Windows and macOS compare them (ignoring
    case), so that no two entries of an export land on one file there."""

    def __init__(self, reserved: tuple[str, ...] = ()):
        self.taken = {name.casefold() for name in reserved}

    def claim(self, name: str, companion_suffix: str = "", byte_limit: int = MAX_NAME_BYTES) -> str:
        """A free portable name for `name` (`x (2).jpg`, `x (3).jpg`, ... on a collision),
        claimed together with its companion (`x.jpg` + `x.jpg_meta.json`)."""
        number = 1
        while True:
            suffix = "" if number == 1 else f" ({number})"
            candidate = safe_name(name, suffix, byte_limit - len(companion_suffix.encode()))
            wanted = {candidate.casefold(), (candidate + companion_suffix).casefold()}
            if not wanted & self.taken:
                self.taken |= wanted
                return candidate
            number += 1
