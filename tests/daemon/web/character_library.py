"""A library for the characters pages' tests, written through the repository and the caption
files' own writers: page_library's characters, their reference copies and dataset images on
disk with their `.txt`, a character with an XSS name, one whose dataset fills two pages."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from daemon.config import Config
from daemon.repository import Repository
from handlers.caption_files import write_caption, write_metadata
from handlers.dataset import DatasetImage, DatasetReport
from handlers.face_matching import FaceBox
from handlers.letterbox import CropBox
from tests.daemon.reports.page_library import AMELIE, NINO, build_library, encoding, sha
from tests.daemon.web.page_server import XSS

MANY = "Many"
MANY_IMAGES = 60  # more than a page of the grid (50)
XSS_CAPTION = "<script>alert('caption')</script> a person"

__all__ = ["AMELIE", "MANY", "NINO", "XSS", "CharacterLibrary", "fill_library"]


@dataclass(frozen=True)
class CharacterLibrary:
    library: Path
    amelie_images: tuple[str, ...]  # relative to the library


def fill_library(config: Config) -> CharacterLibrary:
    repo = Repository(config.database_path)
    try:
        build_library(repo, config.library)
        xss = repo.save_character(XSS, "xss", "person")
        file = f"characters/{XSS}/reference/r0.png"
        repo.add_reference(xss.id, sha(file), file, FaceBox(1, 9, 9, 1), encoding(7))
        _many(repo)
        files = [ref.file for name in (AMELIE, NINO, XSS) for ref in repo.references_of(name)]
        for file in files:
            _picture(config.library / file, (200, 120, 90))
        dataset = [
            e.file for name in (AMELIE, NINO, XSS, MANY) for e in repo.dataset_page(name, 0, 200)
        ]
    finally:
        repo.close()
    for file in dataset:
        image = config.library / file
        _picture(image, (90, 120, 200))
        text = XSS_CAPTION if file.startswith(f"characters/{XSS}/") else f"{image.stem}, a person"
        write_caption(image, text)
    for folder in {(config.library / file).parent for file in dataset}:
        write_metadata(folder)
    amelie = tuple(f for f in dataset if f.startswith(f"characters/{AMELIE}/"))
    return CharacterLibrary(config.library, amelie)


def _many(repo: Repository) -> None:
    repo.save_character(MANY, "many", "person")
    movie = repo.add_movie(sha("many"), "many.mkv", Path("/m/many.mkv"), 10)
    images = tuple(
        DatasetImage(
            character,
            f"00-00-{n:02d}.000",
            f"characters/{character}/dataset/{movie.key}_00-00-{n:02d}.000.jpg",
            CropBox(0, 0, 32, 32),
            32,
            32,
        )
        for character, n in [(MANY, n) for n in range(MANY_IMAGES)] + [(XSS, 99)]
    )
    repo.start_stage(movie.id, "dataset")
    repo.finish_stage(movie.id, "dataset", 1.0, DatasetReport(images, 0, 0))


def _picture(path: Path, colour: tuple[int, int, int]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (48, 48), colour).save(path)
