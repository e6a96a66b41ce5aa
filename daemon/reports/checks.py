"""What `bunny doctor`'s checks say: a level, a name, a detail and how to fix it."""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from dataclasses import dataclass

INSTALL_HINT = "run: python3 scripts/bootstrap.py install"


class Level(enum.StrEnum):
    OK = "ok"
    WARN = "warn"
    FAIL = "FAIL"


@dataclass(frozen=True)
class Check:
    level: Level
    name: str
    detail: str
    fix: str = ""


def summary_line(levels: list[Level]) -> str:
    """The doctor's last line: "all checks passed" only with no warning and no error."""
    warnings, errors = levels.count(Level.WARN), levels.count(Level.FAIL)
    if warnings == errors == 0:
        return "all checks passed"
    return f"{_counted(warnings, 'warning')}, {_counted(errors, 'error')}; see 'fix' above"


def _counted(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def hub_probe() -> Callable[[], str | None]:
    """Why huggingface.co cannot be reached (None: it can), asked at most once per doctor run."""

    @functools.cache
    def unreachable() -> str | None:
        from handlers.embedders import hub_unreachable_reason

        return hub_unreachable_reason()

    return unreachable
