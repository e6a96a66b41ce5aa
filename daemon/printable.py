"""Text that can always be written: file names that are not valid UTF-8, shown escaped.

Python hands such a name over with surrogate escapes (`caf\\udce9.mp4` for the bytes
`caf\\xe9.mp4`, common on disks written by old Windows or Samba). The real name is kept for
file operations; wherever it is written as text (the log, the database's text columns, a
reason file, `bunny status`) it is shown with its bytes escaped, `caf\\xe9.mp4`, because
UTF-8 cannot hold it as it is.
"""

from __future__ import annotations

import os


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
