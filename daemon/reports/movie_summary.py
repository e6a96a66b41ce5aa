"""`library/movies/<id>/movie.json`: what is known of a movie, for people, rewritten whole.

It holds the movie, each stage's status and result (its shots and its frames with their
scores), and `faces`: who is in each kept frame as the database says now, so it stays right
when later references relabel the faces found earlier.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from daemon.atomic import write_json_atomic
from daemon.display_text import printable
from daemon.repository import Repository, StageRunRecord


def write_movie_summary(repo: Repository, library: Path, movie_id: int) -> None:
    movie = repo.movie(movie_id)
    runs = repo.stage_runs(movie.id)
    write_json_atomic(
        library / "movies" / movie.key / "movie.json",
        {
            "movie": movie.key,
            "sha256": movie.sha256,
            "name": movie.name,
            "source": printable(movie.path),
            "state": movie.state.value,
            "stages": {name: _stage_summary(run) for name, run in runs.items()},
            "faces": _faces_by_frame(repo, movie_id),
        },
    )


def _stage_summary(run: StageRunRecord) -> dict[str, Any]:
    return {
        "status": run.status.value,
        "attempts": run.attempts,
        "seconds": run.seconds,
        "error": run.error,
        "result": json.loads(run.result_json) if run.result_json else None,
    }


def _faces_by_frame(repo: Repository, movie_id: int) -> dict[str, list[dict[str, Any]]]:
    frames: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for face in repo.faces_of_movie(movie_id):
        frames[face.frame].append(
            {
                "character": face.character,
                "box": [face.box.top, face.box.right, face.box.bottom, face.box.left],
                "distance": face.distance,
            }
        )
    return dict(sorted(frames.items()))
