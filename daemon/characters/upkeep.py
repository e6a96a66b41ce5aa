"""Keeping labels and datasets in step with the references and with the user's hand edits.

The daemon calls it from four places: the intake threads (a reference photo settled in
inbox/faces), the references watch (references added by `bunny name` in another process),
the every-minute corrections job, and the clustering job. Whenever labels change, what
depends on them (`stages_needing("faces")`) runs again for each movie affected, and a
correction that changed a dataset is passed on (`UpkeepHooks.datasets_changed`), so
training can look at the new counts at once.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import structlog

from daemon.characters.cluster_adoption import ClusterAdoption
from daemon.characters.corrections import DatasetCorrections
from daemon.characters.face_clusters import MovedClusters, UnknownFaceClusters
from daemon.characters.page_corrections import PageCorrections
from daemon.characters.references import ReferenceIntake, refresh_references
from daemon.config import Config
from daemon.intake.inbox import InboxLayout
from daemon.reports.movie_summary import write_movie_summary
from daemon.repository import Repository
from daemon.service.library_sweep import LeftoverSweep
from daemon.store import utcnow
from handlers.caption_files import refresh_stale_metadata
from handlers.faces import ReferenceBook
from handlers.registry import stages_needing


@dataclass(frozen=True)
class UpkeepHooks:
    wake_workers: Callable[[], None]  # stages were queued again
    datasets_changed: Callable[[], None]  # dataset images may have come or gone


class LibraryUpkeep:
    def __init__(
        self,
        repo: Repository,
        config: Config,
        layout: InboxLayout,
        book: ReferenceBook,
        hooks: UpkeepHooks,
    ) -> None:
        self.repo = repo
        self.config = config
        self.hooks = hooks
        self._log = structlog.get_logger("daemon")
        self._refresh_lock = threading.Lock()
        # Adopting moved cluster folders and clustering run on two scheduler threads.
        self._clusters_lock = threading.Lock()
        # Photos are taken on several intake threads: one at a time, so that two photos of
        # a new character make one character.
        self._take_lock = threading.Lock()
        self.references = ReferenceIntake(
            repo,
            layout,
            config.library,
            book,
            config.faces.max_reference_mb,
            config.watcher.follow_symlinks,
        )
        self._corrections = DatasetCorrections(repo, config.library, self.after_faces())
        self._clusters = UnknownFaceClusters(repo, config.library, config.faces)
        self._moved = MovedClusters(
            repo, config.library, self.after_faces(), config.watcher.quiet_seconds
        )
        self._stamp = repo.references_stamp()
        self._corrections_stamp = repo.corrections_stamp()

    @property
    def book(self) -> ReferenceBook:
        return self.references.book

    def after_faces(self) -> tuple[str, ...]:
        return stages_needing("faces", self.config.pipeline.stages)

    def recover(self) -> None:
        """At start, before anything else writes: adoptions a kill interrupted are finished
        and the leftovers of interrupted writes removed. Never raises: the daemon starts
        anyway, and the corrections job tries the adoptions again every minute."""
        try:
            ClusterAdoption(self.repo, self.config.library).finish_open()
            PageCorrections(self.repo, self.config.library, self.after_faces()).finish_open()
            LeftoverSweep(self.repo, self.config.library).run()
        except Exception:
            self._log.exception("finishing interrupted work failed; the daemon goes on")

    def take_reference(self, path: Path) -> None:
        """A settled file under inbox/faces (on an intake thread)."""
        with self._take_lock:
            changed = self.references.take(path)
        if changed:
            self.references_changed()

    def watch_references(self) -> None:
        """References added by another process (`bunny name`) are picked up here."""
        if self.repo.references_stamp() != self._stamp:
            self.references_changed()

    def references_changed(self, just_finished: int | None = None) -> None:
        """Match stored faces again; what depends on the labels runs again for each movie."""
        with self._refresh_lock:
            self._refresh(just_finished)
        self.hooks.wake_workers()

    def labels_guard(self, movie_id: int) -> LabelsGuard:
        """For a movie a worker has just claimed: see `LabelsGuard`."""
        return LabelsGuard(self, movie_id, self.book.generation)

    def _refresh(self, just_finished: int | None) -> None:
        self._stamp = self.repo.references_stamp()
        relabelled = refresh_references(
            self.repo, self.book, self.config.faces, requeue=self.after_faces()
        )
        if just_finished is not None:
            # It ran its later stages on the labels of the moment; they run again.
            self.repo.requeue_stages({just_finished}, self.after_faces(), busy_too=True)
        for movie_id in relabelled:
            write_movie_summary(self.repo, self.config.library, movie_id)
        names = [c.name for c in self.repo.characters()]
        self._log.info("references loaded", characters=names, relabelled_movies=len(relabelled))

    def read_corrections(self) -> None:
        """The user's changes to the library: deleted references, moved or deleted dataset
        images, cluster folders moved into characters/, captions edited by hand (so
        metadata.jsonl follows them). Never raises."""
        try:
            removed = self.repo.forget_missing_references(self.config.library)
            for file in removed:
                self._log.info("reference removed: its copy was deleted", reference=file)
            with self._clusters_lock:
                adopted = self._moved.run()
            # The corrected movies' datasets and captions are queued again with the new labels.
            corrected = self._corrections.run()
            # Also those made (or undone) on the review page, in this process or another.
            stamp, self._corrections_stamp = self._corrections_stamp, self.repo.corrections_stamp()
            changed = bool(corrected) or stamp != self._corrections_stamp
            if changed:
                self.hooks.datasets_changed()
            if changed or removed or adopted:
                self.references_changed()
            for folder in refresh_stale_metadata(self.config.library):
                self._log.info("metadata.jsonl rebuilt: its folder changed", folder=str(folder))
        except Exception:
            self._log.exception("reading corrections failed; they are read again next time")

    def clustering_due_in(self, interval_seconds: float) -> float:
        """Seconds until the next clustering: one interval after the last, whichever process
        ran it, so a daemon restarted more often than the interval still clusters."""
        last = self.repo.clustered_at()
        now = utcnow()
        since = (now - last).total_seconds() if last is not None else interval_seconds
        due_in = min(interval_seconds, max(0.0, interval_seconds - since))
        at = now + timedelta(seconds=due_in)
        self._log.info("unknown faces: next clustering", at=at.isoformat() + "Z")
        return due_in

    def cluster(self) -> None:
        """Group the unknown faces; never raises."""
        try:
            with self._clusters_lock:
                # A folder moved since the last look is adopted before its faces are regrouped.
                adopted = self._moved.run()
                found = self._clusters.run()
        except Exception:
            self._log.exception("clustering unknown faces failed; it runs again next time")
            return
        self.repo.save_clustered_at(utcnow())
        sizes = {cluster: len(members) for cluster, members in found.items()}
        self._log.info("unknown faces clustered", clusters=sizes)
        if adopted:
            self.references_changed()


class LabelsGuard:
    """Whether a running movie's labels are still those its stages read, asked by the
    pipeline before it marks the movie done.

    `settled()` holds the reference refresh off while the movie is marked done, so a refresh
    either comes first (then the guard relabels the movie and queues its later stages again,
    and the pipeline runs them before it is done) or comes after and finds the movie done,
    queueing it again in one transaction. No reader ever sees it done with stale labels.
    """

    def __init__(self, upkeep: LibraryUpkeep, movie_id: int, generation: int) -> None:
        self._upkeep, self._movie_id, self._seen = upkeep, movie_id, generation

    @property
    def stale(self) -> bool:
        return self._upkeep.book.generation != self._seen

    @contextlib.contextmanager
    def settled(self) -> Iterator[bool]:
        """Yields False (the labels held still until the block ends) or True (they had
        changed: the stages that read them are queued again)."""
        with self._upkeep._refresh_lock:
            if not self.stale:
                yield False
                return
            self._upkeep._refresh(just_finished=self._movie_id)
            self._seen = self._upkeep.book.generation
        yield True
