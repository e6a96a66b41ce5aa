"""Which H.264 packets a decoder skipping non-reference frames ignores whole.

Clips are written by libx264 with its defaults (B-frames, B-pyramid: about half the frames
are non-reference), in MP4 (length-prefixed NAL units) and as a raw Annex B stream.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import av
import pytest

from handlers.reference_packets import (
    Framing,
    NonReferencePackets,
    non_reference_packets,
)
from tests.media import textured, write_segments

FRAMES = 96


def clip(path: Path, codec: str = "libx264") -> Path:
    return write_segments(
        path, [(textured(1, moving=True), FRAMES // 2), (textured(2), 48)], codec=codec
    )


def decoded(path: Path, drop_ignored: bool) -> tuple[list[int], str]:
    """Every frame a NONREF decoder gives, by PTS, and a hash of their pixels."""
    pixels = hashlib.sha256()
    times = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.codec_context.skip_frame = "NONREF"
        ignored = non_reference_packets(stream)
        assert ignored is not None
        for packet in container.demux(stream):
            if drop_ignored and ignored.ignored(packet):
                continue
            for frame in stream.decode(packet):
                times.append(frame.pts)
                for plane in frame.planes:
                    pixels.update(bytes(plane))
    return times, pixels.hexdigest()


def packet_times(path: Path) -> tuple[list[int | None], list[int | None]]:
    """(PTS of the packets it tells the decoder ignores, PTS of all the others)."""
    ignored_times: list[int | None] = []
    sent_times: list[int | None] = []
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        ignored = non_reference_packets(stream)
        assert ignored is not None
        for packet in container.demux(stream):
            if packet.size:
                (ignored_times if ignored.ignored(packet) else sent_times).append(packet.pts)
    return ignored_times, sent_times


@pytest.mark.parametrize("suffix", ["mp4", "h264"], ids=["length-prefixed", "annex-b"])
def test_it_tells_exactly_the_frames_the_decoder_skips(tmp_path: Path, suffix: str) -> None:
    path = clip(tmp_path / f"clip.{suffix}")
    ignored_times, sent_times = packet_times(path)
    every_time, _ = decoded(path, drop_ignored=False)
    assert len(ignored_times) > 0.3 * FRAMES  # B-frames between the references
    assert len(sent_times) == len(every_time)
    if suffix == "mp4":  # a raw stream's packets have no PTS to compare by
        assert sorted(every_time) == sorted(sent_times)


@pytest.mark.parametrize("suffix", ["mp4", "h264"], ids=["length-prefixed", "annex-b"])
def test_the_decoder_gives_the_same_frames_without_them(tmp_path: Path, suffix: str) -> None:
    path = clip(tmp_path / f"clip.{suffix}")
    assert decoded(path, drop_ignored=True) == decoded(path, drop_ignored=False)


def test_the_framing_comes_from_the_extradata(tmp_path: Path) -> None:
    for suffix, framing in (("mp4", Framing.LENGTH_PREFIXED), ("h264", Framing.START_CODES)):
        with av.open(str(clip(tmp_path / f"clip.{suffix}"))) as container:
            found = non_reference_packets(container.streams.video[0])
        assert found is not None and found.framing is framing


def test_other_codecs_are_not_parsed(tmp_path: Path) -> None:
    with av.open(str(clip(tmp_path / "clip.avi", codec="mpeg4"))) as container:
        assert non_reference_packets(container.streams.video[0]) is None


NON_REFERENCE_SLICE = bytes([0x01, 0x9A, 0x00, 0x10])  # nal_ref_idc 0, type 1
REFERENCE_SLICE = bytes([0x41, 0x9A, 0x00, 0x10])  # nal_ref_idc 2, type 1
SEI = bytes([0x06, 0x05, 0x01, 0x80])  # nal_ref_idc 0, type 6: the decoder reads it
ACCESS_UNIT_DELIMITER = bytes([0x09, 0xF0])
FORBIDDEN_BIT = bytes([0x81, 0x9A, 0x00])


def prefixed(*units: bytes) -> av.Packet:
    return av.Packet(b"".join(len(unit).to_bytes(4, "big") + unit for unit in units))


def start_coded(*units: bytes) -> av.Packet:
    return av.Packet(b"".join(b"\x00\x00\x00\x01" + unit for unit in units))


@pytest.mark.parametrize(
    ("units", "ignored"),
    [
        ((NON_REFERENCE_SLICE,), True),
        ((ACCESS_UNIT_DELIMITER, NON_REFERENCE_SLICE, NON_REFERENCE_SLICE), True),
        ((REFERENCE_SLICE,), False),
        ((NON_REFERENCE_SLICE, REFERENCE_SLICE), False),
        ((SEI, NON_REFERENCE_SLICE), False),
        ((FORBIDDEN_BIT,), False),
    ],
    ids=["slice", "delimiter-and-slices", "reference", "mixed", "with-sei", "forbidden-bit"],
)
def test_a_packet_is_ignored_only_when_every_unit_is(
    units: tuple[bytes, ...], ignored: bool
) -> None:
    assert NonReferencePackets(Framing.LENGTH_PREFIXED).ignored(prefixed(*units)) is ignored
    assert NonReferencePackets(Framing.START_CODES).ignored(start_coded(*units)) is ignored


def test_a_packet_that_does_not_parse_is_left_to_the_decoder() -> None:
    lengths = NonReferencePackets(Framing.LENGTH_PREFIXED)
    whole = bytes(prefixed(NON_REFERENCE_SLICE))
    assert not lengths.ignored(av.Packet(whole[:-1]))  # its length runs past the end
    assert not lengths.ignored(av.Packet(whole + b"\x00"))  # bytes left over
    assert not lengths.ignored(start_coded(NON_REFERENCE_SLICE))  # the other framing
    starts = NonReferencePackets(Framing.START_CODES)
    assert not starts.ignored(av.Packet(b"\x07" + bytes(start_coded(NON_REFERENCE_SLICE))))
    assert not starts.ignored(av.Packet(b""))
