"""Durations as a person reads them on the page."""

from __future__ import annotations

SECONDS_PER_MINUTE = 60
SECONDS_PER_HOUR = 3600


def duration_text(seconds: float | None) -> str:
    """`42 s`, `3 min 5 s`, `2 h 10 min`; a dash when unknown."""
    if seconds is None:
        return "-"
    whole = max(0, round(seconds))
    if whole < SECONDS_PER_MINUTE:
        return f"{whole} s"
    if whole < SECONDS_PER_HOUR:
        minutes, rest = divmod(whole, SECONDS_PER_MINUTE)
        return f"{minutes} min {rest} s" if rest else f"{minutes} min"
    hours, rest = divmod(whole, SECONDS_PER_HOUR)
    minutes = rest // SECONDS_PER_MINUTE
    return f"{hours} h {minutes} min" if minutes else f"{hours} h"
