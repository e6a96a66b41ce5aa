"""Unknown faces grouped into clusters with crops, adopted by `bunny name` or a folder move."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from daemon.characters.face_clusters import (
    MovedClusters,
    UnknownFaceClusters,
    adopt_cluster,
    cluster_labels,
)
from daemon.characters.references import refresh_references
from daemon.config import FacesConfig
from daemon.repository import MovieRecord, Repository
from daemon.store import FaceRow
from handlers.face_matching import FaceBox
from handlers.faces import FacesReport, FoundFace, ReferenceBook
from tests.conftest import DaemonProcess


def person(seed: int, count: int, spread: float = 0.02) -> list[tuple[float, ...]]:
    """`count` encodings of one made-up person: a point in 128-d space and small jitter."""
    rng = np.random.default_rng(seed)
    centre = rng.normal(0, 0.09, 128)
    return [tuple((centre + rng.normal(0, spread, 128)).round(6)) for _ in range(count)]


def test_close_encodings_share_a_label_and_strangers_do_not() -> None:
    first, second = person(1, 4), person(2, 3)
    labels = cluster_labels(first + second, threshold=0.5)
    assert len(set(labels[:4])) == 1 and len(set(labels[4:])) == 1
    assert labels[0] != labels[4]
    assert cluster_labels([], 0.5) == []


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    repository = Repository(tmp_path / "library" / "bunny.db")
    yield repository
    repository.close()


def movie_with_faces(
    repo: Repository, library: Path, encodings: list[tuple[float, ...]]
) -> MovieRecord:
    movie = repo.add_movie("ab" * 32, "m.mp4", library / "m.mp4", 1)
    frames = library / "movies" / movie.key / "frames"
    frames.mkdir(parents=True)
    faces = []
    for number, encoding in enumerate(encodings):
        name = f"00-00-{number:02d}.000"
        cv2.imwrite(str(frames / f"{name}.jpg"), np.full((360, 640, 3), 40 + number * 20, np.uint8))
        box = FaceBox(100, 300 + number, 200, 200)
        faces.append(FoundFace(name, 0, box, None, None, None, encoding))
    repo.finish_stage(
        movie.id, "faces", 1.0, FacesReport(tuple(faces), len(faces), len(faces), 0, ())
    )
    return movie


def test_clusters_get_folders_of_crops_and_a_name_adopts_one(
    repo: Repository, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    movie_with_faces(repo, library, person(1, 3) + person(2, 2) + person(3, 1))
    config = FacesConfig(cluster_min_size=3)
    clusters = UnknownFaceClusters(repo, library, config).run()
    (cluster,) = clusters
    crops = sorted((library / "unknown" / cluster).glob("*.jpg"))
    assert len(crops) == 3
    assert cv2.imread(str(crops[0])).shape[:2] == (200, 200)  # the 100 px face with margins

    assert adopt_cluster(repo, library, cluster, "Zed", ("dataset",)) == 3
    named = [f for f in repo.stored_faces() if f.character == "Zed"]
    assert len(named) == 3 and all(f.confirmed for f in named)
    assert len(repo.reference_encodings()[0]) == 3
    assert not (library / "unknown" / cluster).exists()
    assert FaceRow.select().where(FaceRow.cluster.is_null(False)).count() == 0
    # Matching again never undoes a name the user gave.
    refresh_references(repo, ReferenceBook(), FacesConfig(tolerance=0.05))
    assert sum(1 for f in repo.stored_faces() if f.character == "Zed") == 3
    with pytest.raises(ValueError, match="no cluster 'c999999'"):
        adopt_cluster(repo, library, "c999999", "Nobody", ())


def test_a_cluster_that_broke_up_loses_its_folder(repo: Repository, tmp_path: Path) -> None:
    library = tmp_path / "library"
    movie_with_faces(repo, library, person(4, 3))
    clusters = UnknownFaceClusters(repo, library, FacesConfig(cluster_min_size=3))
    (cluster,) = clusters.run()
    stray = library / "unknown" / "my notes"
    stray.mkdir()
    UnknownFaceClusters(repo, library, FacesConfig(cluster_min_size=4)).run()
    assert not (library / "unknown" / cluster).exists()
    assert stray.exists(), "folders that are not ours are left alone"


# --- adopting a cluster by moving its folder into characters/ ---------------------------


def clustered(repo: Repository, library: Path, *people: list[tuple[float, ...]]) -> list[str]:
    """A movie with these people's faces, clustered; the cluster ids, oldest face first."""
    movie_with_faces(repo, library, [encoding for faces in people for encoding in faces])
    return sorted(UnknownFaceClusters(repo, library, FacesConfig(cluster_min_size=3)).run())


def moved_clusters(repo: Repository, library: Path, quiet: float = 0.0) -> MovedClusters:
    return MovedClusters(repo, library, ("dataset",), quiet_seconds=quiet)


def names(repo: Repository) -> list[tuple[str, bool]]:
    return sorted((f.character or "-", f.confirmed) for f in repo.stored_faces())


def test_each_cluster_folder_has_a_marker_naming_its_faces(
    repo: Repository, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    (cluster,) = clustered(repo, library, person(1, 3))
    marker = json.loads((library / "unknown" / cluster / "cluster.json").read_text())
    crops = sorted(p.name for p in (library / "unknown" / cluster).glob("*.jpg"))
    assert marker["cluster"] == cluster
    assert sorted(f["crop"] for f in marker["faces"]) == crops
    assert sorted(f["id"] for f in marker["faces"]) == [f.id for f in repo.stored_faces()]


def test_a_cluster_folder_renamed_into_characters_is_adopted_once(
    repo: Repository, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    lin, other = clustered(repo, library, person(1, 4), person(2, 3))
    folder = library / "characters" / "Lin"
    folder.parent.mkdir(parents=True)
    (library / "unknown" / lin).rename(folder)
    crops = sorted(p.name for p in folder.glob("*.jpg"))

    (adoption,) = moved_clusters(repo, library).run()
    assert (adoption.cluster, adoption.character, adoption.faces, adoption.left_out) == (
        lin,
        "Lin",
        4,
        0,
    )
    assert names(repo) == [("-", False)] * 3 + [("Lin", True)] * 4
    assert len(repo.reference_encodings()[0]) == 4
    assert [c.name for c in repo.characters()] == ["Lin"]
    # The user's crops are filed, not deleted; the marker goes with them, so it is read once.
    filed = folder / "adopted" / lin
    assert adoption.filed_in == f"characters/Lin/adopted/{lin}"
    assert sorted(p.name for p in filed.glob("*.jpg")) == crops
    assert (filed / "cluster.json").is_file()
    assert sorted(p.name for p in folder.iterdir()) == ["adopted", "reference"]
    assert len(list((folder / "reference").iterdir())) == 4
    assert moved_clusters(repo, library).run() == []
    assert (library / "unknown" / other).is_dir(), "the other cluster is untouched"
    # Matching again never undoes the user's word.
    refresh_references(repo, ReferenceBook(), FacesConfig(tolerance=0.05))
    assert names(repo).count(("Lin", True)) == 4


def test_crops_deleted_before_the_move_leave_their_faces_out(
    repo: Repository, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    (cluster,) = clustered(repo, library, person(3, 5))
    source = library / "unknown" / cluster
    deleted = sorted(source.glob("*.jpg"))[:2]
    for crop in deleted:
        crop.unlink()
    target = library / "characters" / "Ann"
    shutil.move(source, target)  # what a file manager does

    (adoption,) = moved_clusters(repo, library).run()
    assert (adoption.faces, adoption.left_out) == (3, 2)
    assert names(repo) == [("-", False)] * 2 + [("Ann", True)] * 3
    left_out = {p.name.rsplit("_", 1)[0] for p in deleted}  # <movie>_<frame>
    assert {f"{repo.movie_key(f.movie_id)}_{f.frame}" for f in repo.unknown_faces()} == left_out


def test_a_folder_moved_into_an_existing_character_merges_into_it(
    repo: Repository, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    first, second = clustered(repo, library, person(4, 3), person(5, 3))
    repo.save_character("Bea", "bea", "woman")
    bea = library / "characters" / "Bea"
    (bea / "dataset").mkdir(parents=True)
    (bea / "dataset" / "mine.jpg").write_bytes(b"jpeg")
    (bea / "notes.txt").write_text("the user's own file")
    # One folder merged by a rename (its crops land beside reference/ and dataset/), the
    # other dropped inside the character's folder.
    for crop in (library / "unknown" / first).iterdir():
        crop.rename(bea / crop.name)
    (library / "unknown" / first).rmdir()
    (library / "unknown" / second).rename(bea / second)

    adopted = moved_clusters(repo, library).run()
    assert sorted((a.cluster, a.character, a.faces) for a in adopted) == [
        (first, "Bea", 3),
        (second, "Bea", 3),
    ]
    assert names(repo) == [("Bea", True)] * 6
    assert [c.name for c in repo.characters()] == ["Bea"]
    assert repo.character("Bea") == repo.characters()[0]
    assert repo.characters()[0].trigger_word == "bea", "an existing character keeps its words"
    assert sorted(p.name for p in bea.iterdir()) == [
        "adopted",
        "dataset",
        "notes.txt",
        "reference",
    ]
    assert sorted(p.name for p in (bea / "adopted").iterdir()) == [first, second]
    assert (bea / "dataset" / "mine.jpg").read_bytes() == b"jpeg"
    assert not list(bea.glob("*.jpg")) and not (bea / "cluster.json").exists()


def test_a_name_is_made_folder_safe_and_an_unrenamed_folder_waits(
    repo: Repository, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    (cluster,) = clustered(repo, library, person(6, 3))
    characters = library / "characters"
    characters.mkdir()
    waiting = characters / cluster
    (library / "unknown" / cluster).rename(waiting)
    assert moved_clusters(repo, library).run() == [], "still named by its cluster id"
    assert names(repo) == [("-", False)] * 3

    odd = characters / "Zoë: the pianist"
    waiting.rename(odd)
    (odd / "my pick.png").write_bytes(b"png")
    assert moved_clusters(repo, library, quiet=3600).run() == [], "just moved: not settled"

    (adoption,) = moved_clusters(repo, library).run()
    assert adoption.character == "Zoë the pianist"
    assert names(repo) == [("Zoë the pianist", True)] * 3
    assert len(list((characters / "Zoë the pianist" / "adopted" / cluster).glob("*.jpg"))) == 3
    assert [p.name for p in odd.iterdir()] == ["my pick.png"], "the user's own file stays"


def test_a_marker_with_nothing_left_to_adopt_is_consumed(repo: Repository, tmp_path: Path) -> None:
    library = tmp_path / "library"
    (cluster,) = clustered(repo, library, person(7, 3))
    copy = library / "characters" / "Copy"
    shutil.copytree(library / "unknown" / cluster, copy)
    adopt_cluster(repo, library, cluster, "Named", ())  # `bunny name` got there first
    assert moved_clusters(repo, library).run() == []
    assert not (copy / "cluster.json").exists()
    assert len(list(copy.glob("*.jpg"))) == 3, "the crops stay where the user put them"
    assert names(repo) == [("Named", True)] * 3
    broken = library / "characters" / "Broken"
    broken.mkdir()
    (broken / "cluster.json").write_text("{not json")
    assert moved_clusters(repo, library).run() == []
    assert (broken / "cluster.json").exists(), "not ours to remove when unreadable"


def test_the_daemon_adopts_a_moved_folder_during_run_once(
    repo: Repository, tmp_path: Path, daemon_factory: Callable[..., DaemonProcess]
) -> None:
    library = tmp_path / "library"
    (cluster,) = clustered(repo, library, person(8, 3))
    repo.mark_done(repo.movies()[0].id)
    repo.close()
    (library / "characters").mkdir()
    (library / "unknown" / cluster).rename(library / "characters" / "Lin")
    daemon = daemon_factory(
        pipeline={"stages": ["probe", "shots", "frames", "quality", "faces"]},
        watcher={"quiet_seconds": 0.1},
    )
    completed = daemon.run_once()
    assert completed.returncode == 0, completed.stderr.decode()
    reopened = daemon.repository()
    try:
        assert names(reopened) == [("Lin", True)] * 3
    finally:
        reopened.close()
    assert (library / "characters" / "Lin" / "adopted" / cluster / "cluster.json").is_file()
    assert any(
        e.get("event") == "cluster adopted from a moved folder" for e in daemon.log_entries()
    )
