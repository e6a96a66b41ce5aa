"""Peak resident memory of the frame stages' whole path, each figure from a fresh process.

    python -m benchmarks.peak_memory CLIP|imports [content|transnetv2]

The child runs probe + shots + frames + quality on CLIP once, with that shot detector
(`content` unless named), and prints its peak; `imports` only imports what that run imports
(with transnetv2: torch and the network's weights too), the baseline the path's own memory
is measured over.
"""

from __future__ import annotations

import importlib
import resource
import sys
import tempfile
from pathlib import Path

from benchmarks.film_clips import Clip
from benchmarks.frame_path import run_path
from benchmarks.fresh_peak import fresh_process_peak
from benchmarks.printed_tables import heading, table
from daemon.config import Config, ShotsConfig
from handlers.transnet import load_model

IMPORTS_ONLY = "imports"
TARGET_MEMORY_GROWTH = 1.10


def peak_rss_kib() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak // 1024 if sys.platform == "darwin" else peak  # bytes on macOS, KiB elsewhere


def measure(clip: str, detector: str = "content") -> None:
    """The child's work: the whole path once (or the imports alone), then its peak."""
    if clip == IMPORTS_ONLY:
        importlib.import_module("scipy.fftpack")  # imagehash imports it late: count it here
        if detector == "transnetv2":
            load_model()
    else:
        shots = ShotsConfig(detector="transnetv2" if detector == "transnetv2" else "content")
        config = Config(shots=shots)
        with tempfile.TemporaryDirectory() as work:
            run = run_path(Path(clip), Path(work), config)
            print(f"frames_decoded {run.shots.frames_decoded}")
    print(f"peak_rss_kib {peak_rss_kib()}")


def child_peak_mib(target: str, detector: str = "content") -> tuple[float, float]:
    """The child's peak RSS in MiB and its wall seconds."""
    return fresh_process_peak([sys.executable, "-m", "benchmarks.peak_memory", target, detector])


def memory_section(short: Clip, long: Clip, detector: str = "content") -> None:
    heading("Peak resident memory of the full path (probe + shots + frames + quality)")
    print(f"each in a fresh process: python -m benchmarks.peak_memory CLIP {detector}", flush=True)
    baseline, baseline_s = child_peak_mib(IMPORTS_ONLY, detector)
    rows: list[list[object]] = [["imports only", "-", baseline, 0.0, baseline_s]]
    peaks = []
    for clip in (short, long):
        peak, seconds = child_peak_mib(str(clip.path), detector)
        peaks.append(peak)
        name = f"{clip.spec.seconds:g} s {clip.label} {clip.spec.preset}"
        rows.append([name, f"{clip.spec.seconds:g}", peak, peak - baseline, seconds])
    table(["run", "clip s", "peak RSS MiB", "over imports MiB", "child wall s"], rows)
    growth = peaks[1] / peaks[0]
    print(f"long / short peak: {growth:.3f} (target <= {TARGET_MEMORY_GROWTH:.2f})")


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit(f"usage: python -m benchmarks.peak_memory CLIP|{IMPORTS_ONLY} [DETECTOR]")
    measure(*sys.argv[1:])
