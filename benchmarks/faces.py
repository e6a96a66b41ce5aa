"""How fast faces are found and matched: detect_faces per frame, and matching per face at scale.

    .venv/bin/python -m benchmarks.faces [--media DIR] [--frames 12] [--faces 200] [--rounds 7]
    .venv/bin/python -m benchmarks.faces --matching-only

Detection: frames spread over short_hamilton_clip.mp4 (640x360, and the same frames resized
to 1280x720) from the media folder (--media; ../shared/media beside the repository by
default). Without that clip it stops and says what to pass: pictures with no face in them
would time a detector that finds nothing and encodes nothing. Each size runs at the
upsampling upsample_for chooses, marked "default", and at its neighbours, with the faces
found, since the encodings (one per face) cost as much as the detection.

The whole faces stage: --stage-frames frames spread over the same clip, written as kept
frames, run through FacesHandler with faces.workers 1 (the daemon's own process) and with
--workers processes (the core count by default), alternating over --rounds rounds; and the
cost of starting the workers (benchmarks/face_stage.py).

Matching: random 128-d vectors shaped like dlib's (normal, sd 0.09: norm about 1, strangers
about 1.4 apart), 10 / 1,000 / 100,000 references over 10 / 100 / 1,000 characters; half the
faces lie near a stored reference, half are strangers. ReferenceSet one face at a time and in
one batch, beside the baseline a first version would write: a Python loop over characters,
each a numpy distance to its references, the three alternating over --rounds rounds; the gains
are the medians of the per-round ratios, with their range. The baseline's decisions are
compared with the set's. It prints figures; it never judges them.

Detectors: every faces.detector beside HOG on the same frames (benchmarks.face_detector_speed).

Encoders: dlib's 128-d network run by dlib beside the same network run by torch, on the faces
the default detector finds in the same frames (benchmarks.face_encoders).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import av
import cv2
import numpy as np
import numpy.typing as npt

from benchmarks.face_detector_speed import SLOW, detectors_section
from benchmarks.face_encoders import encoders_section
from benchmarks.face_matching_scale import matching_section
from benchmarks.face_stage import stage_section
from benchmarks.rounds import rounds_argument
from daemon.config import FacesConfig
from evaluation.table import DEFAULT_MEDIA, print_table
from handlers.dlib_models import dlib_has_cuda
from handlers.face_detectors import DETECTOR_NAMES
from handlers.face_matching import (
    MAX_UPSAMPLE,
    detect_faces,
    upsample_for,
)

CLIP = "faces/face_recognition/examples/short_hamilton_clip.mp4"
SIZES = ((640, 360), (1280, 720))
Picture = npt.NDArray[np.uint8]


def resize(picture: Picture, size: tuple[int, int]) -> Picture:
    return np.asarray(cv2.resize(picture, size, interpolation=cv2.INTER_CUBIC), dtype=np.uint8)


def clip_frames(path: Path, count: int) -> list[Picture]:
    """`count` frames evenly spread over the clip, so every shot is represented."""
    with av.open(str(path)) as container:
        frames = [frame.to_ndarray(format="rgb24") for frame in container.decode(video=0)]
    picks = np.linspace(0, len(frames) - 1, count).round().astype(int)
    return [np.asarray(frames[i], dtype=np.uint8) for i in picks]


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


def detection_section(clip: Path, count: int) -> list[Picture]:
    frames = clip_frames(clip, count)
    print(f"detect_faces (HOG + 128-d encodings) on {count} frames spread over {clip}")
    detect_faces(frames[0])  # loads dlib's models: not part of any figure
    rows = [
        detection_row(frames, size, upsample)
        for size in SIZES
        for upsample in around(upsample_for(*size))
    ]
    print_table(("frame", "upsample", "frames/s", "ms/frame", "faces found"), rows)
    return frames


def refusal(media: Path, given: bool) -> str:
    where = "as given by --media" if given else "the default: ../shared/media beside the repository"
    return (
        f"benchmarks.faces: {CLIP} is not in {media} ({where}).\n"
        "Detection is timed on that clip's frames: pictures without faces would time a detector "
        "that finds and encodes nothing.\n"
        f"Pass --media DIR, the project's shared media folder (DIR/{CLIP} must exist), "
        "or --matching-only to time matching alone, which needs no media."
    )


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    media_help = f"the shared media folder, holding {CLIP} (default: {DEFAULT_MEDIA})"
    parser.add_argument("--media", type=Path, help=media_help)
    parser.add_argument("--frames", type=int, default=12, help="frames of the clip to detect in")
    parser.add_argument("--faces", type=int, default=200, help="faces to match at each scale")
    parser.add_argument(
        "--stage-frames", type=int, default=40, help="kept frames for the whole faces stage"
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=FacesConfig().process_count,
        help="faces.workers set against 1 in the stage's timing (default: the core count)",
    )
    parser.add_argument("--matching-only", action="store_true", help="skip detection")
    slow = () if dlib_has_cuda() else SLOW  # dlib's CNN on a CPU: seconds a frame
    names = ",".join(name for name in DETECTOR_NAMES if name != "auto" and name not in slow)
    parser.add_argument(
        "--detectors", default=names, help=f"comma-separated (default {names}; cnn when named)"
    )
    parser.add_argument(
        "--stage-detectors",
        default="auto,hog",
        help="faces.detector values the whole stage is timed with (default: auto beside hog)",
    )
    parser.add_argument("--cnn-frames", type=int, default=2, help="frames dlib's CNN is timed on")
    rounds_argument(parser)
    return parser.parse_args()


def main() -> int:
    args = arguments()
    started = time.perf_counter()
    stage_detectors = args.stage_detectors.split(",")
    if unknown := [name for name in stage_detectors if name not in DETECTOR_NAMES]:
        print(f"--stage-detectors: unknown {', '.join(unknown)}", file=sys.stderr)
        return 2
    if not args.matching_only:
        media: Path = args.media or DEFAULT_MEDIA
        if not (media / CLIP).is_file():
            print(refusal(media, given=args.media is not None), file=sys.stderr)
            return 2
        origin = "--media" if args.media else "the default media folder, ../shared/media"
        print(f"media: {media} ({origin})")
        frames = detection_section(media / CLIP, args.frames)
        detectors_section(frames, args.detectors.split(","), args.rounds, args.cnn_frames)
        encoders_section(frames, args.rounds)
        stage_frames = clip_frames(media / CLIP, args.stage_frames)
        for detector in stage_detectors:
            stage_section(stage_frames, args.workers, args.rounds, detector)
    matching_section(args.faces, args.rounds)
    print(f"\ntotal wall time: {time.perf_counter() - started:.0f} s")
    print(f"command: {shlex.join(['.venv/bin/python', '-m', 'benchmarks.faces', *sys.argv[1:]])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
