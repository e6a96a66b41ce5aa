"""The real daemon as a subprocess, on a real inbox and library: what a user does."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest

from daemon.config import Config
from daemon.store import InboxFile, InboxFileStatus, Movie, MovieState, StageRun, StageStatus
from tests.conftest import HAMILTON, DaemonProcess, drop_hamilton_and_lin, wait_for
from tests.media import textured, truncate_copy, write_segments


def copy_slowly(source: Path, target: Path, seconds: float, chunks: int = 10) -> datetime:
    """Write `source` to `target` in chunks over `seconds`; return when the copy ended (UTC)."""
    data = source.read_bytes()
    size = -(-len(data) // chunks)
    with target.open("wb") as handle:
        for index in range(chunks):
            handle.write(data[index * size : (index + 1) * size])
            handle.flush()
            time.sleep(seconds / chunks)
    return datetime.utcnow()


def states(daemon: DaemonProcess) -> dict[str, str]:
    """Each movie's state, read as `bunny status` would, while the daemon writes."""
    if not (daemon.library / "bunny.db").exists():
        return {}
    repo = daemon.repository()
    try:
        return {m.name: m.state.value for m in repo.movies()}
    finally:
        repo.close()


def test_slow_copy_is_processed_once_after_it_ends(
    daemon_factory: Callable[..., DaemonProcess], make_clip: Callable[..., Path]
) -> None:
    daemon = daemon_factory(watcher={"quiet_seconds": 1.5})
    daemon.start()
    clip = make_clip("slow.mp4", seconds=4.0, size=(320, 240))
    target = daemon.inbox / "movies" / "arriving slowly.mp4"
    copy_ended = copy_slowly(clip, target, seconds=5.0)
    wait_for(lambda: states(daemon).get("arriving slowly.mp4") == "done", timeout=30)
    assert daemon.alive()

    repo = daemon.repository()
    try:
        movies = list(Movie.select())
        assert len(movies) == 1
        runs = list(StageRun.select().order_by(StageRun.id))
        assert [(r.stage, r.status, r.attempts) for r in runs] == [
            (stage, "done", 1) for stage in Config().pipeline.stages
        ]
        assert runs[0].started_at > copy_ended, "the stage started before the copy ended"
    finally:
        repo.close()
    assert not (daemon.inbox / "rejected").exists()
    summary = json.loads(
        (daemon.library / "movies" / movies[0].sha256[:12] / "movie.json").read_text()
    )
    assert summary["stages"]["probe"]["result"]["duration_seconds"] == 4.0
    assert target.read_bytes() == clip.read_bytes(), "the user's movie stays where it was"


@pytest.mark.slow
def test_sigkill_mid_stage_then_restart_completes_without_duplicates(
    daemon_factory: Callable[..., DaemonProcess], make_clip: Callable[..., Path]
) -> None:
    daemon = daemon_factory(pipeline={"stage_delay_seconds": 3})
    (daemon.inbox / "movies").mkdir(parents=True, exist_ok=True)
    (daemon.inbox / "movies" / "killed.mp4").write_bytes(make_clip().read_bytes())
    daemon.start()
    wait_for(lambda: states(daemon).get("killed.mp4") == "running", timeout=20)
    daemon.signal(signal.SIGKILL)
    daemon.wait()

    daemon.start()
    # Eight stages held open 3 s each: 24 s when the machine is idle, much more when it is not.
    wait_for(lambda: states(daemon).get("killed.mp4") == "done", timeout=120)
    repo = daemon.repository()
    try:
        assert Movie.select().count() == 1
        assert InboxFile.select().count() == 1
        runs = {r.stage: (r.status, r.attempts) for r in StageRun.select()}
        assert runs.pop("probe") == (StageStatus.DONE.value, 2)
        assert set(runs.values()) == {(StageStatus.DONE.value, 1)}
    finally:
        repo.close()
    (movie_dir,) = (daemon.library / "movies").iterdir()
    assert sorted(p.name for p in movie_dir.iterdir()) == ["frames", "movie.json"]
    resumed = [e for e in daemon.log_entries() if e["event"] == "resuming a movie left running"]
    assert len(resumed) == 1


def test_bad_inputs_end_rejected_or_done_and_the_daemon_goes_on(
    daemon_factory: Callable[..., DaemonProcess],
    make_clip: Callable[..., Path],
    tmp_path: Path,
) -> None:
    daemon = daemon_factory()
    daemon.start()
    movies = daemon.inbox / "movies"
    wait_for(lambda: (daemon.library / "bunny.db").exists())
    outside = tmp_path / "elsewhere" / "linked movie.mp4"
    outside.parent.mkdir()
    outside.write_bytes(make_clip("linked.mp4", seed=3).read_bytes())
    long_name = "a very long name " + "x" * 220 + ".mp4"
    drops = {
        "empty.mp4": b"",
        "notes.mp4": b"this is a text file\n",
        "Ünïcode movie 電影.mp4": make_clip("uni.mp4", seed=1).read_bytes(),
        long_name: make_clip("long.mp4", seed=2).read_bytes(),
    }
    truncate_copy(make_clip("full.mp4", seed=4), movies / "truncated.mp4", 0.5)
    for name, data in drops.items():
        (movies / name).write_bytes(data)
    (movies / "link.mp4").symlink_to(outside)

    rejected = daemon.inbox / "rejected"
    expected_rejected = {"empty.mp4", "notes.mp4", "truncated.mp4"}
    wait_for(lambda: {p.name for p in rejected.glob("*.mp4")} == expected_rejected, timeout=30)
    wait_for(lambda: sorted(states(daemon).values()).count("done") == 3, timeout=30)
    assert daemon.alive()

    reasons = {p.name: p.read_text() for p in rejected.glob("*.reason.txt")}
    assert "empty file (0 bytes)" in reasons["empty.mp4.reason.txt"]
    assert "not a playable video" in reasons["notes.mp4.reason.txt"]
    assert "truncated" in reasons["truncated.mp4.reason.txt"]
    (movies / "copy of unicode.mp4").write_bytes(make_clip("uni.mp4", seed=1).read_bytes())
    wait_for(lambda: any("duplicate skipped" in e["event"] for e in daemon.log_entries()))
    final = states(daemon)
    assert final["Ünïcode movie 電影.mp4"] == "done"
    assert final[long_name] == "done"
    assert final["link.mp4"] == "done"
    assert "copy of unicode.mp4" not in final, "a byte-identical copy is not a second movie"
    assert (movies / "copy of unicode.mp4").exists(), "the duplicate is skipped, not removed"
    assert outside.is_file() and (movies / "link.mp4").is_symlink()
    repo = daemon.repository()
    try:
        duplicate = InboxFile.get(InboxFile.path == str(movies / "copy of unicode.mp4"))
        assert duplicate.status == InboxFileStatus.DUPLICATE.value
    finally:
        repo.close()

    started = time.monotonic()
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=10) == 0
    assert time.monotonic() - started < 5


def test_sigterm_mid_stage_stops_quickly_and_requeues(
    daemon_factory: Callable[..., DaemonProcess], make_clip: Callable[..., Path]
) -> None:
    daemon = daemon_factory(pipeline={"stage_delay_seconds": 60})
    (daemon.inbox / "movies" / "long stage.mp4").write_bytes(make_clip().read_bytes())
    daemon.start()
    wait_for(lambda: states(daemon).get("long stage.mp4") == "running", timeout=20)
    started = time.monotonic()
    daemon.signal(signal.SIGTERM)
    assert daemon.wait(timeout=15) == 0
    assert time.monotonic() - started < 5
    assert states(daemon)["long stage.mp4"] == MovieState.QUEUED.value
    assert any(e["event"] == "daemon stopped" for e in daemon.log_entries())


@pytest.mark.slow
def test_once_exits_non_zero_on_failure_and_retry_requeues(
    daemon_factory: Callable[..., DaemonProcess], make_clip: Callable[..., Path]
) -> None:
    daemon = daemon_factory(pipeline={"stage_delay_seconds": 2, "retry_backoff_seconds": []})
    movie = daemon.inbox / "movies" / "vanishing.mp4"
    movie.write_bytes(make_clip().read_bytes())
    kept = movie.read_bytes()

    errors: list[BaseException] = []

    def user_moves_it_away() -> None:
        try:
            wait_for(lambda: states(daemon).get("vanishing.mp4") == "running", timeout=30)
            movie.rename(movie.with_name("away.bin"))
        except BaseException as exc:
            errors.append(exc)

    mover = threading.Thread(target=user_moves_it_away)
    mover.start()
    first = daemon.run_once()
    mover.join()
    assert not errors, errors
    assert first.returncode == 1, first.stderr.decode()
    assert states(daemon)["vanishing.mp4"] == "failed"

    movie.with_name("away.bin").rename(movie)
    from daemon.commands.cli import main

    assert main(["retry", "--config", str(daemon.config)]) == 0
    second = daemon.run_once()
    assert second.returncode == 0, second.stderr.decode()
    assert states(daemon)["vanishing.mp4"] == "done"
    assert movie.read_bytes() == kept


def test_log_lines_about_a_movie_carry_movie_stage_and_job_and_no_secret(
    daemon_factory: Callable[..., DaemonProcess], make_clip: Callable[..., Path]
) -> None:
    secret = "sk-live-do-not-print-123456"
    daemon = daemon_factory()
    (daemon.inbox / "movies" / f"{secret}.mp4").write_bytes(make_clip().read_bytes())
    os.environ["OPENAI_API_KEY"] = secret
    try:
        result = daemon.run_once()
    finally:
        del os.environ["OPENAI_API_KEY"]
    assert result.returncode == 0, result.stderr.decode()
    entries = daemon.log_entries()
    about_movie = [e for e in entries if e.get("movie")]
    assert {e["event"] for e in about_movie} >= {"movie queued", "stage started", "stage done"}
    for entry in about_movie:
        assert {"movie", "stage", "job"} <= entry.keys()
    log_text = (daemon.library / "logs" / "bunny.log").read_text()
    assert secret not in log_text and secret not in result.stderr.decode()
    assert "***" in log_text


def test_a_dropped_movie_ends_with_its_frames_in_the_library_and_the_database(
    daemon_factory: Callable[..., DaemonProcess], tmp_path: Path
) -> None:
    size = (320, 180)
    segments = [
        (textured(31, size=size), 48),  # static: one frame
        (textured(32, moving=True, size=size), 72),  # moving: three
        (lambda _: np.zeros((180, 320, 3), np.uint8), 24),  # black: rejected as too dark
        (textured(31, size=size), 48),  # the first shot again: a near-duplicate
    ]
    clip = write_segments(tmp_path / "film.mp4", segments, size=size)
    daemon = daemon_factory()
    (daemon.inbox / "movies").mkdir(parents=True, exist_ok=True)
    (daemon.inbox / "movies" / "film.mp4").write_bytes(clip.read_bytes())
    completed = daemon.run_once()
    assert completed.returncode == 0, completed.stderr.decode()

    repo = daemon.repository()
    try:
        (movie,) = repo.movies()
        frames = repo.frames(movie.id)
        verdicts = [f.verdict for f in frames]
    finally:
        repo.close()
    assert verdicts.count("kept") == 4, verdicts
    assert "too_dark" in verdicts and "duplicate" in verdicts
    movie_dir = daemon.library / "movies" / movie.key
    filed = sorted(p.name for p in (movie_dir / "frames").iterdir())
    assert filed == sorted(f"{f.name}.jpg" for f in frames if f.verdict == "kept")
    assert sorted(p.name for p in movie_dir.iterdir()) == ["frames", "movie.json"]
    summary = json.loads((movie_dir / "movie.json").read_text())
    assert summary["state"] == "done"
    assert len(summary["stages"]["shots"]["result"]["shots"]) == 4
    assert (daemon.inbox / "movies" / "film.mp4").read_bytes() == clip.read_bytes()


@pytest.mark.media
@pytest.mark.skipif(not HAMILTON.exists(), reason=f"real face media not found at {HAMILTON}")
def test_references_added_after_a_movie_relabel_its_frames(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory()
    movies, faces = daemon.inbox / "movies", daemon.inbox / "faces"
    movies.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(HAMILTON / "short_hamilton_clip.mp4", movies / "hamilton.mp4")
    assert daemon.run_once(timeout=240).returncode == 0

    def labels() -> dict[str, set[str | None]]:
        repo = daemon.repository()
        try:
            (movie,) = repo.movies()
            found: dict[str, set[str | None]] = {}
            for face in repo.faces_of_movie(movie.id):
                found.setdefault(face.frame, set()).add(face.character)
            return found
        finally:
            repo.close()

    before = labels()
    assert before and all(names == {None} for names in before.values()), before

    for name, photo in (
        ("Lin-Manuel Miranda", "lin-manuel-miranda.png"),
        ("Alex Lacamoire", "alex-lacamoire.png"),
    ):
        (faces / name).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(HAMILTON / photo, faces / name / photo)
    assert daemon.run_once(timeout=120).returncode == 0

    after = labels()
    (movie_dir,) = (daemon.library / "movies").iterdir()
    summary = json.loads((movie_dir / "movie.json").read_text())
    # Frame names are PTS times; this file's first frame is not at 0 s.
    origin = summary["stages"]["shots"]["result"]["shots"][0]["start_seconds"]
    frame_number = {frame: (_frame_seconds(frame) - origin) * 29.97 for frame in after}
    lin = {f for f, names in after.items() if "Lin-Manuel Miranda" in names}
    alex = {f for f, names in after.items() if "Alex Lacamoire" in names}
    assert len(lin) >= 3, after
    # The staging notes (not published ground truth): the pianist's close-up is frames 20-81,
    # the audience (the Obamas among them) from frame 211: nobody there is either person.
    assert all(20 <= frame_number[f] < 82 for f in alex)
    assert all(frame_number[f] < 211 for f in lin | alex)
    named = {face["character"] for frame in summary["faces"].values() for face in frame}
    assert "Lin-Manuel Miranda" in named
    # The relabelled frames reach the dataset too: its stage ran again on the new labels.
    dataset = daemon.library / "characters" / "Lin-Manuel Miranda" / "dataset"
    assert dataset.is_dir() and any(dataset.iterdir())


def _frame_seconds(name: str) -> float:
    hours, minutes, rest = name.split("-")
    return int(hours) * 3600 + int(minutes) * 60 + float(rest)


@pytest.mark.media
@pytest.mark.skipif(not HAMILTON.exists(), reason=f"real face media not found at {HAMILTON}")
def test_references_then_a_movie_give_a_character_dataset(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    daemon = daemon_factory()
    drop_hamilton_and_lin(daemon)
    assert daemon.run_once(timeout=240).returncode == 0

    dataset = daemon.library / "characters" / "Lin-Manuel Miranda" / "dataset"
    images = sorted(p.name for p in dataset.glob("*.jpg"))
    # Each image has its caption beside it (the offline template), and metadata lists them.
    for image in images:
        caption = (dataset / image).with_suffix(".txt").read_text(encoding="utf-8")
        assert caption.startswith("lmm, a man, "), caption
    metadata = (dataset / "metadata.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["file_name"] for line in metadata] == images
    repo = daemon.repository()
    try:
        recorded = repo.dataset_files("Lin-Manuel Miranda")
        (character,) = repo.characters()
    finally:
        repo.close()
    assert images and [Path(f).name for f in recorded] == images
    assert (character.trigger_word, character.class_word) == ("lmm", "man")
    reference = daemon.library / "characters" / "Lin-Manuel Miranda" / "reference"
    assert len(list(reference.iterdir())) == 1
    lin = daemon.inbox / "faces" / "Lin-Manuel Miranda"
    assert (lin / "reference.png").exists(), "the user's reference photo stays in the inbox"
