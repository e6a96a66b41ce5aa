"""The whole frame path on each real clip in ../shared/media (vtest.avi is MJPEG in AVI)."""

from __future__ import annotations

import pytest

from evaluation.clips import CLIPS, evaluate
from tests.conftest import SHARED_MEDIA


@pytest.mark.media
@pytest.mark.skipif(not SHARED_MEDIA.exists(), reason=f"real clips not found at {SHARED_MEDIA}")
@pytest.mark.parametrize(("clip", "must_keep"), CLIPS)
def test_real_clip_goes_through_shots_frames_and_quality(clip: str, must_keep: bool) -> None:
    row = evaluate(SHARED_MEDIA, clip, must_keep)
    assert row.passed, row
