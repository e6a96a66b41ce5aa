"""Real processes killed at chosen system calls, then run again: the library stays whole.

Each test lists the calls a real process makes on the library (a dry run under strace),
kills a fresh copy of the same library at a sample of them (SIGKILL from strace's fault
injection), runs the command again as a user or systemd would, and checks the invariant:

- `bunny name`: the cluster is adopted whole (every face named, every reference written with
  its row) or not at all, and a second `bunny name` finishes what a killed one began;
- reference intake (`run --once` with a photo in inbox/faces): the reference is there once,
  with its row, and the user's photo is still in the inbox;
- the dataset stage re-run by `run --once`: the files it deleted are not read as the user's
  corrections, and the folder holds exactly the images the database lists.

Everywhere: no `.tmp` file and no reference file without a row (or row without a file).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from daemon.characters.face_clusters import UnknownFaceClusters
from daemon.config import DatasetConfig, FacesConfig
from daemon.repository import Repository
from daemon.store import PendingDeletion
from handlers.base import MovieJob, StageContext
from handlers.dataset import DatasetHandler
from handlers.faces import FacesReport, FoundFace
from handlers.frames import FrameSelection
from handlers.letterbox import CropBox
from handlers.quality import JudgedFrame, QualityReport, Verdict
from handlers.result_codec import decode
from handlers.sharpness_spread import SharpnessSpread
from handlers.shots import ShotList
from tests.conftest import HAMILTON
from tests.daemon.characters.test_face_clusters import movie_with_faces, person
from tests.syscall_kills import KillPoint, every, kill_at, kill_points, strace_problem, trace

pytestmark = [
    pytest.mark.skipif(strace_problem() is not None, reason=strace_problem() or "strace works"),
    pytest.mark.slow,
]

# How many kill points each test samples from its dry run (evenly, first and last included).
NAME_POINTS = 12
# Intake: every call writing the photo's copy, the database writes just after (the rows),
# and a few of the daemon's start-up writes before it.
INTAKE_ROW_POINTS = 3
INTAKE_START_POINTS = 1
DATASET_OTHER_POINTS = 3  # besides every unlink of an image the re-run no longer chooses
CLUSTER_FACES = 6  # one more than an adoption takes references from
DATASET_FACES = 6
RELABELLED = 4  # faces of the dataset's movie that turn out to be Bob's


class Bench:
    """A library, its inbox and its config under one folder, `work/`, at fixed paths (the
    kill points name them); saved once set up, and put back before each kill."""

    def __init__(self, root: Path, **settings: object) -> None:
        self.work, self._saved = root / "work", root / "saved"
        self.library, self.inbox = self.work / "library", self.work / "inbox"
        (self.inbox / "faces").mkdir(parents=True)
        self.library.mkdir(parents=True)
        document: dict[str, object] = {
            "inbox": str(self.inbox),
            "library": str(self.library),
            "watcher": {"quiet_seconds": 0.2, "poll_seconds": 0.05},
            "log": {"console": "json", "level": "debug"},
            **settings,
        }
        self.config = self.work / "config.yaml"
        self.config.write_text(yaml.safe_dump(document), encoding="utf-8")

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "daemon.commands.cli", *args, "--config", str(self.config)]

    def save(self) -> None:
        shutil.copytree(self.work, self._saved, symlinks=True)

    def restore(self) -> None:
        shutil.rmtree(self.work)
        shutil.copytree(self._saved, self.work, symlinks=True)

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args),
            cwd=self.work,
            env=environment(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def points(self, *args: str, wanted: Callable[[KillPoint], bool]) -> list[KillPoint]:
        """The calls a dry run makes that `wanted` accepts; the library is put back after."""
        log = self._saved.parent / "dry.trace"
        traced = trace(self.command(*args), self.work, environment(), log)
        assert traced.returncode == 0, traced.stderr.decode(errors="replace")[-2000:]
        points = [p for p in kill_points(log, lambda _path: True) if wanted(p)]
        self.restore()
        return points

    def kill(self, point: KillPoint, *args: str) -> bool:
        self.restore()
        return kill_at(point, self.command(*args), self.work, environment())


def environment() -> dict[str, str]:
    # The same calls in the same order from one run to the next: no bytecode written by the
    # first run only, no hash-ordered sets.
    return dict(os.environ, PYTHONDONTWRITEBYTECODE="1", PYTHONHASHSEED="0")


@contextmanager
def opened(library: Path) -> Iterator[Repository]:
    repo = Repository(library / "bunny.db")
    try:
        yield repo
    finally:
        repo.close()


def under(folder: Path) -> Callable[[KillPoint], bool]:
    return lambda point: point.path.startswith(f"{folder}/")


@dataclass
class Tally:
    what: str
    tried: int = 0
    killed: int = 0

    def add(self, killed: bool) -> None:
        self.tried += 1
        self.killed += killed

    def report(self) -> None:
        print(f"\n{self.what}: {self.tried} kill points, {self.killed} killed it; invariant held")


def library_files(library: Path, pattern: str) -> set[str]:
    return {str(p.relative_to(library)) for p in library.glob(pattern) if p.is_file()}


def assert_whole(library: Path, point: KillPoint) -> None:
    """No temporaries, no adoption left open, reference files and rows one to one."""
    where = f"killed at {point.describe()}"
    temporaries = sorted(str(p.relative_to(library)) for p in library.rglob(".*.tmp"))
    assert temporaries == [], f"{where}: stray temporaries"
    with opened(library) as repo:
        rows = repo.reference_files()
        assert repo.open_adoptions() == [], f"{where}: an adoption left open"
    files = library_files(library, "characters/*/reference/*")
    assert files == rows, f"{where}: reference files and rows differ"


# --- bunny name --------------------------------------------------------------------------


def test_bunny_name_killed_anywhere_is_finished_by_running_it_again(tmp_path: Path) -> None:
    bench = Bench(tmp_path)
    with opened(bench.library) as repo:
        movie_with_faces(repo, bench.library, person(1, CLUSTER_FACES))
        (cluster,) = UnknownFaceClusters(repo, bench.library, FacesConfig()).run()
    bench.save()
    args = ("name", cluster, "Zed")
    # The command's own calls on the library (not its start-up's reads of Python files).
    points = bench.points(*args, wanted=lambda p: p.main_thread and under(bench.library)(p))
    assert len(points) >= NAME_POINTS, [p.describe() for p in points]
    tally = Tally(f"bunny name ({len(points)} calls on the library)")
    for point in every(points, NAME_POINTS):
        tally.add(bench.kill(point, *args))
        where = f"killed at {point.describe()}"
        with opened(bench.library) as repo:
            left = len(repo.cluster_faces(cluster))
            named = sum(1 for f in repo.stored_faces() if f.character == "Zed")
        assert (left, named) in ((CLUSTER_FACES, 0), (0, CLUSTER_FACES)), f"{where}: half named"
        again = bench.run(*args)
        assert again.returncode == 0, f"{where}: {again.stderr}"
        assert f"{CLUSTER_FACES} faces of {cluster}" in again.stdout
        with opened(bench.library) as repo:
            faces = repo.stored_faces()
            references = repo.reference_encodings()[0]
        assert all(f.character == "Zed" and f.confirmed for f in faces), where
        assert references == ["Zed"] * 5, f"{where}: {len(references)} references"
        assert not (bench.library / "unknown" / cluster).exists(), where
        assert_whole(bench.library, point)
    tally.report()
    assert tally.killed == tally.tried, "bunny name repeats itself: every point should kill it"


# --- reference intake --------------------------------------------------------------------

PORTRAIT = HAMILTON / "lin-manuel-miranda.png"


@pytest.mark.skipif(not PORTRAIT.exists(), reason=f"real face photo not found at {PORTRAIT}")
def test_reference_intake_killed_anywhere_ends_with_the_reference_once(tmp_path: Path) -> None:
    bench = Bench(tmp_path)
    photo = bench.inbox / "faces" / "Lin" / "portrait.png"
    photo.parent.mkdir(parents=True)
    shutil.copyfile(PORTRAIT, photo)
    bench.save()
    database = str(bench.library / "bunny.db")
    points = bench.points(
        "run",
        "--once",
        wanted=lambda p: under(bench.library / "characters")(p) or p.path.startswith(database),
    )
    copying = [n for n, p in enumerate(points) if p.path.endswith(".tmp")]
    calls = [points[n].call for n in copying]
    # An atomic write first removes a temporary name a killed write may have left.
    assert calls[-1] == "rename" and "openat" in calls and "fsync" in calls, calls
    intake = points[copying[0]].thread  # the thread that takes the photo
    before = [p for p in points[: copying[0]] if p.thread == intake]
    after = [p for p in points[copying[-1] + 1 :] if p.thread == intake and p.path.endswith("-wal")]
    chosen = (
        every(before, INTAKE_START_POINTS)
        + [points[n] for n in copying]
        + after[:INTAKE_ROW_POINTS]
    )
    tally = Tally(f"reference intake ({len(points)} calls on references and the database)")
    for point in chosen:
        tally.add(bench.kill(point, "run", "--once"))
        where = f"killed at {point.describe()}"
        again = bench.run("run", "--once")
        assert again.returncode == 0, f"{where}: {again.stderr[-2000:]}"
        assert photo.is_file(), f"{where}: the user's photo left the inbox"
        assert not (bench.inbox / "rejected").exists() or not any(
            (bench.inbox / "rejected").iterdir()
        ), where
        with opened(bench.library) as repo:
            assert repo.reference_encodings()[0] == ["Lin"], where
        assert_whole(bench.library, point)
    tally.report()
    assert tally.killed >= tally.tried // 2, "most points should kill the daemon"


# --- the dataset stage -------------------------------------------------------------------


def frame(name: str, shot: int) -> JudgedFrame:
    return JudgedFrame(
        name, float(shot), shot, "middle", f"frames/{name}.jpg", 1.0, 1.0, 100.0, 0.1, "0" * 16,
        Verdict.KEPT, None, None,
    )  # fmt: skip


def done(repo: Repository, movie_id: int, stage: str, result: object) -> None:
    repo.start_stage(movie_id, stage)
    repo.finish_stage(movie_id, stage, 0.1, result)


def dataset_to_redo(bench: Bench) -> None:
    """A movie whose dataset is Ann's six images; four of its faces are then named Bob, so
    the dataset stage, queued again, writes Bob's four and deletes four of Ann's."""
    with opened(bench.library) as repo:
        movie = movie_with_faces(repo, bench.library, person(1, DATASET_FACES))
        (bench.library / "m.mp4").write_bytes(b"the movie file")
        stored = repo.stored_faces()
        frames = tuple(frame(face.frame, number) for number, face in enumerate(stored))
        spread = SharpnessSpread(len(frames), 1.0, 1.0, 1.0)
        whole = CropBox(0, 0, 640, 360)
        done(repo, movie.id, "shots", ShotList((), len(frames), 0, "shots", whole, spread, ()))
        done(repo, movie.id, "frames", FrameSelection((), 0, 0))
        quality = QualityReport(frames, len(frames), 0)
        done(repo, movie.id, "quality", quality)
        found = tuple(
            FoundFace(f.frame, f.number, f.box, None, None, None, f.encoding) for f in stored
        )
        done(repo, movie.id, "faces", FacesReport(found, len(found), len(found), 0, ()))
        repo.save_character("Ann", "ann", "woman")
        repo.name_faces(stored, "Ann")
        named = decode(FacesReport, json.loads(repo.stage_runs(movie.id)["faces"].result_json))
        context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
        job = MovieJob(movie.key, movie.path, bench.library, (quality, named), context)
        first = DatasetHandler(DatasetConfig(min_face_pixels=8)).run(job)
        assert len(first.images) == DATASET_FACES
        done(repo, movie.id, "dataset", first)
        repo.mark_done(movie.id)
        repo.save_character("Bob", "bob", "man")
        repo.name_faces(stored[DATASET_FACES - RELABELLED :], "Bob")
        repo.requeue_stages({movie.id}, ("dataset",), busy_too=False)


def test_a_dataset_rerun_killed_anywhere_records_no_correction(tmp_path: Path) -> None:
    bench = Bench(
        tmp_path,
        pipeline={"stages": ["shots", "frames", "quality", "faces", "dataset"], "workers": 1},
        dataset={"min_face_pixels": 8},
    )
    dataset_to_redo(bench)
    bench.save()
    database = str(bench.library / "bunny.db")
    points = bench.points(
        "run",
        "--once",
        wanted=lambda p: (
            under(bench.library / "characters")(p)
            or (not p.main_thread and p.path.startswith(database))
        ),
    )
    # The stage's deletions; an atomic write's removal of its stale temporary name is not one.
    unlinks = [p for p in points if p.call == "unlink" and not p.path.endswith(".tmp")]
    assert len(unlinks) == RELABELLED, [p.describe() for p in points]
    others = every([p for p in points if p not in unlinks], DATASET_OTHER_POINTS)
    tally = Tally(f"dataset stage ({len(points)} calls on datasets and the database)")
    unlink_kills = 0
    for point in unlinks + others:
        killed = bench.kill(point, "run", "--once")
        tally.add(killed)
        unlink_kills += killed and point in unlinks
        where = f"killed at {point.describe()}"
        again = bench.run("run", "--once")
        assert again.returncode == 0, f"{where}: {again.stderr[-2000:]}"
        with opened(bench.library) as repo:
            corrections = repo.corrections()
            ann, bob = repo.dataset_files("Ann"), repo.dataset_files("Bob")
            pending = PendingDeletion.select().count()
        assert corrections == [], f"{where}: {len(corrections)} corrections nobody made"
        assert pending == 0, f"{where}: deletions still recorded as pending"
        assert (len(ann), len(bob)) == (DATASET_FACES - RELABELLED, RELABELLED), where
        on_disk = library_files(bench.library, "characters/*/dataset/*.jpg")
        assert on_disk == set(ann) | set(bob), f"{where}: dataset files and rows differ"
        assert_whole(bench.library, point)
    tally.report()
    # Each unlink is of a file named once: those points are exact, every one kills.
    assert unlink_kills == len(unlinks), f"{unlink_kills} of {len(unlinks)} unlink points killed"
