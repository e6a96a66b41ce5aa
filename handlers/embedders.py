"""Image embeddings for the scenes stage: a CLIP model when one can be loaded, else a descriptor.

`load_embedder` tries the configured sentence-transformers model (a hub id or a local
folder). A folder, or a hub id already in the local cache, loads with no network at all.
A hub id that is not cached is downloaded only when the hub answers a quick check: with no
network the load fails in a fraction of a second instead of after huggingface_hub's minute
of retries. When CLIP cannot be loaded the stage uses `ColourLayoutDescriptor`, which needs
no download, and says so in one warning line naming the model and the reason.

Every vector records the embedder that made it (`ImageEmbedder.name`), so vectors from two
embedders are never compared: their scales differ, and so do the scene thresholds.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

import cv2
import numpy as np
import numpy.typing as npt

from daemon.config import ScenesConfig

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

RGB = npt.NDArray[np.uint8]
Vectors = npt.NDArray[np.float32]
EmbedderKind = Literal["clip", "descriptor"]

# How long the check that the model hub answers may take before the hub counts as unreachable.
HUB_CHECK_SECONDS = 5.0


class ImageEmbedder(Protocol):
    """Turns pictures into unit vectors; `name` says which model made them ("kind:model")."""

    @property
    def name(self) -> str: ...

    @property
    def kind(self) -> EmbedderKind: ...

    @property
    def dimensions(self) -> int: ...

    def embed(self, images: Sequence[RGB]) -> Vectors:
        """(len(images), dimensions) float32, each row of length 1 (RGB uint8 pictures in)."""
        ...


class EmbedderUnavailableError(Exception):
    """The CLIP model cannot be loaded; the message says why, in words for the log."""

    def __init__(self, reason: str, *, not_cached: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.not_cached = not_cached  # a hub id missing from the cache (a download would fix it)


class ClipEmbedder:
    """A sentence-transformers image model (CLIP), loaded once and reused for every movie."""

    kind: EmbedderKind = "clip"

    def __init__(self, model: SentenceTransformer, model_id: str, batch_size: int) -> None:
        self._model = model
        self._batch_size = batch_size
        self._lock = threading.Lock()  # one encode at a time: torch already uses every core
        self.name = f"clip:{model_id}"
        # get_embedding_dimension since sentence-transformers 6; the old name before.
        measure = getattr(model, "get_embedding_dimension", None)
        known = measure() if measure else model.get_sentence_embedding_dimension()
        self.dimensions = 0
        self.dimensions = int(known or self.embed([np.zeros((32, 32, 3), np.uint8)]).shape[1])

    @classmethod
    def load(cls, model: str, batch_size: int, *, download: bool = True) -> ClipEmbedder:
        """Load `model` (hub id or folder); `download=False` never fetches (for doctor)."""
        return cls(_load_sentence_transformer(model, download=download), model, batch_size)

    def count_tokens(self, text: str) -> int:
        """Tokens of `text` for this CLIP's text encoder, without its start and end marks."""
        with self._lock:
            ids = self._model.tokenizer(text)["input_ids"]
        return max(0, len(ids) - 2)

    def embed(self, images: Sequence[RGB]) -> Vectors:
        from PIL import Image

        if not images:
            return np.zeros((0, self.dimensions), np.float32)
        pictures = [Image.fromarray(np.ascontiguousarray(image)) for image in images]
        with self._lock:
            vectors = self._model.encode(
                pictures,
                batch_size=self._batch_size,
                convert_to_numpy=True,
                normalize_embeddings=True,
                show_progress_bar=False,
            )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def _load_sentence_transformer(model: str, *, download: bool) -> SentenceTransformer:
    folder = Path(model).expanduser()
    if folder.is_dir():
        try:
            return _sentence_transformer(str(folder), local_files_only=True)
        except EmbedderUnavailableError:
            raise
        except Exception as exc:
            raise EmbedderUnavailableError(
                f"the folder {folder} holds no usable model ({_first_line(exc)})"
            ) from exc
    if model.startswith((".", "/", "~")) or "\\" in model:
        raise EmbedderUnavailableError(f"the folder {folder} does not exist")
    cache_error = ""
    cached = _cached_folder(model)
    if cached is not None:
        try:
            # The cached snapshot, loaded as a folder: no request to the hub at all.
            return _sentence_transformer(str(cached), local_files_only=True)
        except Exception as exc:
            cache_error = _first_line(exc)
    not_cached = f"{model} is not in the local model cache" + (
        f" ({cache_error})" if cache_error else ""
    )
    if not download:
        raise EmbedderUnavailableError(not_cached, not_cached=True)
    unreachable = hub_unreachable_reason()
    if unreachable is not None:
        raise EmbedderUnavailableError(f"{not_cached} and {unreachable}", not_cached=True)
    try:
        return _sentence_transformer(model, local_files_only=False)
    except EmbedderUnavailableError:
        raise
    except Exception as exc:
        raise EmbedderUnavailableError(
            f"{model} could not be downloaded ({_first_line(exc)})"
        ) from exc


def _sentence_transformer(model: str, *, local_files_only: bool) -> SentenceTransformer:
    try:
        # Seconds to import (torch, transformers): only here, when a model is to be loaded.
        from sentence_transformers import SentenceTransformer
    except Exception as exc:  # a broken install is a reason to fall back, not to stop
        raise EmbedderUnavailableError(
            f"sentence-transformers cannot be imported ({_first_line(exc)})"
        ) from exc
    return SentenceTransformer(model, local_files_only=local_files_only)


def _cached_folder(model: str) -> Path | None:
    """The folder where the hub cache holds `model`, found without a request to the hub and
    without importing sentence-transformers (seconds spent importing torch) when it is not."""
    try:
        from huggingface_hub import snapshot_download
    except Exception:
        return None
    cache = os.environ.get("SENTENCE_TRANSFORMERS_HOME")  # where sentence-transformers caches
    # A bare name is also looked up under the sentence-transformers organisation, as the
    # library itself does ("clip-ViT-B-32" is "sentence-transformers/clip-ViT-B-32").
    repos = [model] if "/" in model else [f"sentence-transformers/{model}", model]
    for repo in repos:
        try:
            folder = Path(snapshot_download(repo, cache_dir=cache, local_files_only=True))
        except Exception:  # not cached, or not a valid repository id
            continue
        if folder.is_dir():
            return folder
    return None


def hub_unreachable_reason(timeout: float = HUB_CHECK_SECONDS) -> str | None:
    """Why the model hub cannot be reached now (one quick request, no retries); None if it can."""
    try:
        from huggingface_hub import constants, get_session
    except Exception as exc:
        return f"huggingface_hub cannot be imported: {exc}"
    if constants.is_offline_mode():
        return "HF_HUB_OFFLINE is set"
    try:
        get_session().head(constants.ENDPOINT, timeout=timeout)
    except Exception as exc:
        return f"{constants.ENDPOINT} cannot be reached ({_first_line(exc)})"
    return None


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]


# The descriptor works on a small copy of the picture: enough for colours and coarse shapes,
# little enough to cost about a millisecond a frame.
DESCRIPTOR_SIZE = (128, 72)
GRID = (3, 3)  # columns, rows of the colour layout
EDGE_GRID = (2, 2)
HUE_BINS = 12
GREY_BINS = 4  # lightness levels of colourless pixels
MIN_SATURATION = 40  # below this (0-255) a pixel counts as grey
MIN_VALUE = 40  # below this a pixel counts as dark grey whatever its hue
EDGE_BINS = 8  # orientations, 0-180 degrees
COLOURS = HUE_BINS * 2 + GREY_BINS
# How much each part weighs in the similarity (the cosine is their weighted mean).
WEIGHTS = {"colours": 1.0, "layout": 2.0, "edges": 1.0}


class ColourLayoutDescriptor:
    """A built-in descriptor that needs no download, good at telling places apart.

    A picture becomes three histograms of a 128x72 copy: its colours (12 hues, each dark or
    bright, and 4 greys), the same colours in each cell of a 3x3 grid (where things are), and
    edge orientations in each quarter (lines of walls, trees, furniture). Each histogram is
    square-rooted, so the cosine of two vectors is the weighted mean of the Bhattacharyya
    coefficients of their histograms: 1 for the same distribution, near 0 for disjoint ones.
    """

    name = "descriptor:colour-grid-v1"
    kind: EmbedderKind = "descriptor"
    dimensions = COLOURS * (1 + GRID[0] * GRID[1]) + EDGE_BINS * EDGE_GRID[0] * EDGE_GRID[1]

    def embed(self, images: Sequence[RGB]) -> Vectors:
        vectors = np.zeros((len(images), self.dimensions), np.float32)
        for row, image in enumerate(images):
            vectors[row] = describe(image)
        return vectors


def describe(image: RGB) -> Vectors:
    small = cv2.resize(np.ascontiguousarray(image), DESCRIPTOR_SIZE, interpolation=cv2.INTER_AREA)
    hsv = np.asarray(cv2.cvtColor(small, cv2.COLOR_RGB2HSV), dtype=np.uint8)
    words = _colour_words(hsv)
    grey = hsv[:, :, 2].astype(np.float32)
    parts = [
        (WEIGHTS["colours"], [_histogram(words, COLOURS)]),
        (WEIGHTS["layout"], [_histogram(cell, COLOURS) for cell in _cells(words, GRID)]),
        (WEIGHTS["edges"], _edge_histograms(grey)),
    ]
    blocks: list[Vectors] = []
    for weight, histograms in parts:
        share = np.sqrt(weight / len(histograms))
        blocks.extend(np.sqrt(h) * share for h in histograms)
    vector = np.concatenate(blocks).astype(np.float32)
    return vector / np.float32(np.linalg.norm(vector) or 1.0)


def _colour_words(hsv: npt.NDArray[np.uint8]) -> npt.NDArray[np.intp]:
    """Each pixel's colour: a hue bin (dark or bright half) or, if nearly grey, a grey level."""
    hue, saturation, value = (hsv[:, :, i].astype(np.intp) for i in range(3))
    hue_bin = hue * HUE_BINS // 180  # OpenCV's hue runs 0-179
    bright = (value >= 128).astype(np.intp)
    coloured = hue_bin * 2 + bright
    grey = HUE_BINS * 2 + np.minimum(value * GREY_BINS // 256, GREY_BINS - 1)
    is_grey = (saturation < MIN_SATURATION) | (value < MIN_VALUE)
    return np.where(is_grey, grey, coloured)


def _cells(values: npt.NDArray[Any], grid: tuple[int, int]) -> list[npt.NDArray[Any]]:
    columns, rows = grid
    height, width = values.shape[:2]
    return [
        values[
            r * height // rows : (r + 1) * height // rows,
            c * width // columns : (c + 1) * width // columns,
        ]
        for r in range(rows)
        for c in range(columns)
    ]


def _histogram(
    values: npt.NDArray[np.intp], bins: int, weights: npt.NDArray[np.float32] | None = None
) -> Vectors:
    flat_weights = None if weights is None else weights.ravel()
    counts = np.bincount(values.ravel(), weights=flat_weights, minlength=bins)
    # A small floor: no empty histogram, even for a flat picture.
    histogram = np.asarray(counts, dtype=np.float32) + np.float32(1e-3)
    return np.asarray(histogram / histogram.sum(), dtype=np.float32)


def _edge_histograms(grey: npt.NDArray[np.float32]) -> list[Vectors]:
    dx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    dy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    magnitude, angle = cv2.cartToPolar(dx, dy, angleInDegrees=True)
    orientation = ((angle % 180.0) * EDGE_BINS / 180.0).astype(np.intp) % EDGE_BINS
    return [
        _histogram(o, EDGE_BINS, m)
        for o, m in zip(_cells(orientation, EDGE_GRID), _cells(magnitude, EDGE_GRID), strict=True)
    ]


def load_embedder(config: ScenesConfig, log: Any, *, download: bool = True) -> ImageEmbedder:
    """CLIP from `config.model` when it loads, else the descriptor (with one warning line)."""
    started = time.monotonic()
    try:
        embedder = ClipEmbedder.load(config.model, config.batch_size, download=download)
    except EmbedderUnavailableError as exc:
        log.warning(
            "scene embedder: CLIP model unavailable, using the built-in descriptor",
            model=config.model,
            reason=exc.reason,
            embedder=ColourLayoutDescriptor.name,
        )
        return ColourLayoutDescriptor()
    log.info(
        "scene embedder loaded",
        embedder=embedder.name,
        dimensions=embedder.dimensions,
        seconds=round(time.monotonic() - started, 2),
    )
    return embedder


class SharedEmbedder:
    """The process's embedder: loaded on first use (never at import), then reused by every movie.

    Several worker threads may ask at once; the first loads, the others wait for it.
    """

    def __init__(
        self, loader: Callable[[ScenesConfig, Any], ImageEmbedder] = load_embedder
    ) -> None:
        self._loader = loader
        self._lock = threading.Lock()
        self._loaded: dict[tuple[str, int], ImageEmbedder] = {}

    def get(self, config: ScenesConfig, log: Any) -> ImageEmbedder:
        key = (config.model, config.batch_size)
        with self._lock:
            if key not in self._loaded:
                self._loaded[key] = self._loader(config, log)
            return self._loaded[key]

    def loaded(self) -> list[ImageEmbedder]:
        with self._lock:
            return list(self._loaded.values())


class SharedTokenCounter:
    """Counts caption tokens with the loaded CLIP's own tokenizer once the scenes stage has
    loaded one, and estimates them (on the high side) until then or without one."""

    def __init__(self, shared: SharedEmbedder, fallback: Callable[[str], int]) -> None:
        self._shared, self._fallback = shared, fallback

    def __call__(self, text: str) -> int:
        clip = next((e for e in self._shared.loaded() if isinstance(e, ClipEmbedder)), None)
        return clip.count_tokens(text) if clip is not None else self._fallback(text)


def threshold_for(embedder: ImageEmbedder, config: ScenesConfig) -> float:
    return config.clip_threshold if embedder.kind == "clip" else config.descriptor_threshold
