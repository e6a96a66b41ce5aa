"""Reference photos become characters; bad photos are set aside with the reason."""

from __future__ import annotations

import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from daemon.characters.references import (
    CharacterFileError,
    ReferenceIntake,
    character_name,
    read_character_file,
    refresh_references,
)
from daemon.config import FacesConfig
from daemon.intake.inbox import InboxLayout
from daemon.repository import Repository
from handlers.faces import ReferenceBook
from tests.conftest import SHARED_MEDIA

EXAMPLES = SHARED_MEDIA / "faces" / "face_recognition" / "examples"
needs_faces = pytest.mark.skipif(
    not EXAMPLES.exists(), reason=f"real face photos not found at {EXAMPLES}"
)


@pytest.mark.parametrize(
    ("raw", "name"),
    [
        ("Lin-Manuel Miranda", "Lin-Manuel Miranda"),
        ("  Amélie  Poulain ", "Amélie Poulain"),
        ("../../etc/passwd", "etc passwd"),
        ("C:\\Users\\x", "C Users x"),
        ("bad\x00name", "bad name"),
        ("千尋", "千尋"),
    ],
)
def test_names_are_made_folder_safe_and_keep_unicode(raw: str, name: str) -> None:
    assert character_name(raw) == name


@pytest.mark.parametrize("raw", ["", "..", " / ", "." * 3, "x" * 300])
def test_names_that_cannot_be_a_folder_are_refused(raw: str) -> None:
    with pytest.raises(ValueError):
        character_name(raw)


def test_character_file_sets_words_with_defaults_from_the_name(tmp_path: Path) -> None:
    path = tmp_path / "character.yaml"
    path.write_text("class_word: woman\n", encoding="utf-8")
    words = read_character_file(path, "Amélie Poulain")
    assert (words.trigger_word, words.class_word) == ("améliepoulain", "woman")


def test_character_file_errors_name_the_file_and_the_key(tmp_path: Path) -> None:
    path = tmp_path / "character.yaml"
    path.write_text("trigger: x\n", encoding="utf-8")
    with pytest.raises(CharacterFileError, match=r"character\.yaml: unknown key 'trigger'"):
        read_character_file(path, "X")
    path.write_text("class_word: [a, b]\n", encoding="utf-8")
    with pytest.raises(CharacterFileError, match="'class_word' must be a non-empty word"):
        read_character_file(path, "X")


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    repository = Repository(tmp_path / "library" / "bunny.db")
    yield repository
    repository.close()


@pytest.fixture
def intake(repo: Repository, tmp_path: Path) -> ReferenceIntake:
    layout = InboxLayout(tmp_path / "inbox")
    layout.create()
    return ReferenceIntake(repo, layout, tmp_path / "library", ReferenceBook())


def drop(tmp_path: Path, relative: str, source: Path | bytes) -> Path:
    target = tmp_path / "inbox" / "faces" / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(source, Path):
        shutil.copyfile(source, target)
    else:
        target.write_bytes(source)
    return target


def reason_for(tmp_path: Path, name: str) -> str:
    return (tmp_path / "inbox" / "rejected" / f"{name}.reason.txt").read_text(encoding="utf-8")


def test_a_photo_without_a_face_is_set_aside_with_the_reason(
    intake: ReferenceIntake, tmp_path: Path
) -> None:
    landscape = cv2.imencode(".png", np.full((120, 160, 3), 90, np.uint8))[1].tobytes()
    photo = drop(tmp_path, "Nobody/landscape.png", landscape)
    assert intake.take(photo) is False
    assert not photo.exists()
    assert "no face found" in reason_for(tmp_path, "landscape.png")


def test_an_unreadable_photo_and_a_stray_file_are_set_aside(
    intake: ReferenceIntake, tmp_path: Path
) -> None:
    assert intake.take(drop(tmp_path, "Someone/cut.jpg", b"\xff\xd8\xff\xe0 half")) is False
    assert "unreadable image" in reason_for(tmp_path, "cut.jpg")
    assert intake.take(drop(tmp_path, "Someone/notes.txt", b"hello")) is False
    assert "not a photo" in reason_for(tmp_path, "notes.txt")


@needs_faces
def test_a_clear_portrait_becomes_a_reference_once(
    intake: ReferenceIntake, repo: Repository, tmp_path: Path
) -> None:
    photo = drop(tmp_path, "Barack Obama/portrait.jpg", EXAMPLES / "obama.jpg")
    assert intake.take(photo) is True
    assert photo.exists(), "the user's photo stays where it was dropped"
    (character,) = repo.characters()
    assert character.name == "Barack Obama" and character.trigger_word == "barackobama"
    copies = list((tmp_path / "library" / "characters" / "Barack Obama" / "reference").iterdir())
    assert len(copies) == 1 and copies[0].read_bytes() == photo.read_bytes()
    assert intake.take(photo) is False, "a rescan of the same file changes nothing"
    names, encodings = repo.reference_encodings()
    assert names == ["Barack Obama"] and len(encodings[0]) == 128


@needs_faces
def test_a_single_photo_named_after_the_character_is_taken(
    intake: ReferenceIntake, repo: Repository, tmp_path: Path
) -> None:
    assert intake.take(drop(tmp_path, "Joe Biden.jpg", EXAMPLES / "biden.jpg")) is True
    assert [c.name for c in repo.characters()] == ["Joe Biden"]


@needs_faces
def test_a_group_photo_is_refused_as_a_reference(intake: ReferenceIntake, tmp_path: Path) -> None:
    assert intake.take(drop(tmp_path, "Crowd/two.jpg", EXAMPLES / "two_people.jpg")) is False
    assert "faces of similar size" in reason_for(tmp_path, "two.jpg")


@needs_faces
def test_refresh_matches_stored_faces_again(
    intake: ReferenceIntake, repo: Repository, tmp_path: Path
) -> None:
    book = ReferenceBook()
    assert refresh_references(repo, book, FacesConfig()) == set()
    intake.take(drop(tmp_path, "Barack Obama/a.jpg", EXAMPLES / "obama.jpg"))
    refresh_references(repo, book, FacesConfig())
    assert book.current().characters == ("Barack Obama",)


def test_saving_a_character_waits_for_a_busy_writer_instead_of_failing(
    repo: Repository,
) -> None:
    from daemon.store import database

    repo.save_character("First", "first", "person")
    holding = threading.Event()

    def write_for_a_while() -> None:
        with database.atomic("IMMEDIATE"):
            repo.save_character("Held", "held", "person")
            holding.set()
            time.sleep(0.5)

    writer = threading.Thread(target=write_for_a_while)
    writer.start()
    holding.wait(5)
    # A read followed by a write in a deferred transaction fails at once with "database is
    # locked" while another connection writes; the intake loop lost reference photos so.
    repo.save_character("First", "first", "woman")
    writer.join()
    assert repo.character("First") is not None
    assert repo.character("First").class_word == "woman"  # type: ignore[union-attr]


@needs_faces
def test_deleting_a_reference_copy_removes_it_and_faces_are_matched_again(
    intake: ReferenceIntake, repo: Repository, tmp_path: Path
) -> None:
    intake.take(drop(tmp_path, "Barack Obama/a.jpg", EXAMPLES / "obama.jpg"))
    library = tmp_path / "library"
    (copy,) = (library / "characters" / "Barack Obama" / "reference").iterdir()
    assert repo.forget_missing_references(library) == []
    copy.unlink()
    assert repo.forget_missing_references(library) == [str(copy.relative_to(library))]
    book = ReferenceBook()
    refresh_references(repo, book, FacesConfig())
    assert len(book.current()) == 0


def test_new_labels_and_the_requeue_they_cause_are_one_transaction(
    repo: Repository, tmp_path: Path
) -> None:
    """`run --once` exits when nothing is unfinished: a reader between a relabel and its
    requeue saw every movie done with labels its dataset never used (issue 13, item 10)."""
    from daemon.store import MovieState, database
    from handlers.face_matching import FaceBox
    from tests.daemon.characters.test_face_clusters import movie_with_faces, person

    movie = movie_with_faces(repo, tmp_path / "library", person(1, 3))
    repo.mark_done(movie.id)
    ann = repo.save_character("Ann", "ann", "woman")
    repo.add_reference(
        ann.id, "cd" * 32, "characters/Ann/reference/a.jpg", FaceBox(0, 9, 9, 0), person(1, 1)[0]
    )
    statements: list[str] = []
    database.connection().set_trace_callback(statements.append)
    try:
        changed = refresh_references(repo, ReferenceBook(), FacesConfig(), ("dataset",))
    finally:
        database.connection().set_trace_callback(None)
    assert changed == {movie.id}
    assert repo.movie(movie.id).state is MovieState.QUEUED  # type: ignore[union-attr]
    writes = [n for n, s in enumerate(statements) if s.startswith(("UPDATE", "INSERT", "DELETE"))]
    relabels = [n for n in writes if statements[n].startswith('UPDATE "face"')]
    requeue = [n for n in writes if statements[n].startswith('UPDATE "movie"')]
    assert relabels and requeue, statements
    commits = [n for n, s in enumerate(statements) if s.upper().startswith(("COMMIT", "END"))]
    first_commit_after = min(n for n in commits if n > relabels[0])
    assert requeue[-1] < first_commit_after, "the relabel was committed before its requeue"


def test_matching_again_holds_a_stored_face_turned_away_to_the_doubtful_tolerance(
    repo: Repository, tmp_path: Path
) -> None:
    """The pose is stored with the face: a reference change must not name a profile that the
    faces stage left unnamed (both faces lie 0.58 from Ann's reference, 100 px tall)."""
    from handlers.face_matching import FaceBox
    from handlers.faces import FacesReport, FoundFace
    from tests.daemon.characters.test_face_clusters import person

    (reference,) = person(1, 1)
    direction = np.zeros(128)
    direction[0] = 1.0
    near = tuple((np.asarray(reference) + 0.58 * direction).round(6).tolist())
    movie = repo.add_movie("ab" * 32, "m.mp4", tmp_path / "m.mp4", 1)
    box = FaceBox(100, 300, 200, 200)
    faces = (
        FoundFace("00-00-01.000", 0, box, None, None, None, near, turned_away=False),
        FoundFace("00-00-02.000", 0, box, None, None, None, near, turned_away=True),
    )
    repo.finish_stage(movie.id, "faces", 1.0, FacesReport(faces, 2, 2, 0, ()))
    ann = repo.save_character("Ann", "ann", "woman")
    repo.add_reference(ann.id, "cd" * 32, "characters/Ann/reference/a.jpg", box, reference)
    refresh_references(repo, ReferenceBook(), FacesConfig())
    stored = {face.frame: face for face in repo.stored_faces()}
    assert stored["00-00-01.000"].character == "Ann"
    assert stored["00-00-02.000"].turned_away
    assert stored["00-00-02.000"].character is None
