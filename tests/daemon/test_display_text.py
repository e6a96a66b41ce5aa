"""daemon/display_text.py: a user's string bounded and escaped before anything echoes it."""

from __future__ import annotations

import yaml

from daemon.display_text import bounded, escaped, shown, shown_lines, shown_value
from tests.alias_bomb import alias_bomb


def test_a_long_text_is_cut_with_its_length_noted() -> None:
    assert bounded("short", 10) == "short"
    assert bounded("x" * 25, 10) == "x" * 10 + "… (25 characters)"


def test_controls_escapes_and_bidi_overrides_are_written_as_escapes() -> None:
    text = "red\x1b[31m\rover\u202eevil\x9b2J\x00é千尋"
    assert escaped(text) == "red\\x1b[31m\\x0dover\\u202eevil\\x9b2J\\x00é千尋"
    assert escaped("a\nb\tc", keep="\n") == "a\nb\\x09c"
    assert shown_lines("one\ntwo\x1b") == "one\ntwo\\x1b"


def test_shown_bounds_before_escaping() -> None:
    assert len(shown("\x1b" * 10_000, limit=100)) < 1000


def test_an_alias_bomb_is_shown_without_being_walked() -> None:
    bomb = yaml.safe_load(alias_bomb(9))
    text = shown_value(bomb)
    assert text.startswith("[['lol', 'lol',") and len(text) < 400
    assert shown_value("it's") == '"it\'s"' and shown_value(3) == "3"
