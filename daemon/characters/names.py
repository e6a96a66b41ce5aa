"""Character names as folder names, and the caption words a character gets by default."""

from __future__ import annotations

import unicodedata

from daemon.display_text import shown_value

MAX_NAME_BYTES = 200
DEFAULT_CLASS_WORD = "person"


def character_name(raw: str) -> str:
    """The folder-safe form of a name the user typed; ValueError says why it cannot be one.
    What is not printable (ESC, CR, bidi overrides) becomes a space: a name never carries a
    terminal escape into a folder, the database or a listing."""
    name = unicodedata.normalize("NFC", raw).strip()
    name = "".join(" " if c in '/\\:*?"<>|' or not c.isprintable() else c for c in name)
    name = " ".join(name.split()).strip(". ")
    if not name:
        raise ValueError(
            f"{shown_value(raw)} cannot name a character (nothing left once made folder-safe)"
        )
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise ValueError(f"a character name is at most {MAX_NAME_BYTES} bytes")
    return name


def default_trigger_word(name: str) -> str:
    return "".join(c for c in name.lower() if c.isalnum()) or "character"
