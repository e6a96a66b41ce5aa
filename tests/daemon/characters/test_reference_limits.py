"""Hostile reference input stays small: an alias bomb, a photo with a huge sparse tail, and a
rejected photo that must not leave an empty character behind."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from daemon.characters.character_file import CharacterFileError, read_character_file
from daemon.characters.references import ReferenceIntake
from daemon.commands.cli import main
from daemon.intake.inbox import InboxLayout
from daemon.repository import Repository
from handlers.faces import ReferenceBook
from tests.alias_bomb import alias_bomb
from tests.conftest import HAMILTON, DaemonProcess, wait_for

# Eight levels of nine aliases: 280 bytes whose repr() is 351 MB, as in the report.
CHARACTER_BOMB = "trigger_word: " + alias_bomb(8) + "\n"
SPARSE_SIZE = 3 * 1024**3
needs_faces = pytest.mark.skipif(not HAMILTON.exists(), reason=f"no face photos at {HAMILTON}")


def largest_line(path: Path) -> int:
    with path.open("rb") as handle:
        return max((len(line) for line in handle), default=0)


def peak_memory_bytes(pid: int) -> int:
    """The process's resident high-water mark (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM in /proc status")


def test_an_alias_bomb_character_file_is_rejected_with_a_short_reason(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory()
    daemon.start()
    folder = daemon.inbox / "faces" / "Bomb"
    folder.mkdir(parents=True)
    (folder / "character.yaml").write_text(CHARACTER_BOMB, encoding="utf-8")
    reason = daemon.inbox / "rejected" / "character.yaml.reason.txt"
    wait_for(reason.exists, timeout=120)
    assert reason.stat().st_size < 4000
    assert "anchors and aliases" in reason.read_text(encoding="utf-8")
    assert (daemon.inbox / "rejected" / "character.yaml").read_text() == CHARACTER_BOMB
    assert daemon.alive()
    wait_for(lambda: any(e["event"] == "reference photo rejected" for e in daemon.log_entries()))
    assert largest_line(daemon.library / "logs" / "bunny.log") < 10_000
    assert largest_line(daemon.root / "stderr.log") < 10_000


@needs_faces
def test_a_photo_with_a_huge_sparse_tail_is_rejected_by_size_unread(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory()
    process = daemon.start()
    photo = daemon.inbox / "faces" / "Bomb Big" / "portrait.jpg"
    photo.parent.mkdir(parents=True)
    shutil.copyfile(HAMILTON / "obama.jpg", photo)  # a real face: taken but for its size
    os.truncate(photo, SPARSE_SIZE)  # a hole: gigabytes of zeros that take no disk
    reason = daemon.inbox / "rejected" / "portrait.jpg.reason.txt"
    wait_for(reason.exists, timeout=120)
    text = reason.read_text(encoding="utf-8")
    assert "3,072.0 MB" in text and "faces.max_reference_mb" in text
    assert (daemon.inbox / "rejected" / "portrait.jpg").stat().st_size == SPARSE_SIZE
    assert peak_memory_bytes(process.pid) < 1024**3, "the photo was never read whole"
    assert not (daemon.library / "characters" / "Bomb Big").exists()
    repo = daemon.repository()
    try:
        assert repo.character("Bomb Big") is None
    finally:
        repo.close()


def test_config_errors_show_a_bounded_value(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("log:\n  level: " + alias_bomb(8) + "\n", encoding="utf-8")
    assert main(["status", "--config", str(config)]) == 2
    error = capsys.readouterr().err
    assert "'log.level' must be one of" in error and len(error) < 2000


# --- in the test process: the intake itself -------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    repository = Repository(tmp_path / "library" / "bunny.db")
    yield repository
    repository.close()


def intake(repo: Repository, tmp_path: Path, max_mb: float = 50) -> ReferenceIntake:
    layout = InboxLayout(tmp_path / "inbox")
    layout.create()
    return ReferenceIntake(repo, layout, tmp_path / "library", ReferenceBook(), max_mb)


def drop(tmp_path: Path, relative: str, data: bytes) -> Path:
    target = tmp_path / "inbox" / "faces" / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return target


def reason_for(tmp_path: Path, name: str) -> str:
    return (tmp_path / "inbox" / "rejected" / f"{name}.reason.txt").read_text(encoding="utf-8")


def test_a_photo_over_the_cap_names_its_size_and_the_key(repo: Repository, tmp_path: Path) -> None:
    picture = cv2.imencode(".png", np.full((60, 80, 3), 90, np.uint8))[1].tobytes()
    photo = drop(tmp_path, "Big/tail.png", picture)
    os.truncate(photo, 3 * 1024 * 1024)
    assert intake(repo, tmp_path, max_mb=2).take(photo) is False
    reason = reason_for(tmp_path, "tail.png")
    assert "the photo is 3.0 MB; a reference photo is at most 2 MB (faces.max_reference_mb)" in (
        reason
    )
    assert (tmp_path / "inbox" / "rejected" / "tail.png").stat().st_size == 3 * 1024 * 1024
    assert repo.character("Big") is None


def test_a_photo_without_a_face_leaves_no_character(repo: Repository, tmp_path: Path) -> None:
    landscape = cv2.imencode(".png", np.full((120, 160, 3), 90, np.uint8))[1].tobytes()
    (tmp_path / "inbox" / "faces" / "Crowd").mkdir(parents=True)
    words = drop(tmp_path, "Crowd/character.yaml", b"class_word: woman\n")
    photo = drop(tmp_path, "Crowd/landscape.png", landscape)
    taker = intake(repo, tmp_path)
    assert taker.take(words) is False and taker.take(photo) is False
    assert "no face found" in reason_for(tmp_path, "landscape.png")
    assert repo.character("Crowd") is None
    assert not (tmp_path / "library" / "characters" / "Crowd").exists()


@needs_faces
def test_the_first_accepted_photo_makes_the_character_with_its_words(
    repo: Repository, tmp_path: Path
) -> None:
    words = drop(tmp_path, "Barack Obama/character.yaml", b"trigger_word: obm\n")
    taker = intake(repo, tmp_path)
    assert taker.take(words) is False
    assert repo.character("Barack Obama") is None
    photo = drop(tmp_path, "Barack Obama/a.jpg", (HAMILTON / "obama.jpg").read_bytes())
    assert taker.take(photo) is True
    character = repo.character("Barack Obama")
    assert character is not None and character.trigger_word == "obm"
    words.write_text("trigger_word: barack\n", encoding="utf-8")
    taker.take(words)
    assert repo.character("Barack Obama").trigger_word == "barack"  # type: ignore[union-attr]


def test_empty_characters_of_older_versions_are_listed_nowhere(
    repo: Repository, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo.save_character("Bomb Big", "bombbig", "person")  # as older versions left them
    assert repo.characters() == [] and repo.character_summaries() == []
    assert main(["characters", "--library", str(tmp_path / "library")]) == 0
    out = capsys.readouterr().out
    assert "Bomb Big" not in out and "no characters yet" in out
    assert main(["train", "Bomb Big", "--library", str(tmp_path / "library")]) == 1
    assert "no character 'Bomb Big' (known: none yet)" in capsys.readouterr().err
    assert repo.training_runs() == []


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("trigger_word: &x abc\nclass_word: *x\n", "anchors and aliases"),
        ("trigger_word: " + "x" * 65 + "\n", "at most 64 printable characters"),
        ('trigger_word: "two\\nlines"\n', "one line"),
        ('class_word: "red\\x1b[31m"\n', "one line"),
        ("# " + "padding " * 600 + "\ntrigger_word: x\n", "a character file is at most 4096"),
    ],
)
def test_character_words_are_short_printable_lines(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "character.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CharacterFileError, match=why) as caught:
        read_character_file(path, "X")
    assert "\x1b" not in str(caught.value) and len(str(caught.value)) < 1000
