"""The slideshow through a real daemon: references first, then the movie, read back from disk.

`bunny run --once` as a fresh process on a temporary inbox and library, the daemon's
defaults but for the stages (probe to dataset: scenes and captions do not decide who is
found) and a short settling time. First run: each person's reference photo dropped into
inbox/faces/<name>/, taken by the daemon's own reference intake. Second run: the slideshow
dropped into inbox/movies/. What the daemon made is read from its movie.json, as a user would.
"""

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

import numpy as np
import yaml

from daemon.config import FacesConfig
from evaluation.identity_count import FrameFace, PathOutcome
from evaluation.identity_photos import LabelledPhoto
from handlers.dataset import DatasetReport
from handlers.face_matching import detect_faces
from handlers.image_measures import rgb_of_file
from handlers.quality import QualityReport, Verdict
from handlers.result_codec import decode

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("probe", "shots", "frames", "quality", "faces", "dataset")
RUN_TIMEOUT_SECONDS = 3600


@dataclass(frozen=True)
class DaemonRun:
    outcome: PathOutcome
    rejected_references: tuple[str, ...]  # "<file>: <reason>"
    stage_seconds: tuple[tuple[str, float], ...]


def write_config(root: Path) -> Path:
    document = {
        "inbox": "inbox",
        "library": "library",
        "watcher": {"quiet_seconds": 0.5, "poll_seconds": 0.1},
        "pipeline": {"stages": list(STAGES)},
        "log": {"level": "info"},
    }
    path = root / "config.yaml"
    path.write_text(yaml.safe_dump(document), encoding="utf-8")
    return path


def run_once(root: Path) -> None:
    """`bunny run --once`, this checkout's code, in a fresh interpreter."""
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    command = [sys.executable, "-m", "daemon.commands.cli", "run", "--config", "config.yaml"]
    done = subprocess.run(
        [*command, "--once"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"bunny run --once exited {done.returncode}: {done.stderr[-2000:]}")


def run_daemon(
    root: Path, media: Path, references: Sequence[LabelledPhoto], movie: Path
) -> DaemonRun:
    root.mkdir(parents=True, exist_ok=True)
    write_config(root)
    for photo in references:
        folder = root / "inbox" / "faces" / photo.people[0]
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(media / photo.path, folder / Path(photo.path).name)
    run_once(root)
    rejected = tuple(
        f"{p.name.removesuffix('.reason.txt')}: {p.read_text(encoding='utf-8').splitlines()[0]}"
        for p in sorted((root / "inbox" / "rejected").glob("*.reason.txt"))
    )
    (root / "inbox" / "movies").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(movie, root / "inbox" / "movies" / movie.name)
    run_once(root)
    summaries = sorted((root / "library" / "movies").glob("*/movie.json"))
    if len(summaries) != 1:
        raise RuntimeError(f"expected one movie in the library, found {len(summaries)}")
    summary = json.loads(summaries[0].read_text(encoding="utf-8"))
    outcome = read_outcome(summary, summaries[0].parent)
    return DaemonRun(outcome, rejected, _stage_seconds(summary))


def read_outcome(summary: dict[str, Any], movie_dir: Path) -> PathOutcome:
    stages = summary["stages"]
    failed = [name for name in STAGES if stages.get(name, {}).get("status") != "done"]
    if failed:
        errors = "; ".join(f"{n}: {stages.get(n, {}).get('error')}" for n in failed)
        raise RuntimeError(f"stages not done: {errors}")
    quality = decode(QualityReport, stages["quality"]["result"])
    dataset = decode(DatasetReport, stages["dataset"]["result"])
    faces = tuple(
        FrameFace(frame, face["character"], face["box"][2] - face["box"][0], face["distance"])
        for frame, listed in summary["faces"].items()
        for face in listed
    )
    kept = [f for f in quality.frames if f.verdict is Verdict.KEPT and f.file is not None]
    small = {frame.name: _small_face(movie_dir / str(frame.file)) for frame in kept}
    return PathOutcome(quality.frames, faces, dataset.images, small)


def _small_face(path: Path) -> int | None:
    """The tallest face under the stage's minimum in a kept frame, found the stage's way."""
    minimum = FacesConfig().min_face_pixels
    heights = [face.box.height for face in detect_faces(np.asarray(rgb_of_file(str(path))))]
    return max((h for h in heights if h < minimum), default=None)


def _stage_seconds(summary: dict[str, Any]) -> tuple[tuple[str, float], ...]:
    return tuple((name, float(run["seconds"] or 0.0)) for name, run in summary["stages"].items())
