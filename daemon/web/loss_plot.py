"""A run's loss curve as an SVG plot drawn on the server: polylines, axes and tick labels in
plain numbers, so the page needs no chart script and a 100k-step run stays a few kilobytes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from daemon.reports.model_versions import thinned
from daemon.training.loss_log import LossPoint

MAX_PLOT_POINTS = 300
WIDTH, HEIGHT = 360, 180
LEFT, RIGHT, TOP, BOTTOM = 48, 24, 8, 24  # margins that hold the tick labels
TICKS = 4


@dataclass(frozen=True)
class Tick:
    at: float  # the pixel along its axis
    label: str


@dataclass(frozen=True)
class LossPlot:
    width: int
    height: int
    left: int
    top: int
    right: int  # the plot area's right edge, in pixels
    bottom: int  # its bottom edge
    raw: str  # SVG polyline points of each step's own loss ("" when only smoothed is known)
    smoothed: str  # SVG polyline points of the moving average
    x_ticks: tuple[Tick, ...]
    y_ticks: tuple[Tick, ...]
    points: int  # how many steps are drawn


@dataclass(frozen=True)
class _Scale:
    first: float
    last: float
    low: float
    high: float

    def x(self, step: float) -> float:
        span = (self.last - self.first) or 1.0
        return LEFT + (step - self.first) / span * (WIDTH - LEFT - RIGHT)

    def y(self, loss: float) -> float:
        span = (self.high - self.low) or 1.0
        return HEIGHT - BOTTOM - (loss - self.low) / span * (HEIGHT - TOP - BOTTOM)


def loss_plot(curve: tuple[LossPoint, ...], most: int = MAX_PLOT_POINTS) -> LossPlot | None:
    """The plot of `curve` thinned to `most` points; None for a run with no losses."""
    points = thinned(curve, most)
    if not points:
        return None
    values = [p.smoothed for p in points] + [p.loss for p in points if p.loss is not None]
    scale = _Scale(points[0].step, points[-1].step, min(values), max(values))
    raw = [(p.step, p.loss) for p in points if p.loss is not None]
    return LossPlot(
        width=WIDTH,
        height=HEIGHT,
        left=LEFT,
        top=TOP,
        right=WIDTH - RIGHT,
        bottom=HEIGHT - BOTTOM,
        raw=_line(scale, raw) if len(raw) == len(points) else "",
        smoothed=_line(scale, [(p.step, p.smoothed) for p in points]),
        x_ticks=_ticks(scale.first, scale.last, scale.x, "{:.0f}"),
        y_ticks=_ticks(scale.low, scale.high, scale.y, "{:.3g}"),
        points=len(points),
    )


def _line(scale: _Scale, pairs: list[tuple[int, float]]) -> str:
    return " ".join(f"{scale.x(step):.1f},{scale.y(loss):.1f}" for step, loss in pairs)


def _ticks(low: float, high: float, place: Callable[[float], float], form: str) -> tuple[Tick, ...]:
    count = TICKS if high > low else 1
    values = [low + (high - low) * i / max(1, count - 1) for i in range(count)]
    return tuple(Tick(round(place(value), 1), form.format(value)) for value in values)
