"""The `frames` stage's rules: one frame per static shot, three per moving one, limits."""

from __future__ import annotations

import threading
from pathlib import Path

from daemon.config import FramesConfig
from handlers.base import MovieJob, StageContext
from handlers.frame_capture import Candidate, CandidateRole
from handlers.frames import FrameSelection, FramesHandler
from handlers.letterbox import CropBox
from handlers.sharpness_spread import SharpnessSpread
from handlers.shots import Shot, ShotKind, ShotList

ROLES = (CandidateRole.START, CandidateRole.MIDDLE, CandidateRole.END)


def shot(index: int, start: float, end: float, kind: ShotKind) -> Shot:
    return Shot(index, start, end, int(start * 24), int(end * 24), kind, 0.0)


def candidate(seconds: float, shot: int, role: CandidateRole, sharpness: float = 10.0) -> Candidate:
    return Candidate(f"{seconds:09.3f}", seconds, shot, role, sharpness, 100.0, 0.2, 0)


def shot_list(shots: list[Shot], candidates: list[Candidate], mode: str = "shots") -> ShotList:
    spread = SharpnessSpread(100, 5.0, 10.0, 20.0)
    crop = CropBox(0, 0, 160, 96)
    return ShotList(tuple(shots), 100, 0, mode, crop, spread, tuple(candidates))


def select(shots: ShotList, config: FramesConfig | None = None) -> FrameSelection:
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    job = MovieJob("m", Path("movie.mp4"), Path("library"), (shots,), context)
    return FramesHandler(config).run(job)


def three_for(index: int, start: float, end: float) -> list[Candidate]:
    middle = (start + end) / 2
    return [
        candidate(t, index, role) for t, role in zip((start, middle, end - 0.1), ROLES, strict=True)
    ]


def test_static_shot_gives_its_middle_and_moving_shot_all_three() -> None:
    shots = [shot(0, 0, 4, ShotKind.STATIC), shot(1, 4, 8, ShotKind.MOVING)]
    result = select(shot_list(shots, three_for(0, 0, 4) + three_for(1, 4, 8)))
    chosen = [(c.shot, c.role) for c in result.chosen]
    assert chosen == [(0, CandidateRole.MIDDLE), *((1, role) for role in ROLES)]
    assert result.not_chosen == 2


def test_shots_shorter_than_the_minimum_give_nothing() -> None:
    shots = [shot(0, 0, 0.3, ShotKind.MOVING), shot(1, 0.3, 4, ShotKind.STATIC)]
    result = select(shot_list(shots, three_for(0, 0, 0.3) + three_for(1, 0.3, 4)))
    assert [c.shot for c in result.chosen] == [1]
    assert result.short_shots == 1


def test_the_per_minute_limit_is_left_to_quality_which_knows_the_duplicates() -> None:
    candidates = [candidate(i * 2.0, 0, CandidateRole.INTERVAL, sharpness=i) for i in range(40)]
    shots = [shot(0, 0, 80, ShotKind.MOVING)]
    result = select(shot_list(shots, candidates, "interval"), FramesConfig(max_per_minute=5))
    assert len(result.chosen) == 40
    assert [c.seconds for c in result.chosen] == sorted(c.seconds for c in result.chosen)


def test_interval_and_keyframe_modes_take_every_candidate() -> None:
    candidates = [candidate(i * 2.0, 0, CandidateRole.KEYFRAME) for i in range(5)]
    result = select(shot_list([shot(0, 0, 10, ShotKind.STATIC)], candidates, "keyframes"))
    assert len(result.chosen) == 5
