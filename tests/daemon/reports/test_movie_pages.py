"""The review page's movie data (movie_pages.py, movie_frames.py) on a real SQLite library
written through the repository as the stages write it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from daemon.display_text import REASON_LIMIT
from daemon.reports.movie_faces import FaceCounts
from daemon.reports.movie_frames import kept_frames, movie_shots, rejected_frames
from daemon.reports.movie_pages import FrameSize, find_movie, movie_detail, movies_page
from daemon.reports.paging import MAX_PER_PAGE, PageRequest
from daemon.repository import Repository
from daemon.store import MovieState, StageStatus
from handlers.dataset import DatasetReport
from handlers.quality import Verdict
from handlers.shots import ShotKind
from tests.daemon.reports.page_library import (
    AMELIE,
    KEPT,
    LONG_ERROR,
    NINO,
    REJECTED,
    STAGES,
    PageLibrary,
)


def test_the_list_is_newest_first_a_page_at_a_time_with_frame_counts(
    repo: Repository, built: PageLibrary
) -> None:
    now = built.running.updated_at
    first = movies_page(repo, PageRequest(1, 2), STAGES, now)
    second = movies_page(repo, PageRequest(2, 2), STAGES, now)
    assert [m.key for m in first.items] == [built.running.key, built.failed.key]
    assert [m.key for m in second.items] == [built.done.key]
    assert (first.total, first.pages, first.has_next, second.has_next) == (3, 2, True, False)
    done = second.items[0]
    assert (done.state, done.kept_frames, done.rejected_frames) == (MovieState.DONE, 4, 2)
    failed = first.items[1]
    assert failed.state is MovieState.FAILED and failed.attempts == 4
    assert failed.last_error is not None and failed.last_error.startswith(LONG_ERROR[:100])
    assert len(failed.last_error) < len(LONG_ERROR) and f"({len(LONG_ERROR)} " in failed.last_error


def test_the_list_can_hold_the_movies_of_one_state_only(
    repo: Repository, built: PageLibrary
) -> None:
    now = built.running.updated_at
    failed = movies_page(repo, PageRequest(), STAGES, now, MovieState.FAILED)
    assert [m.key for m in failed.items] == [built.failed.key] and failed.total == 1
    waiting = movies_page(repo, PageRequest(), STAGES, now, MovieState.WAITING)
    assert (waiting.items, waiting.total, waiting.pages) == ((), 0, 1)


def test_time_left_is_the_stage_pace_plus_the_mean_of_the_stages_after_it(
    repo: Repository, built: PageLibrary
) -> None:
    clock = repo.running_stage_clocks([built.running.id])[built.running.id]
    assert clock.started_at is not None
    now = clock.started_at + timedelta(seconds=100)
    items = {m.key: m for m in movies_page(repo, PageRequest(), STAGES, now).items}
    running = items[built.running.key]
    assert (running.stage, running.progress) == ("faces", 0.5)
    # faces: 100 s for half, so 100 s more; then scenes 30 + dataset 20 + captions 50.
    assert running.seconds_left == pytest.approx(200.0)
    assert items[built.done.key].seconds_left is None
    assert items[built.failed.key].seconds_left is None


def test_the_detail_has_every_stage_in_order_with_tries_and_the_scenes(
    repo: Repository, built: PageLibrary
) -> None:
    detail = movie_detail(repo, built.library, built.failed.key, STAGES, built.failed.updated_at)
    assert detail is not None
    assert [s.stage for s in detail.stages] == list(STAGES)
    probe, shots, *rest = detail.stages
    assert (probe.status, probe.attempts, probe.retries, probe.seconds) == (
        StageStatus.DONE, 1, 0, 2.0,
    )  # fmt: skip
    assert (shots.status, shots.attempts, shots.retries, shots.seconds) == (
        StageStatus.FAILED, 2, 1, 3.0,
    )  # fmt: skip
    assert shots.error is not None and len(shots.error) < REASON_LIMIT + 40
    assert all(s.status is None and s.attempts == 0 for s in rest)
    assert detail.scenes == ()

    done = movie_detail(repo, built.library, built.done.key, STAGES, built.done.updated_at)
    assert done is not None
    assert [(s.number, s.start_seconds, s.end_seconds) for s in done.scenes] == [
        (1, 0.0, 3.5), (2, 3.5, 7.0),
    ]  # fmt: skip
    assert done.shots == 2 and done.movie.name == "Le Fabuleux Destin.mkv"
    assert done.frame_size == FrameSize(64, 36) and detail.frame_size is None
    assert all(s.status is StageStatus.DONE for s in done.stages if s.stage != "frames")


def test_kept_frames_have_their_file_scene_and_named_or_unknown_faces(
    repo: Repository, built: PageLibrary
) -> None:
    first = kept_frames(repo, built.done, PageRequest(1, 2))
    second = kept_frames(repo, built.done, PageRequest(2, 2))
    assert first.total == 4 and second.total == 4
    frames = [*first.items, *second.items]
    assert [f.frame.name for f in frames] == list(KEPT)
    for item in frames:
        assert item.frame.file is not None
        assert (built.library / item.frame.file).is_file(), item.frame.file
        assert item.frame.verdict is Verdict.KEPT
    assert [f.scene for f in frames] == [1, 1, 2, 2]
    two = frames[0].faces
    assert [(f.number, f.character) for f in two] == [(0, AMELIE), (1, None)]
    assert (two[0].box.top, two[0].box.right, two[0].box.bottom, two[0].box.left) == (5, 30, 30, 5)
    assert two[0].distance == pytest.approx(0.3) and two[1].distance is None
    assert frames[2].faces == ()
    assert [f.character for f in frames[3].faces] == [NINO]


def test_an_unknown_face_shows_its_cluster(repo: Repository, built: PageLibrary) -> None:
    unknown = next(f for f in repo.unknown_faces() if f.movie_id == built.done.id)
    repo.set_clusters({unknown.id: "c0001"})
    first = kept_frames(repo, built.done, PageRequest(1, 1)).items[0]
    assert [(f.character, f.cluster) for f in first.faces] == [(AMELIE, None), (None, "c0001")]


def test_rejected_frames_say_why_and_have_no_file(repo: Repository, built: PageLibrary) -> None:
    page = rejected_frames(repo, built.done, PageRequest())
    assert [(f.name, f.verdict) for f in page.items] == list(REJECTED.items())
    assert all(f.file is None and f.reason and f.reason.startswith(f.verdict.value)
               for f in page.items)  # fmt: skip
    assert page.total == 2


def test_shots_count_their_kept_frames(repo: Repository, built: PageLibrary) -> None:
    page = movie_shots(repo, built.done, PageRequest())
    assert [(s.number, s.kind, s.kept_frames) for s in page.items] == [
        (0, ShotKind.STATIC, 2), (1, ShotKind.MOVING, 2),
    ]  # fmt: skip
    assert movie_shots(repo, built.done, PageRequest(2, 1)).items[0].number == 1


def test_a_movie_is_found_by_its_whole_key_only(repo: Repository, built: PageLibrary) -> None:
    assert find_movie(repo, built.done.key) == built.done
    assert find_movie(repo, built.done.key.upper()) == built.done
    assert find_movie(repo, built.done.key[:6]) is None
    assert movie_detail(repo, built.library, "0" * 12, STAGES, built.done.updated_at) is None


@pytest.mark.parametrize(("page", "per_page"), [(0, 10), (1, 0), (1, MAX_PER_PAGE + 1)])
def test_a_page_out_of_range_is_refused(page: int, per_page: int) -> None:
    with pytest.raises(ValueError, match="must be"):
        PageRequest(page, per_page)


def test_the_detail_counts_the_faces_too_small_for_the_dataset(
    repo: Repository, built: PageLibrary
) -> None:
    done = built.done
    dataset = DatasetReport((), small_faces=2, over_shot_limit=0)
    repo.finish_stage(done.id, "dataset", 1.0, dataset)
    detail = movie_detail(repo, built.library, done.key, STAGES, done.updated_at)
    assert detail is not None and detail.faces == FaceCounts(4, 3, 3, 0, 2)
    running = movie_detail(repo, built.library, built.running.key, STAGES, done.updated_at)
    assert running is not None and running.faces is None  # its faces stage is under way
