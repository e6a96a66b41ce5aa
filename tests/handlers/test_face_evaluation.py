"""The face evaluation's checks on the real photos and clip in ../shared/media all pass."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from evaluation.faces import FACES, GROUPS, JOHNS, Row
from tests.conftest import SHARED_MEDIA


@pytest.mark.media
@pytest.mark.skipif(
    not (SHARED_MEDIA / FACES).is_dir() or not (SHARED_MEDIA / JOHNS).is_dir(),
    reason=f"real face photos not found at {SHARED_MEDIA / 'faces'}",
)
@pytest.mark.parametrize(("group", "rows_of"), GROUPS, ids=[name for name, _ in GROUPS])
def test_every_judged_face_check_passes(group: str, rows_of: Callable[[Path], list[Row]]) -> None:
    rows = rows_of(SHARED_MEDIA)
    assert rows, group
    failed = [row for row in rows if row.passed is False]
    assert not failed, failed
