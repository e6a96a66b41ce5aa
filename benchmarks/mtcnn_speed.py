"""Frames per second of MTCNN beside dlib's HOG, detection alone and with 128-d encodings.

    .venv/bin/python -m benchmarks.mtcnn_speed [--media DIR] [--frames 12] [--rounds 5]

The frames of benchmarks.faces (spread over short_hamilton_clip.mp4, 640x360, and the same
frames resized to 1280x720). HOG at the upsampling upsample_for chooses; MTCNN with its
defaults (20 px smallest face, one torch thread). The contenders alternate over --rounds
rounds (benchmarks.rounds); each figure is the median with its range. One process: on a
shared machine the figures move with everyone else's work. A two-thread MTCNN is not among
them: its OpenMP threads, spinning after each search, slowed the others down in one process.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import face_recognition

from benchmarks.faces import CLIP, SIZES, Picture, clip_frames, resize
from benchmarks.rounds import Spread, alternating, rounds_argument
from evaluation.table import DEFAULT_MEDIA, print_table
from handlers.face_matching import detect_faces, upsample_for
from handlers.mtcnn import MtcnnDetector

Pass = Callable[[Picture], int]  # one frame through a contender: the faces it found


def hog_alone(frame: Picture) -> int:
    height, width = frame.shape[:2]
    return len(face_recognition.face_locations(frame, upsample_for(width, height)))


def hog_encoded(frame: Picture) -> int:
    return len(detect_faces(frame))


def mtcnn_passes(detector: MtcnnDetector) -> tuple[Pass, Pass]:
    def alone(frame: Picture) -> int:
        return len(detector.find(frame))

    def encoded(frame: Picture) -> int:
        boxes = [(c.box.top, c.box.right, c.box.bottom, c.box.left) for c in detector.find(frame)]
        return len(face_recognition.face_encodings(frame, known_face_locations=boxes))

    return alone, encoded


def timed(frames: Sequence[Picture], one: Pass, found: list[int]) -> Callable[[], float]:
    def run() -> float:
        started = time.perf_counter()
        found.append(sum(one(frame) for frame in frames))
        return len(frames) / (time.perf_counter() - started)

    return run


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--media", type=Path, default=DEFAULT_MEDIA)
    parser.add_argument("--frames", type=int, default=12)
    rounds_argument(parser, default=5)
    args = parser.parse_args()
    if not (args.media / CLIP).is_file():
        print(f"{CLIP} not found in {args.media}: pass --media DIR", file=sys.stderr)
        return 2
    mtcnn_alone, mtcnn_encoded = mtcnn_passes(MtcnnDetector(threads=1))
    contenders: dict[str, Pass] = {
        "hog": hog_alone,
        "hog + encodings": hog_encoded,
        "mtcnn": mtcnn_alone,
        "mtcnn + encodings": mtcnn_encoded,
    }
    clip = clip_frames(args.media / CLIP, args.frames)
    rows = []
    for size in SIZES:
        frames = [f if f.shape[1] == size[0] else resize(f, size) for f in clip]
        hog_encoded(frames[0])  # loads dlib's models: not part of any figure
        found: dict[str, list[int]] = {name: [] for name in contenders}
        runs = [timed(frames, one_pass, found[name]) for name, one_pass in contenders.items()]
        figures = alternating(args.rounds, runs)
        for name, values in zip(contenders, figures, strict=True):
            faces = found[name][0]
            rows.append((f"{size[0]}x{size[1]}", name, Spread.of(values).text(1), str(faces)))
    print(f"{len(clip)} frames of {CLIP}, {args.rounds} alternating rounds")
    print_table(("frame", "detector", "frames/s median (range)", "faces found"), rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
