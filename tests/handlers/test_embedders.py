"""Image embedders: a tiny CLIP through the real sentence-transformers loading path, the
built-in descriptor, and the fallback from one to the other."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
import structlog
from structlog.testing import capture_logs

from daemon.config import Config, PipelineConfig, ScenesConfig
from daemon.reports.doctor import collect_checks
from handlers.embedders import (
    ClipEmbedder,
    ColourLayoutDescriptor,
    EmbedderUnavailableError,
    SharedEmbedder,
    load_embedder,
    threshold_for,
)
from tests.tiny_clip import DIMENSIONS, place_in_hub_cache, write_tiny_clip

MISSING = "bunny-test-no-such-model-anywhere"


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_tiny_clip(tmp_path_factory.mktemp("clip") / "model")


def pictures(count: int, seed: int = 0) -> list[np.ndarray]:
    generator = np.random.default_rng(seed)
    sizes = [(72, 128), (90, 160), (64, 64)]
    return [generator.integers(0, 256, (*sizes[i % 3], 3), dtype=np.uint8) for i in range(count)]


def warnings_in(logs: list[dict[str, object]]) -> list[dict[str, object]]:
    return [entry for entry in logs if entry["log_level"] == "warning"]


def test_a_clip_model_folder_gives_unit_vectors_of_its_size(tiny_clip: Path) -> None:
    with capture_logs() as logs:
        embedder = load_embedder(
            ScenesConfig(model=str(tiny_clip), batch_size=2), structlog.get_logger()
        )
    assert isinstance(embedder, ClipEmbedder)
    assert (embedder.name, embedder.kind) == (f"clip:{tiny_clip}", "clip")
    vectors = embedder.embed(pictures(5))
    assert vectors.shape == (5, DIMENSIONS) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    again = embedder.embed(pictures(5)[:1])
    assert np.allclose(again[0], vectors[0], atol=1e-5)
    assert embedder.embed([]).shape == (0, DIMENSIONS)
    assert [e["event"] for e in logs] == ["scene embedder loaded"]
    assert threshold_for(embedder, ScenesConfig(clip_threshold=0.9)) == 0.9


def test_a_hub_id_in_the_local_cache_loads_without_the_network(
    tiny_clip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bare name is looked up under sentence-transformers/, as the library does.
    place_in_hub_cache(tiny_clip, tmp_path / "cache", "sentence-transformers/tiny-test-clip")
    monkeypatch.setenv("SENTENCE_TRANSFORMERS_HOME", str(tmp_path / "cache"))
    embedder = ClipEmbedder.load("tiny-test-clip", 4, download=False)
    assert embedder.name == "clip:tiny-test-clip"
    assert embedder.embed(pictures(1)).shape == (1, DIMENSIONS)


def test_a_model_that_cannot_be_had_falls_back_to_the_descriptor_with_one_warning() -> None:
    shared = SharedEmbedder()
    config = ScenesConfig(model=MISSING)
    with capture_logs() as logs:
        first = shared.get(config, structlog.get_logger())
        second = shared.get(config, structlog.get_logger())  # the next movie: no new attempt
    assert first is second
    assert isinstance(first, ColourLayoutDescriptor)
    assert (first.name, first.kind) == ("descriptor:colour-grid-v1", "descriptor")
    (warning,) = warnings_in(logs)
    assert warning["model"] == MISSING
    assert MISSING in str(warning["reason"])
    assert warning["embedder"] == "descriptor:colour-grid-v1"
    assert threshold_for(first, ScenesConfig(descriptor_threshold=0.8)) == 0.8


def test_doctor_style_loading_never_downloads() -> None:
    with pytest.raises(EmbedderUnavailableError, match="not in the local model cache") as caught:
        ClipEmbedder.load(MISSING, 4, download=False)
    assert caught.value.not_cached


@pytest.mark.parametrize(
    ("model", "reason"),
    [("./no/such/folder", "does not exist"), ("{folder}", "holds no usable model")],
)
def test_a_bad_model_folder_is_a_reason_to_fall_back(
    tmp_path: Path, model: str, reason: str
) -> None:
    (tmp_path / "empty").mkdir()
    with capture_logs() as logs:
        embedder = load_embedder(
            ScenesConfig(model=model.format(folder=tmp_path / "empty")), structlog.get_logger()
        )
    assert isinstance(embedder, ColourLayoutDescriptor)
    (warning,) = warnings_in(logs)
    assert reason in str(warning["reason"])


def place(kind: str, seed: int) -> np.ndarray:
    """A picture of one of three 'places', with a different moving 'person' each time."""
    height, width = 180, 320
    picture = np.zeros((height, width, 3), np.uint8)
    if kind == "beach":  # sky over sand
        picture[: height // 2] = (90, 150, 230)
        picture[height // 2 :] = (220, 200, 150)
    elif kind == "office":  # warm walls with dark vertical shelves
        picture[:] = (170, 110, 60)
        for x in range(0, width, 40):
            picture[:, x : x + 12] = (60, 40, 30)
    else:  # a green field under a grey sky, with diagonal rows
        picture[:] = (60, 140, 50)
        picture[: height // 3] = (180, 180, 185)
        for row in range(height // 3, height, 12):
            picture[row : row + 3] = (40, 100, 30)
    generator = np.random.default_rng(seed)
    top, left = generator.integers(0, height // 2), generator.integers(0, width - 60)
    picture[top : top + height // 2, left : left + 50] = generator.integers(0, 256, 3)
    noise = generator.normal(0, 6, picture.shape)
    return np.clip(picture + noise, 0, 255).astype(np.uint8)


def test_the_descriptor_tells_places_apart_and_sees_one_place_alike() -> None:
    descriptor = ColourLayoutDescriptor()
    names = ["beach", "office", "field"]
    vectors = descriptor.embed([place(name, seed) for name in names for seed in (1, 2)])
    assert vectors.shape == (6, descriptor.dimensions) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    similarity = vectors @ vectors.T
    threshold = ScenesConfig().descriptor_threshold
    for i in range(0, 6, 2):
        assert similarity[i, i + 1] >= threshold  # the same place, someone else in it
        for j in range(0, 6, 2):
            if i != j:
                assert similarity[i, j] < threshold


def test_the_descriptor_ignores_picture_size_and_copes_with_a_black_frame() -> None:
    descriptor = ColourLayoutDescriptor()
    small = place("beach", 3)
    large = cv2.resize(small, (1280, 720), interpolation=cv2.INTER_LINEAR)
    black = np.zeros((72, 128, 3), np.uint8)
    vectors = descriptor.embed([small, large, black])
    assert float(vectors[0] @ vectors[1]) > 0.95
    assert np.isclose(np.linalg.norm(vectors[2]), 1.0)
    assert descriptor.embed([]).shape == (0, descriptor.dimensions)


def doctor_line(config: Config) -> tuple[str, str]:
    (check,) = [c for c in collect_checks(config) if c.name == "scene embedder"]
    return check.level.value, check.detail


def test_doctor_names_the_embedder_the_scenes_stage_will_use(tiny_clip: Path) -> None:
    level, detail = doctor_line(Config(scenes=ScenesConfig(model=str(tiny_clip))))
    assert (level, detail) == ("ok", f"clip:{tiny_clip}, {DIMENSIONS} dimensions")
    level, detail = doctor_line(Config(scenes=ScenesConfig(model=MISSING)))
    if level == "ok":  # a machine that reaches huggingface.co: it would try the download
        assert "downloads it at first use" in detail
    else:
        assert level == "warn" and detail.startswith("descriptor:colour-grid-v1")
        assert MISSING in detail
    without = Config(pipeline=PipelineConfig(stages=("probe", "shots")))
    assert doctor_line(without) == ("ok", "the scenes stage is not in pipeline.stages")


def test_captions_are_counted_with_the_loaded_clips_own_tokenizer(tiny_clip: Path) -> None:
    from handlers.caption_text import estimated_tokens
    from handlers.embedders import SharedEmbedder, SharedTokenCounter

    shared = SharedEmbedder()
    count = SharedTokenCounter(shared, estimated_tokens)
    text = "lmm, a man, close-up"
    assert count(text) == estimated_tokens(text)  # nothing loaded yet: the estimate
    embedder = shared.get(ScenesConfig(model=str(tiny_clip)), structlog.get_logger())
    assert isinstance(embedder, ClipEmbedder)
    ids = embedder._model.tokenizer(text)["input_ids"]
    assert count(text) == len(ids) - 2 != estimated_tokens(text)
