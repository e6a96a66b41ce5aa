"""Scenes (places) on the real clips in ../shared/media: the frame stages, then `scenes`.

    .venv/bin/python -m evaluation.places [--media DIR]

One row per clip: the scenes expected (judged by eye from the clips' frames: the Hamilton
clip is one hall, GoldenEye one computer room, vtest one street; testvideo's four kept
shots are a rock, a deer, another rock and, after the dissolve at frames 529-558, a metal
grille) and found. A last row mixes the clips' shots in
every order, as if cut into one movie, and counts the scenes that span two clips (wrongly
joined) and the clips split into several scenes (wrongly split, testvideo aside).

The expectations hold for the built-in descriptor at the default `descriptor_threshold`;
with a CLIP model they are shown for information.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import structlog

from daemon.config import Config
from evaluation.stages import run_frame_stages
from evaluation.table import Row, guarded, media_folder, print_rows
from handlers.base import MovieJob, StageContext
from handlers.embedders import SharedEmbedder
from handlers.scenes import ScenesHandler, ScenesReport, group_shots

# (clip, scenes expected, whether all its shots are one place)
PLACES = (
    ("faces/face_recognition/examples/short_hamilton_clip.mp4", 1, True),
    ("scenes/testvideo.mp4", 4, False),
    ("scenes/goldeneye-vfr-drop3.mp4", 1, True),
    ("clips/vtest.avi", 1, True),
)


@dataclass(frozen=True)
class ClipScenes:
    clip: str
    report: ScenesReport


def scenes_of(media: Path, clip: str, shared: SharedEmbedder) -> ClipScenes:
    config = Config()
    with tempfile.TemporaryDirectory(prefix="bunny-eval-") as library:
        frames = run_frame_stages(media / clip, Path(library), config)
        context = StageContext(
            report_progress=lambda _: None,
            stop_event=threading.Event(),
            log=structlog.wrap_logger(structlog.PrintLogger(sys.stderr)),  # keep stdout's table
        )
        earlier = (frames.shots, frames.selection, frames.quality)
        job = MovieJob("eval", media / clip, Path(library), earlier, context)
        report = ScenesHandler(config.scenes, shared).run(job)
    return ClipScenes(clip, report)


def shot_vectors(report: ScenesReport) -> np.ndarray:
    """The unit mean vector of each shot, in shot order (as the stage groups them)."""
    shots = sorted({frame.shot for frame in report.frames})
    means = np.stack(
        [
            np.mean([frame.vector for frame in report.frames if frame.shot == shot], axis=0)
            for shot in shots
        ]
    )
    return np.asarray(means / np.linalg.norm(means, axis=1, keepdims=True), np.float32)


def mixed_errors(found: list[ClipScenes], one_place: dict[str, bool]) -> tuple[int, int, int]:
    """(orders tried, shot pairs wrongly joined across clips, wrongly split within a place)."""
    config = Config().scenes
    threshold = found[0].report.threshold
    joined = split = orders = 0
    for order in itertools.permutations(found):
        vectors = np.concatenate([shot_vectors(c.report) for c in order])
        clips = [c.clip for c in order for _ in range(len(shot_vectors(c.report)))]
        scenes = group_shots(vectors, threshold, config.look_back_shots)
        orders += 1
        for i in range(1, len(clips)):
            same_scene = scenes[i] == scenes[i - 1]
            joined += clips[i] != clips[i - 1] and same_scene
            split += clips[i] == clips[i - 1] and one_place[clips[i]] and not same_scene
    return orders, joined, split


def main(argv: list[str] | None = None) -> int:
    media = media_folder(argv, __doc__, "scenes", "clips", "faces")
    if media is None:
        return 2
    shared = SharedEmbedder()
    found: list[ClipScenes] = []
    rows: list[Row] = []
    for clip, expected, _ in PLACES:

        def judge(clip: str = clip, expected: int = expected) -> tuple[str, bool | None]:
            result = scenes_of(media, clip, shared)
            found.append(result)
            scenes = result.report.scenes
            spans = ", ".join(f"shots {s.first_shot}-{s.last_shot}" for s in scenes)
            return f"{len(scenes)} ({spans}) [{result.report.embedder}]", _judged(
                result, len(scenes) == expected
            )

        rows.append(guarded(clip, f"{expected} scene(s)", judge))
    if len(found) == len(PLACES):
        one_place = {clip: whole for clip, _, whole in PLACES}

        def mixed() -> tuple[str, bool | None]:
            orders, joined, split = mixed_errors(found, one_place)
            text = f"{orders} orders: {joined} joined across clips, {split} split within one"
            return text, _judged(found[0], joined == 0 and split == 0)

        rows.append(guarded("all clips' shots mixed", "none joined, none split", mixed))
    return print_rows(rows)


def _judged(result: ClipScenes, passed: bool) -> bool | None:
    """Judged for the built-in descriptor; for information with another embedder."""
    return passed if result.report.embedder.startswith("descriptor:") else None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
