"""What a real daemon made of its inbox: its movies, what it set aside and why, its log."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import DaemonProcess


def movie_names(daemon: DaemonProcess) -> set[str]:
    if not (daemon.library / "bunny.db").exists():
        return set()
    repo = daemon.repository()
    try:
        return {movie.name for movie in repo.movies()}
    finally:
        repo.close()


def reasons(daemon: DaemonProcess) -> dict[str, str]:
    """Each file set aside in inbox/rejected, and its reason line."""
    found: dict[str, str] = {}
    for file in (daemon.inbox / "rejected").glob("*.reason.txt"):
        text = file.read_text(encoding="utf-8")
        found[file.name.removesuffix(".reason.txt")] = text.split("reason: ", 1)[1].strip()
    return found


def files_open(daemon: DaemonProcess) -> set[Path]:
    """The files the daemon process has open now (Linux)."""
    assert daemon.process is not None
    found: set[Path] = set()
    for descriptor in Path(f"/proc/{daemon.process.pid}/fd").iterdir():
        try:
            found.add(descriptor.readlink())
        except OSError:  # closed meanwhile
            continue
    return found


def events(daemon: DaemonProcess, name: str) -> list[dict[str, object]]:
    return [entry for entry in daemon.log_entries() if entry["event"] == name]
