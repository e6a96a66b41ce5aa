"""What the one decode pass hands the decoder when it decodes reference frames only."""

from __future__ import annotations

import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import av

from handlers.base import MovieJob, StageContext
from handlers.decode_pass import DecodePass, PassSettings
from handlers.frame_capture import CandidateWriter
from handlers.frame_numbers import FrameScope
from handlers.letterbox import CropBox
from handlers.shot_detection import CutDetector
from tests.media import SIZE, textured, write_segments


class SpiedStream:
    """PyAV's stream, counting the packets given to its decoder (the flush excepted)."""

    def __init__(self, stream: Any) -> None:
        object.__setattr__(self, "real", stream)
        object.__setattr__(self, "sent", 0)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def __setattr__(self, name: str, value: Any) -> None:
        setattr(self.real, name, value)

    def decode(self, packet: Any) -> Any:
        if packet.size:
            object.__setattr__(self, "sent", self.sent + 1)
        return self.real.decode(packet)


class SpiedContainer:
    def __init__(self, container: Any) -> None:
        self.real = container
        self.stream = SpiedStream(container.streams.video[0])
        self.streams = SimpleNamespace(video=[self.stream])

    def demux(self, stream: SpiedStream) -> Any:
        return self.real.demux(stream.real)


def test_a_reference_pass_sends_the_decoder_only_the_frames_it_decodes(tmp_path: Path) -> None:
    """Packets of non-reference frames would only be passed over by the decoder, each taking
    a turn on one of its threads; they are never sent (see handlers/reference_packets)."""
    clip = write_segments(tmp_path / "clip.mp4", [(textured(1, moving=True), 96)])
    settings = PassSettings("shots", 1.0, 0.5, 0.4, FrameScope.REFERENCE)
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    job = MovieJob("k", clip, tmp_path, (), context)
    width, height = SIZE
    (tmp_path / "candidates").mkdir()
    with (
        av.open(str(clip)) as container,
        CandidateWriter(tmp_path / "candidates", CropBox(0, 0, width, height), 90) as writer,
    ):
        spied = SpiedContainer(container)
        out = DecodePass(CutDetector(), writer, settings).run(spied, job)
        writer.finish()
    assert out.scope is FrameScope.REFERENCE
    assert len(out.times) < 0.7 * 96  # the B-frames were skipped
    assert spied.stream.sent == len(out.times)
