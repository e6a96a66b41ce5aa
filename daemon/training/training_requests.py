"""`bunny train NAME`: a request row that the daemon's training job picks up."""

from __future__ import annotations

from daemon.config import Config
from daemon.repository import Repository


def request_training(config: Config, character: str, daemon_running: bool) -> tuple[int, str]:
    """(exit status, message) for the command line."""
    dataset = config.library / "characters" / character / "dataset"
    repo = Repository(config.database_path)
    try:
        # An empty character (no reference, face or image) left by older versions is unknown.
        listed = [c.name for c in repo.characters()]
        if character not in listed and not dataset.is_dir():
            known = ", ".join(listed) or "none yet"
            return 1, f"no character {character!r} (known: {known})"
        repo.request_training(character)
    finally:
        repo.close()
    if daemon_running:
        when = f"within {config.training.poll_seconds:.0f} s"
        return 0, (
            f"training of {character} requested; the daemon starts it {when} (after a run in "
            "progress, and only with a device to train on). Follow it with `bunny status`."
        )
    return 0, (
        f"training of {character} requested, but the daemon is not running: the run starts "
        "when it does (`bunny run`, or start the service)."
    )
