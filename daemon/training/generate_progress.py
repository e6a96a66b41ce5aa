"""What `bunny generate` shows on stderr while it works (stdout is for the images' paths).

On a terminal one line that updates in place: `image 2/4, step 13/30, 0:41 left`. Elsewhere
(a pipe, a log file) one line per finished image: `image 2/4 done in 12.3 s, 0:41 left: PATH`.
The time left is the time per step so far times the steps still to run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from daemon.display_text import REASON_LIMIT, shown

CLEAR_TO_END = "\x1b[K"


def clock_text(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class GenerationProgress:
    def __init__(
        self,
        count: int,
        steps: int,
        stream: TextIO,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.count, self.steps, self.stream, self.clock = count, steps, stream, clock
        self.terminal = stream.isatty()
        self.started = clock()
        self.image_started = self.started
        self.done_steps = 0
        self._line_open = False  # a terminal line not yet ended by a newline

    def seconds_left(self) -> float | None:
        if not self.done_steps:
            return None
        per_step = (self.clock() - self.started) / self.done_steps
        return per_step * (self.count * self.steps - self.done_steps)

    def _left(self) -> str:
        left = self.seconds_left()
        return "" if left is None else f", {clock_text(left)} left"

    def start_image(self, index: int) -> None:
        self.image_started = self.clock()
        self.done_steps = (index - 1) * self.steps
        if self.terminal:
            self._show(f"image {index}/{self.count}, step 0/{self.steps}{self._left()}")

    def step(self, index: int, step: int, steps: int) -> None:
        """`step` of the `steps` of image `index` (from 1) is done. The scheduler decides the
        steps (see generation.StepCallback); the first image's count stands for the others."""
        self.steps = steps
        self.done_steps = (index - 1) * self.steps + step
        if self.terminal:
            self._show(f"image {index}/{self.count}, step {step}/{self.steps}{self._left()}")

    def image_done(self, index: int, path: Path) -> float:
        """Note the image; the seconds it took."""
        seconds = self.clock() - self.image_started
        self.done_steps = index * self.steps
        where = shown(str(path), REASON_LIMIT)
        line = f"image {index}/{self.count} done in {seconds:.1f} s{self._left()}: {where}"
        if self.terminal:
            self._show(line)
            if index == self.count:
                self.end()
        else:
            self.stream.write(line + "\n")
        self.stream.flush()
        return seconds

    def end(self) -> None:
        """End the terminal's progress line (also when generation fails or is interrupted,
        so that the next message starts on a line of its own)."""
        if self._line_open:
            self.stream.write("\n")
            self.stream.flush()
            self._line_open = False

    def _show(self, line: str) -> None:
        self.stream.write(f"\r{line}{CLEAR_TO_END}")
        self.stream.flush()
        self._line_open = True
