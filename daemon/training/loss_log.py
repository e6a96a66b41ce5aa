"""Each training step's loss, `losses.csv` in the run folder: the curve the review page draws.

The worker appends a line per step (written with progress.json, so at most a second behind
and complete at every checkpoint). A resumed run trains the steps after its checkpoint
again and appends them again: the reader keeps each step's last line, and skips a line a
kill cut short. Runs made before this file existed have only `train.log`'s progress lines
(one every 30 s): `logged_losses` reads those.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

LOSS_FILE = "losses.csv"
_HEADER = "step,loss,smoothed_loss\n"
_PROGRESS_EVENT = "training progress"


@dataclass(frozen=True)
class LossPoint:
    step: int
    loss: float | None  # this step's own loss; None where only the smoothed one is known
    smoothed: float  # the moving average progress.json shows


class LossLog:
    """Steps' losses gathered in memory and appended to the file at each `flush`."""

    def __init__(self, run_dir: Path) -> None:
        self._path = run_dir / LOSS_FILE
        self._pending: list[str] = []

    def add(self, step: int, loss: float, smoothed: float) -> None:
        self._pending.append(f"{step},{loss!r},{smoothed!r}\n")

    def flush(self) -> None:
        if not self._pending:
            return
        with self._path.open("a+b") as handle:
            handle.seek(0, 2)
            start = _HEADER if handle.tell() == 0 else ""
            if not start:  # a line a kill cut short must not swallow the next one
                handle.seek(-1, 2)
                start = "" if handle.read(1) == b"\n" else "\n"
            handle.write((start + "".join(self._pending)).encode("utf-8"))
        self._pending.clear()


def read_losses(run_dir: Path) -> tuple[LossPoint, ...]:
    """The recorded losses by step, each step's last line; empty when there is no file."""
    try:
        lines = (run_dir / LOSS_FILE).read_text(encoding="utf-8").splitlines()
    except OSError:
        return ()
    points: dict[int, LossPoint] = {}
    for line in lines[1:]:
        point = _parsed(line)
        if point is not None:
            points[point.step] = point
    return tuple(points[step] for step in sorted(points))


def _parsed(line: str) -> LossPoint | None:
    parts = line.split(",")
    if len(parts) != 3:
        return None
    try:
        return LossPoint(int(parts[0]), float(parts[1]), float(parts[2]))
    except ValueError:
        return None


def logged_losses(log_file: Path) -> tuple[LossPoint, ...]:
    """The smoothed losses of `train.log`'s progress lines, by step (older runs' only record)."""
    try:
        lines = log_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ()
    points: dict[int, LossPoint] = {}
    for line in lines:
        try:
            entry = json.loads(line)
            if entry.get("event") == _PROGRESS_EVENT and entry.get("loss") is not None:
                points[int(entry["step"])] = LossPoint(int(entry["step"]), None, entry["loss"])
        except (ValueError, TypeError, KeyError, AttributeError):
            continue
    return tuple(points[step] for step in sorted(points))
