"""How fast faces are found and matched: detect_faces per frame, and matching per face at scale.

    .venv/bin/python -m benchmarks.faces [--media DIR] [--frames 12] [--faces 200]

Detection: frames spread over short_hamilton_clip.mp4 (640x360, and the same frames resized
to 1280x720) when the media folder holds it, otherwise generated smooth-noise pictures with
no face in them (detection alone is then timed, no encoding). Each size runs at the
upsampling upsample_for chooses, marked "default", and at its neighbours, with the faces
found, since the encodings (one per face) cost as much as the detection.

Matching: random 128-d vectors shaped like dlib's (normal, sd 0.09: norm about 1, strangers
about 1.4 apart), 10 / 1,000 / 100,000 references over 10 / 100 / 1,000 characters; half the
faces lie near a stored reference, half are strangers. ReferenceSet one face at a time and in
one batch, beside the baseline a first version would write: a Python loop over characters,
each a numpy distance to its references. The baseline's decisions are compared with the
set's. It prints figures; it never judges them.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt

from evaluation.table import DEFAULT_MEDIA, print_table
from handlers.face_matching import (
    DEFAULT_MARGIN,
    DEFAULT_TOLERANCE,
    MAX_UPSAMPLE,
    Match,
    ReferenceSet,
    detect_faces,
    upsample_for,
)

CLIP = "faces/face_recognition/examples/short_hamilton_clip.mp4"
SIZES = ((640, 360), (1280, 720))
SCALES = ((10, 10), (1_000, 100), (100_000, 1_000))
BASELINE_FACES = 20  # the loop is slow at 1,000 characters; its per-face time is steady
SEED = 20240612
Picture = npt.NDArray[np.uint8]
Vectors = npt.NDArray[np.float64]


def resize(picture: Picture, size: tuple[int, int]) -> Picture:
    return np.asarray(cv2.resize(picture, size, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)


def clip_frames(path: Path, count: int) -> list[Picture]:
    """`count` frames evenly spread over the clip, so every shot is represented."""
    with av.open(str(path)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    picks = np.linspace(0, len(frames) - 1, count).round().astype(int)
    return [np.asarray(frames[i], dtype=np.uint8) for i in picks]


def generated_frames(count: int, rng: np.random.Generator) -> list[Picture]:
    small = rng.integers(0, 256, (count, 36, 64, 3), dtype=np.uint8)
    return [resize(s, (640, 360)) for s in small]


def pictures(media: Path, count: int) -> tuple[str, list[Picture]]:
    if (media / CLIP).is_file():
        return f"{CLIP} ({count} frames spread over it)", clip_frames(media / CLIP, count)
    rng = np.random.default_rng(SEED)
    return "generated smooth noise (media not found: no faces)", generated_frames(count, rng)


def detection_row(frames: Sequence[Picture], size: tuple[int, int], upsample: int) -> list[str]:
    resized = [f if f.shape[1] == size[0] else resize(f, size) for f in frames]
    started = time.perf_counter()
    found = sum(len(detect_faces(frame, upsample)) for frame in resized)
    seconds = time.perf_counter() - started
    default = " (default)" if upsample == upsample_for(*size) else ""
    return [
        f"{size[0]}x{size[1]}",
        f"{upsample}{default}",
        f"{len(frames) / seconds:.1f}",
        f"{seconds / len(frames) * 1000:.0f}",
        str(found),
    ]


def around(default: int) -> list[int]:
    return sorted({max(0, default - 1), default, min(MAX_UPSAMPLE, default + 1)})


def detection_section(media: Path, count: int) -> None:
    source, frames = pictures(media, count)
    print(f"detect_faces (HOG + 128-d encodings) on {source}")
    detect_faces(frames[0])  # loads dlib's models: not part of any figure
    rows = [
        detection_row(frames, size, upsample)
        for size in SIZES
        for upsample in around(upsample_for(*size))
    ]
    print_table(("frame", "upsample", "frames/s", "ms/frame", "faces found"), rows)


def references(count: int, characters: int, rng: np.random.Generator) -> tuple[list[str], Vectors]:
    names = [f"character {i % characters:04d}" for i in range(count)]
    return names, rng.normal(0.0, 0.09, (count, 128))


def queries(encodings: Vectors, count: int, rng: np.random.Generator) -> Vectors:
    near = encodings[rng.integers(0, len(encodings), count // 2)]
    near = near + rng.normal(0.0, 0.02, near.shape)
    strangers = rng.normal(0.0, 0.09, (count - len(near), 128))
    return np.vstack([near, strangers])


def grouped(names: Sequence[str], encodings: Vectors) -> dict[str, Vectors]:
    rows: dict[str, list[int]] = {}
    for row, name in enumerate(names):
        rows.setdefault(name, []).append(row)
    return {name: encodings[indices] for name, indices in rows.items()}


def loop_over_characters(by_character: dict[str, Vectors], face: Vectors) -> Match:
    """The same rule, one character at a time."""
    nearest = {
        name: float(np.linalg.norm(stored - face, axis=1).min())
        for name, stored in by_character.items()
    }
    ranked = sorted(nearest.items(), key=lambda pair: pair[1])
    best, distance = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else float("inf")
    known = distance <= DEFAULT_TOLERANCE and runner_up - distance >= DEFAULT_MARGIN
    return Match(best if known else None, distance, runner_up)


def per_face_us(run: Callable[[], list[Match]], faces: int) -> tuple[list[Match], float]:
    started = time.perf_counter()
    matches = run()
    return matches, (time.perf_counter() - started) / faces * 1e6


def matching_row(count: int, characters: int, faces: int, rng: np.random.Generator) -> list[str]:
    names, encodings = references(count, characters, rng)
    asked = queries(encodings, faces, rng)
    started = time.perf_counter()
    reference_set = ReferenceSet(names, encodings)
    build_ms = (time.perf_counter() - started) * 1000
    _, single_us = per_face_us(lambda: [reference_set.match(face) for face in asked], faces)
    batch, batch_us = per_face_us(lambda: reference_set.match_many(asked), faces)
    by_character = grouped(names, encodings)
    sample = asked[:: max(1, faces // BASELINE_FACES)]
    loop, loop_us = per_face_us(
        lambda: [loop_over_characters(by_character, face) for face in sample], len(sample)
    )
    sampled = batch[:: max(1, faces // BASELINE_FACES)]
    differ = sum(a.character != b.character for a, b in zip(sampled, loop, strict=True))
    return [
        f"{count:,}",
        f"{characters:,}",
        f"{build_ms:.1f}",
        f"{single_us:.0f}",
        f"{batch_us:.1f}",
        f"{loop_us:.0f}",
        f"{loop_us / single_us:.0f}x",
        f"{loop_us / batch_us:.0f}x",
        f"{differ}/{len(sample)}",
    ]


def matching_section(faces: int) -> None:
    rng = np.random.default_rng(SEED)
    # OpenBLAS threads spin against other work on a small machine; the setting moves the figures.
    threads = os.environ.get("OPENBLAS_NUM_THREADS", "unset")
    print(f"\nmatching {faces} faces (half near a reference, half strangers), us per face")
    print(f"numpy BLAS: OPENBLAS_NUM_THREADS={threads}, {os.cpu_count()} cores")
    rows = [matching_row(count, characters, faces, rng) for count, characters in SCALES]
    header = (
        "references",
        "characters",
        "build ms",
        "one at a time",
        "batch",
        "loop baseline",
        "gain (one)",
        "gain (batch)",
        "decisions differing",
    )
    print_table(header, rows)


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--media", type=Path, default=DEFAULT_MEDIA)
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--faces", type=int, default=200)
    return parser.parse_args()


def main() -> None:
    args = arguments()
    started = time.perf_counter()
    detection_section(args.media, args.frames)
    matching_section(args.faces)
    print(f"\ntotal wall time: {time.perf_counter() - started:.0f} s")
    print(f"command: {shlex.join(['.venv/bin/python', '-m', 'benchmarks.faces', *sys.argv[1:]])}")


if __name__ == "__main__":
    main()
