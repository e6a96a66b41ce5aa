"""A part of an image batch through probe, shots, frames and quality: each image read once and
judged against its batch, a bad image listed with its reason while the others go on."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from daemon.config import FramesConfig
from handlers.base import MovieJob, SourceImage, StageContext
from handlers.frame_capture import timestamp_name
from handlers.frames import FrameSelection, FramesHandler
from handlers.image_decoding import ImageLimits
from handlers.image_probe import ImageProbe, ImageProbeHandler
from handlers.image_shots import ImageShotsHandler
from handlers.minute_cap import MinuteCap
from handlers.quality import QualityHandler, QualityReport, Verdict
from handlers.shots import ShotList


def textured(seed: int, blur: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 255, (45, 80, 3), dtype=np.uint8)
    picture = cv2.resize(small, (640, 360), interpolation=cv2.INTER_NEAREST)
    return cv2.GaussianBlur(picture, (0, 0), blur) if blur else picture


def part(folder: Path, pictures: dict[str, np.ndarray | bytes]) -> tuple[SourceImage, ...]:
    folder.mkdir(parents=True, exist_ok=True)
    images = []
    for number, (name, picture) in enumerate(pictures.items()):
        path = folder / name
        if isinstance(picture, bytes):
            path.write_bytes(picture)
        else:
            Image.fromarray(picture).save(path, quality=92)
        images.append(SourceImage(path, timestamp_name(number), float(number)))
    return tuple(images)


def job(library: Path, images: tuple[SourceImage, ...], earlier: tuple[object, ...]) -> MovieJob:
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    return MovieJob("part", library / "inbox", library, earlier, context, images)


def run_part(library: Path, images: tuple[SourceImage, ...], per_minute: int = 30) -> list[object]:
    earlier: list[object] = []
    handlers = (
        ImageProbeHandler(ImageLimits(), 92),
        ImageShotsHandler(),
        FramesHandler(FramesConfig()),
        QualityHandler(cap=MinuteCap(per_minute)),
    )
    for handler in handlers:
        earlier.append(handler.run(job(library, images, tuple(earlier))))
    return earlier


def test_a_bad_image_is_listed_with_its_reason_and_the_others_become_frames(
    tmp_path: Path,
) -> None:
    good = textured(1)
    whole = (tmp_path / "whole.jpg").as_posix()
    Image.fromarray(good).save(whole, quality=92)
    data = Path(whole).read_bytes()
    images = part(
        tmp_path / "inbox",
        {"a.jpg": good, "notes.jpg": b"plain text\n", "cut.jpg": data[: len(data) // 2],
         "b.jpg": textured(2)},
    )  # fmt: skip
    probe, shots, _frames, quality = run_part(tmp_path, images)

    assert isinstance(probe, ImageProbe) and isinstance(shots, ShotList)
    assert [r.frame for r in probe.read] == ["00-00-00.000", "00-00-03.000"]
    unusable = {Path(u.path).name: u.reason for u in probe.unusable}
    assert set(unusable) == {"notes.jpg", "cut.jpg"}
    assert "truncated" in unusable["cut.jpg"]
    assert [s.index for s in shots.shots] == [0, 3]
    assert isinstance(quality, QualityReport) and quality.kept == 2
    frames = sorted(p.name for p in (tmp_path / "movies" / "part" / "frames").iterdir())
    assert frames == ["00-00-00.000.jpg", "00-00-03.000.jpg"]


def test_a_cut_short_file_is_unusable_even_where_face_recognition_pads_them(
    tmp_path: Path,
) -> None:
    """face_recognition tells Pillow to pad truncated files with grey, for the whole process,
    and the daemon imports it in the faces stage: a later part's probe must still refuse."""
    picture = tmp_path / "whole.jpg"
    Image.fromarray(textured(3)).save(picture, quality=92)
    data = picture.read_bytes()
    (tmp_path / "cut.jpg").write_bytes(data[: len(data) // 2])
    script = (
        "import face_recognition, sys\n"
        "from pathlib import Path\n"
        "from PIL import ImageFile\n"
        "assert ImageFile.LOAD_TRUNCATED_IMAGES\n"
        "from handlers.image_decoding import ImageLimits, ImageRejectedError, read_image\n"
        "try:\n"
        "    read_image(Path(sys.argv[1]), ImageLimits())\n"
        "except ImageRejectedError as exc:\n"
        "    print(exc.reason)\n"
        "else:\n"
        "    print('decoded')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "cut.jpg")],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert "truncated" in done.stdout, done.stdout + done.stderr


def test_each_image_is_judged_against_its_batchs_median_and_no_minute_cap_applies(
    tmp_path: Path,
) -> None:
    pictures: dict[str, np.ndarray | bytes] = {f"{n}.jpg": textured(n) for n in range(40)}
    pictures["soft.jpg"] = textured(99, blur=4.0)
    images = part(tmp_path / "inbox", pictures)
    _probe, shots, frames, quality = run_part(tmp_path, images, per_minute=5)

    assert isinstance(shots, ShotList) and shots.sharpness.frames == 41
    assert isinstance(frames, FrameSelection) and len(frames.chosen) == 41
    assert isinstance(quality, QualityReport)
    verdicts = {f.name: f.verdict for f in quality.frames}
    assert verdicts[timestamp_name(40)] is Verdict.BLURRED
    assert quality.kept == 40, "40 distinct images within one 'minute' are all kept"


def test_of_near_duplicate_images_the_sharpest_is_kept_whatever_their_order(
    tmp_path: Path,
) -> None:
    pictures: dict[str, np.ndarray | bytes] = {f"{n}.jpg": textured(n) for n in range(6)}
    pictures["soft copy.jpg"] = textured(50, blur=1.2)  # taken first, a little defocused
    pictures["sharp.jpg"] = textured(50)
    images = part(tmp_path / "inbox", pictures)
    probe, _shots, _frames, quality = run_part(tmp_path, images)

    assert isinstance(probe, ImageProbe) and isinstance(quality, QualityReport)
    by_name = {image.frame: image.path.name for image in images}
    verdicts = {by_name[f.name]: f.verdict for f in quality.frames}
    soft = next(r for r in probe.read if by_name[r.frame] == "soft copy.jpg")
    sharp = next(r for r in probe.read if by_name[r.frame] == "sharp.jpg")
    assert soft.candidate.sharpness < sharp.candidate.sharpness
    assert verdicts["sharp.jpg"] is Verdict.KEPT
    assert verdicts["soft copy.jpg"] is Verdict.DUPLICATE
    assert [f.seconds for f in quality.frames] == sorted(f.seconds for f in quality.frames)
