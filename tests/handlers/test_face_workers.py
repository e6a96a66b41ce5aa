"""The faces stage in worker processes (`faces.workers`): the same faces as in the daemon's
own process, in the same order; cancellation and progress as before; a worker that dies
fails the attempt with a clear error and the next attempt gets fresh workers."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from daemon.config import FacesConfig
from handlers.base import MovieJob, StageCancelledError, StageContext
from handlers.face_matching import ReferenceSet, detect_faces, largest_face_rule
from handlers.face_search import FrameSearch
from handlers.face_workers import FaceWorkerLostError, FaceWorkers
from handlers.faces import FacesHandler, FacesReport, ReferenceBook
from handlers.image_measures import rgb_of_file
from handlers.quality import JudgedFrame, QualityReport, Verdict
from tests.conftest import HAMILTON
from tests.media import textured

needs_faces = pytest.mark.skipif(
    not HAMILTON.exists(), reason=f"real face photos not found at {HAMILTON}"
)


def kept(name: str) -> JudgedFrame:
    return JudgedFrame(
        name, 1.0, 0, "middle", f"frames/{name}.jpg", 1.0, 1.0, 100.0, 0.1, "0" * 16,
        Verdict.KEPT, None, None,
    )  # fmt: skip


class Run:
    """One attempt of the stage, its progress recorded; `on_progress` may act on the way."""

    def __init__(self, on_progress: Callable[[Run], None] = lambda _run: None) -> None:
        self.stop_event = threading.Event()
        self.progress: list[float] = []
        self._on_progress = on_progress

    def report(self, fraction: float) -> None:
        self.progress.append(fraction)
        self._on_progress(self)

    def __call__(self, library: Path, names: list[str], handler: FacesHandler) -> FacesReport:
        report = QualityReport(tuple(kept(n) for n in names), len(names), 0)
        context = StageContext(report_progress=self.report, stop_event=self.stop_event)
        return handler.run(MovieJob("m", Path("movie.mp4"), library, (report,), context))


def frame_path(library: Path, name: str) -> Path:
    path = library / "movies" / "m" / "frames" / f"{name}.jpg"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def textured_frames(library: Path, count: int, size: tuple[int, int] = (320, 180)) -> list[str]:
    names = [f"t{number:03d}" for number in range(count)]
    for number, name in enumerate(names):
        cv2.imwrite(str(frame_path(library, name)), textured(number, size=size)(0))
    return names


@pytest.fixture(scope="module")
def pool() -> Iterator[FaceWorkers]:
    """Two workers shared by the tests that leave them whole (a start costs seconds)."""
    workers = FaceWorkers(2)
    yield workers
    workers.close()


@pytest.mark.media
@needs_faces
def test_workers_find_the_same_faces_in_the_same_order_as_one_process(
    tmp_path: Path, pool: FaceWorkers
) -> None:
    names = []
    with av.open(str(HAMILTON / "short_hamilton_clip.mp4")) as container:
        for number, frame in enumerate(container.decode(video=0)):
            if number % 30 == 0:
                names.append(f"h{number:03d}")
                cv2.imwrite(str(frame_path(tmp_path, names[-1])), frame.to_ndarray(format="bgr24"))
    for photo in ("two_people.jpg", "obama.jpg"):  # several faces in one frame; a large one
        names.append(photo.removesuffix(".jpg"))
        shutil.copyfile(HAMILTON / photo, frame_path(tmp_path, names[-1]))
    lin = largest_face_rule(detect_faces(rgb_of_file(str(HAMILTON / "lin-manuel-miranda.png"))))
    assert lin is not None
    book = ReferenceBook(ReferenceSet(["Lin"], [lin.encoding]))
    alone, together = Run(), Run()
    expected = alone(tmp_path, names, FacesHandler(FacesConfig(), book))
    found = together(tmp_path, names, FacesHandler(FacesConfig(), book, pool))
    assert found == expected  # boxes, encodings (every float), names, order
    assert [f.encoding for f in found.faces] == [f.encoding for f in expected.faces]
    per_frame = [sum(f.frame == name for f in found.faces) for name in names]
    assert len(found.faces) >= 5 and max(per_frame) >= 2, per_frame
    assert any(f.character == "Lin" for f in found.faces)
    assert together.progress == alone.progress == [(n + 1) / len(names) for n in range(len(names))]


def test_a_stop_cancels_the_stage_and_the_workers_stay_usable(
    tmp_path: Path, pool: FaceWorkers
) -> None:
    names = textured_frames(tmp_path, 12)
    stopping = Run(on_progress=lambda run: run.stop_event.set())
    with pytest.raises(StageCancelledError):
        stopping(tmp_path, names, FacesHandler(FacesConfig(), workers=pool))
    assert stopping.progress == [1 / 12]
    again = Run()
    report = again(tmp_path, names, FacesHandler(FacesConfig(), workers=pool))
    assert report.frames_searched == 12 and again.progress[-1] == 1.0


def test_a_stop_is_seen_while_a_worker_is_still_on_a_slow_frame(
    tmp_path: Path, pool: FaceWorkers
) -> None:
    # dlib's CNN takes seconds on a 640x360 frame on a CPU: the wait for it looks at the stop
    # every CANCEL_CHECK_SECONDS, so a stop need not wait for the frame's end.
    (name,) = textured_frames(tmp_path, 1, size=(640, 360))
    looks: list[int] = []

    def check() -> None:
        looks.append(1)
        if len(looks) == 2:  # the second look: the worker is on the frame
            raise StageCancelledError("stopping")

    search = FrameSearch(frame_path(tmp_path, name), "cnn")
    with pytest.raises(StageCancelledError):
        list(pool.search([search], check))
    assert len(looks) == 2


def test_an_error_in_a_worker_reaches_the_stage_as_it_is(tmp_path: Path, pool: FaceWorkers) -> None:
    names = textured_frames(tmp_path, 3)
    frame_path(tmp_path, names[1]).unlink()
    with pytest.raises(FileNotFoundError, match="missing or unreadable"):
        Run()(tmp_path, names, FacesHandler(FacesConfig(), workers=pool))


def test_a_killed_worker_fails_the_attempt_and_the_next_attempt_gets_new_workers(
    tmp_path: Path,
) -> None:
    names = textured_frames(tmp_path, 10)
    workers = FaceWorkers(2)
    try:
        earlier = {child.pid for child in multiprocessing.active_children()}
        Run()(tmp_path, names[:2], FacesHandler(FacesConfig(), workers=workers))
        started = [c.pid for c in multiprocessing.active_children() if c.pid not in earlier]
        assert started, "the pool started no process"

        def kill_one(run: Run) -> None:
            if len(run.progress) == 1:
                os.kill(started[0], signal.SIGKILL)

        with pytest.raises(FaceWorkerLostError, match=r"ended abruptly.*will be retried"):
            Run(on_progress=kill_one)(tmp_path, names, FacesHandler(workers=workers))
        retried = Run()
        report = retried(tmp_path, names, FacesHandler(FacesConfig(), workers=workers))
        assert report.frames_searched == 10 and retried.progress[-1] == 1.0
        fresh = {c.pid for c in multiprocessing.active_children() if c.pid not in earlier}
        assert started[0] not in fresh and fresh, "the retry ran on new workers"
    finally:
        workers.close()


def test_a_closed_pool_takes_no_more_frames(tmp_path: Path) -> None:
    workers = FaceWorkers(2)
    workers.close()
    with pytest.raises(StageCancelledError, match="stopping"):
        Run()(tmp_path, textured_frames(tmp_path, 1), FacesHandler(workers=workers))


def test_one_worker_means_the_daemons_own_process(tmp_path: Path) -> None:
    workers = FaceWorkers(1)
    earlier = {child.pid for child in multiprocessing.active_children()}
    report = Run()(tmp_path, textured_frames(tmp_path, 2), FacesHandler(workers=workers))
    assert report.frames_searched == 2
    assert {child.pid for child in multiprocessing.active_children()} <= earlier
    with pytest.raises(ValueError, match="at least 1"):
        FaceWorkers(0)


def test_frames_without_faces_give_nothing_in_workers_either(
    tmp_path: Path, pool: FaceWorkers
) -> None:
    blank = np.full((180, 320, 3), 120, np.uint8)
    cv2.imwrite(str(frame_path(tmp_path, "blank")), blank)
    report = Run()(tmp_path, ["blank"], FacesHandler(FacesConfig(), workers=pool))
    assert (report.faces, report.frames_searched, report.too_small) == ((), 1, 0)


def test_a_stage_still_waiting_when_the_pool_closes_is_cancelled_not_failed(
    tmp_path: Path,
) -> None:
    # The daemon closes the pool after its stages have stopped; one that outlived the stop
    # timeout finds its frames not started cancelled: a cancellation, never a failure.
    names = textured_frames(tmp_path, 6, size=(160, 90))
    searches = [FrameSearch(frame_path(tmp_path, name), "cnn") for name in names]
    workers = FaceWorkers(2)
    closing: list[threading.Thread] = []

    def close_once() -> None:
        if not closing:
            closing.append(threading.Thread(target=workers.close))
            closing[0].start()

    with pytest.raises(StageCancelledError, match="stopped"):
        list(workers.search(searches, close_once))
    closing[0].join()
