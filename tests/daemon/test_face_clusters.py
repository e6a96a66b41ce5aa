"""Unknown faces grouped into clusters with crops, and `bunny name` adopting one."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from daemon.config import FacesConfig
from daemon.face_clusters import UnknownFaceClusters, adopt_cluster, cluster_labels
from daemon.references import refresh_references
from daemon.repository import MovieRecord, Repository
from daemon.store import FaceRow
from handlers.face_matching import FaceBox
from handlers.faces import FacesReport, FoundFace, ReferenceBook


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
    crops = sorted((library / "unknown" / cluster).iterdir())
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
