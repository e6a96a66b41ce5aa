"""structlog processors that keep a log line bounded and a terminal safe.

A field may hold a user's string (a file name, a config value, a reason): one line must not
grow to hundreds of megabytes and rotate the history away, must not be lost to a file name
that is not valid UTF-8, and the console must not receive the escape codes a folder name can
carry.
"""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from structlog.typing import EventDict, WrappedLogger

from daemon.display_text import REASON_LIMIT, bounded, escaped, printable

# A traceback is the daemon's own text, often long; still not unbounded.
EXCEPTION_LIMIT = 50_000
MAX_ITEMS = 50


def escape_undecodable(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    """File names that are not UTF-8 shown with their bytes escaped, in every field."""
    return {key: _undecodable_escaped(value) for key, value in event_dict.items()}


class BoundFields:
    """Cuts every string in a line (nested in lists and mappings too) to a limit."""

    def __call__(self, _: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        for key, value in list(event_dict.items()):
            limit = EXCEPTION_LIMIT if key in ("exception", "stack") else REASON_LIMIT
            event_dict[key] = _bound(value, limit)
        return event_dict


class EscapeControls:
    """For the console: control characters, ESC and bidi overrides in a string written as
    escapes. Newlines stay in a traceback, which the console prints as lines."""

    def __call__(self, _: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
        for key, value in list(event_dict.items()):
            keep = "\n" if key in ("exception", "stack") else ""
            event_dict[key] = _escape(value, keep)
        return event_dict


def _bound(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        return bounded(value, limit)
    if isinstance(value, list | tuple):
        items = [_bound(v, limit) for v in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            items.append(f"… ({len(value)} items)")
        return items
    if isinstance(value, dict):
        return {k: _bound(v, limit) for k, v in list(value.items())[:MAX_ITEMS]}
    return value


def _escape(value: Any, keep: str) -> Any:
    # Other values are rendered with repr(), which escapes what is not printable already.
    return escaped(value, keep) if isinstance(value, str) else value


def _undecodable_escaped(value: Any) -> Any:
    if isinstance(value, str | PurePath):
        return printable(value)
    if isinstance(value, list | tuple):
        return type(value)(_undecodable_escaped(v) for v in value)
    if isinstance(value, dict):
        return {k: _undecodable_escaped(v) for k, v in value.items()}
    return value
