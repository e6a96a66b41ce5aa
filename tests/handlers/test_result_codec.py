"""Stage results survive the trip through the database as the same typed objects."""

from __future__ import annotations

import json
from pathlib import Path

from handlers.base import VideoInfo
from handlers.frame_capture import CandidateRole
from handlers.result_codec import decode, encode
from handlers.shots import ShotKind, ShotList, ShotsHandler
from tests.handlers.test_shots import run
from tests.media import textured, write_segments


def test_a_shot_list_round_trips_through_json(tmp_path: Path) -> None:
    clip = write_segments(tmp_path / "c.mp4", [(textured(1), 30), (textured(2, True), 30)])
    result = run(clip)
    stored = json.loads(json.dumps(encode(result)))
    back = decode(ShotsHandler.result_type, stored)
    assert back == result
    assert isinstance(back, ShotList)
    assert isinstance(back.shots[0].kind, ShotKind)
    assert isinstance(back.candidates[0].role, CandidateRole)
    assert stored["candidates"][0]["phash"] == result.candidates[0].phash


def test_a_stored_field_this_version_no_longer_has_is_ignored() -> None:
    data = encode(VideoInfo("mp4", "h264", 320, 240, 24.0, 3.0, 72, False))
    data["retired_field"] = 1
    assert decode(VideoInfo, data).width == 320
