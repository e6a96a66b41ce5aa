"""A drop and an undo killed for real (SIGKILL at a chosen `rename`, by strace) between the
files they move: the next start (`finish_open`, as `LibraryUpkeep.recover` calls it) ends
each, and nothing is read as a correction the user never made."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from daemon.characters.corrections import DatasetCorrections
from daemon.characters.page_corrections import PageCorrections
from daemon.repository import Repository
from daemon.store import DropState
from tests.daemon.characters.drop_library import two_characters
from tests.daemon.characters.test_page_corrections import BEA, LATER
from tests.syscall_kills import KillPoint, kill_at, strace_problem

# The child: one drop of every image of Ann's onto Bea, or one undo (argv: library, what).
CHILD = """
import sys
from pathlib import Path
from daemon.characters.drop_requests import DropTarget, TargetKind
from daemon.characters.page_corrections import PageCorrections
from daemon.repository import Repository
library = Path(sys.argv[1])
repo = Repository(library / "bunny.db")
corrections = PageCorrections(repo, library, tuple(sys.argv[3].split(",")))
if sys.argv[2] == "undo":
    corrections.undo_last()
else:
    ids = tuple(e.id for e in repo.dataset_page("Ann", 0, 100))
    corrections.drop_images(ids, DropTarget(TargetKind.CHARACTER, "Bea"))
"""

pytestmark = pytest.mark.skipif(strace_problem() is not None, reason=str(strace_problem()))


def killed_at_rename(library: Path, what: str, path: Path) -> bool:
    point = KillPoint("rename", str(path), 1, True, "", True)
    command = [sys.executable, "-c", CHILD, str(library), what, ",".join(LATER)]
    return kill_at(point, command, library, dict(os.environ))


def test_a_drop_killed_between_its_files_is_finished_at_the_next_start(tmp_path: Path) -> None:
    library = tmp_path / "library"
    repo = Repository(library / "bunny.db")
    made = two_characters(repo, library)
    repo.close()
    second = library / made.ann[1]
    assert killed_at_rename(library, "drop", second)

    repo = Repository(library / "bunny.db")
    (drop,) = repo.open_drops()
    assert drop.state is DropState.APPLYING
    assert second.exists() and not (library / made.ann[0]).exists(), "killed between its files"
    # The daemon's corrections job may read the moved one first: it is the same correction.
    (read,) = DatasetCorrections(repo, library, LATER).run()
    assert read.file_before == made.ann[0]
    (finished,) = PageCorrections(repo, library, LATER).finish_open()
    assert finished.id == drop.id
    assert repo.open_drops() == [] and repo.dataset_files("Ann") == []
    assert len(repo.dataset_files("Bea")) == 3
    assert [e.to_character for e in repo.corrections()] == ["Bea", "Bea"]
    # Both corrections belong to the drop: one undo takes both back.
    undone = PageCorrections(repo, library, LATER).undo_last()
    assert undone is not None and repo.dataset_files("Ann") == list(made.ann)
    assert all(e.undone for e in repo.corrections())
    repo.close()


def test_an_undo_killed_between_its_files_is_finished_at_the_next_start(tmp_path: Path) -> None:
    library = tmp_path / "library"
    repo = Repository(library / "bunny.db")
    made = two_characters(repo, library)
    ids = tuple(made.image_id(repo, file) for file in made.ann)
    PageCorrections(repo, library, LATER).drop_images(ids, BEA)
    repo.close()
    moved_second = library / "characters/Bea/dataset" / Path(made.ann[1]).name
    assert killed_at_rename(library, "undo", moved_second)

    repo = Repository(library / "bunny.db")
    (drop,) = repo.open_drops()
    assert drop.state is DropState.UNDOING
    assert (library / made.ann[0]).exists() and moved_second.exists()
    # A file on its way back is not a move the user made.
    assert DatasetCorrections(repo, library, LATER).run() == []
    PageCorrections(repo, library, LATER).finish_open()
    assert repo.open_drops() == [] and repo.last_drop() is None
    assert repo.dataset_files("Ann") == list(made.ann)
    assert repo.dataset_files("Bea") == list(made.bea)
    assert [e.undone for e in repo.corrections()] == [True, True]
    assert repo.correction_triplets() == []
    repo.close()
