"""At start the daemon finishes interrupted adoptions and removes what killed writes left.

Only what is certainly ours goes: `.<name>.tmp` files, and reference copies no row names
whose name is the start of their own sha256. A file the user put there stays.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable
from pathlib import Path

from daemon.characters.cluster_adoption import ClusterAdoption
from daemon.repository import Repository
from daemon.service.library_sweep import LeftoverSweep
from tests.conftest import DaemonProcess
from tests.daemon.characters.test_face_clusters import clustered, names, person


def our_copy(folder: Path, data: bytes) -> Path:
    """A reference copy as the intake writes it, with no row (its row's commit was killed)."""
    path = folder / f"{hashlib.sha256(data).hexdigest()[:12]}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_leftovers_of_killed_writes_go_at_start_and_the_users_files_stay(
    tmp_path: Path, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    library = tmp_path / "library"
    reference = library / "characters" / "Ann" / "reference"
    orphan = our_copy(reference, b"a photo whose row never came")
    half = reference / f".{orphan.name}.tmp"
    half.write_bytes(b"a photo cut sh")
    stray_image = library / "characters" / "Ann" / "dataset" / ".m_00-00-01.000.jpg.tmp"
    stray_image.parent.mkdir(parents=True)
    stray_image.write_bytes(b"half a jpeg")
    users = reference / "my favourite.png"
    users.write_bytes(b"the user's own photo")
    lookalike = reference / "0123456789ab.png"  # our kind of name, not our content
    lookalike.write_bytes(b"the user's photo that happens to be named like a copy")
    notes = library / "characters" / "Ann" / ".notes.tmp"  # not in a folder we write
    notes.write_bytes(b"the user's")
    daemon = daemon_factory(watcher={"quiet_seconds": 0.1})
    completed = daemon.run_once()
    assert completed.returncode == 0, completed.stderr.decode()
    assert not orphan.exists() and not half.exists() and not stray_image.exists()
    assert users.exists() and lookalike.exists() and notes.exists()


def test_a_reference_with_its_row_is_kept(tmp_path: Path) -> None:
    library = tmp_path / "library"
    repo = Repository(library / "bunny.db")
    try:
        (cluster,) = clustered(repo, library, person(1, 3))
        ClusterAdoption(repo, library).adopt(cluster, repo.cluster_faces(cluster), "Zed", ())
        kept = set(repo.reference_files())
        assert LeftoverSweep(repo, library).run() == []
    finally:
        repo.close()
    assert len(kept) == 3 and all((library / file).is_file() for file in kept)


def test_the_daemon_finishes_an_interrupted_adoption_and_sweeps_at_start(
    tmp_path: Path, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    library = tmp_path / "library"
    repo = Repository(library / "bunny.db")
    try:
        (cluster,) = clustered(repo, library, person(2, 4))
        repo.mark_done(repo.movies()[0].id)
        adoption = ClusterAdoption(repo, library)
        repo.begin_adoption(adoption.plan(cluster, repo.cluster_faces(cluster), "Lin", (), None))
    finally:
        repo.close()  # as `bunny name` killed after its first transaction leaves it
    orphan = our_copy(library / "characters" / "Ann" / "reference", b"no row")
    daemon = daemon_factory(
        pipeline={"stages": ["probe", "shots", "frames", "quality", "faces"]},
        watcher={"quiet_seconds": 0.1},
    )
    completed = daemon.run_once()
    assert completed.returncode == 0, completed.stderr.decode()
    reopened = daemon.repository()
    try:
        assert reopened.open_adoptions() == []
        assert names(reopened) == [("Lin", True)] * 4
        files = reopened.reference_files()
    finally:
        reopened.close()
    on_disk = {str(p.relative_to(library)) for p in library.glob("characters/*/reference/*")}
    assert len(files) == 4 and on_disk == files
    assert not orphan.exists()
    events = [e.get("event") for e in daemon.log_entries()]
    assert "finishing an adoption that was interrupted" in events
    assert "leftovers of an interrupted run removed" in events


def test_a_half_written_dataset_toml_goes_and_the_users_files_beside_it_stay(
    tmp_path: Path,
) -> None:
    library = tmp_path / "library"
    character = library / "characters" / "Ann"
    character.mkdir(parents=True)
    half = character / ".dataset.toml.tmp"  # handlers/kohya_dataset.py's, cut short
    half.write_text("[general]\ncaption_ext")
    users = [character / ".notes.tmp", character / "dataset.toml.tmp"]
    for path in users:
        path.write_text("the user's")
    repo = Repository(library / "bunny.db")
    try:
        removed = LeftoverSweep(repo, library).run()
    finally:
        repo.close()
    assert removed == ["characters/Ann/.dataset.toml.tmp"]
    assert not half.exists() and all(path.exists() for path in users)


def test_the_review_pages_staged_uploads_and_half_made_thumbnails_go_once_an_hour_old(
    tmp_path: Path,
) -> None:
    library = tmp_path / "library"
    repo = Repository(library / "bunny.db")
    old, new = [], []
    for name in (
        "0123456789abcdef.jpg",
        "thumbnails/ab/.ab{}-256.webp.tmp",
        "face-thumbnails/7/.{}.jpg.tmp",
    ):
        for made, mark in ((old, "1"), (new, "2")):
            folder = "uploads/" if "/" not in name else ""
            path = library / ".cache" / (folder + name.format(mark).replace("0123", mark * 4))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"cut short")
            made.append(path)
    hours_ago = time.time() - 2 * 3600
    for path in old:
        os.utime(path, (hours_ago, hours_ago))
    kept_thumbnail = library / ".cache/thumbnails/ab/ab12-256-1-2.webp"  # a finished one
    kept_thumbnail.write_bytes(b"a thumbnail")
    os.utime(kept_thumbnail, (hours_ago, hours_ago))
    removed = LeftoverSweep(repo, library).run()
    repo.close()
    assert sorted(removed) == sorted(str(p.relative_to(library)) for p in old)
    assert not any(p.exists() for p in old)
    assert all(p.exists() for p in new) and kept_thumbnail.exists()
