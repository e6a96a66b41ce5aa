"""Moving or deleting dataset images with a file manager, read back as corrections."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.characters.corrections import DatasetCorrections
from daemon.characters.references import refresh_references
from daemon.commands.characters import print_corrections
from daemon.config import Config, FacesConfig
from daemon.repository import Repository
from daemon.store import CorrectionKind
from handlers.dataset import DatasetImage, DatasetReport
from handlers.face_matching import FaceBox
from handlers.faces import FacesReport, FoundFace, ReferenceBook
from handlers.letterbox import CropBox
from tests.daemon.characters.test_face_clusters import movie_with_faces, person


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    repository = Repository(tmp_path / "library" / "bunny.db")
    yield repository
    repository.close()


def named_movie(repo: Repository, library: Path) -> list[str]:
    """A movie with two faces named Ann and their dataset images on disk."""
    movie = movie_with_faces(repo, library, person(1, 2))
    repo.save_character("Ann", "ann", "woman")
    faces = repo.stored_faces()
    repo.name_faces(faces, "Ann")
    images = []
    for face in faces:
        file = f"characters/Ann/dataset/{movie.key}_{face.frame}.jpg"
        (library / file).parent.mkdir(parents=True, exist_ok=True)
        (library / file).write_bytes(b"jpeg")
        images.append(DatasetImage("Ann", face.frame, file, CropBox(0, 0, 10, 10), 10, 10))
    repo.finish_stage(movie.id, "dataset", 0.1, DatasetReport(tuple(images), 0, 0))
    return [image.file for image in images]


def test_a_moved_image_renames_its_face_and_a_deleted_one_unnames_it(
    repo: Repository, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    moved, deleted = named_movie(repo, library)
    target = library / "characters" / "Bea" / "dataset" / Path(moved).name
    target.parent.mkdir(parents=True)
    shutil.move(library / moved, target)
    (library / deleted).unlink()

    found = DatasetCorrections(repo, library).run()
    assert sorted((c.kind.value, c.to_character or "-") for c in found) == [
        (CorrectionKind.DELETED.value, "-"),
        (CorrectionKind.MOVED.value, "Bea"),
    ]
    labels = sorted((f.character or "-", f.confirmed) for f in repo.stored_faces())
    assert labels == [("-", True), ("Bea", True)]
    # Ann has nothing left (no reference, face or dataset image): listed no more.
    assert [c.name for c in repo.characters()] == ["Bea"]
    assert repo.dataset_files("Bea") == [str(target.relative_to(library))]
    assert repo.dataset_files("Ann") == []
    assert DatasetCorrections(repo, library).run() == [], "a correction is read once"
    # Matching again does not undo the user's word, and confirmed faces now count.
    refresh_references(repo, ReferenceBook(), FacesConfig())
    assert sorted(f.character or "-" for f in repo.stored_faces()) == ["-", "Bea"]


def test_corrections_are_listed_and_exported_as_triplets(
    repo: Repository, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    library = tmp_path / "library"
    moved, _ = named_movie(repo, library)
    ann, bea = person(7, 1)[0], person(8, 1)[0]
    for name, encoding in (("Ann", ann), ("Bea", bea)):
        character = repo.save_character(name, name.lower(), "woman")
        repo.add_reference(character.id, name * 32, f"{name}.jpg", FaceBox(0, 10, 10, 0), encoding)
    target = library / "characters" / "Bea" / "dataset" / Path(moved).name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(library / moved, target)
    DatasetCorrections(repo, library).run()
    repo.close()

    config = Config(library=library)
    out = tmp_path / "triplets.jsonl"
    assert print_corrections(config, out) == 0
    printed = capsys.readouterr().out
    assert "moved    Ann -> Bea" in printed
    (line,) = out.read_text().splitlines()
    triplet = json.loads(line)
    assert triplet["positive"] == list(bea) and triplet["negative"] == list(ann)
    assert (triplet["character"], triplet["not"]) == ("Bea", "Ann")


def test_images_the_dataset_stage_is_deleting_are_not_corrections(
    repo: Repository, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    kept, dropped = named_movie(repo, library)
    movie = repo.movies()[0]
    # The stage records its deletions first; a kill after the unlink leaves this behind.
    repo.record_pending_deletions(movie.id, "dataset", (dropped,))
    (library / dropped).unlink()
    assert DatasetCorrections(repo, library).run() == []
    assert sorted(repo.dataset_files("Ann")) == sorted([kept, dropped]), "rows wait for the stage"

    # The stage runs again to its end: its rows replace the old ones, the record goes.
    frame = Path(kept).stem.split("_", 1)[1]
    image = DatasetImage("Ann", frame, kept, CropBox(0, 0, 10, 10), 10, 10)
    repo.start_stage(movie.id, "dataset")
    repo.finish_stage(movie.id, "dataset", 0.1, DatasetReport((image,), 0, 0))
    assert repo.dataset_files("Ann") == [kept]
    # A deletion by the user is read as ever.
    (library / kept).unlink()
    (correction,) = DatasetCorrections(repo, library).run()
    assert (correction.kind, correction.file_before) == (CorrectionKind.DELETED, kept)


def test_a_correction_and_the_requeue_it_causes_are_one_transaction(
    repo: Repository, tmp_path: Path
) -> None:
    """A reader between a correction and its movie's requeue saw the movie done with a
    dataset made from labels the user had just corrected (issue 13, item 10)."""
    from daemon.store import MovieState, database

    library = tmp_path / "library"
    _, deleted = named_movie(repo, library)
    (movie,) = repo.movies()
    repo.mark_done(movie.id)
    (library / deleted).unlink()
    statements: list[str] = []
    database.connection().set_trace_callback(statements.append)
    try:
        (correction,) = DatasetCorrections(repo, library, ("dataset", "captions")).run()
    finally:
        database.connection().set_trace_callback(None)
    assert correction.kind is CorrectionKind.DELETED
    assert repo.movie(movie.id).state is MovieState.QUEUED
    recorded = min(n for n, s in enumerate(statements) if s.startswith('INSERT INTO "correction"'))
    requeued = [n for n, s in enumerate(statements) if s.startswith('UPDATE "movie"')]
    commits = [n for n, s in enumerate(statements) if s.upper().startswith(("COMMIT", "END"))]
    assert requeued, statements
    assert requeued[-1] < min(n for n in commits if n > recorded), (
        "the correction was committed before its movie was queued again"
    )


def test_a_move_is_read_as_the_folder_it_went_to_when_another_has_the_same_frame(
    repo: Repository, tmp_path: Path
) -> None:
    """Ann and Carl share a frame, so both datasets have `<movie>_<frame>.jpg`; Ann's, moved
    to Dan's folder, was read as moved to Carl's (the first such name in the folders), whose
    row already holds that file: the correction failed every minute and was never recorded."""
    library = tmp_path / "library"
    movie = movie_with_faces(repo, library, person(1, 1) + person(2, 1))
    first, second = repo.stored_faces()
    repo.finish_stage(
        movie.id,
        "faces",
        1.0,
        FacesReport(tuple(FoundFace(first.frame, n, first.box, None, None, None, f.encoding)
                          for n, f in enumerate((first, second))), 2, 2, 0, ()),
    )  # fmt: skip
    ann, carl = repo.stored_faces()
    repo.save_character("Ann", "ann", "woman")
    repo.save_character("Carl", "carl", "man")
    repo.name_faces([ann], "Ann")
    repo.name_faces([carl], "Carl")
    images = []
    for name in ("Ann", "Carl"):
        file = f"characters/{name}/dataset/{movie.key}_{ann.frame}.jpg"
        (library / file).parent.mkdir(parents=True, exist_ok=True)
        (library / file).write_bytes(name.encode())
        images.append(DatasetImage(name, ann.frame, file, CropBox(0, 0, 10, 10), 10, 10))
    repo.finish_stage(movie.id, "dataset", 0.1, DatasetReport(tuple(images), 0, 0))
    dan = library / "characters" / "Dan" / "dataset"
    dan.mkdir(parents=True)
    shutil.move(library / images[0].file, dan)

    (correction,) = DatasetCorrections(repo, library).run()
    assert (correction.kind, correction.to_character) == (CorrectionKind.MOVED, "Dan")
    assert repo.dataset_files("Dan") == [f"characters/Dan/dataset/{movie.key}_{ann.frame}.jpg"]
    assert repo.dataset_files("Carl") == [images[1].file]
