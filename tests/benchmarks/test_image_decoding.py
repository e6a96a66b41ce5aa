"""benchmarks/image_decoding.py, run as the README runs it, reports read_image's images per
second beside plain Pillow's, and the peak memory of each read in a fresh process. Figures are
printed, never judged: this checks what is reported, not speed."""

from __future__ import annotations

import re
import sys

from tests.fresh_processes import run_one

SPREAD = r"[\d,.]+ \([\d,.]+-[\d,.]+\)"
MIB = r"[\d,.]+"


def test_speed_and_peak_memory_are_reported() -> None:
    finished = run_one(
        [sys.executable, "-m", "benchmarks.image_decoding", "--images", "2", "--rounds", "2"]
    )
    assert finished.returncode == 0, finished.describe()
    out = finished.output
    assert re.search(r"^2 JPEGs of 1920x1080 \([\d,]+ KiB each\), 2 rounds", out, re.M), out
    for reader in ("read_image", r"Image\.open\(\)\.convert", "the same, then numpy.asarray"):
        assert re.search(rf"^{reader} +{SPREAD} +[\d.]+$", out, re.M), (reader, out)
    assert re.search(rf"^read_image / Image\.open\(\)\.convert, per round: {SPREAD}$", out, re.M)
    for run in ("imports only", "read_image, one 1920x1080 JPEG", "read_image, one 20000x20000"):
        assert re.search(rf"^{run}.* +{MIB} +[\d.]+$", out, re.M), (run, out)
