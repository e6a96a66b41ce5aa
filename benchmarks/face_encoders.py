"""dlib's 128-d encoder as dlib runs it beside the same network run by torch, in the same run.

The faces are the ones the default detector finds in the benchmark's frames; each is aligned
once by dlib (the chips both encoders take). dlib's side is face_recognition_model_v1's
compute_face_descriptor on each chip, what face_recognition.face_encodings ran before;
torch's is handlers.face_encoder, a frame's faces in one batch, on one thread as the daemon
runs it. They alternate over the rounds (benchmarks.rounds). The largest difference between
the two encodings of any face is printed beside the times. It prints figures; it never judges.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from benchmarks.rounds import Spread, alternating, ratios
from evaluation.table import print_table
from handlers.dlib_models import DLIB_LOCK
from handlers.face_detectors import detector_for
from handlers.face_encoder import Chips, face_encoder

Picture = npt.NDArray[np.uint8]


def frame_chips(frames: Sequence[Picture], detector: str) -> list[Chips]:
    """Each frame's faces, aligned; frames without a face are left out."""
    finder, encoder = detector_for(detector), face_encoder()
    chips = []
    with DLIB_LOCK:
        for frame in frames:
            picture = np.ascontiguousarray(frame)
            boxes = [candidate.box for candidate in finder.find(picture)]
            if boxes:
                chips.append(encoder.chips(picture, boxes))
    return chips


def encoders_section(frames: Sequence[Picture], rounds: int, detector: str = "auto") -> None:
    import dlib
    import face_recognition_models

    network = dlib.face_recognition_model_v1(
        face_recognition_models.face_recognition_model_location()
    )
    chips = frame_chips(frames, detector)
    faces = sum(len(frame) for frame in chips)
    encoder = face_encoder()

    def dlib_ms() -> float:
        started = time.perf_counter()
        for frame in chips:
            for chip in frame:
                network.compute_face_descriptor(chip)
        return 1000 * (time.perf_counter() - started) / faces

    def torch_ms() -> float:
        started = time.perf_counter()
        with DLIB_LOCK:
            for frame in chips:
                encoder.encode(frame)
        return 1000 * (time.perf_counter() - started) / faces

    dlib_times, torch_times = alternating(rounds, [dlib_ms, torch_ms])
    largest = max(
        float(np.abs(np.array(network.compute_face_descriptor(chip)) - ours).max())
        for frame in chips
        for chip, ours in zip(frame, encoder.encode(frame), strict=True)
    )
    print(
        f"\ndlib's face encoder, dlib against torch: {faces} faces found by {detector} in "
        f"{len(chips)} frames, {rounds} alternating rounds, one thread each"
    )
    print_table(
        ("encoder", "ms a face (range)", "gain over dlib", "largest difference"),
        [
            ["dlib (compute_face_descriptor)", Spread.of(dlib_times).text(1), "1.00", ""],
            [
                "torch (handlers.face_encoder)",
                Spread.of(torch_times).text(1),
                Spread.of(ratios(dlib_times, torch_times)).text(2),
                f"{largest:.1e}",
            ],
        ],
    )
