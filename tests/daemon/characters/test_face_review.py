"""FaceReview on a real SQLite file and real cluster folders: faces to a character, to a
cluster, to the noise bucket; a cluster ignored, two merged; each undone; and what the next
clustering and the next matching do with the faces the user moved."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from daemon.characters.face_clusters import UnknownFaceClusters, adopt_cluster
from daemon.characters.face_review import FaceReview
from daemon.characters.references import refresh_references
from daemon.config import FacesConfig
from daemon.repository import NoiseReason, Repository
from daemon.store import FaceReviewState, FaceRow, MovieState
from handlers.face_matching import FaceBox
from handlers.faces import ReferenceBook
from tests.daemon.characters.test_face_clusters import movie_with_faces, person

LATER = ("dataset",)
CLUSTERING = FacesConfig(cluster_min_size=3)


@pytest.fixture
def repo(tmp_path: Path) -> Iterator[Repository]:
    repository = Repository(tmp_path / "library" / "bunny.db")
    yield repository
    repository.close()


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return tmp_path / "library"


def clusters_of(repo: Repository, library: Path, *people: list[tuple[float, ...]]) -> list[str]:
    """A movie with these people's faces (done), clustered; the cluster ids, in people order."""
    movie = movie_with_faces(repo, library, [e for faces in people for e in faces])
    repo.mark_done(movie.id)
    found = UnknownFaceClusters(repo, library, CLUSTERING).run()
    return sorted(found, key=lambda c: int(c[1:]))


def rows(repo: Repository) -> list[tuple[object, ...]]:
    """Every face's columns the review changes, by id."""
    query = FaceRow.select().order_by(FaceRow.id)
    return [
        (r.id, r.character_id, r.distance, r.runner_up, r.cluster, r.confirmed, r.review)
        for r in query
    ]


def ids(repo: Repository, cluster: str) -> list[int]:
    return [s.face_id for s in repo.cluster_states(cluster)]


def bucket(repo: Repository, reason: NoiseReason) -> list[int]:
    return [t.id for t in repo.noise_tiles(reason, 0.1, 0, 100)]


def crops(library: Path, cluster: str) -> list[str]:
    folder = library / "unknown" / cluster
    return sorted(p.name for p in folder.glob("*.jpg")) if folder.exists() else []


def marker_faces(library: Path, cluster: str) -> list[int]:
    document = json.loads((library / "unknown" / cluster / "cluster.json").read_text())
    return sorted(face["id"] for face in document["faces"])


def named_library(library: Path, by_hand: bool) -> tuple[list[tuple[object, ...]], MovieState]:
    """A cluster named Zed by `bunny name`'s adoption, or by hand; its face rows and movie."""
    repo = Repository(library / "bunny.db")  # one database open at a time: peewee's proxy
    try:
        (cluster,) = clusters_of(repo, library, person(1, 3))
        if by_hand:
            FaceReview(repo, library, LATER).to_character(ids(repo, cluster), "Zed")
        else:
            adopt_cluster(repo, library, cluster, "Zed", LATER)
        assert not (library / "unknown" / cluster).exists()
        return rows(repo), repo.movie(1).state
    finally:
        repo.close()


def test_faces_named_by_hand_are_confirmed_exactly_as_an_adoption_names_them(
    tmp_path: Path,
) -> None:
    adopted = named_library(tmp_path / "a", by_hand=False)
    by_hand = named_library(tmp_path / "b", by_hand=True)
    assert adopted == by_hand
    assert all(row[5] for row in by_hand[0])  # confirmed
    assert by_hand[1] is MovieState.QUEUED  # its dataset is made again with the new name


def test_faces_taken_out_go_to_the_noise_bucket_and_stay_out_of_their_cluster(
    repo: Repository, library: Path
) -> None:
    (cluster,) = clusters_of(repo, library, person(1, 5))
    first, *rest = ids(repo, cluster)
    FaceReview(repo, library, LATER).to_noise([first])
    assert ids(repo, cluster) == rest
    assert bucket(repo, NoiseReason.TAKEN_OUT) == [first]
    assert marker_faces(library, cluster) == rest and len(crops(library, cluster)) == 4

    again = UnknownFaceClusters(repo, library, CLUSTERING).run()
    assert first not in {f.id for members in again.values() for f in members}
    assert bucket(repo, NoiseReason.TAKEN_OUT) == [first]
    assert marker_faces(library, cluster if cluster in again else min(again)) == rest


def test_an_ignored_cluster_is_never_shown_clustered_or_matched_again(
    repo: Repository, library: Path
) -> None:
    (cluster,) = clusters_of(repo, library, person(1, 4))
    faces = ids(repo, cluster)
    done = FaceReview(repo, library, LATER).ignore_cluster(cluster)
    assert done.faces == 4
    assert not (library / "unknown" / cluster).exists()
    aside = library / "unknown" / ".ignored" / cluster
    assert len(list(aside.glob("*.jpg"))) == 4, "moved aside, not deleted"
    assert "ignored on the review page" in (aside / "ignored.reason.txt").read_text()
    assert repo.cluster_count() == 0
    assert bucket(repo, NoiseReason.TAKEN_OUT) == bucket(repo, NoiseReason.LOOSE) == []
    assert all(repo.face_tile(face) is None for face in faces)

    assert UnknownFaceClusters(repo, library, CLUSTERING).run() == {}
    assert not (library / "unknown" / cluster).exists()
    # A reference of this very person: matching would name every face, but not these.
    stored = {f.id: f for f in repo.stored_faces()}
    character = repo.save_character("Extra", "extra", "person")
    repo.add_reference(
        character.id, "e" * 64, "r.jpg", FaceBox(0, 9, 9, 0), stored[faces[0]].encoding
    )
    refresh_references(repo, ReferenceBook(), FacesConfig())
    assert {f.character for f in repo.stored_faces()} == {None}
    states = repo.face_states(faces)
    assert {s.review for s in states} == {FaceReviewState.IGNORED}


def test_matching_still_names_a_face_taken_out_by_hand(repo: Repository, library: Path) -> None:
    (cluster,) = clusters_of(repo, library, person(1, 4))
    first = ids(repo, cluster)[0]
    FaceReview(repo, library, LATER).to_noise([first])
    encoding = next(f.encoding for f in repo.stored_faces() if f.id == first)
    character = repo.save_character("Ann", "ann", "person")
    repo.add_reference(character.id, "a" * 64, "r.jpg", FaceBox(0, 9, 9, 0), encoding)
    refresh_references(repo, ReferenceBook(), FacesConfig())
    assert repo.face_states([first])[0].character == "Ann"


def test_a_merged_cluster_keeps_the_id_of_the_one_kept_and_the_clustering_keeps_it(
    repo: Repository, library: Path
) -> None:
    kept, merged = clusters_of(repo, library, person(1, 3), person(2, 4))
    all_faces = sorted(ids(repo, kept) + ids(repo, merged))
    done = FaceReview(repo, library, LATER).merge_clusters(kept, merged)
    assert done.faces == 7
    assert ids(repo, kept) == all_faces and ids(repo, merged) == []
    assert not (library / "unknown" / merged).exists()
    assert marker_faces(library, kept) == all_faces and len(crops(library, kept)) == 7

    again = UnknownFaceClusters(repo, library, CLUSTERING).run()
    assert sorted(again) == [kept]
    assert sorted(f.id for f in again[kept]) == all_faces
    assert marker_faces(library, kept) == all_faces


def test_faces_moved_into_a_cluster_stay_there(repo: Repository, library: Path) -> None:
    (cluster,) = clusters_of(repo, library, person(1, 3), person(2, 1))
    (stranger,) = bucket(repo, NoiseReason.LOOSE)
    FaceReview(repo, library, LATER).to_cluster([stranger], cluster)
    assert stranger in ids(repo, cluster)
    again = UnknownFaceClusters(repo, library, CLUSTERING).run()
    assert stranger in {f.id for f in again[cluster]}
    assert bucket(repo, NoiseReason.LOOSE) == []
    assert stranger in marker_faces(library, cluster)


@pytest.mark.parametrize("action", ["to_character", "to_noise", "ignore", "merge", "to_cluster"])
def test_each_change_is_undone_to_the_rows_and_folders_before_it(
    repo: Repository, library: Path, action: str
) -> None:
    kept, merged = clusters_of(repo, library, person(1, 3), person(2, 3), person(3, 1))
    review = FaceReview(repo, library, LATER)
    (loose,) = bucket(repo, NoiseReason.LOOSE)
    before = rows(repo)
    folders = {c: crops(library, c) for c in (kept, merged)}
    changes = {
        "to_character": lambda: review.to_character(ids(repo, kept)[:2], "Zed"),
        "to_noise": lambda: review.to_noise(ids(repo, kept)[:1]),
        "ignore": lambda: review.ignore_cluster(kept),
        "merge": lambda: review.merge_clusters(kept, merged),
        "to_cluster": lambda: review.to_cluster([loose], kept),
    }
    done = changes[action]()
    assert rows(repo) != before
    undone = review.undo_last()
    assert undone is not None and undone.id == done.record
    assert rows(repo) == before
    assert {c: crops(library, c) for c in (kept, merged)} == folders
    assert review.undo_last() is None  # nothing left to undo
    with pytest.raises(ValueError, match="undone already"):
        review.undo(done.record)


def test_a_change_is_not_undone_over_a_later_one(repo: Repository, library: Path) -> None:
    (cluster,) = clusters_of(repo, library, person(1, 4))
    review = FaceReview(repo, library, LATER)
    first = review.to_noise(ids(repo, cluster)[:1])
    adopt_cluster(repo, library, cluster, "Zed", LATER)  # the rest named since
    review.to_character(bucket(repo, NoiseReason.TAKEN_OUT), "Ann")
    with pytest.raises(ValueError, match="have changed since"):
        review.undo(first.record)


def test_what_cannot_be_done_says_why_and_changes_nothing(repo: Repository, library: Path) -> None:
    kept, other = clusters_of(repo, library, person(1, 3), person(2, 3))
    review = FaceReview(repo, library, LATER)
    before = rows(repo)
    with pytest.raises(ValueError, match="no face with id 999"):
        review.to_noise([ids(repo, kept)[0], 999])
    with pytest.raises(ValueError, match="'c999999' is not waiting"):
        review.merge_clusters(kept, "c999999")
    with pytest.raises(ValueError, match="into itself"):
        review.merge_clusters(kept, kept)
    with pytest.raises(ValueError, match="cannot name a character"):
        review.to_character(ids(repo, kept), "  ..  ")
    review.ignore_cluster(other)
    ignored = [s.face_id for s in repo.face_states(range(1, 10)) if s.review]
    after_ignore = rows(repo)
    with pytest.raises(ValueError, match="is ignored"):
        review.to_character(ignored[:1], "Zed")
    assert rows(repo) == after_ignore != before
