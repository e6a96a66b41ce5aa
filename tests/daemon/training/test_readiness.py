"""Why a character trains or waits, as `bunny status` and `bunny characters` say it, on a real
database and dataset folders: every reason comes from the daemon's own policy, so each is
checked against what the training job then does."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from daemon.characters.face_clusters import UnknownFaceClusters
from daemon.commands.cli import main
from daemon.config import Config, FacesConfig
from daemon.repository import DiskReading
from daemon.store import utcnow
from daemon.training.policy import training_device
from daemon.training.trigger import TrainingJob
from tests.daemon.characters.test_face_clusters import movie_with_faces, person
from tests.daemon.training.harness import Harness


@pytest.fixture
def harness(
    tmp_path: Path, make_config: Callable[..., Config], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Harness]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BUNNY_CONFIG", raising=False)
    library = tmp_path / "library"
    config = make_config(library, min_images=3, growth_fraction=0.5, cooldown_minutes=60.0)
    made = Harness(library, config)
    made.repo.beat()  # a daemon runs on this library (its training job is the test's)
    yield made
    made.repo.close()


def real_job(harness: Harness) -> TrainingJob:
    """The daemon's job with the real device check (this machine's PyTorch)."""
    return TrainingJob(harness.repo, harness.config, harness.launch, training_device)


def status(harness: Harness, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    capsys.readouterr()
    main(["status", "--library", str(harness.library), "--json"])
    report: dict[str, Any] = json.loads(capsys.readouterr().out)
    return report


def reasons(harness: Harness, capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    return {line["character"]: line for line in status(harness, capsys)["characters"]}


def characters_text(harness: Harness, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["characters", "--library", str(harness.library)]) == 0
    return capsys.readouterr().out


@pytest.fixture(autouse=True)
def config_file_for_the_commands(harness: Harness) -> None:
    """The commands read the test's training settings from ./config.yaml."""
    settings = harness.config.training
    keys = ("min_images", "growth_fraction", "cooldown_minutes", "allow_cpu", "base_model")
    values = {key: getattr(settings, key) for key in keys}
    (harness.library.parent / "config.yaml").write_text(json.dumps({"training": values}))


def set_cpu(harness: Harness, allowed: bool) -> None:
    harness.config = dataclasses.replace(
        harness.config, training=dataclasses.replace(harness.config.training, allow_cpu=allowed)
    )
    path = harness.library.parent / "config.yaml"
    values = json.loads(path.read_text())
    values["training"]["allow_cpu"] = allowed
    path.write_text(json.dumps(values))


def test_too_few_captioned_images_says_how_many_of_how_many(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    harness.add_images("Ann", 2)
    ann = reasons(harness, capsys)["Ann"]
    assert (ann["images"], ann["captioned"], ann["threshold"]) == (2, 2, 3)
    assert ann["reason"] == "too_few_images"
    assert "2 of 3" in ann["detail"]
    text = characters_text(harness, capsys)
    assert "too_few_images" in text and "too few captioned images: 2 of 3" in text
    real_job(harness).tick()
    assert harness.launched == [], "the daemon agrees: nothing starts"


def test_no_gpu_without_allow_cpu_is_the_reason_and_the_daemon_waits(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    set_cpu(harness, allowed=False)
    if training_device(harness.config.training).device is not None:
        pytest.skip("this machine has a GPU: no-device cannot happen here")
    harness.add_images("Ann", 3)
    ann = reasons(harness, capsys)["Ann"]
    assert (ann["captioned"], ann["threshold"], ann["reason"]) == (3, 3, "no_device")
    assert "training.allow_cpu" in ann["detail"]
    capsys.readouterr()
    assert main(["status", "--library", str(harness.library)]) == 0
    assert "no_device" in capsys.readouterr().out
    real_job(harness).tick()
    assert harness.launched == [], "the daemon agrees: it waits for a GPU"
    assert "no GPU" in (harness.repo.training_wait() or "")


def test_due_then_training_then_cooldown_then_up_to_date(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    set_cpu(harness, allowed=True)
    harness.add_images("Ann", 3)
    assert reasons(harness, capsys)["Ann"]["reason"] == "due"
    assert "due: starts at the daemon's next check" in characters_text(harness, capsys)
    job = real_job(harness)
    job.tick()
    [process] = harness.launched
    assert process.run.name == "Ann-v1", "the daemon agrees: due means it starts"
    assert reasons(harness, capsys)["Ann"]["reason"] == "training"

    process.finish()
    job.tick()
    ann = reasons(harness, capsys)["Ann"]
    # Trained on 3: the next version at 3 + 50 %, rounded up.
    assert (ann["reason"], ann["threshold"]) == ("up_to_date", 5)
    harness.add_images("Ann", 2)
    ann = reasons(harness, capsys)["Ann"]
    assert ann["reason"] == "cooldown"
    assert ann["until"].endswith("Z") and "cooling down until" in ann["detail"]
    harness.later(5)
    job.datasets_changed()
    job.tick()
    assert len(harness.launched) == 1, "the daemon agrees: it cools down"


def test_a_request_and_a_stopped_run_would_start(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    set_cpu(harness, allowed=True)
    harness.add_images("Ann", 1)
    assert main(["train", "Ann", "--library", str(harness.library)]) == 0
    ann = reasons(harness, capsys)["Ann"]
    assert ann["reason"] == "requested" and "`bunny train`" in ann["detail"]
    job = real_job(harness)
    job.tick()
    assert [p.run.name for p in harness.launched] == ["Ann-v1"]
    job.stop_all(timeout=1.0)
    assert reasons(harness, capsys)["Ann"]["reason"] == "resuming"
    harness.repo.clear_heartbeat()
    assert "once the daemon runs" in reasons(harness, capsys)["Ann"]["detail"]


def test_every_slot_taken_and_new_work_paused_stop_a_due_character(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    set_cpu(harness, allowed=True)
    harness.add_images("Ann", 3)
    job = real_job(harness)
    job.tick()
    harness.add_images("Bob", 3)
    bob = reasons(harness, capsys)["Bob"]
    assert bob["reason"] == "slots_full" and "training.max_concurrent is 1" in bob["detail"]
    harness.later(5)
    job.tick()
    assert len(harness.launched) == 1, "the daemon agrees: Bob waits for Ann's run"

    harness.launched[0].finish()
    job.tick()
    free = shutil.disk_usage(harness.library).free
    harness.repo.save_disk_reading(DiskReading(str(harness.library), free, free * 2, utcnow()))
    bob = reasons(harness, capsys)["Bob"]
    assert bob["reason"] == "disk_paused" and "new work is paused" in bob["detail"]


def test_unknown_clusters_are_counted_with_the_command_that_names_one(
    harness: Harness, capsys: pytest.CaptureFixture[str]
) -> None:
    assert status(harness, capsys)["unknown_clusters"]["count"] == 0
    movie_with_faces(harness.repo, harness.library, person(1, 3) + person(2, 4) + person(3, 1))
    found = UnknownFaceClusters(harness.repo, harness.library, FacesConfig(cluster_min_size=3))
    clusters = sorted(found.run())
    report = status(harness, capsys)["unknown_clusters"]
    assert report["count"] == 2
    assert [c["cluster"] for c in report["clusters"]] == clusters
    assert sorted(c["faces"] for c in report["clusters"]) == [3, 4]
    assert report["command"] == "bunny name CLUSTER NAME"
    text = characters_text(harness, capsys)
    assert "2 cluster(s) wait for a name" in text and "bunny name CLUSTER NAME" in text
    assert clusters[0] in text
    capsys.readouterr()
    main(["status", "--library", str(harness.library)])
    assert "name one: bunny name CLUSTER NAME" in capsys.readouterr().out
