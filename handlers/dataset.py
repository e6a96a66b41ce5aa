"""`dataset`: each named character's images, cut from the kept frames, into its dataset folder.

An image is the whole frame (`full`), a square around the face big enough for head and
shoulders (`square`), or a taller box down to the waist (`upper_body`), moved inside the
frame when the face is near an edge. It is scaled to `dataset.resolution` on its longer
side but never enlarged more than `dataset.max_upscale`, so a small face does not become a
smeared large image. A shot gives at most `dataset.max_per_shot` images of a character (the
largest faces), so a dataset is not fifty copies of one conversation; and when the scenes
stage ran, a scene (a place) gives at most `dataset.max_per_scene`, taken across its shots
(the best face of each shot first, then the second best...), so one long scene does not
outweigh the rest of the movie.

Files are `library/characters/<name>/dataset/<movie>_<timestamp>.jpg`; a re-run replaces the
movie's files, and images of this movie no longer chosen are removed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import cv2
import numpy as np
import numpy.typing as npt

from daemon.atomic import write_bytes_atomic
from daemon.config import DatasetConfig
from handlers.base import MovieJob
from handlers.face_matching import FaceBox
from handlers.faces import FacesReport, FoundFace
from handlers.frame_capture import crop_of
from handlers.frame_files import jpeg_bytes, read_frame
from handlers.letterbox import CropBox
from handlers.quality import QualityReport, Verdict
from handlers.scenes import ScenesReport

# How much bigger than the face the crop is: (width, height) in face sizes, and how far
# above the face's top it starts, in face heights.
CROP_SHAPES = {"square": (3.0, 3.0, 0.8), "upper_body": (3.2, 4.8, 0.7)}


@dataclass(frozen=True)
class DatasetImage:
    character: str
    frame: str
    file: str  # relative to the library
    crop: CropBox
    width: int
    height: int


@dataclass(frozen=True)
class DatasetReport:
    images: tuple[DatasetImage, ...]
    small_faces: int  # named faces under dataset.min_face_pixels
    over_shot_limit: int  # named faces left out by dataset.max_per_shot
    over_scene_limit: int = 0  # named faces left out by dataset.max_per_scene


class DatasetHandler:
    name: ClassVar[str] = "dataset"
    result_type: ClassVar[type] = DatasetReport

    def __init__(self, config: DatasetConfig | None = None) -> None:
        self.config = config or DatasetConfig()

    def run(self, job: MovieJob) -> DatasetReport:
        frames = {f.name: f for f in job.result(QualityReport).frames if f.verdict is Verdict.KEPT}
        named = [f for f in job.result(FacesReport).faces if f.character is not None]
        large = [f for f in named if f.box.height >= self.config.min_face_pixels]
        shot_of = {name: frame.shot for name, frame in frames.items()}
        per_shot = self._per_shot(large, shot_of)
        scenes = job.find(ScenesReport)
        chosen = self._per_scene(per_shot, shot_of, scenes.scene_of()) if scenes else per_shot
        images = []
        for number, face in enumerate(chosen):
            job.context.check_cancelled()
            frame_file = frames[face.frame].file
            assert frame_file is not None  # every kept frame has its file
            images.append(self._write(job, face, job.movie_dir / frame_file))
            job.context.progress((number + 1) / len(chosen))
        self._remove_unchosen(job, images)
        return DatasetReport(
            tuple(images),
            small_faces=len(named) - len(large),
            over_shot_limit=len(large) - len(per_shot),
            over_scene_limit=len(per_shot) - len(chosen),
        )

    def _per_shot(self, faces: list[FoundFace], shot_of: dict[str, int]) -> list[FoundFace]:
        # One image per character per frame: its largest face there (faces come largest first).
        largest: dict[tuple[str | None, str], FoundFace] = {}
        for face in faces:
            largest.setdefault((face.character, face.frame), face)
        groups: dict[tuple[str | None, int], list[FoundFace]] = defaultdict(list)
        for face in largest.values():
            groups[(face.character, shot_of[face.frame])].append(face)
        kept: list[FoundFace] = []
        for group in groups.values():
            kept.extend(
                sorted(group, key=lambda f: f.box.area, reverse=True)[: self.config.max_per_shot]
            )
        return sorted(kept, key=lambda f: (f.frame, f.number))

    def _per_scene(
        self, faces: list[FoundFace], shot_of: dict[str, int], scene_of: dict[str, int]
    ) -> list[FoundFace]:
        """At most max_per_scene faces of a character per scene: each shot's largest first."""
        by_shot: dict[tuple[str | None, int], list[FoundFace]] = defaultdict(list)
        for face in sorted(faces, key=lambda f: f.box.area, reverse=True):
            by_shot[(face.character, shot_of[face.frame])].append(face)
        # (rank within its shot, face); a frame the scenes stage did not see is its own scene.
        by_scene: dict[tuple[str | None, int | str], list[tuple[int, FoundFace]]]
        by_scene = defaultdict(list)
        for (character, _shot), shot_faces in by_shot.items():
            for rank, face in enumerate(shot_faces):
                by_scene[(character, scene_of.get(face.frame, face.frame))].append((rank, face))
        kept: list[FoundFace] = []
        for scene_faces in by_scene.values():
            scene_faces.sort(key=lambda item: (item[0], -item[1].box.area))
            kept.extend(face for _, face in scene_faces[: self.config.max_per_scene])
        return sorted(kept, key=lambda f: (f.frame, f.number))

    def _write(self, job: MovieJob, face: FoundFace, frame_path: Path) -> DatasetImage:
        picture = read_frame(frame_path)
        height, width = picture.shape[:2]
        crop = crop_around(face.box, width, height, self.config.crop)
        image = _scaled(
            crop_of(picture, crop),
            self.config.resolution,
            self.config.max_upscale,
        )
        assert face.character is not None
        relative = f"characters/{face.character}/dataset/{job.movie_key}_{face.frame}.jpg"
        data = jpeg_bytes(image, self.config.jpeg_quality, relative)
        write_bytes_atomic(job.library / relative, data)
        return DatasetImage(
            face.character, face.frame, relative, crop, image.shape[1], image.shape[0]
        )

    def _remove_unchosen(self, job: MovieJob, images: list[DatasetImage]) -> None:
        """This movie's images from an earlier run that this run did not choose."""
        keep = {job.library / image.file for image in images}
        found = (job.library / "characters").glob(f"*/dataset/{job.movie_key}_*.jpg")
        unchosen = sorted(path for path in found if path not in keep)
        if not unchosen:
            return
        # As the rows name them: forward slashes on every system.
        job.context.record_deletions(tuple(p.relative_to(job.library).as_posix() for p in unchosen))
        for path in unchosen:
            path.unlink(missing_ok=True)


def crop_around(box: FaceBox, width: int, height: int, shape: str) -> CropBox:
    """The crop for one face, inside the frame (shifted, then clipped, when it overflows)."""
    if shape == "full":
        return CropBox(0, 0, width, height)
    across, down, above = CROP_SHAPES[shape]
    crop_w = min(width, round(box.width * across))
    crop_h = min(height, round(box.height * down))
    if shape == "square":
        crop_w = crop_h = min(crop_w, crop_h)
    centre = (box.left + box.right) / 2
    left = _inside(round(centre - crop_w / 2), crop_w, width)
    top = _inside(round(box.top - box.height * above), crop_h, height)
    return CropBox(left, top, crop_w, crop_h)


def _inside(start: int, size: int, limit: int) -> int:
    return max(0, min(start, limit - size))


def _scaled(
    picture: npt.NDArray[np.uint8], resolution: int, max_upscale: float
) -> npt.NDArray[np.uint8]:
    longer = max(picture.shape[:2])
    scale = min(resolution / longer, max_upscale)
    if abs(scale - 1.0) < 1e-3:
        return picture
    size = (round(picture.shape[1] * scale), round(picture.shape[0] * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    return np.asarray(cv2.resize(picture, size, interpolation=interpolation), dtype=np.uint8)
