"""Drops from the review page: the same corrections as a file manager's, and their undo."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from daemon.characters.corrections import DatasetCorrections
from daemon.characters.drop_requests import BadDropError, DropTarget, TargetKind
from daemon.characters.page_corrections import DropConflictError, PageCorrections
from daemon.commands.characters import print_corrections
from daemon.config import Config
from daemon.repository import Repository
from daemon.store import DropState
from handlers.registry import stages_needing
from tests.daemon.characters.drop_library import TwoCharacters, two_characters
from tests.daemon.characters.library_snapshot import library_files, library_rows

LATER = stages_needing("faces", Config().pipeline.stages)
BEA = DropTarget(TargetKind.CHARACTER, "Bea")
NOBODY = DropTarget(TargetKind.NOT_THIS_PERSON, None)
Outcome = tuple[dict[str, str], dict[str, list[tuple[object, ...]]], str, str]


Correct = Callable[[Repository, Path, TwoCharacters], None]


def corrected(root: Path, capsys: pytest.CaptureFixture[str], correct: Correct) -> Outcome:
    """A fresh library, corrected by `correct`: its files, rows, log and triplets."""
    library = root / "library"
    repo = Repository(library / "bunny.db")
    try:
        made = two_characters(repo, library)
        correct(repo, library, made)
    finally:
        repo.close()
    capsys.readouterr()
    triplets = root / "triplets.jsonl"
    assert print_corrections(Config(library=library), triplets) == 0
    printed = capsys.readouterr().out.replace(str(root), "ROOT")
    log = "\n".join(line[21:] for line in printed.splitlines())  # no time
    return library_files(library), library_rows(library / "bunny.db"), log, triplets.read_text()


def by_file_manager_move(repo: Repository, library: Path, made: TwoCharacters) -> None:
    (library / "characters/Bea/dataset").mkdir(parents=True, exist_ok=True)
    shutil.move(library / made.ann[0], library / "characters/Bea/dataset")
    DatasetCorrections(repo, library, LATER).run()


def by_page_move(repo: Repository, library: Path, made: TwoCharacters) -> None:
    PageCorrections(repo, library, LATER).drop_images((made.image_id(repo, made.ann[0]),), BEA)


def by_file_manager_deletion(repo: Repository, library: Path, made: TwoCharacters) -> None:
    (library / made.ann[0]).unlink()
    DatasetCorrections(repo, library, LATER).run()


def by_page_deletion(repo: Repository, library: Path, made: TwoCharacters) -> None:
    PageCorrections(repo, library, LATER).drop_images((made.image_id(repo, made.ann[0]),), NOBODY)


@pytest.mark.parametrize(
    ("by_hand", "by_page", "triplet_count"),
    # A deletion says only what the face is not: no triplet until a later move (corrections.py).
    [(by_file_manager_move, by_page_move, 1), (by_file_manager_deletion, by_page_deletion, 0)],
    ids=["onto-a-character", "not-this-person"],
)
def test_a_page_drop_leaves_what_the_file_manager_leaves(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    by_hand: Correct,
    by_page: Correct,
    triplet_count: int,
) -> None:
    hand = corrected(tmp_path / "hand", capsys, by_hand)
    page = corrected(tmp_path / "page", capsys, by_page)
    _, rows, log, triplets = hand
    assert rows["correction"], "the file manager's correction was recorded"
    assert page == hand
    assert log.count("Ann -> ") == 1 and triplets.count("anchor") == triplet_count


def test_not_this_person_keeps_the_image_out_of_the_dataset_for_an_undo(tmp_path: Path) -> None:
    library = tmp_path / "library"
    repo = Repository(library / "bunny.db")
    made = two_characters(repo, library)
    data = (library / made.ann[0]).read_bytes()
    drop = PageCorrections(repo, library, LATER).drop_images(
        (made.image_id(repo, made.ann[0]),), NOBODY
    )
    (move,) = drop.moves
    assert move.kept_file is not None and move.kept_file.startswith(".corrections/")
    assert (library / move.kept_file).read_bytes() == data
    assert not (library / made.ann[0]).exists()
    assert repo.dataset_files("Ann") == list(made.ann[1:])
    repo.close()


@pytest.mark.parametrize("target", [BEA, NOBODY], ids=["onto-a-character", "not-this-person"])
def test_undo_puts_back_files_rows_and_labels_and_drops_the_triplet(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], target: DropTarget
) -> None:
    library = tmp_path / "library"
    repo = Repository(library / "bunny.db")
    made = two_characters(repo, library)
    files, rows = library_files(library), library_rows(library / "bunny.db", with_times=True)
    corrections = PageCorrections(repo, library, LATER)
    ids = tuple(made.image_id(repo, file) for file in made.ann)
    corrections.drop_images(ids, target)
    assert library_files(library) != files
    assert bool(repo.correction_triplets()) is (target == BEA), "a move gives triplets"

    undone = corrections.undo_last()
    assert undone is not None and len(undone.moves) == 2
    after = library_rows(library / "bunny.db", with_times=True)
    assert library_files(library) == files
    for table in ("character", "dataset_image", "dataset_image_times", "face", "faces_result"):
        assert after[table] == rows[table], table
    assert after["pending_deletion"] == []
    assert repo.correction_triplets() == []
    assert repo.last_drop() is None and corrections.undo_last() is None
    assert not (library / ".corrections").exists() or not any((library / ".corrections").iterdir())
    repo.close()
    capsys.readouterr()
    # The log keeps what the user did, and says it was undone.
    assert print_corrections(Config(library=library), None) == 0
    printed = capsys.readouterr().out.splitlines()
    assert len(printed) == 2 and all(line.endswith("(undone)") for line in printed)


def test_a_second_undo_undoes_the_drop_before(tmp_path: Path) -> None:
    library = tmp_path / "library"
    repo = Repository(library / "bunny.db")
    made = two_characters(repo, library)
    corrections = PageCorrections(repo, library, LATER)
    corrections.drop_images((made.image_id(repo, made.ann[0]),), BEA)
    corrections.drop_images((made.image_id(repo, made.ann[1]),), NOBODY)
    first = corrections.undo_last()
    second = corrections.undo_last()
    assert first is not None and first.target == "not-this-person"
    assert second is not None and second.target == "character:Bea"
    assert repo.dataset_files("Ann") == list(made.ann)
    repo.close()


def refused(repo: Repository, library: Path, ids: tuple[int, ...], target: DropTarget) -> str:
    before = library_files(library), library_rows(library / "bunny.db")
    with pytest.raises((BadDropError, DropConflictError)) as error:
        PageCorrections(repo, library, LATER).drop_images(ids, target)
    assert (library_files(library), library_rows(library / "bunny.db")) == before
    assert repo.last_drop() is None and repo.open_drops() == []
    return str(error.value)


def test_a_drop_is_all_or_nothing(tmp_path: Path) -> None:
    library = tmp_path / "library"
    repo = Repository(library / "bunny.db")
    made = two_characters(repo, library)
    ann = made.image_id(repo, made.ann[0])
    assert "no dataset image with id 999" in refused(repo, library, (ann, 999), BEA)
    nobody = DropTarget(TargetKind.CHARACTER, "Zed")
    assert "no character named 'Zed'" in refused(repo, library, (ann,), nobody)
    bea = made.image_id(repo, made.bea[0])
    assert "Bea's already" in refused(repo, library, (ann, bea), BEA)
    # A file the user moved away meanwhile: the page was out of date.
    shutil.move(library / made.ann[1], tmp_path / "elsewhere.jpg")
    second = made.image_id(repo, made.ann[1])
    assert "not in the library any more" in refused(repo, library, (ann, second), BEA)
    repo.close()


def test_a_drop_never_overwrites_the_targets_image_of_the_same_frame(tmp_path: Path) -> None:
    library = tmp_path / "library"
    repo = Repository(library / "bunny.db")
    made = two_characters(repo, library)
    clash = library / "characters/Bea/dataset" / Path(made.ann[0]).name
    clash.write_bytes(b"Bea's own image of that frame")
    ann = made.image_id(repo, made.ann[0])
    assert "has characters/Bea/dataset/" in refused(repo, library, (ann,), BEA)
    assert clash.read_bytes() == b"Bea's own image of that frame"
    repo.close()


def test_an_undo_after_the_image_changed_again_is_refused(tmp_path: Path) -> None:
    library = tmp_path / "library"
    repo = Repository(library / "bunny.db")
    made = two_characters(repo, library)
    corrections = PageCorrections(repo, library, LATER)
    corrections.drop_images((made.image_id(repo, made.ann[0]),), BEA)
    (library / "characters/Bea/dataset" / Path(made.ann[0]).name).unlink()  # by hand
    with pytest.raises(DropConflictError, match="cannot undo"):
        corrections.undo_last()
    last = repo.last_drop()
    assert last is not None and last.state is DropState.APPLIED
    repo.close()


def test_the_daemon_follows_a_page_drop_and_its_undo_as_it_follows_a_file_move(
    tmp_path: Path,
) -> None:
    """The daemon's corrections job passes a correction on (training looks at the counts,
    matching learns from the confirmed face); one made on the page, maybe by another process,
    was recorded before the job could see a file move, so it went unnoticed."""
    from daemon.characters.upkeep import LibraryUpkeep, UpkeepHooks
    from daemon.intake.inbox import InboxLayout
    from handlers.faces import ReferenceBook

    config = Config(library=tmp_path / "library", inbox=tmp_path / "inbox")
    repo = Repository(config.database_path)
    made = two_characters(repo, config.library)
    calls: list[str] = []
    hooks = UpkeepHooks(lambda: calls.append("wake"), lambda: calls.append("datasets"))
    upkeep = LibraryUpkeep(repo, config, InboxLayout(config.inbox), ReferenceBook(), hooks)
    upkeep.read_corrections()
    assert calls == []
    corrections = PageCorrections(repo, config.library, upkeep.after_faces())
    corrections.drop_images((made.image_id(repo, made.ann[0]),), BEA)
    upkeep.read_corrections()
    assert calls == ["datasets", "wake"]
    upkeep.read_corrections()
    assert calls == ["datasets", "wake"], "passed on once"
    corrections.undo_last()
    upkeep.read_corrections()
    assert calls == ["datasets", "wake"] * 2
    repo.close()
