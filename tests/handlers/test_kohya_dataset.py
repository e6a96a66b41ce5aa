"""`dataset.toml`: a kohya sd-scripts dataset config beside each character's dataset, kept
current by the captions stage, checked against the rules of sd-scripts' own loader
(tests/handlers/kohya_rules.py says where each rule is read)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from daemon.config import CaptionsConfig, Config, TrainingConfig
from daemon.repository import Repository
from daemon.training.dataset_freeze import dataset_images
from handlers.caption_chain import CaptionChain
from handlers.caption_template import TemplateProvider
from handlers.captions import CaptionsHandler
from handlers.kohya_dataset import (
    DATASET_CONFIG_FILE,
    KohyaSettings,
    KohyaSubset,
    render_dataset_config,
    repeats_for,
)
from handlers.near_duplicates import NearDuplicateIndex
from handlers.registry import STAGES, StageServices
from tests.handlers import kohya_rules
from tests.handlers.test_captions import KEY, SHA, earlier, face, job


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    repo = Repository(tmp_path / "library" / "bunny.db")
    repo.add_movie(SHA, "movie.mp4", tmp_path / "movie.mp4", 1)
    repo.save_character("Ann Lee", "annlee", "woman")
    return repo


def parsed(subset: KohyaSubset, settings: KohyaSettings) -> dict[str, Any]:
    return tomllib.loads(render_dataset_config(subset, settings))


def test_repeats_give_about_200_images_an_epoch_between_1_and_40() -> None:
    table = {1: 40, 4: 40, 5: 40, 6: 33, 10: 20, 20: 10, 80: 3, 100: 2, 400: 1, 5000: 1}
    assert {images: repeats_for(images) for images in table} == table
    assert repeats_for(0) == 40  # an empty folder still makes a valid file


@pytest.mark.parametrize("resolution", [16, 32, 64, 100, 512, 768, 1000, 2048, 4096])
@pytest.mark.parametrize("bucketing", [True, False])
def test_the_file_passes_sd_scripts_rules_at_every_resolution(
    resolution: int, bucketing: bool, tmp_path: Path
) -> None:
    subset = KohyaSubset(tmp_path / "dataset", 10, "amelie woman", 20)
    config = parsed(subset, KohyaSettings(resolution, bucketing, 2))
    assert kohya_rules.problems(config) == []
    assert config["general"]["caption_extension"] == ".txt"  # sd-scripts' default: .caption
    (only,) = config["datasets"]
    assert only["resolution"] == resolution and only["batch_size"] == 2
    assert only["subsets"] == [
        {"image_dir": str(tmp_path / "dataset"), "num_repeats": 10, "class_tokens": "amelie woman"}
    ]
    assert config["general"]["enable_bucket"] is (bucketing and resolution >= 64)


def test_the_rules_refuse_what_sd_scripts_refuses() -> None:
    """The check is not vacuous: each of these is refused by ConfigSanitizer."""
    good = {"general": {}, "datasets": [{"resolution": 512, "subsets": [{"image_dir": "/x"}]}]}
    assert kohya_rules.problems(good) == []
    broken = [
        {"datasets": [{"subsets": [{"num_repeats": 2}]}]},  # no image_dir
        {"datasets": [{"subsets": [{"image_dir": "/x", "caption_ext": ".txt"}]}]},  # unknown
        {"datasets": [{"subsets": [{"image_dir": "/x", "num_repeats": "10"}]}]},  # a string
        {"datasets": [{"resolution": [512], "subsets": [{"image_dir": "/x"}]}]},  # one side
        {"general": {"image_dir": "/x"}, "datasets": []},  # image_dir is per subset only
        {"datasets": [{"enable_bucket": True, "resolution": 2048, "subsets": []}]},  # > 1024
    ]
    assert all(kohya_rules.problems(config) for config in broken)


def test_windows_paths_quotes_and_controls_survive_the_round_trip() -> None:
    folder = Path("C:\\Users\\ann\\library\\characters\\Ann\\dataset")
    subset = KohyaSubset(folder, 3, 'ann "the" woman\x1b', 70)
    config = parsed(subset, KohyaSettings())
    (entry,) = config["datasets"][0]["subsets"]
    assert entry["image_dir"] == str(folder) and entry["class_tokens"] == 'ann "the" woman\x1b'


def read_config(character: Path) -> dict[str, Any]:
    return tomllib.loads((character / DATASET_CONFIG_FILE).read_text(encoding="utf-8"))


def test_the_captions_stage_keeps_it_current_through_the_users_deletions(
    tmp_path: Path, repo: Repository
) -> None:
    library = tmp_path / "library"
    frames = [f"00-00-0{n}.000" for n in range(1, 7)]
    results = earlier(library, [face(frame, "Ann Lee", 100, 300) for frame in frames])
    chain = CaptionChain([TemplateProvider()], "next")
    handler = CaptionsHandler(CaptionsConfig(), chain, repo, kohya=KohyaSettings(768, True, 4))
    handler.run(job(library, results))
    character = library / "characters" / "Ann Lee"
    config = read_config(character)
    assert kohya_rules.problems(config) == []
    (subset,) = config["datasets"][0]["subsets"]
    assert subset == {
        "image_dir": str((character / "dataset").resolve()),
        "num_repeats": repeats_for(6),
        "class_tokens": "annlee woman",
    }
    assert config["datasets"][0]["resolution"] == 768
    # Beside the dataset, never in it: not an image of the run's frozen dataset.
    assert [p.name for p in dataset_images(character / "dataset")] == [
        f"{KEY}_{frame}.jpg" for frame in frames
    ]
    written = (character / DATASET_CONFIG_FILE).stat()
    handler.run(job(library, results))
    again = (character / DATASET_CONFIG_FILE).stat()
    assert (again.st_ino, again.st_mtime_ns) == (written.st_ino, written.st_mtime_ns)
    # The user deletes five images with their captions; the next pass counts one.
    for frame in frames[1:]:
        for suffix in (".jpg", ".txt"):
            (character / "dataset" / f"{KEY}_{frame}{suffix}").unlink()
    only_first = type(results[2])(results[2].images[:1], 0, 0)  # type: ignore[attr-defined]
    handler.run(job(library, (results[0], results[1], only_first)))
    assert read_config(character)["datasets"][0]["subsets"][0]["num_repeats"] == repeats_for(1)
    assert repeats_for(1) != repeats_for(6)


def test_the_daemons_captions_stage_writes_training_resolution_and_bucketing(
    tmp_path: Path, repo: Repository
) -> None:
    training = TrainingConfig(resolution=640, bucketing=False, batch_size=3)
    config = Config(library=tmp_path / "library", training=training)
    services = StageServices(NearDuplicateIndex(6), captions=repo)
    handler = STAGES["captions"](config, services)
    assert isinstance(handler, CaptionsHandler)
    assert handler.kohya == KohyaSettings(640, False, 3)
    assert KohyaSettings() == KohyaSettings.from_training(TrainingConfig())
