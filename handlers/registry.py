"""Stage names, as config.yaml's `pipeline.stages` lists them, and how each is built."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from daemon.config import Config
from daemon.resilience import BreakerBoard
from handlers.base import Handler
from handlers.caption_chain import build_caption_chain
from handlers.caption_text import estimated_tokens
from handlers.captions import CaptionLedger, CaptionsHandler
from handlers.dataset import DatasetHandler
from handlers.embedders import SharedEmbedder, SharedTokenCounter
from handlers.face_workers import FaceWorkers
from handlers.faces import FacesHandler, ReferenceBook
from handlers.frames import FramesHandler
from handlers.image_decoding import ImageLimits
from handlers.image_probe import ImageProbeHandler
from handlers.image_shots import ImageShotsHandler
from handlers.kohya_dataset import KohyaSettings
from handlers.minute_cap import MinuteCap
from handlers.near_duplicates import NearDuplicateIndex
from handlers.probe import ProbeHandler
from handlers.quality import QualityHandler
from handlers.scenes import ScenesHandler
from handlers.shots import ShotsHandler


@dataclass(frozen=True)
class StageServices:
    """What stages share for the life of the daemon, loaded from the database at start
    (the image embedder: at its first use, so a daemon with no scenes stage never loads it;
    the face workers: at their first frame). Whoever builds it calls `close` at the end."""

    duplicates: NearDuplicateIndex
    references: ReferenceBook = field(default_factory=ReferenceBook)
    embedder: SharedEmbedder = field(default_factory=SharedEmbedder)
    breakers: BreakerBoard = field(default_factory=BreakerBoard)
    captions: CaptionLedger | None = None  # the repository, where captions are kept
    face_workers: FaceWorkers = field(default_factory=FaceWorkers)  # default: in this process

    def close(self) -> None:
        self.face_workers.close()


def _captions(config: Config, services: StageServices) -> CaptionsHandler:
    if services.captions is None:
        raise ValueError("the captions stage needs somewhere to keep captions (a repository)")
    chain = build_caption_chain(config.captions, services.breakers)
    counter = SharedTokenCounter(services.embedder, estimated_tokens)
    kohya = KohyaSettings.from_training(config.training)
    return CaptionsHandler(config.captions, chain, services.captions, counter, kohya)


Factory = Callable[[Config, StageServices], Handler]

STAGES: dict[str, Factory] = {
    ProbeHandler.name: lambda _config, _services: ProbeHandler(),
    ShotsHandler.name: lambda config, _services: ShotsHandler(
        config.shots, config.frames, config.quality.crop_letterbox
    ),
    FramesHandler.name: lambda config, _services: FramesHandler(config.frames),
    QualityHandler.name: lambda config, services: QualityHandler(
        config.quality, services.duplicates, MinuteCap(config.frames.max_per_minute)
    ),
    FacesHandler.name: lambda config, services: FacesHandler(
        config.faces, services.references, services.face_workers
    ),
    ScenesHandler.name: lambda config, services: ScenesHandler(config.scenes, services.embedder),
    DatasetHandler.name: lambda config, _services: DatasetHandler(config.dataset),
    CaptionsHandler.name: _captions,
}

# A stage reads the results of these earlier ones.
NEEDS: dict[str, tuple[str, ...]] = {
    FramesHandler.name: (ShotsHandler.name,),
    QualityHandler.name: (ShotsHandler.name, FramesHandler.name),
    FacesHandler.name: (QualityHandler.name,),
    ScenesHandler.name: (QualityHandler.name,),
    DatasetHandler.name: (QualityHandler.name, FacesHandler.name),
    CaptionsHandler.name: (QualityHandler.name, FacesHandler.name, DatasetHandler.name),
}


def stages_needing(stage: str, names: tuple[str, ...]) -> tuple[str, ...]:
    """The stages of `names` that read `stage`'s result, directly or through another: what
    must run again when that result changes (new face labels need no new scene vectors)."""
    needing = {stage}
    for name in names:
        if needing & set(NEEDS.get(name, ())):
            needing.add(name)
    return tuple(name for name in names if name in needing and name != stage)


def stage_order_problem(names: tuple[str, ...]) -> str | None:
    """Why this list of stages cannot run, or None when it can."""
    for position, name in enumerate(names):
        if name not in STAGES:
            return f"names an unknown stage '{name}' (known: {', '.join(STAGES)})"
        missing = [need for need in NEEDS.get(name, ()) if need not in names[:position]]
        if missing:
            return f"lists '{name}' without '{missing[0]}' before it"
    return None


def build_handlers(config: Config, services: StageServices) -> list[Handler]:
    return [STAGES[name](config, services) for name in config.pipeline.stages]


def image_part_handlers(config: Config, movie_handlers: list[Handler]) -> list[Handler]:
    """The stages of a part of an image batch: its own `probe` (read each image) and `shots`
    (each image a shot), then the movie's very handlers, which share their state."""
    limits = ImageLimits(
        max_pixels=config.images.max_pixels,
        min_side=config.images.min_side,
        max_side=config.images.max_side,
    )
    own: dict[str, Handler] = {
        ImageProbeHandler.name: ImageProbeHandler(limits, config.frames.jpeg_quality),
        ImageShotsHandler.name: ImageShotsHandler(),
    }
    return [own.get(handler.name, handler) for handler in movie_handlers]
