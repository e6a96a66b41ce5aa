"""What `bunny doctor`'s checks say: a level, a name, a detail and how to fix it."""

from __future__ import annotations

import enum
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
