"""Stage names, as config.yaml's `pipeline.stages` lists them, and the classes behind them."""

from __future__ import annotations

from handlers.base import Handler
from handlers.probe import ProbeHandler
from handlers.shots import ShotsHandler

STAGES: dict[str, type[Handler]] = {
    ProbeHandler.name: ProbeHandler,
    ShotsHandler.name: ShotsHandler,
}


def build_handlers(names: tuple[str, ...]) -> list[Handler]:
    unknown = [n for n in names if n not in STAGES]
    if unknown:
        raise KeyError(unknown[0])
    return [STAGES[name]() for name in names]
