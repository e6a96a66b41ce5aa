"""`bunny train NAME` (and the review page's "train now"): a request row that the daemon's
training job picks up."""

from __future__ import annotations

from pathlib import Path

from daemon.config import Config
from daemon.repository import Repository


def known_characters(repo: Repository, library: Path, character: str) -> list[str] | None:
    """None when `character` may be trained; else the characters that may (for the message).
    An empty character (no reference, face or image) left by older versions is unknown."""
    listed = [c.name for c in repo.characters()]
    dataset = library / "characters" / character / "dataset"
    return None if character in listed or dataset.is_dir() else listed


def request_training(
    config: Config, character: str, daemon_running: bool, repo: Repository | None = None
) -> tuple[int, str]:
    """(exit status, message) for the command line. `repo`: the process's own, when it has one
    (the web page's); else one is opened for this request."""
    own = repo is None
    door = Repository(config.database_path) if repo is None else repo
    try:
        listed = known_characters(door, config.library, character)
        if listed is not None:
            known = ", ".join(listed) or "none yet"
            return 1, f"no character {character!r} (known: {known})"
        door.request_training(character)
    finally:
        if own:
            door.close()
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
