"""An adoption that a kill interrupted after its first transaction is finished, not lost.

`repo.begin_adoption(plan)` alone is exactly what such a kill leaves: the faces named, the
plan recorded, no reference written. (tests/daemon/test_crash_windows.py kills a real
`bunny name` at its system calls; these tests name each way the adoption gets finished.)
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.characters.cluster_adoption import ClusterAdoption
from daemon.characters.face_clusters import MovedClusters, adopt_cluster
from daemon.repository import CropFiling, Repository
from tests.daemon.characters.test_face_clusters import clustered, names, person


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    repository = Repository(tmp_path / "library" / "bunny.db")
    yield repository
    repository.close()


def interrupted(repo: Repository, library: Path, cluster: str, name: str) -> None:
    """`bunny name CLUSTER NAME` killed just after its first transaction."""
    plan = ClusterAdoption(repo, library).plan(cluster, repo.cluster_faces(cluster), name, (), None)
    repo.begin_adoption(plan)


def references(library: Path, name: str) -> list[str]:
    return sorted(p.name for p in (library / "characters" / name / "reference").glob("*"))


def test_running_bunny_name_again_finishes_what_a_killed_one_began(
    repo: Repository, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    (cluster,) = clustered(repo, library, person(1, 6))
    interrupted(repo, library, cluster, "Zed")
    assert repo.cluster_faces(cluster) == [] and references(library, "Zed") == []

    assert adopt_cluster(repo, library, cluster, "Zed", ()) == 6
    assert len(references(library, "Zed")) == 5
    assert repo.reference_files() == {
        f"characters/Zed/reference/{n}" for n in references(library, "Zed")
    }
    assert repo.open_adoptions() == []
    assert not (library / "unknown" / cluster).exists()
    # Once more: it says what was done rather than "no cluster"; another name is refused.
    assert adopt_cluster(repo, library, cluster, "Zed", ()) == 6
    with pytest.raises(ValueError, match="was adopted as 'Zed' already"):
        adopt_cluster(repo, library, cluster, "Ann", ())


def test_the_next_adoption_finishes_an_interrupted_one_first(
    repo: Repository, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    first, second = clustered(repo, library, person(2, 3), person(3, 3))
    interrupted(repo, library, first, "Ann")
    # Another adoption finishes the interrupted one first (it holds the same lock).
    ClusterAdoption(repo, library).adopt(second, repo.cluster_faces(second), "Bea", ())
    assert repo.open_adoptions() == []
    assert len(references(library, "Ann")) == 3 and len(references(library, "Bea")) == 3
    assert names(repo) == [("Ann", True)] * 3 + [("Bea", True)] * 3


def test_a_moved_folder_whose_adoption_was_interrupted_is_filed_once(
    repo: Repository, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    (cluster,) = clustered(repo, library, person(4, 4))
    folder = library / "characters" / "Lin"
    folder.parent.mkdir(parents=True)
    shutil.move(library / "unknown" / cluster, folder)
    crops = tuple(sorted(p.name for p in folder.glob("*.jpg")))
    adoption = ClusterAdoption(repo, library)
    filing = CropFiling("characters/Lin", f"characters/Lin/adopted/{cluster}", crops)
    plan = adoption.plan(cluster, repo.cluster_faces(cluster), "Lin", (), filing)
    repo.begin_adoption(plan)
    filed = folder / "adopted" / cluster
    filed.mkdir(parents=True)
    (folder / crops[0]).rename(filed / crops[0])  # the kill came after the first crop's move

    assert MovedClusters(repo, library, (), quiet_seconds=0).run() == []
    assert sorted(p.name for p in filed.glob("*.jpg")) == list(crops)
    assert (filed / "cluster.json").is_file()
    assert not (folder / "cluster.json").exists(), "the marker went with the crops"
    assert len(references(library, "Lin")) == 4
    assert names(repo) == [("Lin", True)] * 4
