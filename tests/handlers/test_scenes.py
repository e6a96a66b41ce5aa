"""The `scenes` stage: kept frames embedded, consecutive shots grouped into scenes (places),
the result stored as JSON, and the dataset's cap per scene."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest
import structlog
from structlog.testing import capture_logs

from daemon.config import Config, DatasetConfig, PipelineConfig, ScenesConfig
from evaluation.places import PLACES, scenes_of
from handlers.base import MovieJob, StageCancelledError, StageContext
from handlers.dataset import DatasetHandler, DatasetReport
from handlers.embedders import ColourLayoutDescriptor, SharedEmbedder
from handlers.face_matching import FaceBox
from handlers.faces import FacesReport, FoundFace
from handlers.near_duplicates import NearDuplicateIndex
from handlers.quality import JudgedFrame, QualityReport, Verdict
from handlers.registry import StageServices, build_handlers, stage_order_problem
from handlers.result_codec import decode, encode
from handlers.scenes import ScenesHandler, ScenesReport, group_shots
from tests.conftest import SHARED_MEDIA
from tests.handlers.test_embedders import MISSING, place
from tests.tiny_clip import DIMENSIONS, write_tiny_clip

# No CLIP can be had under this name: the stage uses the built-in descriptor.
DESCRIPTOR = ScenesConfig(model=MISSING)
LOOKS = {"A": "beach", "B": "office", "C": "field"}


def judged(name: str, seconds: float, shot: int, verdict: Verdict = Verdict.KEPT) -> JudgedFrame:
    file = f"frames/{name}.jpg" if verdict is Verdict.KEPT else None
    return JudgedFrame(
        name, seconds, shot, "middle", file, 1.0, 1.0, 100.0, 0.1, "0" * 16, verdict, None, None
    )


def movie(library: Path, shots: str, per_shot: int = 2, key: str = "m") -> QualityReport:
    """Kept frames on disk for shots in the places named by letters ("AABB": beach twice...)."""
    frames = []
    for shot, letter in enumerate(shots):
        for number in range(per_shot):
            seconds = shot * 4.0 + number
            name = f"{shot:03d}-{number}"
            path = library / "movies" / key / "frames" / f"{name}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            picture = place(LOOKS[letter], seed=shot * 10 + number)
            cv2.imwrite(str(path), cv2.cvtColor(picture, cv2.COLOR_RGB2BGR))
            frames.append(judged(name, seconds, shot))
    frames.append(judged("blurred", 0.5, 0, Verdict.BLURRED))  # never read, never in a scene
    return QualityReport(tuple(frames), len(frames) - 1, 1)


def context(progress: list[float] | None = None) -> StageContext:
    seen = progress if progress is not None else []
    return StageContext(report_progress=seen.append, stop_event=threading.Event())


def run(
    library: Path,
    quality: QualityReport,
    config: ScenesConfig = DESCRIPTOR,
    shared: SharedEmbedder | None = None,
    stage: StageContext | None = None,
) -> ScenesReport:
    job = MovieJob("m", Path("movie.mp4"), library, (quality,), stage or context())
    return ScenesHandler(config, shared or SharedEmbedder()).run(job)


def scenes_of_shots(report: ScenesReport) -> list[int]:
    per_shot = {frame.shot: frame.scene for frame in report.frames}
    return [per_shot[shot] for shot in sorted(per_shot)]


@pytest.mark.parametrize(
    ("shots", "look_back", "expected"),
    [
        # Places in long runs: a place left for more shots than the look-back is a new scene.
        ("AAAABBBBA", 3, [1, 1, 1, 1, 2, 2, 2, 2, 3]),
        # Shot / reverse shot between two places stays one scene; then somewhere else.
        ("ABABACC", 3, [1, 1, 1, 1, 1, 2, 2]),
        # A cut-away of two shots: within the look-back it is part of the scene...
        ("AABBAA", 3, [1, 1, 1, 1, 1, 1]),
        # ... and with a look-back of one shot, three scenes.
        ("AABBAA", 1, [1, 1, 2, 2, 3, 3]),
    ],
)
def test_consecutive_shots_that_look_alike_form_one_scene(
    tmp_path: Path, shots: str, look_back: int, expected: list[int]
) -> None:
    config = ScenesConfig(model=MISSING, look_back_shots=look_back)
    report = run(tmp_path, movie(tmp_path, shots), config)
    assert scenes_of_shots(report) == expected
    assert [scene.number for scene in report.scenes] == sorted(set(expected))
    assert sum(scene.frames for scene in report.scenes) == 2 * len(shots)


def test_the_report_says_which_embedder_made_the_vectors_and_what_each_scene_holds(
    tmp_path: Path,
) -> None:
    progress: list[float] = []
    report = run(tmp_path, movie(tmp_path, "AAB"), stage=context(progress))
    assert report.embedder == "descriptor:colour-grid-v1"
    assert report.threshold == DESCRIPTOR.descriptor_threshold
    assert len(report.frames) == 6  # the rejected frame is not in it
    for frame in report.frames:
        assert len(frame.vector) == report.dimensions
        assert np.isclose(np.linalg.norm(frame.vector), 1.0, atol=1e-5)
    first, second = report.scenes
    assert (first.first_shot, first.last_shot, first.shots, first.frames) == (0, 1, 2, 4)
    assert (first.start_seconds, first.end_seconds) == (0.0, 5.0)  # frame times: no shot list
    assert (second.first_shot, second.last_shot, second.start_seconds) == (2, 2, 8.0)
    assert report.scene_of()["002-1"] == 2
    assert progress[-1] == 1.0 and progress == sorted(progress)


def test_the_result_survives_the_trip_through_json_without_its_vectors(tmp_path: Path) -> None:
    report = run(tmp_path, movie(tmp_path, "AB"))
    stored = json.loads(json.dumps(encode(report)))
    assert "vector" not in stored["frames"][0]
    back = decode(ScenesHandler.result_type, stored)
    assert isinstance(back, ScenesReport)
    assert back.scenes == report.scenes
    assert [(f.frame, f.shot, f.scene) for f in back.frames] == [
        (f.frame, f.shot, f.scene) for f in report.frames
    ]
    assert all(f.vector == () for f in back.frames)  # vectors live in the database only


def test_a_movie_with_no_kept_frames_has_no_scenes(tmp_path: Path) -> None:
    quality = QualityReport((judged("dark", 1.0, 0, Verdict.TOO_DARK),), 0, 1)
    report = run(tmp_path, quality)
    assert (report.scenes, report.frames) == ((), ())


def test_a_stop_request_abandons_the_stage_between_batches(tmp_path: Path) -> None:
    stage = context()
    stage.stop_event.set()
    with pytest.raises(StageCancelledError):
        run(tmp_path, movie(tmp_path, "AB"), stage=stage)


def test_one_embedder_serves_every_movie_and_is_loaded_at_first_use(tmp_path: Path) -> None:
    stages = ("probe", "shots", "frames", "quality", "faces", "scenes", "dataset")
    config = Config(scenes=DESCRIPTOR, pipeline=PipelineConfig(stages=stages))
    services = StageServices(NearDuplicateIndex(6))
    (handler,) = [h for h in build_handlers(config, services) if isinstance(h, ScenesHandler)]
    assert handler.embedder is services.embedder
    with capture_logs() as logs:
        for key in ("m", "n"):
            quality = movie(tmp_path, "AB", key=key)
            handler.run(MovieJob(key, Path(f"{key}.mp4"), tmp_path, (quality,), context()))
    assert [e["event"] for e in logs if e["log_level"] == "warning"] == [
        "scene embedder: CLIP model unavailable, using the built-in descriptor"
    ]


def test_scenes_need_the_quality_stage_before_them() -> None:
    assert stage_order_problem(("probe", "shots", "frames", "scenes")) is not None
    assert stage_order_problem(Config().pipeline.stages) is None
    assert Config().pipeline.stages.index("scenes") < Config().pipeline.stages.index("dataset")


def test_a_clip_model_makes_the_vectors_when_it_loads(tmp_path: Path) -> None:
    model = write_tiny_clip(tmp_path / "model")
    config = ScenesConfig(model=str(model), batch_size=3, clip_threshold=0.5)
    shared = SharedEmbedder()
    assert shared.get(config, structlog.get_logger()).kind == "clip"
    report = run(tmp_path, movie(tmp_path, "AB"), config, shared)
    assert (report.embedder, report.dimensions, report.threshold) == (f"clip:{model}", 16, 0.5)
    assert all(len(frame.vector) == DIMENSIONS for frame in report.frames)


def test_group_shots_links_a_shot_to_any_of_the_last_few() -> None:
    a, b, c = np.eye(3, dtype=np.float32)
    vectors = np.stack([a, b, a, c, c, b])
    assert group_shots(vectors, 0.9, 2) == [1, 1, 1, 2, 2, 3]
    assert group_shots(vectors, 0.9, 4) == [1, 1, 1, 1, 1, 1]  # the last b reaches back to b
    assert group_shots(vectors[:0], 0.9, 3) == []


def face(frame: str, size: int) -> FoundFace:
    return FoundFace(frame, 0, FaceBox(100, 200 + size, 100 + size, 200), "Ann", 0.4, 0.9)


def test_the_dataset_takes_at_most_max_per_scene_images_spread_over_its_shots(
    tmp_path: Path,
) -> None:
    # Scene 1: shots 0-2 with two frames each; scene 2: shot 3 with two frames.
    frames = [judged(f"{shot}-{n}", shot * 4.0 + n, shot) for shot in range(4) for n in range(2)]
    for frame in frames:
        path = tmp_path / "movies" / "m" / "frames" / f"{frame.name}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(path), np.full((360, 640, 3), 128, np.uint8))
    quality = QualityReport(tuple(frames), len(frames), 0)
    sizes = {"0-0": 100, "0-1": 90, "1-0": 80, "1-1": 70, "2-0": 95, "2-1": 85, "3-0": 75}
    faces = FacesReport(tuple(face(name, size) for name, size in sizes.items()), 8, 7, 0, ())
    scene_of = {frame.name: 1 if frame.shot < 3 else 2 for frame in frames}
    scenes = decode(
        ScenesReport,
        {
            "embedder": "descriptor:colour-grid-v1",
            "dimensions": 0,
            "threshold": 0.85,
            "scenes": [],
            "frames": [
                {"frame": f.name, "shot": f.shot, "scene": scene_of[f.name]} for f in frames
            ],
        },
    )
    config = DatasetConfig(min_face_pixels=64, max_per_shot=2, max_per_scene=4)
    job = MovieJob("m", Path("movie.mp4"), tmp_path, (quality, faces, scenes), context())
    report = DatasetHandler(config).run(job)
    # Scene 1: each shot's largest face first (0-0, 2-0, 1-0), then the largest second one.
    chosen = sorted(image.frame for image in report.images)
    assert chosen == ["0-0", "0-1", "1-0", "2-0", "3-0"]
    assert (report.over_shot_limit, report.over_scene_limit) == (0, 2)
    # Without the scenes stage the dataset only keeps its per-shot cap.
    alone = DatasetHandler(config).run(
        MovieJob("m", Path("movie.mp4"), tmp_path, (quality, faces), context())
    )
    assert len(alone.images) == 7 and alone.over_scene_limit == 0


def test_a_dataset_result_stored_before_the_scene_cap_still_decodes() -> None:
    old = decode(DatasetReport, {"images": [], "small_faces": 1, "over_shot_limit": 2})
    assert old.over_scene_limit == 0


# GoldenEye's last shot, Boris and Natalya at the terminal, was rejected as blurred (0.34 of
# the median set by the sharp text of the screen shots) until sharpness measured blur rather
# than texture; kept now, its colour grid is 0.74-0.80 alike to the screens' (threshold 0.85),
# so the descriptor opens a second scene in the one computer room.
GOLDENEYE_CLOSE_UP = pytest.mark.xfail(
    strict=True, reason="the descriptor puts GoldenEye's two-person close-up in a scene of its own"
)


def seen_by_eye() -> list[object]:
    return [
        pytest.param(clip, count, marks=GOLDENEYE_CLOSE_UP if "goldeneye" in clip else ())
        for clip, count, _ in PLACES
    ]


@pytest.mark.media
@pytest.mark.skipif(not SHARED_MEDIA.exists(), reason=f"real clips not found at {SHARED_MEDIA}")
@pytest.mark.parametrize(("clip", "expected"), seen_by_eye())
def test_real_clips_give_the_scenes_seen_by_eye(clip: str, expected: int) -> None:
    descriptor = SharedEmbedder(lambda _config, _log: ColourLayoutDescriptor())
    assert len(scenes_of(SHARED_MEDIA, clip, descriptor).report.scenes) == expected
