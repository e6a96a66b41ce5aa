"""Text from the user's files, made safe to echo: bounded in length, control characters shown.

Folder names, file names and config values reach reason files, log lines and the terminal.
A value may be huge (a YAML alias bomb expands 288 bytes into 351 MB) or carry terminal
escape codes (ESC, CR, a C1 CSI, bidi overrides that reorder what the reader sees); every
echo of such a string goes through `shown` (a string) or `shown_value` (any parsed value).

A file name that is not valid UTF-8 (a disk written by old Windows or Samba) reaches Python
with surrogate escapes (`caf\\udce9.mp4` for the bytes `caf\\xe9.mp4`); the real name is kept
for file operations, and wherever it is written as text it shows its bytes, `caf\\xe9.mp4`
(`printable`, which changes nothing else; `escaped` does the same among its escapes).
"""

from __future__ import annotations

import functools
import os
import reprlib

NAME_LIMIT = 200  # a name or a value inside a message
REASON_LIMIT = 2000  # a whole message (a reason file's reason, a log field)
CUT_MARK = "…"
# How Python's surrogateescape carries the bytes 0x80-0xff of a name that is not UTF-8.
_UNDECODABLE_BYTE = range(0xDC80, 0xDD00)


def bounded(text: str, limit: int) -> str:
    """`text`, cut to `limit` characters with a note of its full length when longer."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}{CUT_MARK} ({len(text)} characters)"


def escaped(text: str, keep: str = "") -> str:
    """`text` with every non-printable character (ESC, CR, NUL, C1 controls, bidi overrides,
    line separators) written as a Python escape, `\\x1b`; characters in `keep` stay."""
    if text.isprintable() and not keep:
        return text
    return "".join(c if c.isprintable() or c in keep else _escape(c) for c in text)


def shown(text: str, limit: int = NAME_LIMIT) -> str:
    """A user's string as a message may show it: bounded, then escaped."""
    return escaped(bounded(text, limit))


def shown_lines(text: str, limit: int = REASON_LIMIT) -> str:
    """A message that may span lines (a YAML error, a traceback): bounded, escaped but for
    its newlines."""
    return escaped(bounded(text, limit), keep="\n")


def shown_value(value: object, limit: int = NAME_LIMIT) -> str:
    """repr() of a parsed value without ever building its whole repr: lists, mappings and
    nesting are cut short before they are walked (an alias bomb is shared, not copied)."""
    return escaped(bounded(_short_repr().repr(value), limit))


def is_printable_text(text: str) -> bool:
    """True when `text` can be encoded as UTF-8 as it is."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def printable(text: str | os.PathLike[str]) -> str:
    """`text` with the bytes that are not UTF-8 escaped as \\xNN; unchanged when valid."""
    text = os.fspath(text)
    if is_printable_text(text):
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        # A lone surrogate that no file name produced: show its code point instead.
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def _escape(char: str) -> str:
    code = ord(char)
    if _UNDECODABLE_BYTE.start <= code < _UNDECODABLE_BYTE.stop:
        return f"\\x{code - 0xDC00:02x}"  # a byte of a name that is not UTF-8
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


@functools.cache
def _short_repr() -> reprlib.Repr:
    short = reprlib.Repr()
    short.maxlevel = 3
    short.maxlist = short.maxtuple = short.maxdict = short.maxset = 6
    short.maxstring = short.maxother = NAME_LIMIT
    return short
