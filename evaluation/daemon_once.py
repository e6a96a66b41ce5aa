"""A real daemon for the evaluations and benchmarks: `bunny run --once` as a fresh process on a
temporary inbox and library, given files the way a user drops them, read back from disk."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class MovieSummary:
    """A movie's movie.json, and the folder it is in."""

    document: dict[str, Any]
    folder: Path

    def stage_seconds(self) -> tuple[tuple[str, float], ...]:
        stages = self.document["stages"]
        return tuple((name, float(run["seconds"] or 0.0)) for name, run in stages.items())

    def unfinished(self, stages: Sequence[str]) -> str | None:
        """Which of `stages` did not finish, and their errors; None when all did."""
        runs = self.document["stages"]
        failed = [name for name in stages if runs.get(name, {}).get("status") != "done"]
        if not failed:
            return None
        return "; ".join(f"{name}: {runs.get(name, {}).get('error')}" for name in failed)


def write_config(root: Path, stages: Sequence[str], **sections: dict[str, Any]) -> Path:
    """config.yaml in `root`: the daemon's defaults but for `stages`, a short settling time
    (it decides nothing but when a file is taken) and the given sections."""
    root.mkdir(parents=True, exist_ok=True)
    document: dict[str, Any] = {
        "inbox": "inbox",
        "library": "library",
        "watcher": {"quiet_seconds": 0.5, "poll_seconds": 0.1},
        "pipeline": {"stages": list(stages)},
        "log": {"level": "info"},
        **sections,
    }
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def drop_references(root: Path, photos: Sequence[tuple[str, Path]]) -> None:
    """Each (name, photo) copied into inbox/faces/<name>/, as a user adds a reference."""
    for name, photo in photos:
        folder = root / "inbox" / "faces" / name
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(photo, folder / photo.name)


def drop_movie(root: Path, movie: Path) -> None:
    (root / "inbox" / "movies").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(movie, root / "inbox" / "movies" / movie.name)


def rejected_files(root: Path) -> tuple[str, ...]:
    """'<file>: <reason>' for each file the daemon set aside in inbox/rejected/."""
    return tuple(
        f"{p.name.removesuffix('.reason.txt')}: {p.read_text(encoding='utf-8').splitlines()[0]}"
        for p in sorted((root / "inbox" / "rejected").glob("*.reason.txt"))
    )


def start_once(root: Path) -> subprocess.Popen[str]:
    """`bunny run --once` on root's config.yaml, this checkout's code, in a fresh interpreter."""
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    command = [sys.executable, "-m", "daemon.commands.cli", "run", "--config", "config.yaml"]
    return subprocess.Popen(
        [*command, "--once"],
        cwd=root,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen[str]) -> None:
    _, errors = process.communicate(timeout=RUN_TIMEOUT_SECONDS)
    if process.returncode != 0:
        raise RuntimeError(f"bunny run --once exited {process.returncode}: {errors[-2000:]}")


def run_once(root: Path) -> None:
    finish(start_once(root))


def only_movie(root: Path) -> MovieSummary:
    summaries = sorted((root / "library" / "movies").glob("*/movie.json"))
    if len(summaries) != 1:
        raise RuntimeError(f"expected one movie in the library, found {len(summaries)}")
    document = json.loads(summaries[0].read_text(encoding="utf-8"))
    return MovieSummary(document, summaries[0].parent)
