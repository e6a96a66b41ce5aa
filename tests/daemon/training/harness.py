"""A training job's world for tests: a real database and dataset folders, a stand-in worker
process, a clock and a device the test sets."""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from pathlib import Path

from daemon.config import Config
from daemon.repository import Repository
from daemon.store import utcnow
from daemon.training.policy import DeviceChoice
from daemon.training.progress import EXIT_DONE, EXIT_STOPPED, read_progress
from daemon.training.run_folder import SUMMARY_FILE, RunFolder, finish_run
from daemon.training.training_process import TrainingStatus
from daemon.training.trigger import TrainingJob
from handlers.captions import NewCaption
from handlers.dataset import DatasetImage, DatasetReport
from handlers.letterbox import CropBox
from tests.daemon.training.conftest import SIZES, write_image

CPU = DeviceChoice("cpu", "test CPU")


class FakeProcess:
    """A worker stand-in: runs until the test ends it."""

    def __init__(self, run: RunFolder) -> None:
        self.run = run
        self.code: int | None = None

    def poll(self) -> TrainingStatus:
        return TrainingStatus(self.run, self.code, read_progress(self.run.path))

    def stop(self, timeout: float = 30.0) -> TrainingStatus:
        self.code = EXIT_STOPPED
        return self.poll()

    def finish(self, steps: int = 8) -> None:
        summary = {"steps": steps, "final_loss": 0.125, "dataset_images": 0}
        (self.run.partial_dir / SUMMARY_FILE).write_text(json.dumps(summary))
        finish_run(self.run)
        self.code = EXIT_DONE


class Harness:
    def __init__(self, library: Path, config: Config) -> None:
        self.library = library
        self.config = config
        self.repo = Repository(config.database_path)
        self.now = utcnow()
        self.launched: list[FakeProcess] = []
        self.device = CPU
        self.counter = 0

    def launch(self, run: RunFolder) -> FakeProcess:
        process = FakeProcess(run)
        self.launched.append(process)
        return process

    def job(self) -> TrainingJob:
        return TrainingJob(
            self.repo, self.config, self.launch, lambda _c: self.device, lambda: self.now
        )

    def later(self, minutes: float) -> None:
        self.now += timedelta(minutes=minutes)

    def add_images(self, character: str, count: int) -> list[str]:
        """`count` captioned dataset images of the character, on disk and in the database."""
        if self.repo.character(character) is None:
            self.repo.save_character(character, character.lower(), "person")
        files, images = [], []
        for _ in range(count):
            self.counter += 1
            n = self.counter
            movie = self.repo.add_movie(
                hashlib.sha256(f"m{n}".encode()).hexdigest(), f"m{n}.mp4", Path(f"m{n}.mp4"), 1
            )
            file = f"characters/{character}/dataset/{movie.key}_f{n}.jpg"
            path = self.library / file
            path.parent.mkdir(parents=True, exist_ok=True)
            write_image(path, SIZES[n % len(SIZES)], n)
            path.with_suffix(".txt").write_text(f"{character.lower()}, shot {n}\n")
            image = DatasetImage(character, f"f{n}", file, CropBox(0, 0, 48, 48), 48, 48)
            images.append(image)
            self.repo.finish_stage(movie.id, "dataset", 0.1, DatasetReport((image,), 0, 0))
            caption = NewCaption(file, movie.key, character, "test", f"shot {n}", "sha")
            self.repo.save_caption(caption)
            files.append(file)
        return files

    def states(self) -> list[tuple[str, int | None, str]]:
        return [(r.character, r.version, r.state.value) for r in self.repo.training_runs()]
