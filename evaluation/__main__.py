"""Every evaluation on ../shared/media, one table after another: `python -m evaluation`."""

from __future__ import annotations

import sys

from evaluation import clips, cuts, face_detectors, faces, identity, pictures, places, scenes


def main(argv: list[str] | None = None) -> int:
    codes = []
    groups = (
        ("scenes", scenes),
        ("cuts: our detector beside TransNetV2", cuts),
        ("pictures", pictures),
        ("clips", clips),
        ("places", places),
        ("faces", faces),
        ("face detectors", face_detectors),
        ("identity", identity),
    )
    for title, module in groups:
        print(f"\n== {title} ==")
        codes.append(module.main(argv))
    return max(codes)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
