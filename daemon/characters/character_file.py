"""A character's `character.yaml`: its trigger and class words, checked before they are used.

The file is the user's, dropped into `inbox/faces/<name>/`: it is refused unread when larger
than a few KB or when it uses YAML anchors and aliases (a few hundred bytes of them stand for
gigabytes once walked), and each word must be one short printable line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import yaml

from daemon.characters.names import DEFAULT_CLASS_WORD, default_trigger_word
from daemon.display_text import REASON_LIMIT, shown, shown_value

CHARACTER_FILE = "character.yaml"
# trigger_word and class_word, with room for comments; anything larger is not one.
MAX_CHARACTER_FILE_BYTES = 4096
MAX_WORD_CHARACTERS = 64


class CharacterFileError(ValueError):
    """character.yaml is not valid; the message names the file and the key."""


@dataclass(frozen=True)
class CharacterWords:
    trigger_word: str
    class_word: str


def read_character_file(path: Path, name: str, handle: BinaryIO | None = None) -> CharacterWords:
    """`handle`: the file already open (an inbox file, opened by open_inbox_file); `path`
    names it in messages."""
    raw = _character_document(path, handle)
    if not isinstance(raw, dict):
        raise CharacterFileError(f"{path}: must be a mapping (trigger_word, class_word)")
    unknown = sorted(str(key) for key in set(raw) - {"trigger_word", "class_word"})
    if unknown:
        raise CharacterFileError(
            f"{path}: unknown key '{shown(unknown[0])}' (allowed: class_word, trigger_word)"
        )
    words = {key: raw.get(key) for key in ("trigger_word", "class_word")}
    for key, value in words.items():
        if value is not None and not _is_word(value):
            raise CharacterFileError(
                f"{path}: '{key}' must be a non-empty word: one line of at most "
                f"{MAX_WORD_CHARACTERS} printable characters, got {shown_value(value)}"
            )
    return CharacterWords(
        trigger_word=(words["trigger_word"] or default_trigger_word(name)).strip(),
        class_word=(words["class_word"] or DEFAULT_CLASS_WORD).strip(),
    )


def _character_document(path: Path, handle: BinaryIO | None) -> object:
    """The parsed file; refused before parsing when too large or when it uses anchors and
    aliases (a few hundred bytes of aliases expand into gigabytes once walked)."""
    try:
        if handle is None:
            with path.open("rb") as opened:
                data = opened.read(MAX_CHARACTER_FILE_BYTES + 1)
        else:
            data = handle.read(MAX_CHARACTER_FILE_BYTES + 1)
        if len(data) > MAX_CHARACTER_FILE_BYTES:
            raise CharacterFileError(
                f"{path}: over {MAX_CHARACTER_FILE_BYTES} bytes; a character file is at most "
                f"{MAX_CHARACTER_FILE_BYTES} bytes (trigger_word and class_word)"
            )
        text = data.decode("utf-8")
        if any(
            isinstance(t, yaml.AnchorToken | yaml.AliasToken)
            for t in yaml.scan(text, Loader=yaml.SafeLoader)
        ):
            raise CharacterFileError(f"{path}: YAML anchors and aliases (&, *) are not allowed")
        return yaml.safe_load(text) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        reason = shown(str(exc), REASON_LIMIT)
        raise CharacterFileError(f"{path}: not readable YAML: {reason}") from exc


def _is_word(value: object) -> bool:
    return (
        isinstance(value, str)
        and 0 < len(value.strip()) <= MAX_WORD_CHARACTERS
        and value.strip().isprintable()
    )
