"""The review page's character data (character_pages.py, model_versions.py) on a real SQLite
library written through the repository, with model folders as training leaves them."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from daemon.config import Config, LogConfig, TrainingConfig
from daemon.display_text import REASON_LIMIT
from daemon.reports.character_overview import character_training
from daemon.reports.character_pages import (
    character_detail,
    characters_page,
    page_inputs,
)
from daemon.reports.dataset_grid import character_dataset
from daemon.reports.model_versions import MAX_LOSS_POINTS, LossSource, thinned
from daemon.reports.paging import PageRequest
from daemon.repository import Repository, RunEnd
from daemon.store import TrainingState, utcnow
from daemon.training.loss_log import LossPoint
from daemon.training.policy import TrainingReason
from daemon.training.run_folder import RunSpec, write_spec
from tests.daemon.reports.page_library import AMELIE, KEPT, NINO, PageLibrary

OOM = "out of memory " * 300
PROMPTS = ("{trigger}, portrait photo", "{trigger} walking in the street")


@pytest.fixture
def config(built: PageLibrary) -> Config:
    training = TrainingConfig(min_images=2, cooldown_minutes=0, sample_prompts=PROMPTS)
    return Config(library=built.library, training=training, log=LogConfig(console="off"))


def models_of(library: Path, name: str) -> Path:
    return library / "characters" / name / "models"


@pytest.fixture
def trained(repo: Repository, config: Config) -> Config:
    """Amélie: v1 finished (samples, run.json, only train.log's progress lines), v2 failed
    part-way (losses.csv: a resumed stretch written twice, a line cut by a kill)."""
    models = models_of(config.library, AMELIE)
    v1 = models / f"{AMELIE}-v1"
    (v1 / "samples").mkdir(parents=True)
    for index in (1, 2):
        (v1 / "samples" / f"{index:02d}-seed42.png").write_bytes(b"png")
    write_spec(v1, RunSpec(AMELIE, "trigger0", 1, config.training))
    log = [{"event": "training progress", "step": s, "loss": 1 / s} for s in (10, 20, 30)]
    log.insert(1, {"event": "base model loaded"})
    (v1 / "train.log").write_text("\n".join(json.dumps(line) for line in log) + "\n{cut")
    v2 = models / f"{AMELIE}-v2.partial"
    v2.mkdir()
    rows = ["1,0.9,0.9", "2,0.8,0.85", "3,0.7,0.8", "2,0.6,0.7", "3,0.5,0.6", "4,0.4"]
    (v2 / "losses.csv").write_text("step,loss,smoothed_loss\n" + "\n".join(rows))
    ends = {1: RunEnd(TrainingState.DONE, 30, 0.03), 2: RunEnd(TrainingState.FAILED, error=OOM)}
    for version, end in ends.items():
        folder = f"characters/{AMELIE}/models/{AMELIE}-v{version}.partial"
        repo.training_started(AMELIE, version, folder, 2, 2)
        repo.training_ended(AMELIE, version, end)
    return config


def test_the_list_shows_counts_threshold_and_the_overviews_reason(
    repo: Repository, trained: Config
) -> None:
    inputs = page_inputs(repo, trained, utcnow())
    page = characters_page(repo, trained, inputs, PageRequest())
    amelie, nino = page.items
    assert (amelie.name, nino.name, page.total) == (AMELIE, NINO, 2)
    assert (amelie.references, amelie.dataset_images, amelie.captioned) == (1, 2, 2)
    assert (nino.references, nino.dataset_images, nino.captioned) == (2, 1, 1)
    # The reason is the one `bunny status` gives: character_overview's, not a copy of it.
    overview = {line.character: line for line in character_training(repo, trained, inputs)}
    for item in page.items:
        line = overview[item.name]
        assert (item.threshold, item.reason, item.detail) == (
            line.threshold,
            line.reason,
            line.detail,
        )
    assert (amelie.reason, amelie.threshold) == (TrainingReason.UP_TO_DATE, 3)
    assert (nino.reason, nino.threshold) == (TrainingReason.TOO_FEW_IMAGES, 2)
    assert (amelie.newest_model, amelie.latest_run) == (1, TrainingState.FAILED)
    assert (nino.newest_model, nino.latest_run) == (None, None)
    second = characters_page(repo, trained, inputs, PageRequest(2, 1))
    assert [c.name for c in second.items] == [NINO] and second.total == 2


def test_the_dataset_grid_has_captions_movies_and_times_a_page_at_a_time(
    repo: Repository, built: PageLibrary
) -> None:
    first = character_dataset(repo, built.library, AMELIE, PageRequest(1, 1))
    second = character_dataset(repo, built.library, AMELIE, PageRequest(2, 1))
    assert (first.total, second.total) == (2, 2)
    one, two = first.items[0].image, second.items[0].image
    assert one.file == f"characters/{AMELIE}/dataset/{built.done.key}_{KEPT[0]}.jpg"
    assert (one.movie_key, one.movie_name) == (built.done.key, "Le Fabuleux Destin.mkv")
    assert (one.frame, one.seconds, two.seconds) == (KEPT[0], 1.0, 2.0)
    # The newer caption (another provider) is shown, bounded; the older one went stale.
    assert one.caption is not None and one.caption.provider == "template"
    assert not one.caption.stale and one.caption.text.startswith("x" * REASON_LIMIT + "…")
    assert two.caption is not None and two.caption.text == f"{KEPT[1]}, a person"
    # No files here: the stored caption stands in for the `.txt`.
    assert second.items[0].text == two.caption.text and not second.items[0].on_disk
    nino = character_dataset(repo, built.library, NINO, PageRequest()).items
    assert [i.image.frame for i in nino] == [KEPT[3]]


def test_a_caption_edited_by_hand_is_the_one_shown_and_marked_edited(
    repo: Repository, built: PageLibrary
) -> None:
    (tile,) = character_dataset(repo, built.library, NINO, PageRequest()).items
    image = built.library / tile.image.file
    image.parent.mkdir(parents=True)
    image.write_bytes(b"jpeg")
    image.with_suffix(".txt").write_text(f"{KEPT[3]}, a person\n")  # as the stage wrote it
    (same,) = character_dataset(repo, built.library, NINO, PageRequest()).items
    assert (same.text, same.edited, same.on_disk) == (f"{KEPT[3]}, a person", False, True)
    image.with_suffix(".txt").write_text("nino, a man on a scooter\n")
    (edited,) = character_dataset(repo, built.library, NINO, PageRequest()).items
    assert (edited.text, edited.edited) == ("nino, a man on a scooter", True)
    assert edited.image.caption is not None
    assert edited.image.caption.text == f"{KEPT[3]}, a person"


def test_the_detail_lists_references_and_models_with_samples_and_loss_curves(
    repo: Repository, trained: Config
) -> None:
    detail = character_detail(repo, trained, page_inputs(repo, trained, utcnow()), AMELIE)
    assert detail is not None
    assert (detail.trigger_word, detail.class_word) == ("trigger0", "person")
    assert [r.file for r in detail.references] == [f"characters/{AMELIE}/reference/r0.png"]
    v2, v1 = detail.models
    assert (v2.version, v2.state, v1.version, v1.state) == (
        2, TrainingState.FAILED, 1, TrainingState.DONE,
    )  # fmt: skip
    assert v1.folder == f"characters/{AMELIE}/models/{AMELIE}-v1"
    assert v2.folder == f"characters/{AMELIE}/models/{AMELIE}-v2.partial"
    assert [(s.file, s.prompt) for s in v1.samples] == [
        (f"{v1.folder}/samples/01-seed42.png", "trigger0, portrait photo"),
        (f"{v1.folder}/samples/02-seed42.png", "trigger0 walking in the street"),
    ]
    assert (v1.steps, v1.final_loss) == (30, 0.03)
    assert v1.loss_source is LossSource.LOG
    assert [(p.step, p.loss, p.smoothed) for p in v1.loss_curve] == [
        (10, None, 0.1), (20, None, 0.05), (30, None, 1 / 30),
    ]  # fmt: skip
    # The resumed steps' last lines win; the line a kill cut short is skipped.
    assert v2.loss_source is LossSource.STEPS
    assert [(p.step, p.loss) for p in v2.loss_curve] == [(1, 0.9), (2, 0.6), (3, 0.5)]
    assert v2.samples == () and v2.error is not None and len(v2.error) < REASON_LIMIT + 40


def test_a_character_nobody_has_no_detail(repo: Repository, config: Config) -> None:
    inputs = page_inputs(repo, config, utcnow())
    assert character_detail(repo, config, inputs, "Nobody") is None
    assert character_dataset(repo, config.library, "Nobody", PageRequest()).total == 0


def test_a_long_curve_is_thinned_evenly_keeping_both_ends() -> None:
    points = tuple(LossPoint(step, 1.0, 1.0) for step in range(1, 5001))
    thin = thinned(points, MAX_LOSS_POINTS)
    steps = [p.step for p in thin]
    assert len(thin) == MAX_LOSS_POINTS and steps[0] == 1 and steps[-1] == 5000
    gaps = {b - a for a, b in itertools.pairwise(steps)}
    assert gaps <= {10, 11}
    assert thinned(points[:10], MAX_LOSS_POINTS) == points[:10]


def test_an_image_whose_only_caption_went_stale_is_not_counted_captioned(
    repo: Repository, config: Config
) -> None:
    repo.mark_captions_stale(NINO, None)  # `bunny recaption Nino`: new captions asked for
    inputs = page_inputs(repo, config, utcnow())
    items = {c.name: c for c in characters_page(repo, config, inputs, PageRequest()).items}
    assert (items[NINO].dataset_images, items[NINO].captioned) == (1, 0)
    assert (items[AMELIE].dataset_images, items[AMELIE].captioned) == (2, 2)
    (tile,) = character_dataset(repo, config.library, NINO, PageRequest()).items
    assert tile.image.caption is not None and tile.image.caption.stale  # serves until replaced
