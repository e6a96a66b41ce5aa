"""Text columns that hold what the file system gives: names that are not valid UTF-8.

SQLite's text is UTF-8, and a file name from an old Windows or Samba disk may not be (Python
hands it over with surrogate escapes, which sqlite3 refuses: "surrogates not allowed").
A path column keeps such a name exactly, as its raw bytes (a BLOB in the same TEXT column:
no schema change, and valid names stay text as before); a column people read (a movie's
name, an error) keeps it escaped for display.
"""

from __future__ import annotations

import os
from typing import Any

import peewee as pw

from daemon.display_text import is_printable_text, printable


class PathField(pw.TextField):
    """A file path, given back exactly as it was stored, whatever its bytes."""

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, pw.Node):
            return value
        text = os.fspath(value)
        return text if is_printable_text(text) else os.fsencode(text)

    def python_value(self, value: Any) -> Any:
        return os.fsdecode(value) if isinstance(value, bytes) else value


class PrintableTextField(pw.TextField):
    """Text for people: a name that is not valid UTF-8 is stored with its bytes escaped."""

    def db_value(self, value: Any) -> Any:
        if value is None or isinstance(value, pw.Node):
            return value
        return printable(str(value))
