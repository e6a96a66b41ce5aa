"""`captions`: one caption per dataset image, from the provider chain, written beside it.

A caption is asked for once per image: it is stored the moment it arrives, and a later run
(a restart, a re-run after new references, a deferred stage) takes the stored one. A `.txt`
the user edited is theirs: a later run puts a caption back only where the file is missing. Only
`bunny recaption` marks captions stale to be asked for again. When the chain says to wait
(a provider's breaker is open and `captions.when_unavailable` is `wait`), the captions made
so far stay stored and the stage is deferred: the pipeline runs it again later, without
counting a failure. Each character folder touched gets its `metadata.jsonl` rebuilt, and
every character its kohya `dataset.toml` (handlers/kohya_dataset.py) brought up to date.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from daemon.clients.caption_client import CaptionRequest
from daemon.config import CaptionsConfig
from handlers.base import MovieJob, StageDeferredError
from handlers.caption_chain import CaptionChain, CaptionsWaitingError
from handlers.caption_files import (
    metadata_is_stale,
    remove_orphan_captions,
    restore_caption,
    write_caption,
    write_metadata,
)
from handlers.caption_records import CharacterRecord, NewCaption, StoredCaption
from handlers.caption_template import (
    CaptionFacts,
    light_of,
    position_of,
    setting_of,
    shot_size_of,
)
from handlers.caption_text import TokenCounter, clean_caption, estimated_tokens, fit_caption
from handlers.dataset import DatasetImage, DatasetReport
from handlers.faces import FacesReport, FoundFace
from handlers.frame_files import Picture, frame_size, read_frame
from handlers.kohya_dataset import KohyaSettings, keep_dataset_config
from handlers.quality import JudgedFrame, QualityReport, Verdict
from handlers.scenes import ScenesReport

# Frames of a scene looked at for its colour: enough to judge it, few enough to be quick.
SETTING_SAMPLE_FRAMES = 8


class CaptionLedger(Protocol):
    """Where captions are kept (the repository): asked once, found again."""

    def caption_of(self, file: str) -> StoredCaption | None: ...

    def save_caption(self, caption: NewCaption) -> None: ...

    def character(self, name: str) -> CharacterRecord | None: ...


@dataclass(frozen=True)
class CaptionedImage:
    file: str
    character: str
    provider: str
    text: str


@dataclass(frozen=True)
class CaptionsReport:
    images: tuple[CaptionedImage, ...]
    requested: int  # captions asked of a provider in this run
    reused: int  # captions already stored


class CaptionsHandler:
    name: ClassVar[str] = "captions"
    result_type: ClassVar[type] = CaptionsReport

    def __init__(
        self,
        config: CaptionsConfig,
        chain: CaptionChain,
        ledger: CaptionLedger,
        count_tokens: TokenCounter = estimated_tokens,
        kohya: KohyaSettings | None = None,
    ) -> None:
        self.config, self.chain, self.ledger = config, chain, ledger
        self.count_tokens = count_tokens
        self.kohya = kohya or KohyaSettings()

    def run(self, job: MovieJob) -> CaptionsReport:
        images = job.result(DatasetReport).images
        facts = _FactFinder(job)
        done: list[CaptionedImage] = []
        asked: list[DatasetImage] = []
        for image in images:
            stored = self.ledger.caption_of(image.file)
            if stored is not None and not stored.stale:
                restore_caption(job.library / image.file, stored.text)
                done.append(
                    CaptionedImage(image.file, image.character, stored.provider, stored.text)
                )
            else:
                asked.append(image)
        reused = len(done)
        done.extend(self._ask(job, asked, facts, reused, len(images)))
        self._file(job, images)
        return CaptionsReport(tuple(done), len(done) - reused, reused)

    def _ask(
        self, job: MovieJob, images: list[DatasetImage], facts: _FactFinder, base: int, total: int
    ) -> Iterator[CaptionedImage]:
        # Requests go out in parallel up to the providers' concurrency; their breakers and
        # rate limiters pace them. A wait stops new work; what arrived is kept.
        with ThreadPoolExecutor(max_workers=self.chain.concurrency) as pool:
            pending: set[Future[CaptionedImage]] = {
                pool.submit(self._caption, job, image, facts) for image in images
            }
            finished = 0
            try:
                while pending:
                    ready, pending = wait(pending, timeout=1.0, return_when=FIRST_EXCEPTION)
                    for future in ready:
                        error = future.exception()
                        if isinstance(error, CaptionsWaitingError):
                            raise StageDeferredError(error.reason, error.retry_after) from error
                        finished += 1
                        job.context.progress((base + finished) / max(total, 1))
                        yield future.result()
                    job.context.check_cancelled()
            finally:
                for future in pending:  # not started yet: they never will be
                    future.cancel()

    def _caption(self, job: MovieJob, image: DatasetImage, facts: _FactFinder) -> CaptionedImage:
        known = facts.of(image, self._words(image.character))
        prompt = self.config.prompt.format(
            name=known.name, trigger=known.trigger, class_word=known.class_word,
            context=known.context(),
        )  # fmt: skip
        path = job.library / image.file
        request = CaptionRequest(path.read_bytes(), prompt, self.config.max_tokens)
        captioned = self.chain.caption(request, known)
        text = fit_caption(
            clean_caption(captioned.text, known.trigger), self.config.max_tokens, self.count_tokens
        )
        sha = hashlib.sha256(self.config.prompt.encode("utf-8")).hexdigest()[:16]
        self.ledger.save_caption(
            NewCaption(image.file, job.movie_key, image.character, captioned.provider, text, sha)
        )
        write_caption(path, text)
        return CaptionedImage(image.file, image.character, captioned.provider, text)

    def _words(self, character: str) -> CharacterRecord:
        record = self.ledger.character(character)
        if record is None:  # a dataset image always has a known character; be safe anyway
            raise LookupError(f"no character named {character!r} in the database")
        return record

    def _file(self, job: MovieJob, images: tuple[DatasetImage, ...]) -> None:
        every = sorted((job.library / "characters").glob("*/dataset"))
        remove_orphan_captions(every, f"{job.movie_key}_")
        ours = {(job.library / image.file).parent for image in images}
        # A folder changed since its metadata was written (an image moved or deleted by the
        # user, an orphan caption removed) is rebuilt too, so no metadata names a lost file.
        for folder in every:
            if folder in ours or metadata_is_stale(folder):
                write_metadata(folder)
            self._keep_dataset_config(folder)

    def _keep_dataset_config(self, folder: Path) -> None:
        """`dataset.toml`'s repeats follow the image count: it is kept with metadata.jsonl."""
        record = self.ledger.character(folder.parent.name)
        if record is not None:  # a folder no character owns has no words to give
            keep_dataset_config(folder, f"{record.trigger_word} {record.class_word}", self.kohya)


class _FactFinder:
    """What the pipeline knows of each dataset image's frame, read once per movie."""

    def __init__(self, job: MovieJob) -> None:
        self._job = job
        kept = job.result(QualityReport).frames
        self._frames: dict[str, JudgedFrame] = {
            f.name: f for f in kept if f.verdict is Verdict.KEPT
        }
        self._faces: dict[str, list[FoundFace]] = defaultdict(list)
        for face in job.result(FacesReport).faces:
            self._faces[face.frame].append(face)
        scenes = job.find(ScenesReport)
        self._scene_of = scenes.scene_of() if scenes else {}
        self._settings: dict[str, str] = {}

    def of(self, image: DatasetImage, words: CharacterRecord) -> CaptionFacts:
        frame = self._frames[image.frame]
        faces = self._faces.get(image.frame, [])
        face = next(f for f in faces if f.character == image.character)
        width, height = frame_size(self._job.movie_dir / (frame.file or ""))
        scene = self._scene_of.get(image.frame)
        return CaptionFacts(
            name=words.name,
            trigger=words.trigger_word,
            class_word=words.class_word,
            shot_size=shot_size_of(face.box.height, height),
            people=max(len(faces), 1),
            position=position_of((face.box.left + face.box.right) / 2, width),
            light=light_of(frame.brightness),
            setting=self._setting(scene, image.frame),
            scene=scene,
        )

    def _setting(self, scene: int | None, frame: str) -> str:
        # The whole scene's colour, so the frames of one place are captioned alike.
        key = f"scene {scene}" if scene is not None else f"frame {frame}"
        if key not in self._settings:
            if scene is None:
                names = [frame]
            else:
                names = [n for n, s in self._scene_of.items() if s == scene and n in self._frames]
                names = names[:: max(1, len(names) // SETTING_SAMPLE_FRAMES)]
            self._settings[key] = setting_of([self._picture(name) for name in names])
        return self._settings[key]

    def _picture(self, name: str) -> Picture:
        return read_frame(self._job.movie_dir / (self._frames[name].file or ""))
