"""daemon/reports/lineage.py on a library written through the repository as the stages write
it (tests/daemon/reports/page_library.py), with the dataset files on disk: an image's whole
lineage, a correction, and the training runs that used it, both ways."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from daemon.characters.corrections import DatasetCorrections
from daemon.config import Config, LogConfig, TrainingConfig
from daemon.reports.lineage import (
    CaptionFacts,
    Source,
    image_lineage,
    run_lineage,
)
from daemon.reports.lineage_paths import NotLineageError
from daemon.reports.lineage_text import render_lineage, render_run
from daemon.repository import LineageFace, LineageScene, LineageShot, Repository
from daemon.store import CorrectionKind
from daemon.training.image_sources import SourceKind
from handlers.dataset import DatasetImage, DatasetReport
from handlers.face_matching import FaceBox
from handlers.letterbox import CropBox
from handlers.quality import JudgedFrame, QualityReport, Verdict
from handlers.shots import ShotKind
from tests.daemon.reports.page_library import KEPT, NINO, PageLibrary
from tests.daemon.training.harness import Harness

FRAME = KEPT[3]  # Nino's: shot 1, scene 2, face 0
CAPTION = f"{FRAME}, a person"  # as page_library stored it, by "bedrock"


def nino_image(built: PageLibrary) -> str:
    """Nino's dataset image and its caption file, as the dataset and captions stages leave
    them; its path relative to the library."""
    file = f"characters/{NINO}/dataset/{built.done.key}_{FRAME}.jpg"
    path = built.library / file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\xff\xd8 the image " + FRAME.encode())
    path.with_suffix(".txt").write_text(CAPTION + "\n", encoding="utf-8")
    return file


def test_an_image_tells_its_source_shot_scene_face_quality_and_caption(
    repo: Repository, built: PageLibrary
) -> None:
    file = nino_image(built)
    movie = built.done

    lineage = image_lineage(repo, built.library, file)

    assert (lineage.file, lineage.character) == (file, NINO)
    assert lineage.source == Source(
        kind=SourceKind.MOVIE,
        movie_key=movie.key,
        frame=FRAME,
        movie_name="Le Fabuleux Destin.mkv",
        movie_sha256=movie.sha256,
        movie_path=str(built.library / "done.mkv"),
        seconds=6.0,
    )
    assert lineage.shot == LineageShot(1, 3.5, 7.0, ShotKind.MOVING, 2.5)
    assert lineage.scene == LineageScene(2, "descriptor:test")
    assert lineage.face == LineageFace(0, FaceBox(4, 28, 28, 4), NINO, 0.2, 0.9, False, False)
    assert lineage.crop == CropBox(0, 0, 32, 32)
    frame = lineage.frame
    assert frame is not None
    figures = (frame.sharpness, frame.relative_sharpness, frame.brightness, frame.flat_fraction)
    assert figures == (106.0, 1.0, 0.5, 0.1)
    assert (frame.verdict, frame.phash, frame.duplicate_of) == (Verdict.KEPT, f"{6:016x}", None)
    assert lineage.caption == CaptionFacts(CAPTION, "bedrock", False, CAPTION, False)
    assert lineage.corrections == () and lineage.models == ()

    text = render_lineage(lineage)
    assert f"movie Le Fabuleux Destin.mkv ({movie.key}), frame {FRAME} at 00:00:06.000" in text
    assert "shot        1: 3.500-7.000 s, moving" in text
    assert "box top 4 right 28 bottom 28 left 4; distance 0.200 (runner-up 0.900); matched" in text


def test_a_stale_caption_and_a_txt_edited_by_hand_show(
    repo: Repository, built: PageLibrary
) -> None:
    file = nino_image(built)
    (built.library / file).with_suffix(".txt").write_text("nino, by hand\n", encoding="utf-8")
    repo.mark_captions_stale(NINO, None)

    caption = image_lineage(repo, built.library, file).caption

    assert caption == CaptionFacts(CAPTION, "bedrock", True, "nino, by hand", True)
    text = render_lineage(image_lineage(repo, built.library, file))
    assert '.txt edited by hand: "nino, by hand"' in text and "(stale" in text


def test_a_moved_image_shows_each_correction_and_its_new_face_label(
    repo: Repository, built: PageLibrary
) -> None:
    first = nino_image(built)
    library = built.library
    second = f"characters/Zoé/dataset/{Path(first).name}"
    third = f"characters/Ann/dataset/{Path(first).name}"
    for before, after in ((first, second), (second, third)):
        (library / after).parent.mkdir(parents=True)
        shutil.move(library / before, library / after)
        shutil.move((library / before).with_suffix(".txt"), (library / after).with_suffix(".txt"))
        DatasetCorrections(repo, library).run()

    lineage = image_lineage(repo, library, third)

    assert lineage.character == "Ann"
    steps = [(c.kind, c.from_character, c.to_character, c.file_before, c.file_after, c.undone)
             for c in lineage.corrections]  # fmt: skip
    assert steps == [
        (CorrectionKind.MOVED, NINO, "Zoé", first, second, False),
        (CorrectionKind.MOVED, "Zoé", "Ann", second, third, False),
    ]
    assert lineage.face is not None
    assert (lineage.face.character, lineage.face.confirmed) == ("Ann", True)
    assert lineage.source.frame == FRAME, "the source stays the movie's frame"
    assert "moved Zoé -> Ann" in render_lineage(lineage)
    with pytest.raises(NotLineageError, match="the database has no row for it"):
        image_lineage(repo, library, first)


def test_a_hash_with_its_top_bit_set_reads_back_as_the_quality_stage_wrote_it(
    repo: Repository, tmp_path: Path
) -> None:
    library = tmp_path / "library"
    movie = repo.add_movie("cd" * 32, "m\x1b[2J.mp4", library / "m\u202e.mp4", 1)
    frame = JudgedFrame("00-00-01.000", 1.0, 0, "middle", "frames/00-00-01.000.jpg",
                        50.0, 1.0, 0.5, 0.0, "fedcba9876543210", Verdict.KEPT, None,
                        f"{movie.key}/00-00-00.500")  # fmt: skip
    repo.finish_stage(movie.id, "quality", 1.0, QualityReport((frame,), 1, 0))
    file = f"characters/Ann/dataset/{movie.key}_{frame.name}.jpg"
    (library / file).parent.mkdir(parents=True)
    (library / file).write_bytes(b"jpeg")
    repo.save_character("Ann", "ann", "woman")
    image = DatasetImage("Ann", frame.name, file, CropBox(1, 2, 30, 40), 30, 40)
    repo.finish_stage(movie.id, "dataset", 1.0, DatasetReport((image,), 0, 0))

    lineage = image_lineage(repo, library, file)

    assert lineage.frame is not None
    assert (lineage.frame.phash, lineage.frame.duplicate_of) == (
        "fedcba9876543210",
        f"{movie.key}/00-00-00.500",
    )
    assert lineage.crop == CropBox(1, 2, 30, 40)
    assert (lineage.face, lineage.shot, lineage.scene) == (None, None, None), "no such rows"
    text = render_lineage(lineage)
    assert "movie m\\x1b[2J.mp4" in text and "m\\u202e.mp4" in text, "names shown escaped"
    assert "\x1b" not in text and "\u202e" not in text


def test_a_finished_run_that_trained_on_an_image_shows_and_leads_back(tmp_path: Path) -> None:
    library = tmp_path / "library"
    training = TrainingConfig(min_images=1, min_image_side=16, allow_cpu=True)
    harness = Harness(library, Config(library=library, training=training, log=LogConfig()))
    try:
        files = harness.add_images("Ann", 3)
        harness.repo.request_training("Ann")
        job = harness.job()
        job.tick()  # the real freeze, by the daemon's training job
        (process,) = harness.launched
        process.finish()
        job.tick()
        folder = library / "characters" / "Ann" / "models" / "Ann-v1"
        image = library / files[0]
        digest = hashlib.sha256(image.read_bytes()).hexdigest()

        (use,) = image_lineage(harness.repo, library, files[0]).models
        assert (use.model, use.character, use.sha256, use.same_bytes) == (
            "Ann-v1",
            "Ann",
            digest,
            True,
        )
        assert use.folder == "characters/Ann/models/Ann-v1"
        assert use.training_json == "characters/Ann/models/Ann-v1/training.json"
        assert use.caption == "ann, shot 1"

        movies = {m.key: m.name for m in harness.repo.movies()}
        expected = [
            (Path(f).name, Path(f).stem.split("_", 1)[0], Path(f).stem.split("_", 1)[1])
            for f in sorted(files)
        ]
        run = run_lineage(harness.repo, library, folder)
        assert run.training_json == "characters/Ann/models/Ann-v1/training.json"
        assert [(i.file, i.source.movie_key, i.source.frame) for i in run.images if i.source] == (
            expected
        )
        assert all(i.recorded for i in run.images), "dataset.json says it without the database"
        assert [i.source.movie_name for i in run.images if i.source] == [
            movies[key] for _, key, _ in expected
        ]
        assert f"{expected[0][0]}  movie {movies[expected[0][1]]} ({expected[0][1]})" in (
            render_run(run)
        )

        image.write_bytes(image.read_bytes() + b"changed")
        (changed,) = image_lineage(harness.repo, library, files[0]).models
        assert not changed.same_bytes
        assert "the file changed since" in render_lineage(
            image_lineage(harness.repo, library, files[0])
        )

        # A dataset.json written before sources were recorded: the database answers.
        raw = json.loads((folder / "dataset.json").read_text(encoding="utf-8"))
        for item in raw["items"]:
            del item["source"]
        (folder / "dataset.json").write_text(json.dumps(raw), encoding="utf-8")
        older = run_lineage(harness.repo, library, folder)
        assert [(i.file, i.source.movie_key, i.source.frame) for i in older.images if i.source] == (
            expected
        )
        assert not any(i.recorded for i in older.images)
        assert "(from the database)" in render_run(older)

        # An image moved to another character since: its correction knows where it came from,
        # and the run of its former character still shows in its lineage.
        moved = f"characters/Bea/dataset/{Path(files[1]).name}"
        (library / moved).parent.mkdir(parents=True)
        shutil.move(library / files[1], library / moved)
        DatasetCorrections(harness.repo, library).run()
        again = run_lineage(harness.repo, library, folder)
        assert [(i.file, i.source.movie_key, i.source.frame) for i in again.images if i.source] == (
            expected
        )
        assert [use.model for use in image_lineage(harness.repo, library, moved).models] == [
            "Ann-v1"
        ]
    finally:
        harness.repo.close()
