"""`bunny lineage FILE [--json]`: the command line on a real library and database; every bad
argument gets a clear message and exit status 4, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from daemon.commands.cli import main
from daemon.commands.exit_codes import EXIT_NOT_FOUND
from daemon.config import Config, LogConfig, TrainingConfig
from daemon.reports.lineage import image_lineage
from daemon.repository import Repository
from tests.conftest import HAMILTON, DaemonProcess, drop_hamilton_and_lin
from tests.daemon.commands.test_cli_help import bunny
from tests.daemon.reports.page_library import PageLibrary, build_library
from tests.daemon.reports.test_lineage import CAPTION, FRAME, nino_image
from tests.daemon.training.harness import Harness

ROOT = Path(__file__).resolve().parents[3]
LIN = "Lin-Manuel Miranda"


@pytest.fixture
def built(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[PageLibrary]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BUNNY_CONFIG", raising=False)
    repo = Repository(tmp_path / "library" / "bunny.db")
    try:
        yield build_library(repo, tmp_path / "library")
    finally:
        repo.close()


def test_text_and_json_of_an_image_given_three_ways(built: PageLibrary, tmp_path: Path) -> None:
    file = nino_image(built)
    library = built.library
    movie = built.done
    texts = {
        bunny("lineage", argument, "--library", str(library), cwd=cwd).stdout
        for argument, cwd in (
            (file, tmp_path),  # relative to the library
            (f"library/{file}", tmp_path),  # relative to the current folder
            (str(library / file), ROOT),  # absolute
        )
    }
    (text,) = texts
    assert text.startswith(file + "\n")
    assert f"frame {FRAME} at 00:00:06.000" in text and movie.sha256 in text

    completed = bunny("lineage", file, "--json", "--library", str(library), cwd=tmp_path)
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    assert document["file"] == file and document["character"] == "Nino"
    assert document["source"]["kind"] == "movie"
    assert document["source"]["movie_sha256"] == movie.sha256
    assert document["source"]["movie_key"] == movie.key
    assert document["source"]["seconds"] == 6.0
    assert document["shot"] == {
        "number": 1,
        "start_seconds": 3.5,
        "end_seconds": 7.0,
        "kind": "moving",
        "mean_motion": 2.5,
    }
    assert document["scene"] == {"number": 2, "embedder": "descriptor:test"}
    assert document["face"]["box"] == {"top": 4, "right": 28, "bottom": 28, "left": 4}
    assert (document["face"]["distance"], document["face"]["runner_up"]) == (0.2, 0.9)
    assert document["crop"] == {"left": 0, "top": 0, "width": 32, "height": 32}
    assert document["frame"]["phash"] == f"{6:016x}"
    assert document["caption"]["text"] == CAPTION and document["caption"]["provider"] == "bedrock"
    assert document["corrections"] == [] and document["models"] == []


def test_a_run_folder_or_its_training_json_lists_its_images(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BUNNY_CONFIG", raising=False)
    library = tmp_path / "library"
    training = TrainingConfig(min_images=1, min_image_side=16, allow_cpu=True)
    harness = Harness(library, Config(library=library, training=training, log=LogConfig()))
    try:
        files = harness.add_images("Ann", 2)
        harness.repo.request_training("Ann")
        job = harness.job()
        job.tick()
        harness.launched[0].finish()
        job.tick()
        keys = {m.key: m.name for m in harness.repo.movies()}
    finally:
        harness.repo.close()
    capsys.readouterr()  # the training job's log lines
    run = "characters/Ann/models/Ann-v1"
    for argument in (run, f"{run}/training.json", f"library/{run}/"):
        assert main(["lineage", argument, "--library", str(library)]) == 0
        lines = capsys.readouterr().out.splitlines()
        assert lines[0] == f"{run}: 2 image(s); {run}/training.json"
        for line, file in zip(lines[1:], sorted(files), strict=True):
            key, frame = Path(file).stem.split("_", 1)
            assert (
                line
                == f"  {Path(file).name}  movie {keys[key]} ({key}), frame {frame} at time unknown"
            )


def bad_arguments(built: PageLibrary, tmp_path: Path) -> dict[str, tuple[str, str]]:
    """Each bad argument and what its message must say."""
    library = built.library
    outside = tmp_path / "elsewhere.jpg"
    outside.write_bytes(b"jpeg")
    stray = library / "characters" / "Nino" / "dataset" / "\x1b[31mred.jpg"
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_bytes(b"jpeg")
    frame = f"movies/{built.done.key}/frames/{FRAME}.jpg"
    return {
        "outside": (str(outside), "is outside the library"),
        "missing": ("characters/Nino/dataset/gone.jpg", "gone.jpg: no such file"),
        "a frame": (frame, "is not in characters/<name>/dataset/"),
        "unknown": (str(stray), "\\x1b[31mred.jpg (the database has no row for it)"),
        "a folder": ("characters/Nino", "neither a dataset image nor a training run folder"),
        "dotdot": (f"characters/Nino/dataset/../../../../{outside.name}", "outside the library"),
        "too long": ("characters/Nino/dataset/" + "n" * 5000 + ".jpg", ": no such file"),
    }


@pytest.mark.parametrize(
    "case", ["outside", "missing", "a frame", "unknown", "a folder", "dotdot", "too long"]
)
def test_a_bad_argument_is_refused_with_its_reason(
    case: str, built: PageLibrary, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argument, reason = bad_arguments(built, tmp_path)[case]
    code = main(["lineage", argument, "--library", str(built.library)])
    captured = capsys.readouterr()
    assert code == EXIT_NOT_FOUND
    assert captured.out == ""
    assert captured.err.startswith("bunny: not a dataset image the daemon made: ")
    assert reason in captured.err
    assert "\x1b" not in captured.err


def test_a_bad_argument_in_a_fresh_process_prints_no_traceback(
    built: PageLibrary, tmp_path: Path
) -> None:
    argument, reason = bad_arguments(built, tmp_path)["unknown"]
    completed = bunny("lineage", argument, "--json", "--library", str(built.library), cwd=tmp_path)
    assert completed.returncode == EXIT_NOT_FOUND
    assert reason in completed.stderr and "Traceback" not in completed.stderr
    assert completed.stdout == ""


@pytest.mark.media
@pytest.mark.skipif(not HAMILTON.exists(), reason=f"real face media not found at {HAMILTON}")
def test_the_lineage_of_an_image_the_daemon_made_matches_its_database(
    daemon_factory: Callable[..., DaemonProcess],
) -> None:
    """The whole chain: a real clip and a reference photo through `bunny run --once`, then
    `bunny lineage` on a dataset image, checked against the database's other reads."""
    daemon = daemon_factory()
    drop_hamilton_and_lin(daemon)
    assert daemon.run_once(timeout=240).returncode == 0
    repo = daemon.repository()
    try:
        (movie,) = repo.movies()
        entries = repo.dataset_page(LIN, 0, 1000)
        entry = entries[0]
        (frame,) = [f for f in repo.frames_page(movie.id, True, 0, 10000) if f.name == entry.frame]
        faces = [f for f in repo.faces_in_frames(movie.id, [entry.frame]) if f.character == LIN]
        scene = repo.scenes_of_frames(movie.id, [entry.frame])[entry.frame]
        # The quality stage's own result (movie.json's): each frame's hash as it computed it.
        quality = json.loads(repo.stage_result_json(movie.id, "quality") or "{}")
        hashes = {judged["name"]: judged["phash"] for judged in quality["frames"]}
        lineages = [image_lineage(repo, daemon.library, e.file) for e in entries]
    finally:
        repo.close()
    assert [lineage.frame.phash if lineage.frame else None for lineage in lineages] == [
        hashes[e.frame] for e in entries
    ]
    args = ("lineage", entry.file, "--config", str(daemon.config))
    text = bunny(*args, cwd=daemon.root)
    assert text.returncode == 0, text.stderr
    assert f"frame {entry.frame} at " in text.stdout and movie.sha256 in text.stdout
    completed = bunny(*args, "--json", cwd=daemon.root)
    assert completed.returncode == 0, completed.stderr
    document = json.loads(completed.stdout)
    source = document["source"]
    assert (source["movie_key"], source["movie_name"], source["movie_sha256"]) == (
        movie.key,
        movie.name,
        movie.sha256,
    )
    assert (source["frame"], source["seconds"]) == (entry.frame, entry.seconds)
    assert document["shot"]["number"] == frame.shot
    assert document["scene"]["number"] == scene
    assert document["frame"]["sharpness"] == frame.sharpness
    assert document["frame"]["verdict"] == "kept"
    face = min(faces, key=lambda f: f.number)
    assert document["face"]["box"] == {
        "top": face.box.top,
        "right": face.box.right,
        "bottom": face.box.bottom,
        "left": face.box.left,
    }
    assert document["face"]["distance"] == face.distance
    assert entry.caption is not None
    assert document["caption"]["text"] == entry.caption.text
    assert document["caption"]["provider"] == entry.caption.provider
    assert document["caption"]["file_text"] == entry.caption.text.strip()
