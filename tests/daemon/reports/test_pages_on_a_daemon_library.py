"""The review page's read models on a library a real daemon made from a real movie and a
real reference photo: what they say matches the files the daemon wrote."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from daemon.config import Config, LogConfig
from daemon.reports.character_pages import (
    character_detail,
    characters_page,
    page_inputs,
)
from daemon.reports.dataset_grid import character_dataset
from daemon.reports.movie_frames import kept_frames, rejected_frames
from daemon.reports.movie_pages import movie_detail, movies_page
from daemon.reports.paging import MAX_PER_PAGE, PageRequest
from daemon.store import MovieState, StageStatus, utcnow
from handlers.frame_files import frame_size
from tests.conftest import HAMILTON, DaemonProcess, drop_hamilton_and_lin

LIN = "Lin-Manuel Miranda"


@pytest.mark.media
@pytest.mark.skipif(not HAMILTON.exists(), reason=f"real face media not found at {HAMILTON}")
def test_the_pages_data_matches_what_the_daemon_wrote(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory()
    drop_hamilton_and_lin(daemon)
    assert daemon.run_once(timeout=240).returncode == 0
    config = Config(library=daemon.library, log=LogConfig(console="off"))
    stages, now, every = config.pipeline.stages, utcnow(), PageRequest(1, MAX_PER_PAGE)
    repo = daemon.repository()
    try:
        (movie,) = movies_page(repo, PageRequest(), stages, now).items
        frame_files = sorted((daemon.library / "movies" / movie.key / "frames").glob("*.jpg"))
        assert movie.state is MovieState.DONE and movie.seconds_left is None
        assert movie.kept_frames == len(frame_files) > 0
        detail = movie_detail(repo, daemon.library, movie.key, stages, now)
        assert detail is not None and detail.scenes and detail.shots > 0
        assert detail.frame_size is not None
        assert frame_size(frame_files[-1]) == (detail.frame_size.width, detail.frame_size.height)
        assert all(s.status is StageStatus.DONE and s.attempts >= 1 for s in detail.stages)
        record = repo.movie(movie.id)
        kept = kept_frames(repo, record, every)
        assert (
            sorted(daemon.library / f.frame.file for f in kept.items if f.frame.file)
            == (frame_files[:MAX_PER_PAGE])
        )
        named = {face.character for f in kept.items for face in f.faces}
        assert LIN in named
        assert rejected_frames(repo, record, every).total == movie.rejected_frames

        inputs = page_inputs(repo, config, now)
        (lin,) = characters_page(repo, config, inputs, PageRequest()).items
        dataset = daemon.library / "characters" / LIN / "dataset"
        assert lin.name == LIN and lin.references == 1
        assert lin.dataset_images == lin.captioned == len(list(dataset.glob("*.jpg"))) > 0
        grid = character_dataset(repo, daemon.library, LIN, every)
        for tile in grid.items:
            image, path = tile.image, daemon.library / tile.image.file
            assert tile.on_disk and image.caption is not None and image.seconds is not None
            assert tile.text == image.caption.text.strip() and not tile.edited
            assert tile.text == path.with_suffix(".txt").read_text().strip()
            assert image.movie_key == movie.key
        about = character_detail(repo, config, inputs, LIN)
        assert about is not None
        assert [(daemon.library / r.file).is_file() for r in about.references] == [True]
    finally:
        repo.close()
