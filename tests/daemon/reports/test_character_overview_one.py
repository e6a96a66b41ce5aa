"""One character's training line (a character's page) is the line the whole list gives it,
counted from its own dataset alone."""

from __future__ import annotations

from daemon.config import Config, LogConfig, TrainingConfig
from daemon.reports.character_overview import character_training, readiness_inputs
from daemon.repository import Repository
from daemon.store import utcnow
from tests.daemon.reports.page_library import AMELIE, NINO, PageLibrary


def test_one_characters_line_is_its_line_in_the_list(repo: Repository, built: PageLibrary) -> None:
    config = Config(
        library=built.library, training=TrainingConfig(min_images=2), log=LogConfig(console="off")
    )
    inputs = readiness_inputs(utcnow(), daemon_running=False, disk=None)
    every = {line.character: line for line in character_training(repo, config, inputs)}
    for name in (AMELIE, NINO):
        assert character_training(repo, config, inputs, only=name) == [every[name]]
    assert (every[AMELIE].images, every[AMELIE].captioned) == (2, 2)
    assert character_training(repo, config, inputs, only="Nobody") == []
    (progress,) = repo.caption_progress(only=NINO)
    assert (progress.character, progress.images, progress.captioned) == (NINO, 1, 1)
