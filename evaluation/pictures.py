"""Picture measures on the real images in ../shared/media, against their published ground truth.

    .venv/bin/python -m evaluation.pictures [--media DIR]

Prints one row per check: blur/ (the sharp picture of each scene must out-score its defocused
and motion-blurred copies) and dedup/ (perceptual-hash duplicates at the default distance,
unreadable files reported rather than fatal). Exits non-zero if any check fails.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from daemon.config import QualityConfig
from evaluation.table import Row, guarded, media_folder, print_rows
from handlers.image_measures import (
    grey_of_file,
    hamming,
    perceptual_hash,
    sharpness,
    working_grey,
)

MIXED = "dedup/mixed_images"
FORMATS = "dedup/formats_images"
# The distance the daemon uses unless configured otherwise.
DEFAULT_DUPLICATE_DISTANCE = QualityConfig().duplicate_distance
BLUR_LABELS = {"sharp": "S", "defocus_blur": "F", "motion_blur": "M"}


@dataclass(frozen=True)
class Hashed:
    """The perceptual hashes of a folder's pictures, and why the others could not be read."""

    hashes: dict[str, int] = field(default_factory=dict)
    unreadable: dict[str, str] = field(default_factory=dict)


def sharpness_of(path: Path) -> float:
    return sharpness(working_grey(grey_of_file(str(path))))


def hash_of(path: Path) -> int:
    return perceptual_hash(working_grey(grey_of_file(str(path))))


def hash_folder(folder: Path) -> Hashed:
    hashed = Hashed()
    for path in sorted(p for p in folder.iterdir() if p.is_file()):
        try:
            hashed.hashes[path.name] = hash_of(path)
        except ValueError as exc:
            # Without the folder, so the table stays readable; the reason itself is unchanged.
            hashed.unreadable[path.name] = str(exc).replace(str(folder) + os.sep, "")
    return hashed


def duplicates_of(
    name: str, hashes: dict[str, int], distance: int = DEFAULT_DUPLICATE_DISTANCE
) -> list[tuple[str, int]]:
    """The other pictures within `distance` bits of `name`, nearest first."""
    found = [(other, hamming(hashes[name], h)) for other, h in hashes.items() if other != name]
    return sorted((pair for pair in found if pair[1] <= distance), key=lambda pair: pair[1])


def nearest(name: str, hashes: dict[str, int]) -> tuple[str, int]:
    return min(
        ((other, hamming(hashes[name], h)) for other, h in hashes.items() if other != name),
        key=lambda pair: pair[1],
    )


def load_truth(media: Path, relative: str) -> Any:
    return json.loads((media / relative).read_text(encoding="utf-8"))


def blur_scenes(media: Path) -> dict[str, dict[str, Path]]:
    """Scene ("106_NIKON-D3400-35MM") -> {"S" | "F" | "M": path}, from blur_labels.json."""
    truth = load_truth(media, "blur/blur_labels.json")
    scenes: dict[str, dict[str, Path]] = {
        f"{scene}_{camera}": {} for scene, camera in truth["triplets"].items()
    }
    for name, label in truth["images"].items():
        scene = Path(name).stem.rsplit("_", 1)[0]
        scenes[scene][BLUR_LABELS[label]] = media / "blur" / Path(name).name
    return scenes


def judge_blur(paths: dict[str, Path]) -> tuple[str, bool]:
    scores = {letter: sharpness_of(path) for letter, path in paths.items()}
    found = "  ".join(f"{letter} {scores[letter]:.2f}" for letter in "SFM")
    return found, scores["S"] > max(scores["F"], scores["M"])


def blur_rows(media: Path) -> list[Row]:
    return [
        guarded(f"blur/{scene}", "S > F, M", partial(judge_blur, paths))
        for scene, paths in blur_scenes(media).items()
    ]


def show(pairs: list[tuple[str, int]]) -> str:
    return ", ".join(f"{name} at {distance}" for name, distance in pairs) or "none"


def judge_found(name: str, expected: list[str], hashed: Hashed) -> tuple[str, bool]:
    found = duplicates_of(name, hashed.hashes)
    return show(found), sorted(other for other, _ in found) == sorted(expected)


def judge_unique(name: str, hashed: Hashed) -> tuple[str, bool]:
    other, distance = nearest(name, hashed.hashes)
    return f"nearest {other} at {distance}", distance > DEFAULT_DUPLICATE_DISTANCE


def judge_unreadable(name: str, hashed: Hashed) -> tuple[str, bool]:
    reason = hashed.unreadable.get(name)
    return (reason or "read without error"), reason is not None


def judge_pair(folder: Path, first: str, second: str, judged: bool) -> tuple[str, bool | None]:
    distance = hamming(hash_of(folder / first), hash_of(folder / second))
    return f"distance {distance}", (distance <= DEFAULT_DUPLICATE_DISTANCE) if judged else None


def mixed_rows(media: Path, truth: dict[str, Any]) -> list[Row]:
    mixed = truth[f"tests/data/{Path(MIXED).name}"]
    hashed = hash_folder(media / MIXED)
    within = f"<= {DEFAULT_DUPLICATE_DISTANCE}"
    # Pictures with no expected match are judged by the unique rows, which show the nearest.
    found = {
        name: [other for other, _ in matches]
        for name, matches in mixed["phash_max_distance_10"].items()
        if isinstance(matches, list) and matches
    }
    return [
        *(
            guarded(
                f"{MIXED}: duplicates of {name}",
                f"{', '.join(expected)} ({within})",
                partial(judge_found, name, expected, hashed),
            )
            for name, expected in found.items()
        ),
        *(
            guarded(f"{MIXED}: {name}", f"no match {within}", partial(judge_unique, name, hashed))
            for name in mixed["unique"]
        ),
        *(
            guarded(f"{MIXED}: {name}", "reported", partial(judge_unreadable, name, hashed))
            for name in mixed["corrupt_unreadable"]
        ),
    ]


def formats_row(media: Path, truth: dict[str, Any]) -> Row:
    formats = truth[f"tests/data/{Path(FORMATS).name}"]
    # Judged only while the ground truth calls the WebP re-encode a near duplicate.
    judged = "near duplicate" in formats["ukbench09380.webp"]
    within = f"<= {DEFAULT_DUPLICATE_DISTANCE}"
    expected = f"near duplicate ({within})" if judged else "not in ground truth"
    return guarded(
        f"{FORMATS}: ukbench09380.jpeg ~ .webp",
        expected,
        partial(judge_pair, media / FORMATS, "ukbench09380.jpeg", "ukbench09380.webp", judged),
    )


def dedup_rows(media: Path) -> list[Row]:
    truth = load_truth(media, "dedup/duplicates.json")
    return [*mixed_rows(media, truth), formats_row(media, truth)]


def main(argv: list[str] | None = None) -> int:
    media = media_folder(argv, __doc__, "blur", "dedup")
    if media is None:
        return 2
    rows = [*blur_rows(media), *dedup_rows(media)]
    return print_rows(rows)


if __name__ == "__main__":
    sys.exit(main())
