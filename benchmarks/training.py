"""How fast a LoRA trains here: steps per second of the real training loop (LoraTrainer) on
the tiny random Stable Diffusion model the tests build, at a few resolutions and batch sizes.

    .venv/bin/python -m benchmarks.training [--steps 20]

The tiny model (a 0.25 M-parameter UNet, 2 levels, a 2x VAE) says how much the loop itself
costs and nothing about a real SD 1.5 UNet (860 M parameters), which on a CPU takes tens of
seconds per step at 512 px. It prints figures; it never judges them.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from daemon.training.base_model import load_pipeline
from daemon.training.lora_training import LoraTrainer
from tests.daemon.training.conftest import tiny_training, write_dataset
from tests.daemon.training.tiny_models import build_tiny_pipeline

CASES = [(32, 1), (32, 4), (64, 2), (128, 2)]


def _after_one_step(trainer: LoraTrainer) -> Callable[[], bool]:
    return lambda: trainer.step >= 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    steps = parser.parse_args().steps
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, CPU")
    print("resolution batch  load s  cache s  steps/s  images/s")
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        base = build_tiny_pipeline(root / "tiny-sd")
        images = write_dataset(root / "dataset", count=6)
        captions = [f"amelie, picture {i}" for i in range(len(images))]
        for resolution, batch in CASES:
            config = tiny_training(base, steps=steps + 1, batch_size=batch, resolution=resolution)
            config = config.__class__(**{**config.__dict__, "checkpoint_every": 10**6})
            started = time.perf_counter()
            trainer = LoraTrainer(load_pipeline(str(base)), config, "cpu", root / "c.pt")
            loaded = time.perf_counter()
            trainer.cache(images, captions)
            cached = time.perf_counter()
            trainer.train(lambda _: None, _after_one_step(trainer))  # warm-up
            first = time.perf_counter()
            trainer.train(lambda _: None, lambda: False)
            rate = steps / (time.perf_counter() - first)
            print(
                f"{resolution:>10} {batch:>5} {loaded - started:>7.2f} {cached - loaded:>8.2f} "
                f"{rate:>8.2f} {rate * batch:>9.1f}"
            )


if __name__ == "__main__":
    main()
