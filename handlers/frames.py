"""`frames`: which of the pass's candidates become the movie's frames.

In the default `shots` mode a static shot gives its middle frame and a moving shot its
start, middle and end frames (each the sharpest near that point, and never the same frame
twice); shots shorter than `frames.min_shot_seconds` give none. In `interval` and
`keyframes` modes every candidate is a frame. `frames.max_per_minute` is applied by
`quality` to the distinct frames it would keep (see minute_cap): applied here, before
duplicates are known, repeats of one picture would take the places of different ones.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import ClassVar

from daemon.config import FramesConfig
from handlers.base import MovieJob
from handlers.frame_capture import Candidate, roles_for_shot
from handlers.shots import ShotKind, ShotList


@dataclass(frozen=True)
class FrameSelection:
    chosen: tuple[Candidate, ...]
    short_shots: int  # shots that gave no frame for being too short
    not_chosen: int  # candidates the rules above did not take


class FramesHandler:
    name: ClassVar[str] = "frames"
    result_type: ClassVar[type] = FrameSelection

    def __init__(self, config: FramesConfig | None = None) -> None:
        self.config = config or FramesConfig()

    def run(self, job: MovieJob) -> FrameSelection:
        shots = job.result(ShotList)
        if shots.mode == "shots":
            picked, short = self._per_shot(shots)
        else:
            picked, short = list(shots.candidates), 0
        return FrameSelection(
            chosen=tuple(sorted(picked, key=lambda c: c.seconds)),
            short_shots=short,
            not_chosen=len(shots.candidates) - len(picked),
        )

    def _per_shot(self, shots: ShotList) -> tuple[list[Candidate], int]:
        by_shot: dict[int, list[Candidate]] = defaultdict(list)
        for candidate in shots.candidates:
            by_shot[candidate.shot].append(candidate)
        picked: list[Candidate] = []
        short = 0
        for shot in shots.shots:
            if shot.seconds < self.config.min_shot_seconds:
                short += 1
                continue
            roles = roles_for_shot(static=shot.kind is ShotKind.STATIC)
            picked.extend(c for c in by_shot[shot.index] if c.role in roles)
        return picked, short
