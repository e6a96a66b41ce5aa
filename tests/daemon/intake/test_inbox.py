"""daemon/intake/inbox.py: moving files aside with a reason; free, long and linked names."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from daemon.config import DEFAULT_TEMP_SUFFIXES
from daemon.intake.inbox import (
    InboxLayout,
    UnsafeFolderError,
    is_temporary_name,
    move_aside,
    move_into,
)

NAME_MAX = 255


@pytest.fixture
def inbox(tmp_path: Path) -> InboxLayout:
    layout = InboxLayout(tmp_path / "inbox")
    layout.create()
    return layout


def reason_of(moved: Path) -> Path:
    return moved.with_name(moved.name + ".reason.txt")


def test_layout_creates_drop_folders(inbox: InboxLayout) -> None:
    assert inbox.movies.is_dir()
    assert inbox.faces.is_dir()
    assert inbox.rejected == inbox.root / "rejected"
    assert inbox.done == inbox.root / "done"


def test_move_aside_moves_file_and_writes_reason(inbox: InboxLayout) -> None:
    source = inbox.movies / "a.mp4"
    source.write_bytes(b"not a movie")
    moved = move_aside(source, inbox.rejected, "not a video: no streams")
    assert moved == inbox.rejected / "a.mp4"
    assert not source.exists()
    assert moved.read_bytes() == b"not a movie"
    reason = reason_of(moved).read_text(encoding="utf-8")
    assert "not a video: no streams" in reason
    assert "a.mp4" in reason
    # The atomic write leaves no temporary file behind.
    assert sorted(p.name for p in inbox.rejected.iterdir()) == ["a.mp4", "a.mp4.reason.txt"]


def test_second_file_of_same_name_gets_a_free_name(inbox: InboxLayout) -> None:
    first = inbox.movies / "a.mp4"
    first.write_bytes(b"first")
    moved_first = move_aside(first, inbox.rejected, "reason one")
    second = inbox.movies / "a.mp4"
    second.write_bytes(b"second")
    moved_second = move_aside(second, inbox.rejected, "reason two")
    assert moved_second == inbox.rejected / "a (2).mp4"
    assert moved_second.read_bytes() == b"second"
    assert moved_first.read_bytes() == b"first"
    assert "reason one" in reason_of(moved_first).read_text(encoding="utf-8")
    assert "reason two" in reason_of(moved_second).read_text(encoding="utf-8")
    third = inbox.movies / "a.mp4"
    third.write_bytes(b"third")
    assert move_into(third, inbox.rejected) == inbox.rejected / "a (3).mp4"


def test_name_without_suffix_gets_a_free_name(inbox: InboxLayout) -> None:
    for content in (b"1", b"2"):
        source = inbox.movies / "README"
        source.write_bytes(content)
        move_into(source, inbox.done)
    assert (inbox.done / "README").read_bytes() == b"1"
    assert (inbox.done / "README (2)").read_bytes() == b"2"


@pytest.mark.parametrize(
    ("name", "size"), [("é" * 125 + ".mp4", 254), ("a" + "é" * 125 + ".mp4", 255)]
)
def test_long_unicode_name_is_moved_with_a_fitting_reason_file(
    inbox: InboxLayout, name: str, size: int
) -> None:
    assert len(name.encode("utf-8")) == size
    source = inbox.movies / name
    source.write_bytes(b"long")
    moved = move_aside(source, inbox.rejected, "too long to read")
    assert moved == inbox.rejected / name
    assert moved.read_bytes() == b"long"
    reasons = [p for p in inbox.rejected.iterdir() if p.name.endswith(".reason.txt")]
    assert len(reasons) == 1
    assert len(reasons[0].name.encode("utf-8")) <= NAME_MAX
    assert "too long to read" in reasons[0].read_text(encoding="utf-8")
    assert sorted(p.name for p in inbox.rejected.iterdir()) == sorted([name, reasons[0].name])


def test_long_name_collision_gets_a_fitting_free_name(inbox: InboxLayout) -> None:
    name = "é" * 125 + ".mp4"
    for content in (b"1", b"2"):
        source = inbox.movies / name
        source.write_bytes(content)
        move_aside(source, inbox.rejected, f"copy {content.decode()}")
    movies = [p for p in inbox.rejected.iterdir() if not p.name.endswith(".reason.txt")]
    assert len(movies) == 2
    assert {p.read_bytes() for p in movies} == {b"1", b"2"}
    for path in inbox.rejected.iterdir():
        assert len(path.name.encode("utf-8")) <= NAME_MAX
    second = next(p for p in movies if p.name != name)
    assert second.name.endswith(" (2).mp4")
    assert len(list(inbox.rejected.glob("*.reason.txt"))) == 2


def test_moving_a_symlink_moves_the_link_not_its_target(inbox: InboxLayout, tmp_path: Path) -> None:
    target = tmp_path / "elsewhere" / "real.mp4"
    target.parent.mkdir()
    target.write_bytes(b"the real movie")
    link = inbox.movies / "link.mp4"
    link.symlink_to(target)
    moved = move_aside(link, inbox.rejected, "links are set aside")
    assert moved.is_symlink()
    assert moved.readlink() == target
    assert not link.exists()
    assert not link.is_symlink()
    assert target.is_file()
    assert not target.is_symlink()
    assert target.read_bytes() == b"the real movie"


def test_moving_a_broken_symlink(inbox: InboxLayout, tmp_path: Path) -> None:
    link = inbox.movies / "broken.mp4"
    link.symlink_to(tmp_path / "missing.mp4")
    moved = move_aside(link, inbox.rejected, "link to nothing")
    assert moved.is_symlink()
    assert not link.is_symlink()
    assert reason_of(moved).is_file()


@pytest.mark.parametrize(
    "name",
    [
        "movie.mp4.part",
        "movie.mp4.PART",
        "movie.mkv.crdownload",
        "Movie.MKV.CrDownload",
        "movie.tmp",
        "movie.TMP",
        "movie.mp4~",
        ".hidden.mp4",
        ".DS_Store",
    ],
)
def test_temporary_names(name: str) -> None:
    assert is_temporary_name(Path("inbox") / name, DEFAULT_TEMP_SUFFIXES)


@pytest.mark.parametrize("name", ["movie.mp4", "my.part.mp4", "tmp.mkv", "été ~ 2.mkv"])
def test_ordinary_names_are_not_temporary(name: str) -> None:
    assert not is_temporary_name(Path("inbox") / name, DEFAULT_TEMP_SUFFIXES)


def test_temporary_suffixes_come_from_the_config() -> None:
    assert is_temporary_name(Path("movie.mp4.syncing"), (".syncing",))
    assert not is_temporary_name(Path("movie.mp4.part"), (".syncing",))


def test_relative_symlink_still_points_at_its_target_after_moving(tmp_path: Path) -> None:
    target = tmp_path / "store" / "movie.mp4"
    target.parent.mkdir()
    target.write_bytes(b"movie bytes")
    inbox = tmp_path / "inbox" / "movies"
    inbox.mkdir(parents=True)
    link = inbox / "link.mp4"
    link.symlink_to(Path("..") / ".." / "store" / "movie.mp4")
    assert link.read_bytes() == b"movie bytes"
    moved = move_aside(link, tmp_path / "inbox" / "rejected", "test")
    assert moved.is_symlink()
    assert moved.read_bytes() == b"movie bytes"
    assert target.read_bytes() == b"movie bytes"


def test_moving_into_a_folder_that_is_a_link_is_refused(inbox: InboxLayout, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    inbox.rejected.symlink_to(outside)
    movie = inbox.movies / "x.mp4"
    movie.write_bytes(b"data")
    with pytest.raises(UnsafeFolderError, match="is a symbolic link"):
        move_aside(movie, inbox.rejected, "not a movie")
    assert movie.read_bytes() == b"data"
    assert list(outside.iterdir()) == []


def test_a_reason_file_is_not_written_through_a_planted_link(
    inbox: InboxLayout, tmp_path: Path
) -> None:
    """Others may write in inbox/rejected: a link under the reason's temporary name is
    replaced, not followed."""
    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    inbox.rejected.mkdir()
    (inbox.rejected / ".x.mp4.reason.txt.tmp").symlink_to(victim)
    movie = inbox.movies / "x.mp4"
    movie.write_bytes(b"data")
    move_aside(movie, inbox.rejected, "not a movie")
    assert victim.read_text() == "untouched"
    assert "not a movie" in (inbox.rejected / "x.mp4.reason.txt").read_text()


def test_files_named_alike_moved_aside_at_once_keep_every_file_and_reason(
    inbox: InboxLayout, tmp_path: Path
) -> None:
    """Intake threads and workers reject at once; two `photo.jpg` must not share a name."""
    threads, rounds = 6, 40
    for round_number in range(rounds):
        sources = []
        for number in range(threads):
            folder = tmp_path / f"drop{round_number}-{number}"
            folder.mkdir()
            (folder / "photo.jpg").write_bytes(f"{round_number}-{number}".encode())
            sources.append(folder / "photo.jpg")
        start = threading.Barrier(threads)

        def reject(path: Path, start: threading.Barrier) -> None:
            start.wait()
            move_aside(path, inbox.rejected, "no face found")

        workers = [threading.Thread(target=reject, args=(s, start)) for s in sources]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    kept = {p.read_bytes() for p in inbox.rejected.glob("photo*.jpg")}
    assert len(kept) == threads * rounds, "a file moved aside replaced another"
    reasons = list(inbox.rejected.glob("*.reason.txt"))
    assert len(reasons) == threads * rounds
    assert not list(inbox.rejected.glob(".*.tmp"))
