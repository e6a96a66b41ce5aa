"""A run's loss curve for the pages: losses.csv (or train.log's progress lines for runs made
before it), thinned to a plot's worth of points. `LossCurves` keeps each run's curve until its
file changes: a 100,000-step run's file is 5 MB, too slow to parse on every page view."""

from __future__ import annotations

import enum
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from daemon.training.loss_log import LOSS_FILE, LossPoint, logged_losses, read_losses
from daemon.training.run_folder import LOG_FILE

MAX_LOSS_POINTS = 500
KEPT_CURVES = 256  # runs whose curve is kept: 100 characters' newest few


class LossSource(enum.StrEnum):
    STEPS = "steps"  # every step, from losses.csv
    LOG = "log"  # the smoothed loss every 30 s or so, from train.log
    NONE = "none"


@dataclass(frozen=True)
class LossCurve:
    source: LossSource
    points: tuple[LossPoint, ...]  # by step; at most MAX_LOSS_POINTS, the last included


NO_CURVE = LossCurve(LossSource.NONE, ())
_Stamp = tuple[tuple[int, int] | None, tuple[int, int] | None]


def read_curve(folder: Path | None) -> LossCurve:
    if folder is None:
        return NO_CURVE
    recorded = read_losses(folder)
    if recorded:
        return LossCurve(LossSource.STEPS, thinned(recorded, MAX_LOSS_POINTS))
    logged = logged_losses(folder / LOG_FILE)
    return LossCurve(LossSource.LOG, thinned(logged, MAX_LOSS_POINTS)) if logged else NO_CURVE


class LossCurves:
    """Curves read once per change of their files (size and mtime), for one process."""

    def __init__(self, kept: int = KEPT_CURVES) -> None:
        self._kept = kept
        self._lock = threading.Lock()
        self._curves: OrderedDict[Path, tuple[_Stamp, LossCurve]] = OrderedDict()

    def of(self, folder: Path | None) -> LossCurve:
        if folder is None:
            return NO_CURVE
        stamp = (_stamp(folder / LOSS_FILE), _stamp(folder / LOG_FILE))
        with self._lock:
            kept = self._curves.get(folder)
            if kept is not None and kept[0] == stamp:
                self._curves.move_to_end(folder)
                return kept[1]
        curve = read_curve(folder)  # outside the lock: other pages need not wait for it
        with self._lock:
            self._curves[folder] = (stamp, curve)
            self._curves.move_to_end(folder)
            while len(self._curves) > self._kept:
                self._curves.popitem(last=False)
        return curve


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size


def thinned(points: tuple[LossPoint, ...], most: int) -> tuple[LossPoint, ...]:
    """At most `most` points spread evenly over the run, the first and the last kept."""
    if len(points) <= most:
        return points
    last = len(points) - 1
    picks = sorted({round(i * last / (most - 1)) for i in range(most)})
    return tuple(points[i] for i in picks)
