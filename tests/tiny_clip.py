"""A tiny CLIP model built from a config and saved as a sentence-transformers model folder.

No CLIP weights ship in any package and none can be downloaded here, so tests build one:
random weights, 32x32 images, 16-dimensional embeddings, and a CLIPTokenizer made from a
vocabulary of single letters written beside it. sentence-transformers then loads the folder
through its real loading path (the folder, or the same files placed in a hub cache).
"""

from __future__ import annotations

import json
import string
from pathlib import Path

DIMENSIONS = 16  # the projection size: the length of every vector the model gives


def write_tiny_clip(folder: Path) -> Path:
    """Save a tiny CLIPModel and its CLIPProcessor into `folder` (made if missing)."""
    from transformers import (
        CLIPConfig,
        CLIPImageProcessor,
        CLIPModel,
        CLIPProcessor,
        CLIPTokenizer,
    )

    words = folder.parent / f"{folder.name}-vocabulary"
    words.mkdir(parents=True, exist_ok=True)
    letters = list(string.ascii_lowercase)
    tokens = ["<|startoftext|>", "<|endoftext|>", *letters, *(f"{c}</w>" for c in letters)]
    (words / "vocab.json").write_text(json.dumps({t: i for i, t in enumerate(tokens)}))
    (words / "merges.txt").write_text("#version: 0.2\n")
    tokenizer = CLIPTokenizer(str(words / "vocab.json"), str(words / "merges.txt"))
    layers = {"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 1}
    config = CLIPConfig(
        text_config={
            **layers,
            "vocab_size": len(tokens),
            "num_attention_heads": 2,
            "max_position_embeddings": 77,
            "bos_token_id": 0,
            "eos_token_id": 1,
        },
        vision_config={**layers, "image_size": 32, "patch_size": 8, "num_attention_heads": 2},
        projection_dim=DIMENSIONS,
    )
    images = CLIPImageProcessor(size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32})
    CLIPModel(config).save_pretrained(folder)
    CLIPProcessor(image_processor=images, tokenizer=tokenizer).save_pretrained(folder)
    return folder


def place_in_hub_cache(model: Path, cache: Path, repo: str) -> None:
    """Copy a saved model into `cache` laid out as huggingface_hub caches a download."""
    import shutil

    commit = "0123456789abcdef0123456789abcdef01234567"
    root = cache / f"models--{repo.replace('/', '--')}"
    shutil.copytree(model, root / "snapshots" / commit)
    (root / "refs").mkdir(parents=True)
    (root / "refs" / "main").write_text(commit)
