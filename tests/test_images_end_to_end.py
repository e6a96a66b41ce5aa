"""Still images, as a user drops them: a folder of real photos beside a movie, through a real
daemon process, into the characters' datasets; bad files set aside, a movie's frame known."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from daemon.store import (
    Character,
    DatasetImageRow,
    ImageRow,
    ImageState,
    Movie,
    SourceKind,
)
from tests.conftest import HAMILTON, SHARED_MEDIA, DaemonProcess, drop_hamilton_and_lin

JOHNS = SHARED_MEDIA / "faces" / "johns"
PEOPLE = ("John_Simm", "John_Salley")
PHOTOS_EACH = 6

pytestmark = pytest.mark.skipif(
    not (HAMILTON.exists() and JOHNS.exists()), reason=f"real face media not found at {JOHNS}"
)


def drop_johns(daemon: DaemonProcess) -> dict[str, set[str]]:
    """One reference photo each, and a folder of their other photos, nested by person and
    year; returns the sha256 of the photos dropped of each."""
    dropped: dict[str, set[str]] = {}
    for person in PEOPLE:
        photos = sorted((JOHNS / person).glob("*.jpg"))
        reference = daemon.inbox / "faces" / person
        reference.mkdir(parents=True)
        shutil.copyfile(photos[0], reference / photos[0].name)
        folder = daemon.inbox / "images" / "johns" / person.lower() / "2024"
        folder.mkdir(parents=True)
        for photo in photos[1 : 1 + PHOTOS_EACH]:
            shutil.copyfile(photo, folder / photo.name)
        dropped[person] = {
            hashlib.sha256(photo.read_bytes()).hexdigest() for photo in photos[1 : 1 + PHOTOS_EACH]
        }
    return dropped


def drop_bad_files(daemon: DaemonProcess) -> Path:
    odd = daemon.inbox / "images" / "johns" / "odd"
    odd.mkdir()
    (odd / "notes.jpg").write_text("not a photo at all\n", encoding="utf-8")
    whole = next((JOHNS / PEOPLE[0]).glob("*.jpg")).read_bytes()
    (odd / "cut short.jpg").write_bytes(whole[: len(whole) // 2])
    Image.fromarray(np.zeros((1, 1, 3), np.uint8)).save(odd / "dot.png")
    (odd / "loop.jpg").symlink_to("loop.jpg")
    return odd


def rejected_reasons(daemon: DaemonProcess) -> dict[str, str]:
    found = {}
    for file in (daemon.inbox / "rejected" / "images").rglob("*.reason.txt"):
        text = file.read_text(encoding="utf-8")
        found[file.name.removesuffix(".reason.txt")] = text.split("reason: ", 1)[1].strip()
    return found


def test_a_folder_of_photos_fills_the_datasets_beside_a_movie_and_bad_files_go_aside(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory()
    drop_hamilton_and_lin(daemon)
    dropped = drop_johns(daemon)
    odd = drop_bad_files(daemon)
    first = sorted((daemon.inbox / "images" / "johns" / "john_simm" / "2024").iterdir())[0]
    shutil.copyfile(first, daemon.inbox / "images" / "johns" / "same bytes.jpg")

    result = daemon.run_once(timeout=300)
    assert result.returncode == 0, result.stderr.decode()[-3000:]

    repo = daemon.repository()
    try:
        parts = list(Movie.select().where(Movie.kind == SourceKind.IMAGES.value))
        assert [part.name for part in parts] == [f"johns (images 1-{2 * PHOTOS_EACH + 3})"]
        # Each John's dataset holds his photos, and only his; Lin's holds the movie's frames.
        for person in PEOPLE:
            rows = _dataset_rows(person)
            assert len(rows) >= PHOTOS_EACH - 2, person  # a near-duplicate pair may drop one
            for movie_id, frame in rows:
                image = repo.image_of_frame(movie_id, frame)
                assert image is not None and image.sha256 in dropped[person], (person, image)
        lin = _dataset_rows("Lin-Manuel Miranda")
        assert lin and all(
            Movie.get_by_id(movie_id).kind == SourceKind.MOVIE.value for movie_id, _ in lin
        )
        # Of two copies of one photo, whichever was taken first is processed, the other is
        # recorded as its duplicate and left in place.
        copies = [r for r in ImageRow.select() if r.sha256 == repo.image_at(first).sha256]
        assert sorted(ImageState(r.state) for r in copies) == [
            ImageState.DONE,
            ImageState.DUPLICATE,
        ]
        assert all(Path(r.path).exists() for r in copies)
    finally:
        repo.close()

    reasons = rejected_reasons(daemon)
    assert set(reasons) == {"notes.jpg", "cut short.jpg", "dot.png", "loop.jpg"}
    assert "not an image" in reasons["notes.jpg"]
    assert "truncated" in reasons["cut short.jpg"]
    assert "too small" in reasons["dot.png"]
    assert "symbolic links" in reasons["loop.jpg"]
    assert not any(odd.iterdir()), "each bad file moved aside, none deleted or left"

    status = subprocess.run(
        [
            sys.executable,
            "-m",
            "daemon.commands.cli",
            "status",
            "--config",
            str(daemon.config),
            "--json",
        ],
        capture_output=True,
        check=False,
        cwd=daemon.root,
    )
    batches = {b["batch"]: b for b in json.loads(status.stdout)["image_batches"]}
    johns = batches["johns"]
    # The photos, the copy, the three bad files probe set aside, and the loop set aside as
    # it came in.
    assert johns["images"] == 2 * PHOTOS_EACH + 1 + 4
    assert (johns["done"], johns["rejected"], johns["duplicates"]) == (2 * PHOTOS_EACH, 4, 1)
    assert (johns["in_parts"], johns["waiting"]) == (0, 0)


def _dataset_rows(character: str) -> list[tuple[int, str]]:
    return [
        (row.movie_id, row.frame)
        for row in DatasetImageRow.select().join(Character).where(Character.name == character)
    ]


def test_a_grab_of_a_movies_frame_is_its_duplicate_and_lineage_explains_a_photo(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory()
    drop_hamilton_and_lin(daemon)
    dropped = drop_johns(daemon)
    assert daemon.run_once(timeout=300).returncode == 0
    repo = daemon.repository()
    try:
        movie = next(m for m in repo.movies() if m.kind is SourceKind.MOVIE)
        simm = _dataset_rows(PEOPLE[0])[0]
        image = repo.image_of_frame(*simm)
        assert image is not None
    finally:
        repo.close()
    frame = sorted((daemon.library / "movies" / movie.key / "frames").glob("*.jpg"))[0]
    grabs = daemon.inbox / "images" / "grabs"
    grabs.mkdir()
    shutil.copyfile(frame, grabs / "screenshot.jpg")  # a frame grab another tool made
    assert daemon.run_once(timeout=300).returncode == 0

    repo = daemon.repository()
    try:
        part = next(m for m in repo.movies() if m.name.startswith("grabs"))
        (judged,) = repo.frames(part.id)
    finally:
        repo.close()
    assert judged.verdict == "duplicate"
    assert judged.reason is not None
    assert judged.reason.startswith(f"near-duplicate of {movie.key}/{frame.stem} "), judged.reason

    dataset_file = next(
        (daemon.library / "characters" / PEOPLE[0] / "dataset").glob(f"*_{simm[1]}.jpg")
    )
    lineage = subprocess.run(
        [sys.executable, "-m", "daemon.commands.cli", "lineage", str(dataset_file), "--config",
         str(daemon.config), "--json"],
        capture_output=True, check=False, cwd=daemon.root, text=True,
    )  # fmt: skip
    assert lineage.returncode == 0, lineage.stderr
    source = json.loads(lineage.stdout)["source"]
    assert source["kind"] == "images" and source["batch"] == "johns"
    assert source["image_sha256"] == image.sha256 and image.sha256 in dropped[PEOPLE[0]]
    assert source["image_path"] == str(image.path)
    text = subprocess.run(
        [sys.executable, "-m", "daemon.commands.cli", "lineage", str(dataset_file), "--config",
         str(daemon.config)],
        capture_output=True, check=False, cwd=daemon.root, text=True,
    ).stdout  # fmt: skip
    assert "image of batch johns" in text and image.path.name in text
