"""Every face detector's frames/s beside HOG's, in the same run: detection and 128-d encoding.

Each detector runs detect_faces (its detection, then dlib's encoder on every face it found) on
the same frames at 640x360 and 1280x720, in one process, one core, and its detection alone
(the encoder's cost grows with the faces found, the detection's does not); they alternate
over the rounds (benchmarks.rounds) and the figure is the median of the rounds with its range,
beside the median of the per-round ratios to HOG. dlib's CNN takes seconds a frame on a CPU,
so it is timed on its first --cnn-frames frames only. A detector that cannot load is a row
saying why. It prints figures; it never judges them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import cv2
import numpy as np
import numpy.typing as npt

from benchmarks.rounds import Spread, alternating, ratios
from evaluation.table import print_table
from handlers.face_detectors import detector_for
from handlers.face_matching import Detector, detect_faces

Picture = npt.NDArray[np.uint8]
SIZES = ((640, 360), (1280, 720))
SLOW = ("cnn",)


def resized(frames: Sequence[Picture], size: tuple[int, int]) -> list[Picture]:
    return [
        f
        if f.shape[1] == size[0]
        else np.asarray(cv2.resize(f, size, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)
        for f in frames
    ]


def frames_per_second(name: Detector, frames: Sequence[Picture], found: list[int]) -> float:
    started = time.perf_counter()
    found[0] = sum(len(detect_faces(frame, detector=name)) for frame in frames)
    return len(frames) / (time.perf_counter() - started)


def detection_per_second(name: Detector, frames: Sequence[Picture]) -> float:
    """Detection alone: the same detector instance detect_faces uses, without the encoder."""
    detector = detector_for(name)
    started = time.perf_counter()
    for frame in frames:
        detector.find(frame)
    return len(frames) / (time.perf_counter() - started)


def loadable(names: Sequence[str]) -> tuple[list[str], list[list[str]]]:
    """The detectors that load (each loaded once, outside the timing), and a row for each other."""
    ready, refused = [], []
    for name in names:
        try:
            detector_for(name)
        except Exception as exc:  # a detector that cannot load is a row saying why
            refused.append([name, "", f"unavailable: {exc}", "", "", "", ""])
            continue
        ready.append(name)
    return ready, refused


def size_rows(
    names: Sequence[Detector], frames: Sequence[Picture], rounds: int, slow_frames: int
) -> list[list[str]]:
    found = {name: [0] for name in names}
    picks = {name: frames[:slow_frames] if name in SLOW else frames for name in names}
    for name in names:
        detect_faces(picks[name][0], detector=name)  # loads dlib's models and the detector
    contenders: list[Callable[[], float]] = [
        *(
            lambda name=name: frames_per_second(name, picks[name], found[name])  # type: ignore[misc]
            for name in names
        ),
        *(lambda name=name: detection_per_second(name, picks[name]) for name in names),  # type: ignore[misc]
    ]
    timed = alternating(rounds, contenders)
    whole = dict(zip(names, timed[: len(names)], strict=True))
    alone = dict(zip(names, timed[len(names) :], strict=True))
    size = f"{frames[0].shape[1]}x{frames[0].shape[0]}"
    return [
        [
            size,
            name,
            Spread.of(whole[name]).text(1),
            Spread.of(ratios(whole[name], whole["hog"])).text(2) if "hog" in whole else "",
            Spread.of(alone[name]).text(1),
            Spread.of(ratios(alone[name], alone["hog"])).text(2) if "hog" in alone else "",
            f"{found[name][0]} in {len(picks[name])} frames",
        ]
        for name in names
    ]


def detectors_section(
    frames: Sequence[Picture], names: Sequence[str], rounds: int, slow_frames: int
) -> None:
    ready, refused = loadable(names)
    print(
        f"\ndetect_faces per detector (detection + 128-d encodings, one process), {rounds} "
        f"alternating rounds; {', '.join(SLOW)} on its first {slow_frames} frames"
    )
    rows = [
        row
        for size in SIZES
        for row in size_rows(ready, resized(frames, size), rounds, slow_frames)  # type: ignore[arg-type]
    ]
    header = (
        "frame",
        "detector",
        "frames/s (range)",
        "x HOG (range)",
        "detection alone",
        "x HOG",
        "faces found",
    )
    print_table(header, [*rows, *refused])
