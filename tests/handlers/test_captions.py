"""The `captions` stage: one caption per dataset image, asked once, written beside it."""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from daemon.clients.caption_client import CaptionRequest
from daemon.config import CaptionsConfig, DatasetConfig
from daemon.repository import Repository
from daemon.resilience import ProviderRefusedError, ProviderUnavailableError
from handlers.base import MovieJob, StageContext, StageDeferredError
from handlers.caption_chain import CaptionChain
from handlers.caption_files import metadata_is_stale, refresh_stale_metadata
from handlers.caption_template import CaptionFacts, ShotSize, TemplateProvider
from handlers.captions import CaptionsHandler, CaptionsReport
from handlers.dataset import DatasetHandler, DatasetReport
from handlers.face_matching import FaceBox
from handlers.faces import FacesReport, FoundFace
from handlers.quality import JudgedFrame, QualityReport, Verdict

SHA = "ab12cd34ef56" + "0" * 52
KEY = SHA[:12]


class ScriptedProvider:
    """Plays a remote captioning API: answers, or fails as GuardedClient reports failures."""

    def __init__(self, name: str, failures: dict[int, Exception] | None = None) -> None:
        self.name = name
        self.failures = failures or {}
        self.calls: list[CaptionRequest] = []
        self._lock = threading.Lock()

    def caption(self, request: CaptionRequest, facts: CaptionFacts) -> str:
        with self._lock:
            self.calls.append(request)
            number = len(self.calls)
        if number in self.failures:
            raise self.failures[number]
        return f"The image shows {facts.name} looking thoughtful, number {number}."


def kept(name: str, shot: int, brightness: float = 120.0) -> JudgedFrame:
    return JudgedFrame(
        name, 1.0, shot, "middle", f"frames/{name}.jpg", 1.0, 1.0, brightness, 0.1, "0" * 16,
        Verdict.KEPT, None, None,
    )  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Repository:
    repo = Repository(tmp_path / "library" / "bunny.db")
    repo.add_movie(SHA, "movie.mp4", tmp_path / "movie.mp4", 1)
    repo.save_character("Ann Lee", "annlee", "woman")
    repo.save_character("Bob", "bob", "man")
    return repo


def earlier(
    library: Path, faces: list[FoundFace], repo: Repository | None = None
) -> tuple[object, ...]:
    frames = sorted({f.frame for f in faces})
    for name in frames:
        path = library / "movies" / KEY / "frames" / f"{name}.jpg"
        path.parent.mkdir(parents=True, exist_ok=True)
        picture = np.zeros((720, 1280, 3), np.uint8)
        picture[:] = (40, 90, 200)  # BGR: a warm frame
        cv2.imwrite(str(path), picture)
    quality = QualityReport(tuple(kept(n, i) for i, n in enumerate(frames)), len(frames), 0)
    found = FacesReport(tuple(faces), len(frames), 0, 0, ())
    dataset = DatasetHandler(DatasetConfig(min_face_pixels=32)).run(job(library, (quality, found)))
    if repo is not None:  # as the pipeline stores it: the rows `bunny status` counts
        repo.finish_stage(1, "faces", 0.1, found)
        repo.finish_stage(1, "dataset", 0.1, dataset)
    return quality, found, dataset


def job(library: Path, results: tuple[object, ...]) -> MovieJob:
    context = StageContext(report_progress=lambda _: None, stop_event=threading.Event())
    return MovieJob(KEY, Path("movie.mp4"), library, results, context)


def face(frame: str, character: str | None, top: int, size: int, number: int = 0) -> FoundFace:
    return FoundFace(frame, number, FaceBox(top, 600 + size, top + size, 600), character, 0.4, 0.9)


def captions(repo: Repository, chain: CaptionChain, config: CaptionsConfig | None = None):  # type: ignore[no-untyped-def]
    return CaptionsHandler(config or CaptionsConfig(), chain, repo)


def test_template_captions_land_beside_the_images_and_in_metadata(
    tmp_path: Path, repo: Repository
) -> None:
    library = tmp_path / "library"
    results = earlier(
        library,
        [face("00-00-01.000", "Ann Lee", 100, 300), face("00-00-02.000", "Ann Lee", 300, 60),
         face("00-00-02.000", "Bob", 100, 80, 1)],
        repo,
    )  # fmt: skip
    chain = CaptionChain([TemplateProvider()], "next")
    report: CaptionsReport = captions(repo, chain).run(job(library, results))
    assert report.requested == 3 and report.reused == 0
    folder = library / "characters" / "Ann Lee" / "dataset"
    close = (folder / f"{KEY}_00-00-01.000.txt").read_text().strip()
    wide = (folder / f"{KEY}_00-00-02.000.txt").read_text().strip()
    assert close.startswith("annlee, a woman, close-up, solo")
    assert wide.startswith("annlee, a woman, wide shot, with another person")
    assert "warm-toned setting" in close
    lines = [json.loads(line) for line in (folder / "metadata.jsonl").read_text().splitlines()]
    assert lines == [
        {"file_name": f"{KEY}_00-00-01.000.jpg", "text": close},
        {"file_name": f"{KEY}_00-00-02.000.jpg", "text": wide},
    ]
    bob = library / "characters" / "Bob" / "dataset" / f"{KEY}_00-00-02.000.txt"
    assert bob.read_text().startswith("bob, a man")
    progress = {p.character: (p.images, p.captioned) for p in repo.caption_progress()}
    assert progress == {"Ann Lee": (2, 2), "Bob": (1, 1)}


def test_a_caption_is_never_asked_for_twice(tmp_path: Path, repo: Repository) -> None:
    library = tmp_path / "library"
    results = earlier(library, [face("00-00-01.000", "Ann Lee", 100, 300)])
    api = ScriptedProvider("openai")
    chain = CaptionChain([api], "next")
    first = captions(repo, chain).run(job(library, results))
    assert first.requested == 1 and len(api.calls) == 1
    text = first.images[0].text
    assert text.startswith("annlee, Ann Lee looking thoughtful")  # cleaned, trigger first
    (library / first.images[0].file).with_suffix(".txt").unlink()  # even with the file gone
    second = captions(repo, chain).run(job(library, results))
    assert (second.requested, second.reused) == (0, 1)
    assert len(api.calls) == 1
    assert (library / first.images[0].file).with_suffix(".txt").read_text().strip() == text
    # The request carried the image and a prompt with the character's words.
    assert api.calls[0].image_jpeg[:2] == b"\xff\xd8"
    assert "annlee" in api.calls[0].prompt and "Ann Lee" in api.calls[0].prompt


@pytest.mark.parametrize(
    ("failure", "when_unavailable"),
    [
        # The provider is down and the chain says go on: the next one captions.
        (ProviderUnavailableError("bedrock", "breaker_open", ""), "next"),
        # The provider refused this image for good: waiting would not help, so even a
        # waiting chain goes on to the next provider.
        (ProviderRefusedError("bedrock", "malformed reply"), "wait"),
    ],
)
def test_the_next_provider_captions_what_the_first_cannot(
    tmp_path: Path, repo: Repository, failure: Exception, when_unavailable: str
) -> None:
    library = tmp_path / "library"
    results = earlier(library, [face("00-00-01.000", "Ann Lee", 100, 300)])
    first = ScriptedProvider("bedrock", {1: failure})
    chain = CaptionChain([first, TemplateProvider()], when_unavailable)
    report = captions(repo, chain).run(job(library, results))
    assert report.images[0].provider == "template"
    assert len(first.calls) == 1


def test_waiting_defers_the_stage_and_keeps_what_was_captioned(
    tmp_path: Path, repo: Repository
) -> None:
    library = tmp_path / "library"
    frames = [f"00-00-0{n}.000" for n in range(1, 5)]
    results = earlier(library, [face(name, "Ann Lee", 100, 300) for name in frames])
    outage = ProviderUnavailableError("openai", "breaker_open", "too many failures")
    api = ScriptedProvider("openai", {3: outage, 4: outage})
    chain = CaptionChain([api, TemplateProvider()], "wait")
    with pytest.raises(StageDeferredError) as deferred:
        captions(repo, chain).run(job(library, results))
    assert "breaker_open" in deferred.value.reason
    saved = [repo.caption_of(f"characters/Ann Lee/dataset/{KEY}_{n}.jpg") for n in frames]
    assert sum(1 for s in saved if s is not None) == 2
    assert all(s.provider == "openai" for s in saved if s is not None)
    # The provider is back: only the two that waited are asked for.
    api.failures.clear()
    report = captions(repo, chain).run(job(library, results))
    assert (report.requested, report.reused) == (2, 2)
    assert len(api.calls) == 6  # 4 in the first run (2 failed), 2 now
    assert {image.provider for image in report.images} == {"openai"}


def test_recaption_asks_again_and_the_new_caption_wins(tmp_path: Path, repo: Repository) -> None:
    library = tmp_path / "library"
    results = earlier(library, [face("00-00-01.000", "Ann Lee", 100, 300)], repo)
    captions(repo, CaptionChain([TemplateProvider()], "next")).run(job(library, results))
    assert repo.mark_captions_stale("Ann Lee", None) == {1}
    assert repo.caption_progress()[0].captioned == 0
    api = ScriptedProvider("openai")
    report = captions(repo, CaptionChain([api], "next")).run(job(library, results))
    assert report.requested == 1 and report.images[0].provider == "openai"
    stored = repo.caption_of(f"characters/Ann Lee/dataset/{KEY}_00-00-01.000.jpg")
    assert stored is not None and stored.provider == "openai" and not stored.stale


def test_captions_of_images_the_dataset_dropped_are_removed(
    tmp_path: Path, repo: Repository
) -> None:
    library = tmp_path / "library"
    results = earlier(library, [face("00-00-01.000", "Ann Lee", 100, 300)])
    captions(repo, CaptionChain([TemplateProvider()], "next")).run(job(library, results))
    image = library / "characters" / "Ann Lee" / "dataset" / f"{KEY}_00-00-01.000.jpg"
    image.unlink()  # the dataset stage dropped it on a re-run
    quality, found, _ = results
    captions(repo, CaptionChain([TemplateProvider()], "next")).run(
        job(library, (quality, found, DatasetReport((), 0, 0)))
    )
    assert not image.with_suffix(".txt").exists()


def test_the_template_tells_a_close_up_from_a_wide_shot() -> None:
    def facts(size: ShotSize) -> CaptionFacts:
        return CaptionFacts("Ann", "ann", "woman", size, 1, "in the centre", "", "muted", None)

    request = CaptionRequest(b"", "", 77)
    close = TemplateProvider().caption(request, facts(ShotSize.CLOSE_UP))
    wide = TemplateProvider().caption(request, facts(ShotSize.WIDE))
    assert close != wide and "close-up" in close and "wide shot" in wide


def test_a_folder_the_user_changed_gets_its_metadata_rebuilt(
    tmp_path: Path, repo: Repository
) -> None:
    library = tmp_path / "library"
    results = earlier(
        library,
        [face("00-00-01.000", "Ann Lee", 100, 300), face("00-00-02.000", "Bob", 100, 300)],
    )
    captions(repo, CaptionChain([TemplateProvider()], "next")).run(job(library, results))
    ann = library / "characters" / "Ann Lee" / "dataset"
    bob = library / "characters" / "Bob" / "dataset"
    # The user moves Ann's image with its caption into Bob's folder.
    for suffix in (".jpg", ".txt"):
        name = f"{KEY}_00-00-01.000{suffix}"
        (ann / name).rename(bob / name)
    assert metadata_is_stale(ann) and metadata_is_stale(bob)
    quality, found, _ = results
    only_bob = DatasetReport(
        tuple(i for i in results[2].images if i.character == "Bob"),
        0,
        0,  # type: ignore[attr-defined]
    )
    captions(repo, CaptionChain([TemplateProvider()], "next")).run(
        job(library, (quality, found, only_bob))
    )
    assert (ann / "metadata.jsonl").read_text() == ""
    listed = [json.loads(line)["file_name"] for line in (bob / "metadata.jsonl").open()]
    assert listed == [f"{KEY}_00-00-01.000.jpg", f"{KEY}_00-00-02.000.jpg"]
    assert not metadata_is_stale(ann) and not metadata_is_stale(bob)


def test_a_caption_the_user_edited_is_kept(tmp_path: Path, repo: Repository) -> None:
    library = tmp_path / "library"
    results = earlier(library, [face("00-00-01.000", "Ann Lee", 100, 300)])
    chain = CaptionChain([TemplateProvider()], "next")
    captions(repo, chain).run(job(library, results))
    folder = library / "characters" / "Ann Lee" / "dataset"
    edited = "annlee, a woman in a green hat, smiling"
    (folder / f"{KEY}_00-00-01.000.txt").write_text(edited + "\n")
    report = captions(repo, chain).run(job(library, results))
    assert report.reused == 1
    assert (folder / f"{KEY}_00-00-01.000.txt").read_text().strip() == edited
    assert json.loads((folder / "metadata.jsonl").read_text())["text"] == edited


def test_a_caption_edited_by_hand_reaches_metadata_without_a_new_movie(
    tmp_path: Path, repo: Repository
) -> None:
    library = tmp_path / "library"
    results = earlier(library, [face("00-00-01.000", "Ann Lee", 100, 300)])
    captions(repo, CaptionChain([TemplateProvider()], "next")).run(job(library, results))
    folder = library / "characters" / "Ann Lee" / "dataset"
    assert not metadata_is_stale(folder) and refresh_stale_metadata(library) == []
    caption = folder / f"{KEY}_00-00-01.000.txt"
    caption.write_text("annlee, in a red coat\n")
    later = (folder / "metadata.jsonl").stat().st_mtime_ns + 1_000_000
    os.utime(caption, ns=(later, later))  # a clock tick after metadata.jsonl, however coarse
    assert metadata_is_stale(folder)
    assert refresh_stale_metadata(library) == [folder]
    assert json.loads((folder / "metadata.jsonl").read_text())["text"] == "annlee, in a red coat"
    assert not metadata_is_stale(folder)
