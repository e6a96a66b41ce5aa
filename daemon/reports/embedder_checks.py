"""`bunny doctor`'s look at the scenes stage's image embedder."""

from __future__ import annotations

from collections.abc import Callable

from daemon.config import ScenesConfig
from daemon.reports.checks import Check, Level


def scene_embedder_check(
    config: ScenesConfig, in_pipeline: bool, hub: Callable[[], str | None]
) -> Check:
    """Which image embedder the scenes stage uses, loaded the way the stage loads it (but
    never downloaded: a model missing from the cache is only looked for on the hub)."""
    name = "scene embedder"
    if not in_pipeline:
        return Check(Level.OK, name, "the scenes stage is not in pipeline.stages")
    from handlers.embedders import ClipEmbedder, ColourLayoutDescriptor, EmbedderUnavailableError

    try:
        embedder = ClipEmbedder.load(config.model, config.batch_size, download=False)
    except EmbedderUnavailableError as exc:
        reason = exc.reason
        if exc.not_cached:
            unreachable = hub()
            if unreachable is None:
                return Check(
                    Level.OK,
                    name,
                    f"{config.model} is not cached yet; the scenes stage downloads it at first use",
                )
            reason = f"{reason} and {unreachable}"
        return Check(
            Level.WARN,
            name,
            f"{ColourLayoutDescriptor.name} (built-in, no download) instead of CLIP: {reason}",
            "to use CLIP, run once with access to huggingface.co (the model is then cached) "
            "or set scenes.model to a folder holding a sentence-transformers CLIP model",
        )
    return Check(Level.OK, name, f"{embedder.name}, {embedder.dimensions} dimensions")
